"""File-level steps that the Snakemake scripts call (one raw file in, tables out)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.echem import read
from . import capacity, cv, eis


def gcpl_tables(
    path: str, mass_mg: float, first: str = "discharge"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cycle table and voltage-capacity curves of one GCPL file."""
    table, _ = read(path)
    return capacity.cycle_table(table, mass_mg, first=first), capacity.curves(
        table, mass_mg, first=first
    )


def scan_rate(path: str, table: pd.DataFrame, meta: Mapping, given: float | None) -> float:
    """Scan rate (mV/s) of a CV file: from the config, else the header, checked against the data.

    The median |dE/dt| of the recorded potential must agree within 10 % with
    the declared rate (a wrong rate would scale D by its square root).
    """
    declared = given if given is not None else meta.get("scan_rate_mV_s")
    if declared is None:
        raise InputError(
            f"{path}: the header declares no scan rate (dE/dt); give it in "
            "echem.cv.scan_rates_mV_s (file stem -> mV/s)"
        )
    t = table["time_s"].to_numpy(float)
    e = table["voltage_V"].to_numpy(float)
    dt = np.diff(t)
    ok = dt > 0
    measured = float(np.median(np.abs(np.diff(e)[ok] / dt[ok]))) * 1000.0
    if not 0.9 < measured / float(declared) < 1.1:
        raise InputError(
            f"{path}: declared scan rate {declared} mV/s but the recorded potential moves at "
            f"{measured:.4g} mV/s (median |dE/dt|); fix echem.cv.scan_rates_mV_s or the file"
        )
    return float(declared)


def cv_peaks(path: str, scan_rate_mV_s: float | None = None, **kwargs) -> dict[str, float]:
    """Peaks and sweep charges of one CV file plus its scan rate (mV/s; config or header)."""
    table, meta = read(path)
    rate = scan_rate(path, table, meta, scan_rate_mV_s)
    out = {"file": str(path), "scan_rate_mV_s": rate}
    out.update(cv.peaks(table, **kwargs))
    out.update(cv.sweep_charges(table, cycle=kwargs["cycle"]))
    return out


