"""Convenience layer used by the workflow scripts: one call per workflow step.

Stage 1 (per temperature, one cached job each): reduce the ZF/LF runs and fit
them together with Delta and nu shared by the fields (Delta free per
temperature). Stage 2 (aggregate): one global fit over every temperature
(:mod:`intercal.musr.global_fit`; Delta shared, linear in T or free), seeded by
stage 1; runaway fits flagged and set aside; onset of motion from the global
nu(T); Arrhenius fit with the nu covariance; D_Li.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.muon import read_muon
from ..tables import fit_record
from .arrhenius import (
    classify_dynamic,
    detect_onset,
    diffusion_coefficient,
    first_point_z,
    fit_arrhenius,
)
from .fit import KTDataset, fit_alpha_tf, fit_kt_global
from .global_fit import TemperatureData, fit_global
from .reduce import grouped_counts, reduce_run

log = logging.getLogger(__name__)


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
    model: str = "gaussian",
    max_phase_deg: float = 120.0,
):
    """alpha from a transverse-field run: (fit record, curve table, alpha, alpha stderr).

    ``model`` is the TF damping (gaussian, exponential, stretched; see
    :func:`intercal.musr.fit.fit_alpha_tf`). Grouping check: the forward
    group's precession phase at t0 must be within ``max_phase_deg`` of 0 (a
    positive asymmetry at t0); otherwise the groups are swapped and an
    InputError names them.
    """
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
        damping=model,
    )
    phase = float(res.record.loc[res.record["parameter"] == "phase_deg", "value"].iloc[0])
    if abs(phase) > max_phase_deg:
        groups = {"forward": forward, "backward": backward} if forward is not None else None
        raise InputError(
            f"{path}: grouping {_grouping_text(groups)}: "
            f"the TF asymmetry at t0 has the wrong sign (forward-group phase {phase:.1f} deg, "
            f"expected within +/-{max_phase_deg:g} deg of 0): forward and backward look swapped"
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
    Columns: run, field_G, temperature_K, time_us, asymmetry, asymmetry_err, forward,
    backward (+ variances), file, t0_us, bin_width_us (for the musrfit export).
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
        df["file"] = str(item["file"])
        df["t0_us"] = run.t0_us
        df["bin_width_us"] = run.bin_width_us
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


def _at_bound(rec: pd.DataFrame) -> list[str]:
    """Parameters of a fit record noted as at a bound (nu at its lower bound 0 excepted)."""
    out = []
    for _, r in rec.iterrows():
        note = str(r.get("note", "")) if pd.notna(r.get("note", "")) else ""
        if note.startswith("at bound") and not (r["parameter"] == "nu" and r["value"] <= 1e-9):
            out.append(str(r["parameter"]))
    return out


def _grouping_text(grouping) -> str:
    g = grouping or {}
    if not g:
        return "the file's grouping (groups 1 and 2)"
    return f"forward '{g.get('forward')}' / backward '{g.get('backward')}'"


def aggregate(
    records: Sequence[pd.DataFrame],
    reduced: Sequence[pd.DataFrame],
    *,
    names: Sequence[str] | None = None,
    delta_mode: str = "shared",
    onset_K: float | None = None,
    n_sigma: float = 2.0,
    nu_min_MHz: float = 0.02,
    false_onset_z: float = 3.0,
    jump_paths: Sequence[Mapping] = (),
    t_min_us: float = 0.1,
    t_max_us: float = 16.0,
    method: str = "exact",
    grouping: Mapping | None = None,
) -> dict:
    """Global fit over all temperatures, nu(T) with QC, onset, Arrhenius and reproduction rows.

    Parameters
    ----------
    records, reduced : sequences of DataFrame
        Per-temperature fit records (stage 1, the seeds) and reduced tables.
    names : sequence of str, optional
        Config names of the temperatures (default ``T<value>K``).
    delta_mode : {"shared", "linear", "free"}
        Delta(T) in the global fit.
    onset_K : float, optional
        Onset temperature (K) from config: detection is skipped.
    n_sigma, nu_min_MHz : float
        A temperature is dynamic when nu > n_sigma esd and nu > nu_min (MHz).
    false_onset_z : float
        The first dynamic temperature is dropped as a false onset when its nu
        differs from the Arrhenius law of the points above by more than this
        many esd.
    jump_paths : sequence of mappings
        Geometry for D_Li (:func:`intercal.musr.arrhenius.diffusion_coefficient`).
    t_min_us, t_max_us : float
        Fit window (us).
    method : {"exact", "keren"}
        Dynamic KT solver.
    grouping : mapping, optional
        Forward/backward detectors (for error messages).

    Returns
    -------
    dict
        ``nu_table``, ``arrhenius`` (record), ``repro``, ``global`` (GlobalResult),
        ``curves``, ``onset`` (dict), ``arrhenius_values``.
    """
    if len(records) != len(reduced) or not records:
        raise InputError(f"aggregate: {len(records)} fit records for {len(reduced)} tables")
    temps = [_value(rec, "temperature")[0] for rec in records]
    if names is None:
        names = [f"T{t:g}K" for t in temps]
    order = np.argsort(temps)
    records = [records[i] for i in order]
    reduced = [reduced[i] for i in order]
    names = [names[i] for i in order]
    temps = [temps[i] for i in order]
    # grouping check: every per-temperature fit ending at a bound means garbage in
    bounds = [_at_bound(r) for r in records]
    if all(bounds):
        raise InputError(
            f"musr.grouping: every per-temperature fit ends at a bound ({names[0]}: "
            f"{', '.join(bounds[0])}) with {_grouping_text(grouping)}; check that the forward "
            "and backward groups are not swapped or mixed"
        )
    seeds = []
    for rec in records:
        s = {}
        for key in ("delta", "nu", "a0", "a_bg", "lam"):
            row = rec[rec["parameter"] == key]
            if not row.empty:
                s[key] = float(row["value"].iloc[0])
                if key == "delta":
                    s["delta_stderr"] = float(row["stderr"].iloc[0])
        seeds.append(s)
    tdata = [
        TemperatureData(n, t, datasets_from_table(red))
        for n, t, red in zip(names, temps, reduced, strict=True)
    ]
    g = fit_global(
        tdata, seeds, delta_mode=delta_mode, method=method, t_min_us=t_min_us, t_max_us=t_max_us
    )
    log.info("global fit (%s Delta): %s", delta_mode, g.stats)
    rows = []
    for i, n in enumerate(names):
        nu, nue = g.value(f"nu_{n}"), g.error(f"nu_{n}")
        de, dee = g.delta_at(i)
        flags = list(g.flags[n])
        a0, a0e = g.value(f"a0_{n}"), g.error(f"a0_{n}")
        if nu > 1e-9 and (not np.isfinite(nue) or nue > nu) and nu > de:
            flags.append("runaway:nu")
        if np.isfinite(a0e) and a0e > a0:
            flags.append("runaway:a0")
        rows.append(
            {
                "temperature": n,
                "temperature_K": temps[i],
                "nu_MHz": nu,
                "nu_stderr_MHz": nue,
                "delta_us": de,
                "delta_stderr_us": dee,
                "a0": a0,
                "a0_stderr": a0e,
                "a_bg": g.value(f"a_bg_{n}"),
                "lambda_us": g.value(f"lam_{n}"),
                "delta_mode": delta_mode,
                "qc": ";".join(flags),
                "use": not flags,
            }
        )
    nu_table = pd.DataFrame(rows)
    for _, r in nu_table[~nu_table["use"]].iterrows():
        log.warning(
            "%s (%g K): nu = %.4g +/- %.3g MHz flagged [%s]; excluded from onset and Arrhenius",
            r["temperature"],
            r["temperature_K"],
            r["nu_MHz"],
            r["nu_stderr_MHz"],
            r["qc"],
        )
    onset_flags: list[str] = []
    if onset_K is not None:
        onset, onset_err = float(onset_K), float("nan")
        above = nu_table["use"] & (nu_table["temperature_K"] > onset)
        if not above.any():
            raise InputError(f"musr.arrhenius.onset_K = {onset_K} K: no usable temperature above")
        first_dyn = float(nu_table.loc[above, "temperature_K"].min())
        onset_flags.append("onset_from_config")
    else:
        onset, onset_err, first_dyn, onset_flags = detect_onset(
            nu_table, n_sigma=n_sigma, nu_min_MHz=nu_min_MHz
        )
    sig_dyn = classify_dynamic(nu_table["nu_MHz"], nu_table["nu_stderr_MHz"], n_sigma, nu_min_MHz)
    nu_table["dynamic"] = sig_dyn & (nu_table["temperature_K"] >= first_dyn)
    excluded: list[str] = []

    def selection():
        m = nu_table["use"] & (nu_table["temperature_K"] >= first_dyn)
        bad = m & ~(nu_table["nu_MHz"] > 0)
        for _, r in nu_table[bad].iterrows():
            log.warning("%s: nu = 0 above the onset; excluded from Arrhenius", r["temperature"])
        return m & (nu_table["nu_MHz"] > 0)

    def arrhenius(mask):
        sel = nu_table[mask]
        keys = [f"nu_{n}" for n in sel["temperature"]]
        cov = g.covariance.loc[keys, keys].to_numpy()
        return fit_arrhenius(sel["temperature_K"], sel["nu_MHz"], covariance=cov)

    # false-onset protection: the first dynamic point must follow the law of the points above
    while onset_K is None:
        mask = selection()
        if mask.sum() < 4:
            break
        first = nu_table[mask].sort_values("temperature_K").iloc[0]
        rest = mask & (nu_table["temperature_K"] > first["temperature_K"])
        sel = nu_table[mask]
        keys = [f"nu_{n}" for n in sel["temperature"]]
        z = first_point_z(
            sel["temperature_K"], sel["nu_MHz"], g.covariance.loc[keys, keys].to_numpy()
        )
        if abs(z) <= false_onset_z:
            break
        log.warning(
            "%s: nu = %.4g +/- %.3g MHz is %.1f esd from the Arrhenius law of the points above: "
            "treated as a false onset, excluded",
            first["temperature"],
            first["nu_MHz"],
            first["nu_stderr_MHz"],
            z,
        )
        k = nu_table.index[nu_table["temperature"] == first["temperature"]][0]
        nu_table.loc[k, "qc"] = ";".join(filter(None, [nu_table.loc[k, "qc"], "false_onset"]))
        nu_table.loc[k, "dynamic"] = False
        excluded.append(f"false_onset:{first['temperature']}")
        nxt = float(nu_table.loc[rest, "temperature_K"].min())
        onset, onset_err = (
            0.5 * (first["temperature_K"] + nxt),
            0.5 * (nxt - first["temperature_K"]),
        )
        first_dyn = nxt
    mask = selection()
    arr_rec, arr = arrhenius(mask)
    nu_table["used_in_arrhenius"] = mask
    runaway = [f"runaway:{n}" for n in nu_table.loc[~nu_table["use"], "temperature"]]
    if jump_paths:
        d, de = diffusion_coefficient(
            nu_table["nu_MHz"].to_numpy(), jump_paths, nu_table["nu_stderr_MHz"].to_numpy()
        )
        nu_table["D_Li_cm2_s"] = d
        nu_table["D_Li_stderr_cm2_s"] = de
    onset_flags = onset_flags + excluded
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
                        "note": "from config"
                        if onset_K is not None
                        else "mid-point between last static and first dynamic temperature "
                        "(global fit, Delta " + delta_mode + ")",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    ea_qc = list(arr["flags"]) + runaway + excluded + list(g.flags["_global"])
    repro = pd.DataFrame(
        [
            {
                "quantity": "musr.activation_energy",
                "value": arr["Ea_meV"],
                "stderr": arr["Ea_stderr_meV"],
                "unit": "meV",
                "qc": ";".join(ea_qc),
            },
            {
                "quantity": "musr.onset_temperature",
                "value": onset,
                "stderr": onset_err,
                "unit": "K",
                "qc": ";".join(onset_flags),
            },
            {
                "quantity": "musr.nu0",
                "value": arr["nu0_MHz"],
                "stderr": arr["nu0_stderr_MHz"],
                "unit": "MHz",
                "qc": ";".join(ea_qc),
            },
        ]
    )
    if delta_mode == "shared":
        repro.loc[len(repro)] = {
            "quantity": "musr.delta",
            "value": g.value("delta"),
            "stderr": g.error("delta"),
            "unit": "us^-1",
            "qc": ";".join(g.flags["_global"]),
        }
    return {
        "nu_table": nu_table,
        "arrhenius": arr_rec,
        "arrhenius_values": arr,
        "repro": repro,
        "global": g,
        "curves": g.curves,
        "onset": {"onset_K": onset, "onset_stderr_K": onset_err, "first_dynamic_K": first_dyn},
    }


def analyse_section(
    section: Mapping, *, t_min_us: float = 0.1, t_max_us: float = 16.0, **agg
) -> dict:
    """The workflow's muSR chain in one process, on a ``musr`` config section.

    Calibration (alpha from the TF run), reduction and per-temperature fits,
    then :func:`aggregate` (global fit, onset, Arrhenius). The workflow runs
    the same calls as separate jobs; this serves notebooks, tests and the
    noise-realisation benchmarks.

    Parameters
    ----------
    section : mapping
        ``grouping`` (``forward``, ``backward``), ``background_window_us``,
        ``calibration`` (``file``, ``field_G``) and ``temperatures`` (each
        ``name``, ``temperature_K``, ``runs``), as in the config.
    t_min_us, t_max_us : float
        Per-temperature fit window (us).
    **agg
        Passed to :func:`aggregate` (e.g. ``onset_K``, ``delta_mode``).

    Returns
    -------
    dict
        :func:`aggregate`'s result.
    """
    g = section["grouping"]
    kw = dict(
        forward=g["forward"],
        backward=g["backward"],
        background_window_us=section["background_window_us"],
    )
    cal = section["calibration"]
    _, _, alpha, _ = calibrate_alpha(cal["file"], field_G=cal["field_G"], **kw)
    records, reduced, names = [], [], []
    for t in section["temperatures"]:
        red = reduce_temperature(t["runs"], alpha=alpha, temperature_K=t["temperature_K"], **kw)
        rec, _ = fit_temperature(red, t_min_us=t_min_us, t_max_us=t_max_us)
        records.append(rec)
        reduced.append(red)
        names.append(t["name"])
    return aggregate(records, reduced, names=names, grouping=g, **agg)
