"""lmfit models for XANES: edge/pre-edge peak fit and linear-combination fitting.

Edge model (normalized absorption, energies in eV)::

    y(E) = c + A [1/2 + arctan((E - Es)/w)/pi] + sum_k pV_k(E)

with pseudo-Voigt peaks (``lmfit.lineshapes.pvoigt``: amplitude = area,
centre, sigma, fraction) for the pre-edge (``n_pre`` peaks, below E0) and the
edge / white line (``n_edge`` peaks). The fit is unweighted; lmfit scales the
covariance by the reduced chi-square (``scale_covar=True``), which the record
states.
"""

from __future__ import annotations

import numpy as np

from ..errors import FitError, InputError


def _arctan_step(x, amplitude, center, width, c):
    return c + amplitude * (0.5 + np.arctan((x - center) / width) / np.pi)


def fit_edge(
    energy: np.ndarray,
    norm: np.ndarray,
    e0: float,
    *,
    fit_range: tuple[float, float] = (-20.0, 12.0),
    n_pre: int = 1,
    n_edge: int = 1,
    pre_window: tuple[float, float] = (-15.0, -4.0),
    pre_window_abs: tuple[float, float] | None = None,
    pre_center: float | None = None,
    sigma: np.ndarray | None = None,
    source: str = "spectrum",
) -> dict:
    """Fit an arctangent step plus pseudo-Voigt pre-edge and edge peaks.

    Parameters
    ----------
    energy, norm : ndarray
        Calibrated energy (eV) and normalized absorption.
    e0 : float
        Edge energy (eV; derivative maximum) that the ranges refer to.
    fit_range : (float, float)
        Fit window relative to ``e0`` (eV).
    n_pre, n_edge : int
        Numbers of pre-edge and edge/white-line pseudo-Voigt peaks.
    pre_window : (float, float)
        Where the pre-edge peak centre may lie, relative to ``e0`` (eV).
    pre_window_abs : (float, float), optional
        The same in absolute energy (eV); overrides ``pre_window``.
    pre_center : float, optional
        Starting centre (eV) of the first pre-edge peak (e.g. the curvature
        minimum); default the largest residual of a plain step in the window.
    sigma : ndarray, optional
        Noise of each point of ``norm`` (same length); the fit is weighted by
        1/sigma when given (lmfit still scales the covariance by the reduced
        chi-square).
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``params`` (name -> (value, stderr)), ``best_fit`` and ``energy``
        arrays of the window, statistics ``chisqr``, ``redchi``, ``r_factor``,
        ``n_points``, ``n_varys``, ``success``, ``scale_covar``, plus
        ``covar`` and ``var_names`` (covariance of the varied parameters) and
        ``pre_windows`` (absolute centre bounds of the pre-edge peaks),
        ``n_starts`` (1, or 4 when a pre-edge centre ended on its window
        bound and starts across the window were tried).

    Raises
    ------
    FitError
        When lmfit fails or no standard errors can be estimated.
    """
    from lmfit import Minimizer, Parameters
    from lmfit.lineshapes import pvoigt

    m = (energy >= e0 + fit_range[0]) & (energy <= e0 + fit_range[1])
    x, y = energy[m], norm[m]
    w = None
    if sigma is not None:
        s = np.asarray(sigma, float)[m]
        if np.all(np.isfinite(s)) and np.all(s > 0):
            w = 1.0 / s
    if x.size < 10 + 4 * (n_pre + n_edge):
        raise InputError(f"{source}: only {x.size} points in the edge-fit window {fit_range}")
    params = Parameters()
    params.add("step_amplitude", value=1.0, min=0.2, max=3.0)
    params.add("step_center", value=e0 + 1.0, min=e0 - 5.0, max=e0 + 8.0)
    params.add("step_width", value=1.5, min=0.2, max=10.0)
    params.add("step_c", value=0.0)
    base = _arctan_step(x, 1.0, e0 + 1.0, 1.5, 0.0)
    resid0 = y - base
    peaks = []
    if pre_window_abs is not None:
        lo, hi = float(pre_window_abs[0]), float(pre_window_abs[1])
    else:
        lo, hi = e0 + pre_window[0], e0 + pre_window[1]
    sel = (x >= lo) & (x <= hi)
    if n_pre and not np.any(sel):
        raise InputError(
            f"{source}: pre-edge window {lo:.2f}-{hi:.2f} eV is outside the fit range "
            f"{x[0]:.2f}-{x[-1]:.2f} eV"
        )
    for k in range(n_pre):
        pre = f"pre{k + 1}_"
        if k == 0 and pre_center is not None and lo < pre_center < hi:
            cen = float(pre_center)
        else:
            cen = x[sel][np.argmax(resid0[sel])] + 0.5 * k
        cen = float(np.clip(cen, lo + 0.01 * (hi - lo), hi - 0.01 * (hi - lo)))
        params.add(pre + "amplitude", value=0.2, min=0.0)
        params.add(pre + "center", value=cen, min=lo, max=hi)
        params.add(pre + "sigma", value=1.0, min=0.2, max=4.0)
        params.add(pre + "fraction", value=0.5, min=0.0, max=1.0)
        peaks.append(pre)
    above = x >= e0
    for k in range(n_edge):
        pre = f"edge{k + 1}_"
        cen = x[above][np.argmax(resid0[above])] + 4.0 * k
        params.add(pre + "amplitude", value=1.0, min=0.0)
        params.add(pre + "center", value=cen, min=e0 - 2.0, max=e0 + fit_range[1])
        params.add(pre + "sigma", value=2.0, min=0.3, max=8.0)
        params.add(pre + "fraction", value=0.5, min=0.0, max=1.0)
        peaks.append(pre)

    def model(v):
        out = _arctan_step(x, v["step_amplitude"], v["step_center"], v["step_width"], v["step_c"])
        for pre in peaks:
            out = out + pvoigt(
                x, v[pre + "amplitude"], v[pre + "center"], v[pre + "sigma"], v[pre + "fraction"]
            )
        return out

    def residual(p):
        r = model(p.valuesdict()) - y
        return r if w is None else r * w

    def minimize(p):
        try:
            out = Minimizer(residual, p, scale_covar=True, max_nfev=20000).minimize("leastsq")
        except Exception as err:
            raise FitError(f"{source}: edge fit failed ({err})") from err
        if not out.success and "error-bars" not in str(out.message):
            raise FitError(f"{source}: edge fit did not converge ({out.message})")
        return out

    def at_bound(r):
        tol = 0.05
        return any(
            min(r.params[pre + "center"].value - lo, hi - r.params[pre + "center"].value) <= tol
            for pre in peaks
            if pre.startswith("pre")
        )

    res = minimize(params)
    n_starts = 1
    if n_pre and at_bound(res):
        # a pre-edge centre on its window bound may be a local minimum of the start: try
        # starts across the window and keep the lowest chi-square fit off the bounds (the
        # bound flag stays when every start ends there)
        for frac in (0.25, 0.5, 0.75):
            p2 = params.copy()
            p2["pre1_center"].set(value=lo + frac * (hi - lo))
            r2 = minimize(p2)
            n_starts += 1
            if (at_bound(res) and not at_bound(r2)) or (
                at_bound(res) == at_bound(r2) and r2.chisqr < res.chisqr
            ):
                res = r2
    best = model(res.params.valuesdict())
    out = {}
    for name, par in res.params.items():
        se = par.stderr if par.stderr is not None else np.nan
        out[name] = (float(par.value), float(se))
    return {
        "params": out,
        "covar": None if res.covar is None else np.asarray(res.covar),
        "var_names": list(res.var_names),
        "pre_windows": [(lo, hi)] * n_pre,
        "weighted": w is not None,
        "energy": x,
        "best_fit": best,
        "chisqr": float(res.chisqr),
        "redchi": float(res.redchi),
        "r_factor": float(np.sum((y - best) ** 2) / np.sum(y**2)),
        "n_points": int(x.size),
        "n_varys": int(res.nvarys),
        "success": bool(res.success),
        "errorbars": bool(res.errorbars),
        "scale_covar": True,
        "n_starts": n_starts,
    }


