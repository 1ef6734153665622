"""Impedance: equivalent-circuit fits and the Lin-KK validity check, both with impedance.py."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from ..errors import FitError, InputError


def linkk(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    c: float = 0.85,
    max_M: int = 100,
    fit_type: str = "complex",
    add_cap: bool = True,
    min_M_per_decade: float = 3.0,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Lin-KK validity test (Schoenleber et al. 2014) with impedance.py's ``linKK``.

    Z is fitted with R0 + j w L [+ 1/(j w C)] + sum_k R_k / (1 + j w tau_k),
    tau_k log-spaced over the measured range; the number M of RC elements
    grows until mu = 1 - sum(R_k<0)|R_k| / sum(R_k>=0) R_k drops below
    ``c``. A Kramers-Kronig-consistent (linear, causal, stable) spectrum
    leaves residuals at the noise level.

    Parameters
    ----------
    freq_Hz, z : array
        Frequencies (Hz) and complex impedance (Ohm).
    c : float
        mu threshold that stops the growth of M.
    max_M : int
        Largest number of RC elements tried.
    fit_type : {"complex", "real", "imag"}
        Which part of Z the linear fit uses (impedance.py's option).
    add_cap : bool
        Add a series capacitance: needed for blocking or finite-length
        (reflective) diffusion, whose low-frequency branch does not return to
        the real axis.
    min_M_per_decade : float
        Lower bound on M (RC elements per decade of frequency). The mu
        criterion can stop at a very small M on spectra with few, well
        separated time constants (a single ideal RC stops at M = 4 with
        residuals of ~70 %), which would flag a valid spectrum; with fewer than
        about 3 time constants per decade the basis cannot represent one RC
        arc. When the mu criterion stops below this bound, the test is rerun
        with exactly ``ceil(min_M_per_decade * decades)`` elements. 0 disables it.

    Returns
    -------
    (dict, DataFrame)
        Statistics ``kk_M``, ``kk_M_from_mu`` (1 when the mu criterion set M,
        0 when the lower bound did), ``kk_mu``, ``kk_max_residual_percent`` (largest
        real or imaginary residual relative to |Z|, %) and
        ``kk_rms_residual_percent`` (rms of the complex relative residual, %);
        and the per-point residuals (``freq_Hz``, ``kk_res_real_percent``,
        ``kk_res_imag_percent``).

    Raises
    ------
    InputError
        Non-finite, non-positive or too few frequencies, or a bad ``fit_type``.
    """
    import contextlib
    import io

    from impedance.validation import linKK

    f = np.asarray(freq_Hz, float)
    z = np.asarray(z, complex)
    if f.shape != z.shape or f.ndim != 1:
        raise InputError(f"freq_Hz {f.shape} and z {z.shape} must be 1-D of the same length")
    if f.size < 5 or not np.all(np.isfinite(f)) or np.any(f <= 0) or not np.all(np.isfinite(z)):
        raise InputError(
            f"linkk needs >= 5 finite points with freq_Hz > 0; got {f.size} points, "
            f"{int(np.sum(~np.isfinite(z)))} non-finite Z"
        )
    if fit_type not in ("complex", "real", "imag"):
        raise InputError(f"fit_type must be 'complex', 'real' or 'imag', got {fit_type!r}")
    # impedance.py 1.7.1 builds its circuit as a string and eval()s it; under
    # numpy 2 the repr of a float64 is "np.float64(...)", which that eval cannot
    # resolve (ECSHackWeek/impedance.py PR #334). Legacy printing restores "1.0".
    # linKK also prints its progress to stdout: silence it.
    if min_M_per_decade < 0:
        raise InputError(f"min_M_per_decade must be >= 0, got {min_M_per_decade}")
    m_min = int(math.ceil(min_M_per_decade * np.log10(f.max() / f.min())))
    with np.printoptions(legacy="1.25"), contextlib.redirect_stdout(io.StringIO()):
        m_el, mu, _, res_re, res_im = linKK(
            f, z, c=c, max_M=max_M, fit_type=fit_type, add_cap=add_cap
        )
        from_mu = m_el >= m_min
        if not from_mu:
            m_el, mu, _, res_re, res_im = linKK(
                f, z, c=None, max_M=m_min, fit_type=fit_type, add_cap=add_cap
            )
    res_re = 100.0 * np.asarray(res_re, float)
    res_im = 100.0 * np.asarray(res_im, float)
    stats = {
        "kk_M": float(m_el),
        "kk_M_from_mu": float(from_mu),
        "kk_mu": float(mu),
        "kk_max_residual_percent": float(max(np.max(np.abs(res_re)), np.max(np.abs(res_im)))),
        "kk_rms_residual_percent": float(np.sqrt(np.mean(res_re**2 + res_im**2))),
    }
    resid = pd.DataFrame(
        {"freq_Hz": f, "kk_res_real_percent": res_re, "kk_res_imag_percent": res_im}
    )
    return stats, resid


