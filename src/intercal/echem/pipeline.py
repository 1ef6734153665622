"""File-level steps that the Snakemake scripts call (one raw file in, tables out)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.echem import read
from . import capacity, cv, eis


def gcpl_tables(path: str, mass_mg: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cycle table and voltage-capacity curves of one GCPL file."""
    table, _ = read(path)
    return capacity.cycle_table(table, mass_mg), capacity.curves(table, mass_mg)


def cv_peaks(path: str, **kwargs) -> dict[str, float]:
    """Peaks of one CV file plus its scan rate (mV/s, from the header)."""
    table, meta = read(path)
    if "scan_rate_mV_s" not in meta:
        raise InputError(f"{path}: header declares no scan rate (dE/dt)")
    out = {"file": str(path), "scan_rate_mV_s": meta["scan_rate_mV_s"]}
    out.update(cv.peaks(table, **kwargs))
    return out


def eis_fit(
    path: str,
    circuit: str,
    initial_guess: Sequence[float],
    ignore_below_x: bool,
    *,
    kk_threshold_percent: float = 2.0,
    kk_c: float = 0.85,
    kk_add_cap: bool = True,
    kk_min_M_per_decade: float = 3.0,
    model_points_per_decade: int = 40,
):
    """Fit one PEIS file and run the Lin-KK check on it.

    Parameters
    ----------
    path : str
        PEIS file (any reader of :func:`intercal.io.echem.read`).
    circuit, initial_guess, ignore_below_x
        See :func:`intercal.echem.eis.fit_circuit`.
    kk_threshold_percent : float
        A spectrum whose largest Lin-KK residual (% of |Z|) exceeds this is
        flagged (``kk_flagged`` = 1), not rejected: the fit is still reported.
    kk_c, kk_add_cap, kk_min_M_per_decade
        Passed to :func:`intercal.echem.eis.linkk` as ``c``, ``add_cap`` and
        ``min_M_per_decade``.
    model_points_per_decade : int
        Density of the fitted-curve table over the measured frequency range.

    Returns
    -------
    (DataFrame, dict, DataFrame, DataFrame)
        Parameter table; statistics (fit, Lin-KK, ``potential_V``,
        ``kk_flagged``, ``kk_threshold_percent``); the measured points with the
        fit and the Lin-KK residuals at the measured frequencies; and the
        fitted circuit on a dense frequency grid (``freq_Hz``,
        ``fit_real_ohm``, ``fit_imag_ohm``).
    """
    if not kk_threshold_percent > 0:
        raise InputError(f"kk_threshold_percent must be > 0, got {kk_threshold_percent}")
    table, _ = read(path)
    t = table[table["freq_Hz"] > 0]
    if t.empty:
        raise InputError(f"{path}: no impedance rows (freq_Hz > 0)")
    f = t["freq_Hz"].to_numpy()
    z = t["z_real_ohm"].to_numpy() + 1j * t["z_imag_ohm"].to_numpy()
    params, stats, model = eis.fit_circuit(
        f, z, circuit=circuit, initial_guess=list(initial_guess), ignore_below_x=ignore_below_x
    )
    kk, resid = eis.linkk(f, z, c=kk_c, add_cap=kk_add_cap, min_M_per_decade=kk_min_M_per_decade)
    stats.update(kk)
    stats["kk_threshold_percent"] = float(kk_threshold_percent)
    stats["kk_flagged"] = float(kk["kk_max_residual_percent"] > kk_threshold_percent)
    stats["potential_V"] = float(t["voltage_V"].mean())
    zf = model.predict(f)
    curve = pd.DataFrame(
        {
            "freq_Hz": f,
            "z_real_ohm": z.real,
            "z_imag_ohm": z.imag,
            "fit_real_ohm": zf.real,
            "fit_imag_ohm": zf.imag,
            "kk_res_real_percent": resid["kk_res_real_percent"].to_numpy(),
            "kk_res_imag_percent": resid["kk_res_imag_percent"].to_numpy(),
        }
    )
    lo, hi = np.log10(f.min()), np.log10(f.max())
    dense = np.logspace(hi, lo, max(2, int(round((hi - lo) * model_points_per_decade)) + 1))
    zd = model.predict(dense)
    dense_table = pd.DataFrame({"freq_Hz": dense, "fit_real_ohm": zd.real, "fit_imag_ohm": zd.imag})
    return params, stats, curve, dense_table