def lcf(
    energy: np.ndarray,
    y: np.ndarray,
    components: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    e_range: tuple[float, float],
    sum_to_one: bool = True,
    source: str = "spectrum",
) -> dict:
    """Linear-combination fit of a normalized spectrum by end-member spectra.

    Parameters
    ----------
    energy, y : ndarray
        Calibrated energy (eV) and normalized absorption to fit.
    components : dict
        Name -> (energy, norm) of each end member (interpolated onto ``energy``).
    e_range : (float, float)
        Absolute fit range (eV).
    sum_to_one : bool
        Constrain the weights to sum to 1 (the last weight is 1 - the others).
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``weights`` (name -> (value, stderr)), ``r_factor`` =
        sum(resid^2)/sum(y^2), ``chisqr``, ``redchi``, ``n_points``, ``sum_to_one``.
    """
    from lmfit import Minimizer, Parameters

    if len(components) < 2:
        raise InputError(f"{source}: LCF needs at least two components, got {list(components)}")
    m = (energy >= e_range[0]) & (energy <= e_range[1])
    x, yy = energy[m], y[m]
    if x.size < 10:
        raise InputError(f"{source}: LCF range {e_range} holds only {x.size} points")
    names = list(components)
    basis = []
    for n in names:
        ce, cy = components[n]
        if ce[0] > x[0] or ce[-1] < x[-1]:
            raise InputError(
                f"{source}: component {n!r} covers {ce[0]:.1f}-{ce[-1]:.1f} eV, "
                f"not the LCF range {x[0]:.1f}-{x[-1]:.1f} eV"
            )
        basis.append(np.interp(x, ce, cy))
    basis = np.array(basis)
    params = Parameters()
    safe = [f"w{i}" for i in range(len(names))]
    for i, s in enumerate(safe):
        if sum_to_one and i == len(safe) - 1:
            params.add(s, expr="1 - " + " - ".join(safe[:-1]))
        else:
            params.add(s, value=1.0 / len(names), min=-0.5, max=1.5)

    def resid(p):
        w = np.array([p[s].value for s in safe])
        return w @ basis - yy

    res = Minimizer(resid, params, scale_covar=True).minimize(method="leastsq")
    fit = yy + res.residual
    weights = {}
    for n, s in zip(names, safe, strict=True):
        par = res.params[s]
        weights[n] = (float(par.value), float(par.stderr) if par.stderr is not None else np.nan)
    return {
        "weights": weights,
        "r_factor": float(np.sum(res.residual**2) / np.sum(yy**2)),
        "chisqr": float(res.chisqr),
        "redchi": float(res.redchi),
        "n_points": int(x.size),
        "sum_to_one": bool(sum_to_one),
        "energy": x,
        "best_fit": fit,
    }


