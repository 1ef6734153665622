"""Pre-edge peaks: the window from the data, and a fit result that says when it failed.

:func:`find_preedge_window` locates the pre-edge peak below the edge as the
deepest minimum of the second derivative of the (lightly smoothed) normalized
spectrum, searched between ``search[0]`` eV below E0 and the edge onset, and
returns the window of allowed peak centres between the zero crossings that
flank it. The choice (method, window, curvature) is returned for the record.

:func:`summarize_preedge` turns the pre-edge peaks of an edge fit into what a
Larch/Athena user reports, the centroid (area-weighted mean centre, eV) and
the integrated area (normalized units x eV), each with a standard error from
the fit covariance, plus QC flags:

``preedge_area_insignificant``
    area / stderr below ``min_significance`` (the peak may not be there);
``preedge_at_bound``
    a peak centre within ``bound_tol_eV`` of its window bound (the fit would
    have gone further);
``preedge_esd_nan``
    no finite standard error;
``preedge_not_detected``
    no curvature minimum below the edge (no fit was made).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


def _uniform(energy: np.ndarray, y: np.ndarray, lo: float, hi: float, step: float):
    grid = np.arange(lo, hi + 0.5 * step, step)
    return grid, np.interp(grid, energy, y)


def find_preedge_window(
    energy: np.ndarray,
    norm: np.ndarray,
    e0: float,
    *,
    search: tuple[float, float] = (-25.0, -1.0),
    smooth_eV: float = 0.6,
    onset_level: float = 0.5,
    margin_eV: float = 0.5,
    source: str = "spectrum",
) -> dict:
    """Window of the pre-edge peak centre from the second derivative of the spectrum.

    Parameters
    ----------
    energy, norm : ndarray
        Calibrated energy (eV) and normalized absorption.
    e0 : float
        Edge energy (eV).
    search : (float, float)
        Search range relative to ``e0`` (eV); its upper end is lowered to the
        edge onset (the last energy below ``e0`` where the smoothed normalized
        absorption is below ``onset_level``).
    smooth_eV : float
        Gaussian smoothing sigma (eV) before differentiating.
    onset_level : float
        Normalized absorption that marks the edge onset.
    margin_eV : float
        Added on each side of the zero-crossing interval.
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``found`` (bool), ``center_eV`` (curvature minimum), ``window_eV``
        (absolute [lo, hi]), ``onset_eV``, ``search_eV`` (absolute), ``method``.
    """
    from scipy.ndimage import gaussian_filter1d

    lo_abs, hi_abs = e0 + search[0], e0 + search[1]
    if lo_abs < energy[0] or hi_abs > energy[-1]:
        raise InputError(
            f"{source}: pre-edge search range {lo_abs:.1f}-{hi_abs:.1f} eV is outside the scan "
            f"({energy[0]:.1f}-{energy[-1]:.1f} eV)"
        )
    sel = (energy >= lo_abs - 10) & (energy <= e0 + 5)
    step = max(float(np.median(np.diff(energy[sel]))), 0.05)
    grid, y = _uniform(energy, norm, lo_abs - 10, e0 + 5, step)
    ys = gaussian_filter1d(y, smooth_eV / step, mode="nearest")
    d2 = np.gradient(np.gradient(ys, grid), grid)
    below = np.flatnonzero((grid < e0) & (ys < onset_level))
    onset = float(grid[below[-1]]) if below.size else float(e0)
    hi_eff = min(hi_abs, onset)
    out = {
        "found": False,
        "center_eV": math.nan,
        "window_eV": [math.nan, math.nan],
        "onset_eV": onset,
        "search_eV": [lo_abs, hi_eff],
        "method": "second_derivative",
    }
    idx = np.flatnonzero((grid >= lo_abs) & (grid <= hi_eff))
    if idx.size < 5:
        return out
    # local minima of d2 inside the search range, deepest first
    inner = idx[1:-1]
    mins = inner[(d2[inner] < d2[inner - 1]) & (d2[inner] <= d2[inner + 1]) & (d2[inner] < 0)]
    if mins.size == 0:
        return out
    i = int(mins[np.argmin(d2[mins])])
    left = i
    while left > 0 and d2[left] < 0:
        left -= 1
    right = i
    while right < grid.size - 1 and d2[right] < 0:
        right += 1
    out.update(
        {
            "found": True,
            "center_eV": float(grid[i]),
            "window_eV": [float(grid[left] - margin_eV), float(grid[right] + margin_eV)],
            "curvature": float(d2[i]),
        }
    )
    return out


def summarize_preedge(
    params: dict,
    covar: np.ndarray | None,
    var_names: list[str],
    n_pre: int,
    windows: list[tuple[float, float]],
    *,
    min_significance: float = 3.0,
    bound_tol_eV: float = 0.05,
) -> dict:
    """Centroid and integrated area of the pre-edge peaks, with errors and QC flags.

    Parameters
    ----------
    params : dict
        Name -> (value, stderr) of the edge fit (peaks ``pre1_`` .. ``pre<n>_``
        with ``amplitude`` = area and ``center``).
    covar : ndarray or None
        Covariance matrix of the varied parameters (order ``var_names``).
    var_names : list of str
        Names of the varied parameters.
    n_pre : int
        Number of pre-edge peaks.
    windows : list of (float, float)
        Allowed centre range (eV, absolute) of each peak.
    min_significance : float
        Smallest area / stderr of a clean result.
    bound_tol_eV : float
        A centre closer than this to a bound is flagged.

    Returns
    -------
    dict
        ``centroid_eV``, ``centroid_stderr_eV``, ``area``, ``area_stderr``,
        ``flags`` (list of str).
    """
    flags: list[str] = []
    amps = [f"pre{k + 1}_amplitude" for k in range(n_pre)]
    cens = [f"pre{k + 1}_center" for k in range(n_pre)]
    a = np.array([params[n][0] for n in amps])
    c = np.array([params[n][0] for n in cens])
    area = float(a.sum())
    centroid = float(np.sum(a * c) / area) if area > 0 else math.nan
    # gradients with respect to (amplitudes, centres)
    names = amps + cens
    if covar is not None and all(n in var_names for n in names):
        j = [var_names.index(n) for n in names]
        cov = np.asarray(covar)[np.ix_(j, j)]
        g_area = np.concatenate([np.ones(n_pre), np.zeros(n_pre)])
        if area > 0:
            g_cen = np.concatenate([(c - centroid) / area, a / area])
        else:
            g_cen = np.full(2 * n_pre, np.nan)
        area_err = float(np.sqrt(max(g_area @ cov @ g_area, 0.0)))
        cen_err = float(np.sqrt(g_cen @ cov @ g_cen)) if np.all(np.isfinite(g_cen)) else math.nan
    else:
        area_err = cen_err = math.nan
    if not (np.isfinite(area_err) and np.isfinite(cen_err)):
        flags.append("preedge_esd_nan")
    elif area < min_significance * area_err:
        flags.append("preedge_area_insignificant")
    for k, (lo, hi) in enumerate(windows):
        if min(c[k] - lo, hi - c[k]) <= bound_tol_eV:
            flags.append(f"preedge_at_bound:pre{k + 1}_center")
    return {
        "centroid_eV": centroid,
        "centroid_stderr_eV": cen_err,
        "area": area,
        "area_stderr": area_err,
        "flags": flags,
    }


def fit_preedge_local(
    energy: np.ndarray,
    norm: np.ndarray,
    window: tuple[float, float],
    *,
    sigma: np.ndarray | None = None,
    center: float | None = None,
    n_pre: int = 1,
    below_eV: float = 5.0,
    above_eV: float = 1.0,
    baseline_degree: int = 2,
    source: str = "spectrum",
) -> dict:
    """Fit the pre-edge peaks on a local polynomial baseline (as Larch's pre-edge peak fits).

    Only ``window[0] - below_eV`` .. ``window[1] + above_eV`` is fitted, so the
    shape of the main edge and white line, which the simple edge model cannot
    follow to the noise level, does not leak into the pre-edge parameters.
    Model: polynomial of degree ``baseline_degree`` (the tail of the edge) plus
    ``n_pre`` pseudo-Voigt peaks (area, centre in ``window``, sigma 0.2-4 eV,
    fraction 0-1), weighted by 1/``sigma``; lmfit scales the covariance by the
    reduced chi-square.

    Parameters
    ----------
    energy, norm : ndarray
        Calibrated energy (eV) and normalized absorption.
    window : (float, float)
        Absolute window (eV) of the peak centres.
    sigma : ndarray, optional
        Noise of each point of ``norm``.
    center : float, optional
        Starting centre (eV) of the first peak.
    n_pre : int
        Number of peaks.
    below_eV, above_eV : float
        Fit range beyond the window (eV).
    baseline_degree : int
        Degree of the baseline polynomial.
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``params`` (name -> (value, stderr)), ``covar``, ``var_names``,
        ``pre_windows``, ``energy``, ``best_fit``, ``redchi``, ``n_points``.
    """
    from lmfit import Minimizer, Parameters
    from lmfit.lineshapes import pvoigt

    lo, hi = float(window[0]), float(window[1])
    m = (energy >= lo - below_eV) & (energy <= hi + above_eV)
    x, y = energy[m], norm[m]
    nvar = baseline_degree + 1 + 4 * n_pre
    if x.size < nvar + 5:
        raise InputError(
            f"{source}: only {x.size} points in the pre-edge fit range "
            f"{lo - below_eV:.1f}-{hi + above_eV:.1f} eV (need {nvar + 5})"
        )
    w = None
    if sigma is not None:
        s = np.asarray(sigma, float)[m]
        if np.all(np.isfinite(s)) and np.all(s > 0):
            w = 1.0 / s
    xm = 0.5 * (x[0] + x[-1])
    outer = (x < lo) | (x > hi)
    base0 = np.polyfit(x[outer] - xm, y[outer], min(baseline_degree, max(outer.sum() - 1, 0)))
    base0 = np.concatenate([np.zeros(baseline_degree + 1 - base0.size), base0])
    resid = y - np.polyval(base0, x - xm)
    params = Parameters()
    for k, c in enumerate(base0[::-1]):
        params.add(f"base_c{k}", value=float(c))
    inside = (x >= lo) & (x <= hi)
    for k in range(n_pre):
        p = f"pre{k + 1}_"
        if k == 0 and center is not None and lo < center < hi:
            cen = float(center)
        else:
            cen = float(x[inside][np.argmax(resid[inside])]) + 0.5 * k
        cen = float(np.clip(cen, lo + 0.01 * (hi - lo), hi - 0.01 * (hi - lo)))
        amp = max(float(np.max(resid[inside])) * 2.0, 1e-3)
        params.add(p + "amplitude", value=amp, min=0.0)
        params.add(p + "center", value=cen, min=lo, max=hi)
        params.add(p + "sigma", value=1.0, min=0.2, max=4.0)
        params.add(p + "fraction", value=0.5, min=0.0, max=1.0)

    def model(v):
        out = np.polyval([v[f"base_c{k}"] for k in range(baseline_degree, -1, -1)], x - xm)
        for k in range(n_pre):
            p = f"pre{k + 1}_"
            out = out + pvoigt(
                x, v[p + "amplitude"], v[p + "center"], v[p + "sigma"], v[p + "fraction"]
            )
        return out

    def residual(p):
        r = model(p.valuesdict()) - y
        return r if w is None else r * w

    res = Minimizer(residual, params, scale_covar=True, max_nfev=20000).minimize("leastsq")
    out = {}
    for name, par in res.params.items():
        se = par.stderr if par.stderr is not None else np.nan
        out[name] = (float(par.value), float(se))
    return {
        "params": out,
        "covar": None if res.covar is None else np.asarray(res.covar),
        "var_names": list(res.var_names),
        "pre_windows": [(lo, hi)] * n_pre,
        "energy": x,
        "best_fit": model(res.params.valuesdict()),
        "redchi": float(res.redchi),
        "n_points": int(x.size),
    }