def cv_curves(path: str) -> pd.DataFrame:
    """Current-potential curve of one CV file with its scan rate, cycle and sweep direction.

    Returns
    -------
    DataFrame
        ``scan_rate_mV_s``, ``cycle``, ``sweep`` (-1 cathodic, +1 anodic),
        ``time_s``, ``voltage_V``, ``current_mA``.
    """
    table, meta = read(path)
    if "scan_rate_mV_s" not in meta:
        raise InputError(f"{path}: header declares no scan rate (dE/dt)")
    sw = cv.sweeps(table)
    out = sw[["cycle", "sweep", "time_s", "voltage_V", "current_mA"]].copy()
    out.insert(0, "scan_rate_mV_s", float(meta["scan_rate_mV_s"]))
    return out.reset_index(drop=True)


def reproduction(
    *,
    formula: str,
    n_electrons: float,
    cutoff_cycles: Mapping[str, pd.DataFrame],
    long_cycles: Mapping[str, pd.DataFrame],
    rate: pd.DataFrame,
    rs: pd.DataFrame,
    cv_peaks_01: Mapping[str, float],
) -> pd.DataFrame:
    """Rows echem.* of the reproduction table."""
    nan = math.nan
    rows = [
        {
            "quantity": "echem.theoretical_capacity",
            "value": capacity.theoretical_capacity(formula, n_electrons),
            "stderr": nan,
            "unit": "mAh/g",
        }
    ]
    c1 = cutoff_cycles["1.0"].iloc[0]
    c2 = cutoff_cycles["2.0"].iloc[0]
    c075 = cutoff_cycles["0.75"].iloc[0]
    rows += [
        {"quantity": "echem.capacity_cutoff_1.0V", "value": c1.discharge_mAh_g},
        {"quantity": "echem.capacity_cutoff_2.0V", "value": c2.discharge_mAh_g},
        {"quantity": "echem.first_discharge_cutoff_0.75V", "value": c075.discharge_mAh_g},
        {"quantity": "echem.first_charge_cutoff_0.75V", "value": c075.charge_mAh_g},
    ]
    for r in rows[1:]:
        r.update({"stderr": nan, "unit": "mAh/g"})
    for key, q in (
        ("1.0", "echem.retention_50cyc_cutoff_1.0V"),
        ("2.0", "echem.retention_50cyc_cutoff_2.0V"),
    ):
        rows.append(
            {
                "quantity": q,
                "value": long_cycles[key]["retention_percent"].iloc[-1],
                "stderr": nan,
                "unit": "percent",
            }
        )
    one_c = rate[np.isclose(rate["c_rate"], 1.0)].iloc[0]
    ref = rate.iloc[0]
    rel = np.hypot(
        one_c.stderr_mAh_g / one_c.discharge_mAh_g, ref.stderr_mAh_g / ref.discharge_mAh_g
    )
    rows.append(
        {
            "quantity": "echem.rate_retention_1C",
            "value": one_c.retention_percent,
            "stderr": one_c.retention_percent * rel,
            "unit": "percent",
        }
    )
    rows.append(
        {
            "quantity": "echem.cv_cathodic_peak_0.1mVs",
            "value": cv_peaks_01["Epc_V"],
            "stderr": nan,
            "unit": "V",
        }
    )
    rows.append(
        {
            "quantity": "echem.cv_anodic_peak_0.1mVs",
            "value": cv_peaks_01["Epa_V"],
            "stderr": nan,
            "unit": "V",
        }
    )
    for peak, q in (
        ("cathodic", "echem.diffusion_lithiation"),
        ("anodic", "echem.diffusion_delithiation"),
    ):
        r = rs[rs["peak"] == peak].iloc[0]
        rows.append(
            {"quantity": q, "value": r.D_cm2_s, "stderr": r.D_stderr_cm2_s, "unit": "cm2/s"}
        )
    return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "unit"])