def _linear_weights(x: np.ndarray, y: np.ndarray, basis: np.ndarray, sum_to_one: bool):
    """Least-squares weights of ``basis`` rows (optionally summing to one)."""
    if sum_to_one:
        last = basis[-1]
        a = (basis[:-1] - last).T
        w, *_ = np.linalg.lstsq(a, y - last, rcond=None)
        return np.append(w, 1.0 - w.sum())
    w, *_ = np.linalg.lstsq(basis.T, y, rcond=None)
    return w


def lcf_monte_carlo(
    target: dict,
    components: dict[str, dict],
    *,
    e_range: tuple[float, float],
    sum_to_one: bool = True,
    n_draws: int = 200,
    seed: int = 0,
) -> dict:
    """Standard errors of LCF weights by redrawing every input's measured noise.

    Each spectrum (target and end members) is given as its merged absorption
    ``mu`` with the noise of one point ``noise`` (from the scatter of the
    repeated scans, or from point-to-point differences for a single scan),
    its settled normalization (``e0`` and ``normalization``: pre1, pre2,
    norm1, norm2, nnorm, nvict) and its calibration error ``calib_stderr``
    (eV). A draw adds Gaussian noise to every ``mu``, shifts every energy
    axis by a draw of its calibration error, normalizes again with the same
    settings (so errors of the edge step and post-edge line, which are
    correlated over the whole range, are included) and refits the weights by
    linear least squares. The standard deviation over the draws is the
    standard error; reduced-chi-square scaling over oversampled, correlated
    points is not used.

    Parameters
    ----------
    target : dict
        ``energy``, ``mu``, ``noise``, ``e0``, ``normalization``, ``calib_stderr``.
    components : dict
        Name -> dict of the same keys.
    e_range : (float, float)
        Absolute fit range (eV).
    sum_to_one : bool
        Constrain the weights to sum to one.
    n_draws : int
        Number of draws.
    seed : int
        Seed (reproducible results).

    Returns
    -------
    dict
        ``stderr`` (name -> float), ``draws`` (n_draws x n_components array),
        ``n_draws``, ``method`` (text for the table).
    """
    from .normalize import normalize_fixed

    rng = np.random.default_rng(seed)
    x0 = np.asarray(target["energy"], float)
    m = (x0 >= e_range[0]) & (x0 <= e_range[1])
    names = list(components)

    def draw(spec):
        e = np.asarray(spec["energy"], float)
        mu = np.asarray(spec["mu"], float) + rng.normal(0.0, 1.0, e.size) * spec["noise"]
        cal = float(spec.get("calib_stderr", 0.0) or 0.0)
        de = rng.normal(0.0, cal) if np.isfinite(cal) and cal > 0 else 0.0
        nrm = normalize_fixed(e, mu, e0=spec["e0"], **spec["normalization"])
        return e + de, nrm

    out = []
    for _ in range(n_draws):
        et, yt = draw(target)
        x = x0[m]
        y = np.interp(x, et, yt)
        basis = []
        for n in names:
            ec, yc = draw(components[n])
            basis.append(np.interp(x, ec, yc))
        out.append(_linear_weights(x, y, np.array(basis), sum_to_one))
    arr = np.array(out)
    return {
        "stderr": {n: float(arr[:, i].std(ddof=1)) for i, n in enumerate(names)},
        "draws": arr,
        "n_draws": n_draws,
        "method": (
            f"monte_carlo({n_draws}): redraws the measured per-point noise of target and end "
            "members and their calibration shifts, renormalized and refitted each draw"
            "; excludes an incomplete end-member set"
        ),
    }
