"""Arrhenius analysis of hop rates nu(T), onset of Li motion, and D_Li from the jump geometry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lmfit
import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..tables import fit_record

KB_MEV = 8.617333262e-2  # Boltzmann constant (meV/K)


def classify_dynamic(nu, err, n_sigma: float = 2.0, nu_min_MHz: float = 0.02) -> np.ndarray:
    """True where nu > n_sigma * stderr and nu > nu_min (a NaN stderr is never dynamic)."""
    nu = np.asarray(nu, float)
    err = np.asarray(err, float)
    return (
        (nu > nu_min_MHz) & np.isfinite(err) & (nu > n_sigma * np.where(np.isfinite(err), err, 0))
    )


def detect_onset(nu_table: pd.DataFrame, n_sigma: float = 2.0, nu_min_MHz: float = 0.02):
    """Onset of motion: between the last "static" and the first "dynamic" temperature.

    A temperature is dynamic when nu > n_sigma * stderr and nu > ``nu_min_MHz``
    (:func:`classify_dynamic`; a NaN stderr is not dynamic). The onset is the
    first temperature above which every point is dynamic, returned as the
    mid-point between it and the temperature below, with half that interval
    as its uncertainty. Rows with ``use == False`` (runaway fits) are skipped.

    Returns
    -------
    (onset_K, onset_stderr_K, first_dynamic_K, flags)
        ``flags``: ``single_point_onset`` when the last static or the first
        dynamic point is within 1 of the threshold in units of its esd (one
        point's 1-sigma fluctuation would move the onset); ``onset_at_lowest_T``
        when every temperature is dynamic (the onset lies below the range).
    """
    df = nu_table.sort_values("temperature_K").reset_index(drop=True)
    if "use" in df:
        df = df[df["use"].astype(bool)].reset_index(drop=True)
    if df.empty:
        raise FitError("onset detection: no usable temperature (every fit was flagged)")
    nu, err = df["nu_MHz"].to_numpy(float), df["nu_stderr_MHz"].to_numpy(float)
    dyn = classify_dynamic(nu, err, n_sigma, nu_min_MHz)
    t = df["temperature_K"].to_numpy(float)
    if not dyn[-1]:
        raise FitError(
            f"onset detection: the highest usable temperature {t[-1]:g} K is not dynamic "
            f"(nu = {nu[-1]:.4g} +/- {err[-1]:.3g} MHz, threshold {n_sigma} esd and "
            f"{nu_min_MHz} MHz); set musr.arrhenius.onset_K to skip detection"
        )
    k = len(dyn) - 1
    while k > 0 and dyn[k - 1]:
        k -= 1
    flags = []
    with np.errstate(divide="ignore", invalid="ignore"):
        sig = nu / err
    near = [k] + ([k - 1] if k > 0 else [])
    if any(np.isfinite(sig[j]) and abs(sig[j] - n_sigma) < 1.0 for j in near):
        flags.append("single_point_onset")
    if k == 0:
        flags.append("onset_at_lowest_T")
        return float(t[0]), float("nan"), float(t[0]), flags
    return float(0.5 * (t[k - 1] + t[k])), float(0.5 * (t[k] - t[k - 1])), float(t[k]), flags


def fit_arrhenius(
    temperature_K: Sequence[float],
    nu_MHz: Sequence[float],
    nu_stderr_MHz: Sequence[float] | None = None,
    *,
    covariance=None,
) -> tuple[pd.DataFrame, dict]:
    """Weighted fit of nu = nu0 exp(-Ea / kB T) to hop rates (non-linear, on nu itself).

    With ``covariance`` (the nu block of the global fit's covariance matrix,
    MHz^2) the fit is generalised least squares, chi2 = r^T C^-1 r, so the
    correlation of the nu through the shared Delta reaches Ea and nu0.

    Error convention: the esds of Ea and nu0 are sqrt(diag(inv(A^T C^-1 A))),
    multiplied by sqrt(redchi) only when redchi > 1 (never scaled down; the
    musrfit/Mantid convention). ``errors_scaled_by_redchi`` records which.

    Returns
    -------
    record : DataFrame
        Fit record with ``activation_energy`` (meV) and ``nu0`` (MHz).
    values : dict
        ``Ea_meV``, ``Ea_stderr_meV``, ``nu0_MHz``, ``nu0_stderr_MHz``, ``redchi``,
        ``n_points``, ``errors_scaled_by_redchi``, ``flags``.
    """
    t = np.asarray(temperature_K, float)
    nu = np.asarray(nu_MHz, float)
    if covariance is None:
        if nu_stderr_MHz is None:
            raise InputError("fit_arrhenius: give nu_stderr_MHz or covariance")
        err = np.asarray(nu_stderr_MHz, float)
        if np.any(~np.isfinite(err)) or np.any(err <= 0):
            raise InputError("Arrhenius fit: every nu needs a finite positive stderr")
        cov = np.diag(err**2)
    else:
        cov = np.asarray(covariance, float)
        if cov.shape != (t.size, t.size) or not np.all(np.isfinite(cov)):
            raise InputError(f"Arrhenius fit: covariance must be a finite {t.size}x{t.size} matrix")
        err = np.sqrt(np.diag(cov))
        if np.any(err <= 0):
            raise InputError("Arrhenius fit: every nu needs a positive variance")
    if t.size < 3:
        raise FitError(f"Arrhenius fit needs >= 3 temperatures above the onset, got {t.size}")
    if np.any(nu <= 0):
        raise FitError("Arrhenius fit: nu must be > 0 above the onset")
    x = 1.0 / (KB_MEV * t)
    # whitening: L^-1 r with C = L L^T
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as e:
        raise FitError(f"Arrhenius fit: nu covariance is not positive definite ({e})") from e
    slope, icpt = np.polyfit(x, np.log(nu), 1, w=nu / err)
    params = lmfit.Parameters()
    params.add("activation_energy", value=max(-slope, 1.0), min=0.0, max=2000.0)
    params.add("ln_nu0", value=icpt)

    def model(p):
        return np.exp(p["ln_nu0"] - p["activation_energy"] * x)

    def resid(p):
        return np.linalg.solve(chol, nu - model(p))

    res = lmfit.minimize(resid, params, method="least_squares", scale_covar=False)
    if not res.success:
        raise FitError(f"Arrhenius fit did not converge: {res.message}")
    ea = res.params["activation_energy"]
    ln0 = res.params["ln_nu0"]
    dof = max(t.size - 2, 1)
    redchi = float(res.chisqr / dof)
    scale = np.sqrt(redchi) if redchi > 1 else 1.0
    flags = []
    ea_err = float(ea.stderr) * scale if ea.stderr is not None else np.nan
    ln_err = float(ln0.stderr) * scale if ln0.stderr is not None else np.nan
    if not np.isfinite(ea_err):
        flags.append("esd_nan:activation_energy")
    if np.isclose(ea.value, ea.min) or np.isclose(ea.value, ea.max):
        flags.append("at_bound:activation_energy")
    nu0 = float(np.exp(ln0.value))
    values = {
        "Ea_meV": float(ea.value),
        "Ea_stderr_meV": ea_err,
        "nu0_MHz": nu0,
        "nu0_stderr_MHz": nu0 * ln_err,
        "ln_nu0": float(ln0.value),
        "ln_nu0_stderr": ln_err,
        "redchi": redchi,
        "n_points": int(t.size),
        "errors_scaled_by_redchi": int(redchi > 1),
        "flags": flags,
        "cov_ea_ln": (
            np.asarray(res.covar) * scale**2 if res.covar is not None else np.full((2, 2), np.nan)
        ),
    }
    note = "esd from the nu covariance; x sqrt(redchi) only when redchi > 1"
    record = fit_record(
        [
            {
                "parameter": "activation_energy",
                "value": ea.value,
                "stderr": ea_err,
                "unit": "meV",
                "note": note,
            },
            {"parameter": "nu0", "value": nu0, "stderr": nu0 * ln_err, "unit": "MHz", "note": note},
        ],
        {
            "chi2": res.chisqr,
            "redchi": redchi,
            "n_points": t.size,
            "n_free": res.nvarys,
            "errors_scaled_by_redchi": int(redchi > 1),
            "t_min_K": float(t.min()),
            "t_max_K": float(t.max()),
        },
    )
    return record, values


def first_point_z(temperature_K, nu_MHz, covariance) -> float:
    """z of the lowest-T point against the Arrhenius law fitted to the points above it.

    z = (nu_1 - nu_pred) / sqrt(var(nu_1) + var(nu_pred)), with the law from
    :func:`fit_arrhenius` on the other points (their covariance block). Used to
    reject a false onset: a static point lifted above the threshold by a
    fluctuation does not follow the law of the dynamic points.
    """
    t = np.asarray(temperature_K, float)
    nu = np.asarray(nu_MHz, float)
    cov = np.asarray(covariance, float)
    o = np.argsort(t)
    t, nu, cov = t[o], nu[o], cov[np.ix_(o, o)]
    _, vals = fit_arrhenius(t[1:], nu[1:], covariance=cov[1:, 1:])
    pred, pred_err = predict_nu(vals, t[0])
    return float((nu[0] - pred) / np.hypot(np.sqrt(cov[0, 0]), pred_err))


def predict_nu(values: dict, temperature_K: float) -> tuple[float, float]:
    """Arrhenius prediction nu(T) (MHz) and its esd from the (Ea, ln nu0) covariance."""
    x = 1.0 / (KB_MEV * temperature_K)
    nu = float(np.exp(values["ln_nu0"] - values["Ea_meV"] * x))
    g = np.array([-x * nu, nu])
    return nu, float(np.sqrt(g @ np.asarray(values["cov_ea_ln"]) @ g))


def diffusion_coefficient(nu_MHz, paths: Sequence[Mapping], nu_stderr_MHz=None):
    """D_Li = sum_i (1/N_i) Z_v,i s_i^2 nu (cm^2/s).

    Parameters
    ----------
    nu_MHz : float or array
        Hop rate (MHz = 1e6 s^-1).
    paths : sequence of mappings
        Each with ``n_sites`` (N_i, number of Li sites reachable in path i),
        ``vacancy_fraction`` (Z_v,i) and ``jump_distance_angstrom`` (s_i).
    nu_stderr_MHz : float or array, optional
        Propagated linearly to the returned stderr.

    Returns
    -------
    (D, D_stderr) : cm^2/s
    """
    if not paths:
        raise InputError("musr.jump_paths: at least one jump path is needed for D_Li")
    geom = 0.0
    for i, p in enumerate(paths):
        try:
            n, z, s = p["n_sites"], p["vacancy_fraction"], p["jump_distance_angstrom"]
        except KeyError as err:
            raise InputError(f"musr.jump_paths[{i}]: missing key {err}") from err
        if n <= 0 or s <= 0 or not 0 <= z <= 1:
            raise InputError(f"musr.jump_paths[{i}]: need n_sites > 0, s > 0, 0 <= Z_v <= 1")
        geom += z * (s * 1e-8) ** 2 / n
    nu = np.asarray(nu_MHz, float) * 1e6
    d = geom * nu
    de = None if nu_stderr_MHz is None else geom * np.asarray(nu_stderr_MHz, float) * 1e6
    return d, de
