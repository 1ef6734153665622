"""One sample at one edge, from raw scans to tables; and the aggregation across samples.

:func:`process_spectrum` reads the repeated scans of one sample/edge,
calibrates each by its reference channel, merges them, normalizes the merge,
finds E0 (derivative maximum) and the half-step energy, and fits the edge
model. It returns the normalized spectrum table, the fit record and a plain
summary (the settled settings and every per-scan shift), all ready to write.

:func:`reproduction` turns the summaries into the rows ``xas.*`` of the
reproduction table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.xas import absorption, read_scan
from ..tables import fit_record, reproduction_rows
from .calibrate import calibrate_scan, merge_scans
from .edge import find_e0, half_step_energy
from .fit import fit_edge
from .normalize import normalize

SPECTRUM_COLUMNS = ["energy_eV", "mu", "norm", "flat", "derivative"]


def _window(e_ref: float, win: Sequence[float] | None) -> tuple[float, float] | None:
    return None if win is None else (float(win[0]), float(win[1]))


def process_spectrum(
    files: Sequence[str],
    *,
    name: str,
    sample: str,
    element: str,
    fmt: str = "ascii",
    columns: Mapping | None = None,
    mode: str = "transmission",
    reference_e0: float,
    e0_window: Sequence[float] | None = None,
    e0_half_width_eV: float = 1.5,
    e0_degree: int = 5,
    ref_smooth_eV: float = 0.0,
    max_shift_eV: float = 20.0,
    merge_e0_tolerance_eV: float = 0.3,
    merge_norm_tolerance: float = 0.05,
    normalization: Mapping | None = None,
    fit: Mapping | None = None,
) -> dict:
    """Calibrate, merge, normalize and fit the repeated scans of one sample/edge.

    Parameters
    ----------
    files : sequence of str
        Raw scans of the same sample and edge.
    name, sample, element : str
        Spectrum id (e.g. ``Se_CrSe2``), sample and absorbing element.
    fmt, columns, mode
        Reader settings (see :func:`intercal.io.xas.read_scan`, :func:`absorption`).
    reference_e0 : float
        Tabulated E0 (eV) of the reference in the Iref channel.
    e0_window : (float, float), optional
        Absolute energy window (eV, calibrated) where the sample E0 is searched.
    e0_half_width_eV, e0_degree
        Local polynomial of the E0 refinement.
    ref_smooth_eV : float
        Gaussian smoothing (sigma, eV) of the reference before its E0 search.
    max_shift_eV : float
        Largest plausible calibration shift (eV).
    merge_e0_tolerance_eV, merge_norm_tolerance : float
        Agreement checks of the repeats.
    normalization : mapping, optional
        pre1, pre2, norm1, norm2 (eV relative to E0), nnorm, nvict; missing keys
        use larch defaults.
    fit : mapping, optional
        ``fit_range``, ``n_pre``, ``n_edge``, ``pre_window`` of the edge fit;
        ``enabled: false`` skips it.

    Returns
    -------
    dict
        ``spectrum`` (DataFrame, columns :data:`SPECTRUM_COLUMNS`), ``record``
        (fit-record DataFrame), ``summary`` (plain dict), ``fit_curve``
        (DataFrame energy_eV, fit).
    """
    if not files:
        raise InputError(f"{name}: no files given")
    norm_kw = {k: v for k, v in dict(normalization or {}).items() if v is not None}
    scans = []
    for f in files:
        raw = read_scan(f, fmt, dict(columns) if columns is not None else None)
        mu, mu_ref = absorption(raw, mode)
        scans.append(
            calibrate_scan(
                str(f),
                raw.energy,
                mu,
                mu_ref,
                reference_e0=reference_e0,
                max_shift_eV=max_shift_eV,
                smooth_eV=ref_smooth_eV,
                half_width_eV=e0_half_width_eV,
                degree=e0_degree,
            )
        )
    win = _window(reference_e0, e0_window)
    merged = merge_scans(
        scans,
        e0_window=win,
        e0_tolerance_eV=merge_e0_tolerance_eV,
        norm_tolerance=merge_norm_tolerance,
        normalize_kw=norm_kw,
        half_width_eV=e0_half_width_eV,
        degree=e0_degree,
    )
    energy, mu = merged["energy"], merged["mu"]
    e0, e0_err = find_e0(
        energy, mu, window=win, half_width_eV=e0_half_width_eV, degree=e0_degree, source=name
    )
    n = len(scans)
    ref_errs = np.array([s.ref_e0_stderr for s in scans])
    calib_err = (
        float(np.sqrt(np.sum(ref_errs**2)) / n) if np.all(np.isfinite(ref_errs)) else math.nan
    )
    e0_total = float(np.hypot(e0_err, calib_err))
    nrm = normalize(energy, mu, e0=e0, **norm_kw)
    step = nrm["edge_step"]
    noise = float(np.nanmedian(merged["mu_sem"])) / step if n > 1 else math.nan
    if not np.isfinite(noise):
        pre = energy < e0 + nrm["pre2"]
        dd = np.diff(nrm["norm"][pre])
        noise = float(1.4826 * np.median(np.abs(dd - np.median(dd))) / math.sqrt(2))
    e_half, e_half_err = half_step_energy(energy, nrm["norm"], e0, noise)
    e_half_total = float(np.hypot(e_half_err, calib_err))

    spectrum = pd.DataFrame(
        {
            "energy_eV": energy,
            "mu": mu,
            "norm": nrm["norm"],
            "flat": nrm["flat"],
            "derivative": nrm["derivative"],
        }
    )
    rows = [
        {
            "parameter": "e0_derivative_max",
            "value": e0,
            "stderr": e0_total,
            "unit": "eV",
            "note": f"max of dmu/dE (local degree-{e0_degree} polynomial), "
            "stderr incl. calibration",
        },
        {
            "parameter": "e0_half_step",
            "value": e_half,
            "stderr": e_half_total,
            "unit": "eV",
            "note": "normalized mu = 0.5 nearest E0, stderr incl. calibration",
        },
        {
            "parameter": "edge_step",
            "value": step,
            "stderr": math.nan,
            "unit": "",
            "refined": False,
            "note": "larch pre_edge",
        },
        {
            "parameter": "calibration_stderr",
            "value": calib_err,
            "stderr": math.nan,
            "unit": "eV",
            "refined": False,
            "note": "rms reference E0 error / n_scans",
        },
    ]
    for s in scans:
        rows.append(
            {
                "parameter": f"shift[{_base(s.path)}]",
                "value": s.shift,
                "stderr": s.ref_e0_stderr,
                "unit": "eV",
                "note": "tabulated - measured reference E0",
            }
        )
    for key in ("pre1", "pre2", "norm1", "norm2"):
        rows.append(
            {
                "parameter": key,
                "value": nrm[key],
                "stderr": math.nan,
                "unit": "eV",
                "refined": False,
                "note": "settled normalization range, relative to E0",
            }
        )
    for key in ("nnorm", "nvict"):
        rows.append(
            {
                "parameter": key,
                "value": nrm[key],
                "stderr": math.nan,
                "unit": "",
                "refined": False,
                "note": "settled by larch pre_edge",
            }
        )
    stats = {"n_scans": n, "noise_norm": noise}
    fit_cfg = dict(fit or {})
    fit_curve = pd.DataFrame({"energy_eV": [], "fit": []})
    preedge = (math.nan, math.nan)
    fit_out = None
    if fit_cfg.pop("enabled", True):
        fr = tuple(fit_cfg.pop("fit_range", (-20.0, 12.0)))
        pw = tuple(fit_cfg.pop("pre_window", (-15.0, -4.0)))
        fit_out = fit_edge(
            energy, nrm["norm"], e0, fit_range=fr, pre_window=pw, source=name, **fit_cfg
        )
        for pname, (v, se) in fit_out["params"].items():
            unit = "eV" if pname.endswith(("center", "sigma", "width")) else ""
            rows.append(
                {
                    "parameter": f"fit.{pname}",
                    "value": v,
                    "stderr": se,
                    "unit": unit,
                    "note": "" if np.isfinite(se) else "stderr not estimated by lmfit",
                }
            )
        stats.update(
            {
                f"fit_{k}": fit_out[k]
                for k in ("chisqr", "redchi", "r_factor", "n_points", "n_varys")
            }
        )
        stats["fit_errors_scaled_by_redchi"] = 1.0
        fit_curve = pd.DataFrame({"energy_eV": fit_out["energy"], "fit": fit_out["best_fit"]})
        if "pre1_center" in fit_out["params"]:
            preedge = fit_out["params"]["pre1_center"]
            # the fitted centre carries the calibration error too
            preedge = (preedge[0], float(np.hypot(preedge[1], calib_err)))
    record = fit_record(rows, stats)
    summary = {
        "name": name,
        "sample": sample,
        "element": element,
        "files": [str(f) for f in files],
        "reference_e0_eV": reference_e0,
        "shifts_eV": {_base(s.path): s.shift for s in scans},
        "reference_e0_measured_eV": {_base(s.path): s.ref_e0_measured for s in scans},
        "scan_e0_eV": {_base(s.path): e for s, e in zip(scans, merged["scan_e0"], strict=True)},
        "scan_rms_vs_median": {_base(s.path): r for s, r in zip(scans, merged["rms"], strict=True)},
        "e0_eV": e0,
        "e0_stderr_eV": e0_total,
        "half_step_eV": e_half,
        "half_step_stderr_eV": e_half_total,
        "preedge_eV": preedge[0],
        "preedge_stderr_eV": preedge[1],
        "edge_step": step,
        "normalization": {k: nrm[k] for k in ("pre1", "pre2", "norm1", "norm2", "nnorm", "nvict")},
        "e0_settings": {
            "window": list(win) if win else None,
            "half_width_eV": e0_half_width_eV,
            "degree": e0_degree,
            "ref_smooth_eV": ref_smooth_eV,
        },
        "fit_statistics": {k: v for k, v in stats.items()},
    }
    return {"spectrum": spectrum, "record": record, "summary": summary, "fit_curve": fit_curve}


def _base(path: str) -> str:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


def reproduction(summaries: Sequence[Mapping], edge_shift: Mapping | None = None) -> pd.DataFrame:
    """Rows ``xas.<El>.<sample>.edge`` / ``.preedge`` and ``xas.<El>.edge_shift``.

    Parameters
    ----------
    summaries : sequence of mapping
        Summaries from :func:`process_spectrum`.
    edge_shift : mapping, optional
        ``{element, high, low}``: the row ``xas.<element>.edge_shift`` =
        E0(high) - E0(low), errors added in quadrature.

    Returns
    -------
    DataFrame
        Columns quantity, value, stderr, unit.
    """
    rows = []
    by = {(s["element"], s["sample"]): s for s in summaries}
    for s in summaries:
        q = f"xas.{s['element']}.{s['sample']}"
        rows.append(
            {
                "quantity": f"{q}.edge",
                "value": s["e0_eV"],
                "stderr": s["e0_stderr_eV"],
                "unit": "eV",
            }
        )
        if np.isfinite(s.get("preedge_eV", math.nan)):
            rows.append(
                {
                    "quantity": f"{q}.preedge",
                    "value": s["preedge_eV"],
                    "stderr": s["preedge_stderr_eV"],
                    "unit": "eV",
                }
            )
    if edge_shift:
        el = edge_shift["element"]
        hi, lo = by.get((el, edge_shift["high"])), by.get((el, edge_shift["low"]))
        if hi is None or lo is None:
            raise InputError(
                f"edge_shift names {el} {edge_shift['high']} / {edge_shift['low']}, but the "
                f"processed spectra are {sorted(by)}"
            )
        rows.append(
            {
                "quantity": f"xas.{el}.edge_shift",
                "value": hi["e0_eV"] - lo["e0_eV"],
                "stderr": float(np.hypot(hi["e0_stderr_eV"], lo["e0_stderr_eV"])),
                "unit": "eV",
            }
        )
    return reproduction_rows(rows)
