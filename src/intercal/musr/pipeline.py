"""Convenience layer used by the workflow scripts: one call per workflow step.

Stage 1 (per temperature): reduce the ZF/LF runs and fit them globally with
Delta and nu shared (Delta free). Stage 2 (aggregate): detect the onset of
motion, optionally fix Delta to the weighted mean of the static-regime fits
(``delta_mode="static_mean"``; Delta is temperature independent, and at high
nu the data constrain only Delta^2/nu) and refit the dynamic temperatures from
their reduced tables, then fit nu(T) with an Arrhenius law and compute D_Li.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.muon import read_muon
from ..tables import fit_record
from .arrhenius import detect_onset, diffusion_coefficient, fit_arrhenius
from .fit import KTDataset, fit_alpha_tf, fit_kt_global
from .reduce import grouped_counts, reduce_run


def calibrate_alpha(
    path: str,
    *,
    field_G: float,
    forward=None,
    backward=None,
    dead_time: bool = True,
    background_window_us: Sequence[float] | None = None,
    t_min_us: float = 0.1,
    t_max_us: float = 10.0,
):
    """alpha from a transverse-field run: (fit record, curve table, alpha, alpha stderr)."""
    run = read_muon(path)
    if abs(run.field_G - field_G) > 0.1 * abs(field_G) + 0.5:
        raise InputError(
            f"{path}: field 'magnetic_field': file says {run.field_G} G, config says {field_G} G"
        )
    g = grouped_counts(
        run, forward, backward, dead_time=dead_time, background_window_us=background_window_us
    )
    res = fit_alpha_tf(
        g["time_us"],
        g["F"],
        g["B"],
        g["var_F"],
        g["var_B"],
        field_guess_G=field_G,
        t_min_us=t_min_us,
        t_max_us=t_max_us,
    )
    return res.record, res.curve, res.alpha, res.alpha_stderr


def reduce_temperature(
    runs: Sequence[Mapping],
    *,
    alpha: float,
    forward=None,
    backward=None,
    dead_time: bool = True,
    background_window_us: Sequence[float] | None = None,
    t_max_us: float = 16.0,
    rebin: int = 2,
    temperature_K: float | None = None,
    temperature_tolerance_K: float = 2.0,
) -> pd.DataFrame:
    """Reduce the runs of one temperature to one long table.

    ``runs`` items: ``file``, ``field_G`` (config metadata, checked against the file).
    Columns: run, field_G, temperature_K, time_us, asymmetry, asymmetry_err.
    """
    out = []
    for item in runs:
        run = read_muon(item["file"])
        fld = float(item["field_G"])
        if abs(run.field_G - fld) > 0.5:
            raise InputError(
                f"{item['file']}: field 'magnetic_field': file {run.field_G} G, config {fld} G"
            )
        if temperature_K is not None and abs(run.temperature_K - temperature_K) > (
            temperature_tolerance_K
        ):
            raise InputError(
                f"{item['file']}: field 'temperature': file {run.temperature_K:.2f} K, "
                f"config {temperature_K} K"
            )
        df = reduce_run(
            run,
            forward=forward,
            backward=backward,
            alpha=alpha,
            dead_time=dead_time,
            t_max_us=t_max_us,
            rebin=rebin,
            background_window_us=background_window_us,
        )
        df.insert(0, "temperature_K", run.temperature_K)
        df.insert(0, "field_G", fld)
        df.insert(0, "run", run.run_number)
        out.append(df)
    return pd.concat(out, ignore_index=True)


def datasets_from_table(reduced: pd.DataFrame) -> list[KTDataset]:
    """KT datasets (one per field) from a reduced long table."""
    sets = []
    for fld, d in reduced.groupby("field_G", sort=True):
        sets.append(
            KTDataset(
                d["time_us"].to_numpy(),
                d["asymmetry"].to_numpy(),
                d["asymmetry_err"].to_numpy(),
                float(fld),
                label=f"B{fld:g}G".replace(".", "p"),
            )
        )
    return sets


def fit_temperature(
    reduced: pd.DataFrame,
    *,
    t_min_us: float,
    t_max_us: float,
    method: str = "exact",
    fixed: dict | None = None,
    start: dict | None = None,
):
    """Global ZF+LF fit of one temperature: (record with temperature row, curves)."""
    res = fit_kt_global(
        datasets_from_table(reduced),
        t_min_us=t_min_us,
        t_max_us=t_max_us,
        method=method,
        fixed=fixed,
        start=start,
    )
    temp = float(reduced["temperature_K"].mean())
    rec = pd.concat(
        [
            fit_record(
                [
                    {
                        "parameter": "temperature",
                        "value": temp,
                        "stderr": float(reduced.groupby("run")["temperature_K"].first().std()),
                        "unit": "K",
                        "refined": False,
                        "note": "mean of the runs' sample temperatures",
                    }
                ]
            ),
            res.record,
        ],
        ignore_index=True,
    )
    return rec, res.curves


def _value(rec: pd.DataFrame, name: str) -> tuple[float, float]:
    row = rec[rec["parameter"] == name]
    if row.empty:
        raise InputError(f"fit record has no parameter {name!r}")
    return float(row["value"].iloc[0]), float(row["stderr"].iloc[0])


def aggregate(
    records: Sequence[pd.DataFrame],
    reduced: Sequence[pd.DataFrame],
    *,
    delta_mode: str = "static_mean",
    onset_K: float | None = None,
    n_sigma: float = 2.0,
    nu_min_MHz: float = 0.02,
    jump_paths: Sequence[Mapping] = (),
    t_min_us: float = 0.1,
    t_max_us: float = 16.0,
    method: str = "exact",
):
    """nu(T) table, Arrhenius record, stage-2 fit records and reproduction rows."""
    rows = []
    for rec in records:
        t, _ = _value(rec, "temperature")
        nu, nue = _value(rec, "nu")
        de, dee = _value(rec, "delta")
        rows.append(
            {
                "temperature_K": t,
                "nu_MHz": nu,
                "nu_stderr_MHz": nue if np.isfinite(nue) else 0.0,
                "delta_us": de,
                "delta_stderr_us": dee,
            }
        )
    free = pd.DataFrame(rows)
    order = np.argsort(free["temperature_K"].to_numpy())
    free = free.iloc[order].reset_index(drop=True)
    reduced = [reduced[i] for i in order]
    onset, onset_err, first_dyn = detect_onset(free, n_sigma=n_sigma, nu_min_MHz=nu_min_MHz)
    if onset_K is not None:
        onset, onset_err = float(onset_K), float("nan")
        above = free["temperature_K"] > onset
        first_dyn = float(free.loc[above, "temperature_K"].min())
    nu_table = free.copy()
    nu_table["delta_mode"] = "free"
    stage2 = {}
    if delta_mode == "static_mean":
        static = free[free["temperature_K"] < first_dyn]
        w = 1.0 / static["delta_stderr_us"] ** 2
        if len(static) == 0 or not np.all(np.isfinite(w)):
            raise InputError("delta_mode static_mean: no static temperatures with Delta errors")
        d_fix = float(np.sum(w * static["delta_us"]) / np.sum(w))
        d_fix_err = float(1.0 / np.sqrt(np.sum(w)))
        for i, row in free.iterrows():
            if row["temperature_K"] < first_dyn:
                continue
            rec, curves = fit_temperature(
                reduced[i],
                t_min_us=t_min_us,
                t_max_us=t_max_us,
                method=method,
                fixed={"delta": d_fix},
                start={"nu": max(row["nu_MHz"], 0.05)},
            )
            nu, nue = _value(rec, "nu")
            nu_table.loc[i, ["nu_MHz", "nu_stderr_MHz", "delta_us", "delta_stderr_us"]] = [
                nu,
                nue,
                d_fix,
                d_fix_err,
            ]
            nu_table.loc[i, "delta_mode"] = "static_mean"
            stage2[row["temperature_K"]] = (rec, curves)
    elif delta_mode != "free":
        raise InputError(f"musr.fit.delta_mode must be 'free' or 'static_mean', got {delta_mode!r}")
    sel = nu_table[nu_table["temperature_K"] >= first_dyn]
    arr_rec, arr = fit_arrhenius(sel["temperature_K"], sel["nu_MHz"], sel["nu_stderr_MHz"])
    nu_table["dynamic"] = nu_table["temperature_K"] >= first_dyn
    if jump_paths:
        d, de = diffusion_coefficient(
            nu_table["nu_MHz"].to_numpy(), jump_paths, nu_table["nu_stderr_MHz"].to_numpy()
        )
        nu_table["D_Li_cm2_s"] = d
        nu_table["D_Li_stderr_cm2_s"] = de
    arr_rec = pd.concat(
        [
            arr_rec,
            fit_record(
                [
                    {
                        "parameter": "onset_temperature",
                        "value": onset,
                        "stderr": onset_err,
                        "unit": "K",
                        "refined": False,
                        "note": "mid-point between last static and first dynamic temperature"
                        if onset_K is None
                        else "from config",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    repro = pd.DataFrame(
        [
            {
                "quantity": "musr.activation_energy",
                "value": arr["Ea_meV"],
                "stderr": arr["Ea_stderr_meV"],
                "unit": "meV",
            },
            {
                "quantity": "musr.onset_temperature",
                "value": onset,
                "stderr": onset_err,
                "unit": "K",
            },
        ]
    )
    return nu_table, arr_rec, repro, stage2
