"""Arrhenius analysis of hop rates nu(T), onset of Li motion, and D_Li from the jump geometry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lmfit
import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..tables import fit_record

KB_MEV = 8.617333262e-2  # Boltzmann constant (meV/K)


def detect_onset(nu_table: pd.DataFrame, n_sigma: float = 2.0, nu_min_MHz: float = 0.02):
    """Onset of motion: between the last "static" and the first "dynamic" temperature.

    A temperature is dynamic when nu > n_sigma * stderr and nu > ``nu_min_MHz``.
    The onset is the first temperature above which every point is dynamic;
    returned as the mid-point between it and the temperature below, with half
    that interval as its uncertainty.

    Returns
    -------
    (onset_K, onset_stderr_K, first_dynamic_K)
    """
    df = nu_table.sort_values("temperature_K").reset_index(drop=True)
    nu, err = df["nu_MHz"].to_numpy(), df["nu_stderr_MHz"].to_numpy()
    dyn = (nu > nu_min_MHz) & (nu > n_sigma * np.where(np.isfinite(err), err, np.inf))
    if not dyn[-1]:
        raise InputError("onset detection: the highest temperature is not dynamic (nu ~ 0)")
    k = len(dyn) - 1
    while k > 0 and dyn[k - 1]:
        k -= 1
    t = df["temperature_K"].to_numpy()
    if k == 0:
        return float(t[0]), float("nan"), float(t[0])
    return float(0.5 * (t[k - 1] + t[k])), float(0.5 * (t[k] - t[k - 1])), float(t[k])


def fit_arrhenius(
    temperature_K: Sequence[float],
    nu_MHz: Sequence[float],
    nu_stderr_MHz: Sequence[float],
) -> tuple[pd.DataFrame, dict]:
    """Weighted fit of nu = nu0 exp(-Ea / kB T) to hop rates (non-linear, on nu itself).

    Returns
    -------
    record : DataFrame
        Fit record with ``activation_energy`` (meV) and ``nu0`` (MHz).
    values : dict
        ``Ea_meV``, ``Ea_stderr_meV``, ``nu0_MHz``, ``nu0_stderr_MHz``, ``redchi``.
    """
    t = np.asarray(temperature_K, float)
    nu = np.asarray(nu_MHz, float)
    err = np.asarray(nu_stderr_MHz, float)
    if t.size < 3:
        raise InputError(f"Arrhenius fit needs >= 3 temperatures above the onset, got {t.size}")
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise InputError("Arrhenius fit: every nu needs a finite positive stderr")
    if np.any(nu <= 0):
        raise InputError("Arrhenius fit: nu must be > 0 above the onset")
    x = 1.0 / (KB_MEV * t)
    slope, icpt = np.polyfit(x, np.log(nu), 1, w=nu / err)
    params = lmfit.Parameters()
    params.add("activation_energy", value=max(-slope, 1.0), min=0.0, max=2000.0)
    params.add("ln_nu0", value=icpt)

    def resid(p):
        return (nu - np.exp(p["ln_nu0"] - p["activation_energy"] * x)) / err

    res = lmfit.minimize(resid, params, method="least_squares")
    if not res.success:
        raise FitError(f"Arrhenius fit did not converge: {res.message}")
    ea = res.params["activation_energy"]
    ln0 = res.params["ln_nu0"]
    nu0 = float(np.exp(ln0.value))
    ea_err = float(ea.stderr) if ea.stderr is not None else np.nan
    ln_err = float(ln0.stderr) if ln0.stderr is not None else np.nan
    values = {
        "Ea_meV": float(ea.value),
        "Ea_stderr_meV": ea_err,
        "nu0_MHz": nu0,
        "nu0_stderr_MHz": nu0 * ln_err,
        "redchi": float(res.redchi),
        "n_points": int(t.size),
    }
    record = fit_record(
        [
            {"parameter": "activation_energy", "value": ea.value, "stderr": ea_err, "unit": "meV"},
            {"parameter": "nu0", "value": nu0, "stderr": nu0 * ln_err, "unit": "MHz"},
        ],
        {
            "chi2": res.chisqr,
            "redchi": res.redchi,
            "n_points": t.size,
            "n_free": res.nvarys,
            "errors_scaled_by_redchi": 1,
            "t_min_K": float(t.min()),
            "t_max_K": float(t.max()),
        },
    )
    return record, values


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