def fit_circuit(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    circuit: str,
    initial_guess: list[float],
    f_max_Hz: float | None = None,
    f_min_Hz: float | None = None,
    ignore_below_x: bool = False,
    weighting: str = "modulus",
) -> tuple[pd.DataFrame, dict[str, float], object]:
    """Fit an equivalent circuit with impedance.py's ``CustomCircuit``.

    Parameters
    ----------
    freq_Hz, z : array
        Frequencies (Hz) and complex impedance (Ohm, Im < 0 capacitive).
    circuit : str
        impedance.py circuit string, e.g. ``"R0-p(R1,CPE1)-p(R2,CPE2)-W1"``.
    initial_guess : list of float
        One value per circuit parameter, in impedance.py's order.
    f_max_Hz, f_min_Hz : float, optional
        Frequency range used in the fit.
    ignore_below_x : bool
        Drop points with Im(Z) > 0 (inductive), as impedance.py's ``ignoreBelowX``.
    weighting : {"modulus", "unit"}
        Noise model: "modulus" weights each real and imaginary residual by
        1/|Z| (noise proportional to |Z|, the usual case for a potentiostat's
        relative accuracy; impedance.py's ``weight_by_modulus``); "unit" fits
        unweighted (constant absolute noise).

    Returns
    -------
    (DataFrame, dict, CustomCircuit)
        Parameter table (``parameter``, ``value``, ``stderr``, ``unit``), fit
        statistics (``n_points``, ``rms_relative_residual``, ``weighted_by_modulus``,
        ``reduced_chi2`` in the weighted metric, ``errors_scaled_by_redchi`` = 1:
        impedance.py calls scipy's ``curve_fit`` with ``absolute_sigma=False``,
        so the covariance is scaled by the reduced chi-square) and the fitted
        circuit.
    """
    from impedance.models.circuits import CustomCircuit

    f = np.asarray(freq_Hz, float)
    z = np.asarray(z, complex)
    m = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
    if f_max_Hz is not None:
        m &= f <= f_max_Hz
    if f_min_Hz is not None:
        m &= f >= f_min_Hz
    if ignore_below_x:
        m &= z.imag < 0
    if m.sum() < len(initial_guess) + 2:
        raise InputError(f"only {m.sum()} usable points for {len(initial_guess)} parameters")
    if weighting not in ("modulus", "unit"):
        raise InputError(f"weighting must be 'modulus' or 'unit', got {weighting!r}")
    model = CustomCircuit(circuit=circuit, initial_guess=list(initial_guess))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(
                f[m],
                z[m],
                global_opt=False,
                maxfev=100000,
                weight_by_modulus=weighting == "modulus",
            )
    except (RuntimeError, ValueError) as err:
        raise FitError(f"circuit {circuit} did not converge: {err}") from err
    names, units = model.get_param_names()
    conf = getattr(model, "conf_", None)
    rows = []
    for k, (n, u) in enumerate(zip(names, units, strict=True)):
        se = float(conf[k]) if conf is not None and np.isfinite(conf[k]) else np.nan
        rows.append({"parameter": n, "value": float(model.parameters_[k]), "stderr": se, "unit": u})
    zfit = model.predict(f[m])
    rel = np.abs(zfit - z[m]) / np.abs(z[m])
    w = np.abs(z[m]) if weighting == "modulus" else np.ones(int(m.sum()))
    r = np.r_[(zfit - z[m]).real / w, (zfit - z[m]).imag / w]
    dof = max(1, r.size - len(initial_guess))
    bounds = _at_bounds(circuit, model.parameters_, names)
    stats = {
        "n_points": float(m.sum()),
        "rms_relative_residual": float(np.sqrt(np.mean(rel**2))),
        "weighted_by_modulus": float(weighting == "modulus"),
        "reduced_chi2": float(r @ r / dof),
        "errors_scaled_by_redchi": 1.0,
        "n_at_bound": float(len(bounds)),
    }
    out = pd.DataFrame(rows)
    out["qc"] = [
        "at_bound" if n in bounds else ("esd_nan" if not np.isfinite(e) else "")
        for n, e in zip(out["parameter"], out["stderr"], strict=True)
    ]
    return out, stats, model