def eis_fit(
    path: str,
    circuit: str,
    initial_guess: Sequence[float],
    ignore_below_x: bool,
    *,
    weighting: str = "modulus",
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
        f,
        z,
        circuit=circuit,
        initial_guess=list(initial_guess),
        ignore_below_x=ignore_below_x,
        weighting=weighting,
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


def eis_drt(path: str, *, lam: float = 1e-2, points_per_decade: int = 10) -> pd.DataFrame:
    """DRT of one PEIS file (:func:`intercal.echem.eis.drt`) as a table with its statistics.

    Returns
    -------
    DataFrame
        ``tau_s``, ``gamma_ohm`` and the statistics repeated as columns
        (``drt_lambda``, ``drt_R_inf_ohm``, ``drt_rms_relative_residual`` ...),
        plus ``potential_V``.
    """
    table, _ = read(path)
    t = table[table["freq_Hz"] > 0]
    if t.empty:
        raise InputError(f"{path}: no impedance rows (freq_Hz > 0)")
    z = t["z_real_ohm"].to_numpy() + 1j * t["z_imag_ohm"].to_numpy()
    out, stats = eis.drt(t["freq_Hz"].to_numpy(), z, lam=lam, points_per_decade=points_per_decade)
    for k, v in stats.items():
        out[k] = v
    out["potential_V"] = float(t["voltage_V"].mean())
    return out


def cv_curves(path: str, scan_rate_mV_s: float | None = None) -> pd.DataFrame:
    """Current-potential curve of one CV file with its scan rate, cycle and sweep direction.

    Returns
    -------
    DataFrame
        ``scan_rate_mV_s``, ``cycle``, ``sweep`` (-1 cathodic, +1 anodic),
        ``time_s``, ``voltage_V``, ``current_mA``.
    """
    table, meta = read(path)
    rate = scan_rate(path, table, meta, scan_rate_mV_s)
    sw = cv.sweeps(table)
    out = sw[["cycle", "sweep", "time_s", "voltage_V", "current_mA"]].copy()
    out.insert(0, "scan_rate_mV_s", rate)
    return out.reset_index(drop=True)


def volt_label(v: float) -> str:
    """A voltage as it appears in row names and legends: at least one decimal (1 V -> "1.0")."""
    return np.format_float_positional(float(v), trim="0")


def rate_label(c: float) -> str:
    """A C-rate or scan rate as it appears in row names: no trailing zeros ("1", "0.1")."""
    return np.format_float_positional(float(c), trim="-")


#: a number from one cell's coulomb counting: no replicate cells, so no esd (NaN, said so)
NO_ESD_ONE_CELL = "no_esd:one_cell"
#: first-cycle capacity / theoretical capacity outside this range: units or mass are likely wrong
PLAUSIBLE_CAPACITY_RATIO = (0.05, 10.0)


def capacity_plausibility(
    cycles: Mapping[str, pd.DataFrame],
    theoretical_mAh_g: float,
    ratio_range: tuple[float, float] = PLAUSIBLE_CAPACITY_RATIO,
) -> dict[str, float]:
    """Cells whose first-cycle capacity is implausible against the theoretical capacity.

    A current in A read as mA, a time in min read as s or a mass off by 1000 moves the
    specific capacity by a factor 60-3600; nothing else in the numbers shows it.

    Parameters
    ----------
    cycles : mapping
        Cell -> cycle table (``cycle``, ``discharge_mAh_g``, ``charge_mAh_g``).
    theoretical_mAh_g : float
        Theoretical specific capacity of the configured host formula.
    ratio_range : (float, float)
        Accepted range of (largest cycle-1 half-cycle capacity) / theoretical.

    Returns
    -------
    dict
        Cell -> ratio, for the cells outside the range.
    """
    bad = {}
    for name, c in cycles.items():
        r1 = c[c["cycle"] == 1]
        if not len(r1) or not np.isfinite(theoretical_mAh_g) or theoretical_mAh_g <= 0:
            continue
        q = np.nanmax(r1[["discharge_mAh_g", "charge_mAh_g"]].to_numpy(float))
        ratio = float(q / theoretical_mAh_g) if np.isfinite(q) else math.nan
        if np.isfinite(ratio) and not ratio_range[0] <= ratio <= ratio_range[1]:
            bad[name] = ratio
    return bad


def _row(quantity: str, value: float, stderr: float, unit: str, qc: str = "") -> dict:
    return {"quantity": quantity, "value": value, "stderr": stderr, "unit": unit, "qc": qc}


def cutoff_rows(cycles_by_cutoff: Mapping[float, tuple[str, pd.DataFrame]]) -> list[dict]:
    """Rows of a cut-off series: cycle-1 capacities, CE and irreversible capacity per cut-off.

    Parameters
    ----------
    cycles_by_cutoff : mapping
        Cut-off (V) -> (cell name, cycle table of :func:`capacity.cycle_table`).

    Returns
    -------
    list of dict
        ``echem.capacity_cutoff_<V>V`` (first discharge, mAh/g),
        ``echem.first_discharge_cutoff_<V>V``, ``echem.first_charge_cutoff_<V>V``,
        ``echem.first_cycle_ce_cutoff_<V>V`` (percent) and
        ``echem.irreversible_capacity_cutoff_<V>V`` (mAh/g).
    """
    nan = math.nan
    rows = []
    for cut in sorted(cycles_by_cutoff):
        name, cyc = cycles_by_cutoff[cut]
        r = capacity.cycle_row(cyc, 1, need=("discharge", "charge"), what=f"cell {name}")
        lab = volt_label(cut)
        one = NO_ESD_ONE_CELL
        rows += [
            _row(f"echem.capacity_cutoff_{lab}V", r.discharge_mAh_g, nan, "mAh/g", one),
            _row(f"echem.first_discharge_cutoff_{lab}V", r.discharge_mAh_g, nan, "mAh/g", one),
            _row(f"echem.first_charge_cutoff_{lab}V", r.charge_mAh_g, nan, "mAh/g", one),
            _row(
                f"echem.first_cycle_ce_cutoff_{lab}V",
                r.coulombic_efficiency_percent,
                nan,
                "percent",
                one,
            ),
            _row(
                f"echem.irreversible_capacity_cutoff_{lab}V",
                r.irreversible_mAh_g,
                nan,
                "mAh/g",
                one,
            ),
        ]
    return rows


def long_cycling_rows(
    cycles_by_cutoff: Mapping[float, tuple[str, pd.DataFrame]], retention_cycle: int
) -> list[dict]:
    """``echem.retention_<N>cyc_cutoff_<V>V``: discharge capacity at cycle N vs cycle 1 (%).

    The cycle must exist and its discharge must have completed
    (:func:`capacity.cycle_row` raises otherwise).
    """
    rows = []
    for cut in sorted(cycles_by_cutoff):
        name, cyc = cycles_by_cutoff[cut]
        capacity.cycle_row(cyc, 1, need=("discharge",), what=f"cell {name}")
        r = capacity.cycle_row(cyc, retention_cycle, need=("discharge",), what=f"cell {name}")
        rows.append(
            _row(
                f"echem.retention_{retention_cycle}cyc_cutoff_{volt_label(cut)}V",
                r.retention_percent,
                math.nan,
                "percent",
                NO_ESD_ONE_CELL,
            )
        )
    return rows


def rate_rows(rate: pd.DataFrame) -> list[dict]:
    """``echem.rate_retention_<C>C`` per step after the first (vs the first step, %).

    A rate that repeats (back to the first rate) gets ``_step<k>`` appended.
    """
    rows, seen = [], set()
    for r in rate.itertuples(index=False):
        if r.step == 1:
            seen.add(r.c_rate)
            continue
        name = f"echem.rate_retention_{rate_label(r.c_rate)}C"
        if r.c_rate in seen:
            name += f"_step{r.step}"
        seen.add(r.c_rate)
        se = r.retention_stderr_percent
        qc = "" if np.isfinite(se) else "esd_nan"
        rows.append(_row(name, r.retention_percent, se, "percent", qc))
    return rows


def cv_rows(peaks: pd.DataFrame, rs: pd.DataFrame) -> list[dict]:
    """CV peak potentials per scan rate and the apparent D of each peak, with validity flags.

    ``echem.cv_cathodic_peak_<v>mVs``, ``echem.cv_anodic_peak_<v>mVs`` (V, no
    esd: a peak pick) and ``echem.diffusion_lithiation`` /
    ``echem.diffusion_delithiation`` (cm2/s, apparent: geometric area) whose
    ``qc`` carries the table's ``qc`` flags (``rs_not_semi_infinite`` ...).
    """
    nan = math.nan
    rows = []
    for r in peaks.sort_values("scan_rate_mV_s").itertuples(index=False):
        lab = rate_label(r.scan_rate_mV_s)
        rows.append(_row(f"echem.cv_cathodic_peak_{lab}mVs", r.Epc_V, nan, "V"))
        rows.append(_row(f"echem.cv_anodic_peak_{lab}mVs", r.Epa_V, nan, "V"))
    for peak, q in (
        ("cathodic", "echem.diffusion_lithiation"),
        ("anodic", "echem.diffusion_delithiation"),
    ):
        sel = rs[rs["peak"] == peak]
        if sel.empty:
            continue
        r = sel.iloc[0]
        qc = str(r["qc"]) if isinstance(r.get("qc", ""), str) else ""
        rows.append(_row(q, r.D_cm2_s, r.D_stderr_cm2_s, "cm2/s", qc))
    return rows


def cv_validity(
    peaks: pd.DataFrame,
    *,
    electrode_capacity_mAh: float | None,
    max_charge_fraction: float,
) -> tuple[pd.DataFrame, str]:
    """Charge passed per sweep against the electrode's capacity, and the Randles-Sevcik flags.

    Parameters
    ----------
    peaks : DataFrame
        Per-scan-rate table with ``charge_cathodic_mAh`` and ``charge_anodic_mAh``.
    electrode_capacity_mAh : float or None
        Active mass x theoretical capacity (mAh); None when unknown.
    max_charge_fraction : float
        Largest charge per sweep, as a fraction of the capacity, for which
        semi-infinite diffusion (a depletion layer thin against the particles
        or film) is plausible.

    Returns
    -------
    (DataFrame, str)
        ``peaks`` with ``charge_fraction_cathodic``/``_anodic`` columns, and the
        qc flags ("" when valid): ``cv_capacity_unknown``,
        ``rs_not_semi_infinite`` (some sweep passes more than
        ``max_charge_fraction``), ``cv_charge_exceeds_capacity`` (more than the
        electrode holds: the data or the electrode metadata are inconsistent).
    """
    out = peaks.copy()
    if electrode_capacity_mAh is None or not electrode_capacity_mAh > 0:
        out["charge_fraction_cathodic"] = np.nan
        out["charge_fraction_anodic"] = np.nan
        return out, "cv_capacity_unknown"
    for s in ("cathodic", "anodic"):
        out[f"charge_fraction_{s}"] = out[f"charge_{s}_mAh"] / electrode_capacity_mAh
    worst = float(np.nanmax(out[["charge_fraction_cathodic", "charge_fraction_anodic"]].to_numpy()))
    flags = []
    if worst > max_charge_fraction:
        flags.append("rs_not_semi_infinite")
    if worst > 1.0:
        flags.append("cv_charge_exceeds_capacity")
    return out, ";".join(flags)


def reproduction(
    *,
    formula: str | None,
    n_electrons: float,
    cutoff: Mapping[float, tuple[str, pd.DataFrame]] | None = None,
    long: Mapping[float, tuple[str, pd.DataFrame]] | None = None,
    retention_cycle: int | None = None,
    rate: pd.DataFrame | None = None,
    peaks: pd.DataFrame | None = None,
    rs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows echem.* of the reproduction table (``quantity, value, stderr, unit, qc``).

    Every part is optional; row names are built from the config's cut-offs,
    cycle counts, C-rates and the files' scan rates (see the ``*_rows``
    functions).
    """
    rows = []
    if formula:
        q = capacity.theoretical_capacity(formula, n_electrons)
        rows.append(_row("echem.theoretical_capacity", q, math.nan, "mAh/g", "no_esd:calculated"))
    if cutoff:
        rows += cutoff_rows(cutoff)
    if long:
        if retention_cycle is None:
            raise InputError("long cycling needs echem.long_cycling.retention_cycle")
        rows += long_cycling_rows(long, retention_cycle)
    if rate is not None:
        rows += rate_rows(rate)
    if peaks is not None and rs is not None:
        rows += cv_rows(peaks, rs)
    return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "unit", "qc"])


def summary(
    *,
    cycles: Mapping[str, pd.DataFrame],
    infos: Sequence[pd.DataFrame],
    formula: str | None,
    n_electrons: float,
    cutoff: Mapping | None = None,
    long: Mapping | None = None,
    rate: Mapping | None = None,
    cv_cfg: Mapping | None = None,
    cv_area_cm2: float | None = None,
    cv_mass_mg: float | None = None,
    peaks: pd.DataFrame | None = None,
    eis_records: Mapping[str, pd.DataFrame] | None = None,
    rct_parameter: str | None = None,
) -> dict[str, pd.DataFrame]:
    """All echem aggregate tables and the reproduction rows, from the per-cell/per-file tables.

    Parameters
    ----------
    cycles : mapping
        Cell name -> cycle table, for every cell an experiment uses.
    infos : sequence of DataFrame
        One-row cell info tables (:func:`intercal.echem.cells.cell_tables`).
    cutoff, long, rate, cv_cfg : mapping, optional
        The config's ``cutoff_series``, ``long_cycling``, ``rate_test``, ``cv``.
    cv_area_cm2, cv_mass_mg : float, optional
        Geometric area (cm2) and active mass (mg) of the CV electrode.
    peaks : DataFrame, optional
        One row per CV file (:func:`cv_peaks`).
    eis_records : mapping, optional
        File name -> EIS fit record.
    rct_parameter : str, optional
        Circuit parameter reported as R_ct.

    Returns
    -------
    dict of DataFrame
        ``cells`` (cell info + cycle-1 numbers), ``rate``, ``peaks``, ``rs``,
        ``rct`` and ``repro`` (empty tables with their columns when the
        experiment is absent).
    """
    cells = pd.concat(list(infos), ignore_index=True) if infos else pd.DataFrame({"cell": []})
    extra = []
    for name in cells["cell"]:
        if name in cycles:
            c = cycles[name]
            r1 = c[c["cycle"] == 1]
            extra.append(
                {
                    "cell": name,
                    "first_discharge_mAh_g": float(r1["discharge_mAh_g"].iloc[0]),
                    "first_charge_mAh_g": float(r1["charge_mAh_g"].iloc[0]),
                    "first_cycle_ce_percent": float(r1["coulombic_efficiency_percent"].iloc[0]),
                    "first_cycle_irreversible_mAh_g": float(r1["irreversible_mAh_g"].iloc[0]),
                }
            )
    if extra:
        cells = cells.merge(pd.DataFrame(extra), on="cell", how="left")
    cut = {float(v): (n, cycles[n]) for n, v in cutoff["cells"].items()} if cutoff else None
    lng = {float(v): (n, cycles[n]) for n, v in long["cells"].items()} if long else None
    rate_table = (
        capacity.rate_capability(cycles[rate["cell"]], rate["steps"], what=f"cell {rate['cell']}")
        if rate
        else pd.DataFrame(columns=["step", "c_rate", "discharge_mAh_g", "retention_percent"])
    )
    rs = pd.DataFrame(columns=["peak", "D_cm2_s", "D_stderr_cm2_s", "qc"])
    pk = pd.DataFrame(columns=["scan_rate_mV_s", "Epc_V", "Epa_V", "Ipc_mA", "Ipa_mA"])
    if cv_cfg is not None and peaks is not None:
        pk = peaks.sort_values("scan_rate_mV_s").reset_index(drop=True)
        cap = None
        if formula and cv_mass_mg:
            cap = capacity.theoretical_capacity(formula, n_electrons) * cv_mass_mg / 1000.0
        pk, flags = cv_validity(
            pk,
            electrode_capacity_mAh=cap,
            max_charge_fraction=float(cv_cfg.get("max_charge_fraction", 0.2)),
        )
        rs_rows = []
        for peak, col in (("cathodic", "Ipc_mA"), ("anodic", "Ipa_mA")):
            fit = cv.randles_sevcik(
                pk["scan_rate_mV_s"].to_numpy(),
                pk[col].to_numpy(),
                area_cm2=cv_area_cm2,
                concentration_mol_cm3=cv_cfg["li_concentration_mol_cm3"],
                n_electrons=n_electrons,
                through_origin=cv_cfg.get("through_origin", False),
            )
            fit.update(cv.b_value(pk["scan_rate_mV_s"].to_numpy(), pk[col].to_numpy()))
            rs_rows.append(
                {
                    "peak": peak,
                    **fit,
                    "D_kind": "apparent (geometric area)",
                    "electrode_capacity_mAh": cap if cap is not None else np.nan,
                    "qc": flags,
                }
            )
        rs = pd.DataFrame(rs_rows)
    rct_rows = []
    for fname, rec in (eis_records or {}).items():
        rec = rec.set_index("parameter")
        if rct_parameter not in rec.index:
            raise InputError(
                f"{fname}: fit record has no parameter {rct_parameter!r} "
                f"(echem.eis.charge_transfer_parameter); it has {list(rec.index)}"
            )
        rct_rows.append(
            {
                "file": fname,
                "potential_V": rec.loc["potential_V", "value"],
                "R_ct_ohm": rec.loc[rct_parameter, "value"],
                "R_ct_stderr_ohm": rec.loc[rct_parameter, "stderr"],
                "weighted_by_modulus": bool(rec.loc["weighted_by_modulus", "value"])
                if "weighted_by_modulus" in rec.index
                else False,
                "kk_rms_residual_percent": rec.loc["kk_rms_residual_percent", "value"],
                "kk_max_residual_percent": rec.loc["kk_max_residual_percent", "value"],
                "kk_flagged": bool(rec.loc["kk_flagged", "value"]),
            }
        )
    rct = pd.DataFrame(
        rct_rows,
        columns=[
            "file",
            "potential_V",
            "R_ct_ohm",
            "R_ct_stderr_ohm",
            "weighted_by_modulus",
            "kk_rms_residual_percent",
            "kk_max_residual_percent",
            "kk_flagged",
        ],
    )
    repro = reproduction(
        formula=formula,
        n_electrons=n_electrons,
        cutoff=cut,
        long=lng,
        retention_cycle=long["retention_cycle"] if long else None,
        rate=rate_table if rate else None,
        peaks=pk if cv_cfg is not None and peaks is not None else None,
        rs=rs if cv_cfg is not None and peaks is not None else None,
    )
    if formula:
        q_th = capacity.theoretical_capacity(formula, n_electrons)
        bad = capacity_plausibility(cycles, q_th)
        suffixes = {
            name: f"_cutoff_{volt_label(float(v))}V"
            for exp in (cutoff, long)
            if exp
            for name, v in exp["cells"].items()
        }
        if "qc" not in cells:
            cells["qc"] = ""
        for name, ratio in bad.items():
            flag = f"capacity_implausible:{name}"
            logging.warning(
                "cell %s: first-cycle capacity is %.3g x the theoretical %.1f mAh/g of %s: check "
                "its units (current, time, capacity) and active mass",
                name,
                ratio,
                q_th,
                formula,
            )
            hit = repro["quantity"].str.endswith(suffixes.get(name, "\0"))
            if rate and rate["cell"] == name:
                hit |= repro["quantity"].str.startswith("echem.rate_")
            repro.loc[hit, "qc"] = [";".join(f for f in (q, flag) if f) for q in repro.qc[hit]]
            cells.loc[cells["cell"] == name, "qc"] = flag
    return {"cells": cells, "rate": rate_table, "peaks": pk, "rs": rs, "rct": rct, "repro": repro}