def _at_bounds(circuit: str, values: np.ndarray, names: list[str]) -> list[str]:
    """Parameters that ended on impedance.py's default bounds (0, inf; CPE exponent 1)."""
    from impedance.models.circuits.fitting import set_default_bounds

    lo, hi = set_default_bounds(circuit)
    out = []
    for n, v, a, b in zip(names, values, lo, hi, strict=True):
        scale = max(abs(v), 1e-300)
        if abs(v - a) <= 1e-9 * max(1.0, scale) or (
            np.isfinite(b) and abs(v - b) <= 1e-6 * max(1.0, abs(b))
        ):
            out.append(n)
    return out


def drt(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    lam: float = 1e-2,
    points_per_decade: int = 10,
    series_capacitance: bool = True,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Distribution of relaxation times by Tikhonov-regularised non-negative least squares.

    Z(w) = R_inf + j w L [+ 1/(j w C)] + sum_k g_k / (1 + j w tau_k), with tau_k
    log-spaced (``points_per_decade``) one decade beyond the measured range,
    g_k >= 0, R_inf >= 0, 1/C >= 0 and L of either sign. Residuals are weighted
    by 1/|Z|; the penalty is ``lam`` x sum g_k^2 / (median |Z|)^2 (ridge,
    zeroth order). The result depends on ``lam``: it is an exploratory view
    of the time constants, not a fit with error bars.

    Returns
    -------
    (DataFrame, dict)
        ``tau_s``, ``gamma_ohm`` (g_k / d ln tau, Ohm) and the statistics
        ``drt_lambda``, ``drt_R_inf_ohm``, ``drt_L_H``, ``drt_inv_C_per_F``,
        ``drt_rms_relative_residual``.
    """
    from scipy.optimize import nnls

    f = np.asarray(freq_Hz, float)
    z = np.asarray(z, complex)
    m = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
    f, z = f[m], z[m]
    if f.size < 10:
        raise InputError(f"DRT needs >= 10 finite points with freq_Hz > 0, got {f.size}")
    if lam <= 0:
        raise InputError(f"DRT regularisation lam must be > 0, got {lam}")
    w = 2 * np.pi * f
    lo = np.log10(1 / (2 * np.pi * f.max())) - 1
    hi = np.log10(1 / (2 * np.pi * f.min())) + 1
    tau = np.logspace(lo, hi, int(round((hi - lo) * points_per_decade)) + 1)
    rc = 1 / (1 + 1j * w[:, None] * tau[None, :])
    cols = [rc, np.ones((f.size, 1)), 1j * w[:, None], -1j * w[:, None]]
    if series_capacitance:
        cols.append(1 / (1j * w[:, None]))
    a = np.hstack(cols)
    wt = 1 / np.abs(z)
    aw = np.vstack([a.real * wt[:, None], a.imag * wt[:, None]])
    bw = np.r_[z.real * wt, z.imag * wt]
    scale = float(np.median(np.abs(z)))
    reg = np.zeros((tau.size, a.shape[1]))
    reg[:, : tau.size] = np.sqrt(lam) * np.eye(tau.size) / scale
    x, _ = nnls(np.vstack([aw, reg]), np.r_[bw, np.zeros(tau.size)], maxiter=50 * a.shape[1])
    zfit = a @ x
    dln = np.log(tau[1] / tau[0])
    table = pd.DataFrame({"tau_s": tau, "gamma_ohm": x[: tau.size] / dln})
    stats = {
        "drt_lambda": float(lam),
        "drt_R_inf_ohm": float(x[tau.size]),
        "drt_L_H": float(x[tau.size + 1] - x[tau.size + 2]),
        "drt_inv_C_per_F": float(x[tau.size + 3]) if series_capacitance else 0.0,
        "drt_rms_relative_residual": float(
            np.sqrt(np.mean(np.abs(zfit - z) ** 2 / np.abs(z) ** 2))
        ),
    }
    return table, stats
