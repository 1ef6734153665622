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

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.xas import absorption, check_edge_direction, read_scan
from ..tables import fit_record
from .calibrate import CalibratedScan, calibrate_scan, merge_scans
from .edge import e0_monte_carlo, find_e0, half_step_energy, smooth_noise
from .fit import fit_edge
from .normalize import normalize
from .preedge import find_preedge_window, fit_preedge_local, summarize_preedge


def _window(e_ref: float, win: Sequence[float] | None) -> tuple[float, float] | None:
    return None if win is None else (float(win[0]), float(win[1]))


SPECTRUM_COLUMNS = ["energy_eV", "mu", "mu_noise", "norm", "flat", "derivative"]

log = logging.getLogger(__name__)

#: reproduction rows of one spectrum: what -> (summary value key, stderr key, unit)
ROWS = {
    "edge": ("e0_eV", "e0_stderr_eV", "eV"),
    "half_step": ("half_step_eV", "half_step_stderr_eV", "eV"),
    "preedge": ("preedge_eV", "preedge_stderr_eV", "eV"),
    "preedge_area": ("preedge_area", "preedge_area_stderr", "eV"),
}


def check_edge_in_window(
    source: str, energy: np.ndarray, mu: np.ndarray, window: Sequence[float], key: str
) -> None:
    """Raise when the scan's edge lies outside the configured E0 window.

    The window must overlap the scan, and the largest derivative of ``mu``
    (smoothed over ~1 eV) inside it must reach half the largest derivative of
    the whole scan; otherwise the strongest edge is elsewhere (another
    element, a wrong edge setting or a mis-set monochromator).

    Raises
    ------
    InputError
        Named ``edge energy outside the configured window``.
    """
    from scipy.ndimage import gaussian_filter1d

    lo, hi = float(window[0]), float(window[1])
    if hi < energy[0] or lo > energy[-1]:
        raise InputError(
            f"{source}: edge energy outside the configured window: the scan covers "
            f"{energy[0]:.1f}-{energy[-1]:.1f} eV, the window {key} is {lo:.1f}-{hi:.1f} eV"
        )
    step = float(np.median(np.diff(energy)))
    grid = np.arange(energy[0], energy[-1] + 0.5 * step, step)
    y = gaussian_filter1d(np.interp(grid, energy, mu), max(1.0 / step, 0.5), mode="nearest")
    d = np.gradient(y, grid)
    core = slice(3, grid.size - 3)
    dc, gc = d[core], grid[core]
    inside = (gc >= lo) & (gc <= hi)
    i_all = int(np.argmax(dc))
    if not inside.any() or dc[inside].max() < 0.5 * dc[i_all]:
        raise InputError(
            f"{source}: edge energy outside the configured window: the strongest edge of the "
            f"scan is at {gc[i_all]:.1f} eV, outside {key} = [{lo:.1f}, {hi:.1f}] eV "
            "(wrong edge, element or energy calibration?)"
        )


def process_spectrum(
    files: Sequence[str],
    *,
    name: str,
    sample: str,
    element: str,
    fmt: str = "ascii",
    columns: Mapping | None = None,
    mode: str = "transmission",
    energy_unit: str = "eV",
    calibrate: bool = True,
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
    n_mc: int = 200,
) -> dict:
    """Calibrate, merge, normalize and fit the repeated scans of one sample/edge.

    Parameters
    ----------
    files : sequence of str
        Raw scans of the same sample and edge.
    name, sample, element : str
        Spectrum id (file names), sample and edge name (row names
        ``xas.<element>.<sample>.<what>``).
    fmt, columns, energy_unit
        Reader settings (see :func:`intercal.io.xas.read_scan`).
    mode : {"transmission", "fluorescence", "reference"}
        How the spectrum's absorption is formed (:func:`intercal.io.xas.absorption`);
        ``reference`` analyses the reference channel itself.
    calibrate : bool
        Calibrate each scan by its reference channel (default); False keeps
        the recorded energy axis (recorded as ``calibration: none``).
    reference_e0 : float
        Tabulated E0 (eV) of the reference in the Iref channel.
    e0_window : (float, float), optional
        Absolute energy window (eV, calibrated) where the sample E0 is searched;
        the scan's strongest edge must lie in it.
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
        use larch defaults; the settled values are recorded.
    fit : mapping, optional
        Edge fit: ``fit_range``, ``n_pre``, ``n_edge``, ``pre_window`` (fixed
        centre window relative to E0; when absent it is found from the second
        derivative within ``pre_search``), ``min_significance``; ``enabled:
        false`` skips it.
    n_mc : int
        Monte-Carlo draws of the E0 standard errors.

    Returns
    -------
    dict
        ``spectrum`` (DataFrame, columns :data:`SPECTRUM_COLUMNS`), ``record``
        (fit-record DataFrame), ``summary`` (plain dict, with ``qc`` flags per
        reported quantity), ``fit_curve`` (DataFrame energy_eV, fit).
    """
    if not files:
        raise InputError(f"{name}: no files given")
    norm_kw = {k: v for k, v in dict(normalization or {}).items() if v is not None}
    ref_window = (reference_e0 - max_shift_eV, reference_e0 + max_shift_eV)
    win = _window(reference_e0, e0_window)
    if mode == "reference" and win is None:
        win = ref_window
    scans = []
    for f in files:
        raw = read_scan(f, fmt, dict(columns) if columns is not None else None, energy_unit)
        mu, mu_ref = absorption(raw, mode)
        what = {"transmission": "ln(I0/It)", "fluorescence": "If/I0", "reference": "ln(It/Iref)"}
        check_edge_direction(
            str(f), raw.energy, mu, what=f"sample mu ({mode}, {what[mode]})", window=None
        )
        if calibrate and mu_ref is not None:
            check_edge_direction(
                str(f), raw.energy, mu_ref, what="reference mu ln(It/Iref)", window=ref_window
            )
        if calibrate:
            scan = calibrate_scan(
                str(f),
                raw.energy,
                mu,
                mu_ref,
                reference_e0=reference_e0,
                max_shift_eV=max_shift_eV,
                smooth_eV=ref_smooth_eV,
                half_width_eV=e0_half_width_eV,
                degree=e0_degree,
                n_mc=n_mc,
            )
        else:
            scan = CalibratedScan(str(f), raw.energy, mu, mu_ref, math.nan, 0.0, 0.0)
        scans.append(scan)
    if win is not None:
        for s in scans:
            check_edge_in_window(s.path, s.energy, s.mu, win, f"xas.edges.{element}.e0_window_eV")
    merged = merge_scans(
        scans,
        e0_window=win,
        e0_tolerance_eV=merge_e0_tolerance_eV,
        norm_tolerance=merge_norm_tolerance,
        normalize_kw=norm_kw,
        half_width_eV=e0_half_width_eV,
        degree=e0_degree,
        mode=mode,
    )
    energy, mu = merged["energy"], merged["mu"]
    n = len(scans)
    # noise of one point of the merge, measured on the merge itself (4th differences), so
    # the smoothing of the repeats' spline interpolation onto the common grid is included;
    # the scatter between repeats would also hold their residual misalignment, which the
    # calibration error already carries
    noise = merged["mu_noise"]
    noise_matrix = merged["noise_matrix"]
    noise_method = (
        f"point-to-point noise (4th differences) of {n} scan(s), through the spline "
        "interpolation onto the common grid (with its correlation between neighbours), / n"
    )
    if n > 1:
        sem = smooth_noise(merged["mu_sem"])
        ratio = float(np.median(sem / noise))
        if ratio > 2.0:
            noise = np.maximum(noise, sem)
            noise_matrix = None
            noise_method += f"; repeats scatter {ratio:.1f}x more: their scatter used (white)"
    e0_kw = {"window": win, "half_width_eV": e0_half_width_eV, "degree": e0_degree}
    e0, e0_poly_err = find_e0(energy, mu, source=name, **e0_kw)
    e0_err, n_failed = e0_monte_carlo(
        energy, mu, noise, n_draws=n_mc, noise_matrix=noise_matrix, **e0_kw
    )
    ref_errs = np.array([s.ref_e0_stderr for s in scans])
    if calibrate:
        calib_err = (
            float(np.sqrt(np.sum(ref_errs**2)) / n) if np.all(np.isfinite(ref_errs)) else math.nan
        )
    else:
        calib_err = 0.0
    qc: dict[str, list[str]] = {k: [] for k in ROWS}
    if n_failed > 0.05 * n_mc:
        qc["edge"].append(f"e0_unstable:{n_failed}/{n_mc}")
    e0_total = float(np.hypot(e0_err, calib_err))
    if not np.isfinite(e0_total):
        qc["edge"].append("esd_nan")
    nrm = normalize(energy, mu, e0=e0, **norm_kw)
    step = nrm["edge_step"]
    settled = {k: nrm[k] for k in ("pre1", "pre2", "norm1", "norm2", "nnorm", "nvict")}
    noise_norm = noise / step
    k0 = int(np.argmin(np.abs(energy - e0)))
    e_half, e_half_err = half_step_energy(energy, nrm["norm"], e0, float(noise_norm[k0]))
    e_half_total = float(np.hypot(e_half_err, calib_err))

    spectrum = pd.DataFrame(
        {
            "energy_eV": energy,
            "mu": mu,
            "mu_noise": noise,
            "norm": nrm["norm"],
            "flat": nrm["flat"],
            "derivative": nrm["derivative"],
        }
    )
    e0_method = (
        f"max of dmu/dE (local degree-{e0_degree} polynomial); stderr: monte_carlo({n_mc}) "
        f"over the noise ({noise_method}), plus calibration in quadrature"
    )
    rows = [
        {
            "parameter": "e0_derivative_max",
            "value": e0,
            "stderr": e0_total,
            "unit": "eV",
            "note": e0_method,
        },
        {
            "parameter": "e0_stderr_polynomial",
            "value": e0_poly_err,
            "stderr": math.nan,
            "unit": "eV",
            "refined": False,
            "note": "local-polynomial covariance (for comparison; not used)",
        },
        {
            "parameter": "e0_half_step",
            "value": e_half,
            "stderr": e_half_total,
            "unit": "eV",
            "note": "normalized mu = 0.5 nearest E0, stderr noise/slope incl. calibration",
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
            "note": "rms reference E0 error / n_scans" if calibrate else "calibration: none",
        },
    ]
    for s in scans:
        rows.append(
            {
                "parameter": f"shift[{_base(s.path)}]",
                "value": s.shift,
                "stderr": s.ref_e0_stderr if calibrate else math.nan,
                "unit": "eV",
                "refined": bool(calibrate),
                "note": "tabulated - measured reference E0" if calibrate else "calibration: none",
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
    stats = {"n_scans": n, "noise_norm_median": float(np.median(noise_norm))}
    fit_cfg = dict(fit or {})
    fit_curve = pd.DataFrame({"energy_eV": [], "fit": []})
    pre = {
        "centroid_eV": math.nan,
        "centroid_stderr_eV": math.nan,
        "area": math.nan,
        "area_stderr": math.nan,
        "flags": [],
    }
    window_record: dict = {"method": "none (edge fit disabled)"}
    if fit_cfg.pop("enabled", True):
        fr = tuple(fit_cfg.pop("fit_range", (-20.0, 12.0)))
        fixed = fit_cfg.pop("pre_window", None)
        search = tuple(fit_cfg.pop("pre_search", (-25.0, -1.0)))
        min_sig = float(fit_cfg.pop("min_significance", 3.0))
        pre_model = fit_cfg.pop("pre_model", "local")
        n_pre = int(fit_cfg.pop("n_pre", 1))
        n_edge = int(fit_cfg.pop("n_edge", 1))
        pre_center = None
        if n_pre == 0:
            window_abs = None
            window_record = {"method": "none (n_pre = 0)"}
        elif fixed is not None:
            window_abs = (e0 + float(fixed[0]), e0 + float(fixed[1]))
            window_record = {"method": "fixed (config pre_window)", "window_eV": list(window_abs)}
        else:
            found = find_preedge_window(energy, nrm["norm"], e0, search=search, source=name)
            window_record = dict(found)
            if found["found"]:
                window_abs = tuple(found["window_eV"])
                pre_center = found["center_eV"]
            else:
                window_abs = None
                n_pre_requested = n_pre
                n_pre = 0
                pre["flags"].append("preedge_not_detected")
                log.warning(
                    "%s: no pre-edge peak detected (no second-derivative minimum between "
                    "%.1f and %.1f eV); %d pre-edge peak(s) not fitted",
                    name,
                    found["search_eV"][0],
                    found["search_eV"][1],
                    n_pre_requested,
                )
        fit_out = fit_edge(
            energy,
            nrm["norm"],
            e0,
            fit_range=fr,
            n_pre=n_pre,
            n_edge=n_edge,
            pre_window_abs=window_abs,
            pre_center=pre_center,
            sigma=noise_norm,
            source=name,
            **fit_cfg,
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
        stats["fit_weighted_by_noise"] = float(fit_out["weighted"])
        fit_curve = pd.DataFrame({"energy_eV": fit_out["energy"], "fit": fit_out["best_fit"]})
        if n_pre and pre_model == "edge":
            # the pre-edge peaks of the whole-edge model (a shoulder on the rising edge)
            window_record["fit"] = "edge: pseudo-Voigt peaks of the whole-edge model"
            pre = summarize_preedge(
                fit_out["params"],
                fit_out["covar"],
                fit_out["var_names"],
                n_pre,
                fit_out["pre_windows"],
                min_significance=min_sig,
            )
        elif n_pre:
            # the reported pre-edge comes from a local fit on a polynomial baseline
            local = fit_preedge_local(
                energy,
                nrm["norm"],
                fit_out["pre_windows"][0],
                sigma=noise_norm,
                center=fit_out["params"]["pre1_center"][0],
                n_pre=n_pre,
                source=name,
            )
            window_record["fit"] = "local: quadratic baseline + pseudo-Voigt, window -5/+1 eV"
            stats["preedge_redchi"] = local["redchi"]
            for pname, (v, se) in local["params"].items():
                if pname.startswith("pre"):
                    rows.append(
                        {
                            "parameter": f"preedge.{pname}",
                            "value": v,
                            "stderr": se,
                            "unit": "eV" if pname.endswith(("center", "sigma")) else "",
                            "note": "local pre-edge fit",
                        }
                    )
            pre = summarize_preedge(
                local["params"],
                local["covar"],
                local["var_names"],
                n_pre,
                local["pre_windows"],
                min_significance=min_sig,
            )
            if local["redchi"] > 3.0:
                # the local model misses structure the noise cannot explain
                pre["flags"].append(f"preedge_misfit:redchi={local['redchi']:.1f}")
        if n_pre:
            rows += [
                {
                    "parameter": "preedge_centroid",
                    "value": pre["centroid_eV"],
                    "stderr": float(np.hypot(pre["centroid_stderr_eV"], calib_err)),
                    "unit": "eV",
                    "note": "area-weighted mean centre of the pre-edge peaks, incl. calibration",
                },
                {
                    "parameter": "preedge_area",
                    "value": pre["area"],
                    "stderr": pre["area_stderr"],
                    "unit": "eV",
                    "note": "integrated area of the pre-edge peaks (normalized mu x eV)",
                },
            ]
    for flag in pre["flags"]:
        if flag != "preedge_not_detected":
            log.warning("%s: pre-edge fit flagged %s", name, flag)
    qc["preedge"] += pre["flags"]
    qc["preedge_area"] += pre["flags"]
    for flag in qc["edge"]:
        log.warning("%s: edge flagged %s", name, flag)
    record = fit_record(rows, stats)
    summary = {
        "name": name,
        "sample": sample,
        "element": element,
        "mode": mode,
        "files": [str(f) for f in files],
        "reference_e0_eV": reference_e0,
        "calibration": "reference channel" if calibrate else "none",
        "shifts_eV": {_base(s.path): s.shift for s in scans},
        "shift_stderr_eV": {_base(s.path): s.ref_e0_stderr for s in scans},
        "reference_e0_measured_eV": {_base(s.path): s.ref_e0_measured for s in scans},
        "scan_e0_eV": {_base(s.path): e for s, e in zip(scans, merged["scan_e0"], strict=True)},
        "scan_rms_vs_median": {_base(s.path): r for s, r in zip(scans, merged["rms"], strict=True)},
        "e0_eV": e0,
        "e0_stderr_eV": e0_total,
        "e0_stderr_method": e0_method,
        "calibration_stderr_eV": calib_err,
        "half_step_eV": e_half,
        "half_step_stderr_eV": e_half_total,
        "preedge_eV": pre["centroid_eV"],
        "preedge_stderr_eV": float(np.hypot(pre["centroid_stderr_eV"], calib_err)),
        "preedge_area": pre["area"],
        "preedge_area_stderr": pre["area_stderr"],
        "preedge_window": window_record,
        "edge_step": step,
        "normalization": {"e0": e0, **settled},
        "noise_method": noise_method,
        "e0_settings": {
            "window": list(win) if win else None,
            "half_width_eV": e0_half_width_eV,
            "degree": e0_degree,
            "ref_smooth_eV": ref_smooth_eV,
        },
        "qc": qc,
        "fit_statistics": {k: v for k, v in stats.items()},
    }
    return {"spectrum": spectrum, "record": record, "summary": summary, "fit_curve": fit_curve}


def _base(path: str) -> str:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


REPRO_COLUMNS = ["quantity", "value", "stderr", "unit", "qc"]


def _qc(flags) -> str:
    return ";".join(dict.fromkeys(f for f in flags if f))


def reproduction(
    summaries: Sequence[Mapping],
    edge_shift: Mapping | Sequence[Mapping] | None = None,
    lcf: Sequence[Mapping] | None = None,
) -> pd.DataFrame:
    """Rows ``xas.<edge>.<sample>.<what>``, ``xas.<edge>.edge_shift`` and LCF weights.

    Every name is built from config names only: ``<edge>`` is the spectrum's
    edge key, ``<sample>`` its sample name.

    Parameters
    ----------
    summaries : sequence of mapping
        Summaries from :func:`process_spectrum`. Each gives ``.edge`` (E0,
        derivative maximum) and, when a pre-edge fit was asked for,
        ``.preedge`` (centroid) and ``.preedge_area``; QC flags travel along.
    edge_shift : mapping or sequence of mapping, optional
        ``{element, high, low[, name]}``: the row ``xas.<element>.<name>``
        (``name`` default ``edge_shift``) = E0(high) - E0(low), errors added
        in quadrature (the spectra are calibrated independently).
    lcf : sequence of mapping, optional
        ``{element, sample, weights: {component sample: (value, stderr)}, qc}``:
        rows ``xas.<element>.<sample>.weight.<component sample>``.

    Returns
    -------
    DataFrame
        Columns quantity, value, stderr, unit, qc.

    Raises
    ------
    InputError
        An edge shift names a sample/edge without a spectrum, or two spectra
        would give the same row.
    """
    rows = []
    by = {}
    for s in summaries:
        key = (s["element"], s["sample"])
        if key in by:
            raise InputError(
                f"spectra {by[key]['name']!r} and {s['name']!r} both have edge {key[0]!r} and "
                f"sample {key[1]!r}; their rows xas.{key[0]}.{key[1]}.* would collide "
                "(give each spectrum its own sample name)"
            )
        by[key] = s
    for s in summaries:
        q = f"xas.{s['element']}.{s['sample']}"
        qc = dict(s.get("qc") or {})
        rows.append(
            {
                "quantity": f"{q}.edge",
                "value": s["e0_eV"],
                "stderr": s["e0_stderr_eV"],
                "unit": "eV",
                "qc": _qc(qc.get("edge", [])),
            }
        )
        method = str((s.get("preedge_window") or {}).get("method", "none"))
        if method.startswith("none"):
            continue
        for what in ("preedge", "preedge_area"):
            vkey, ekey, unit = ROWS[what]
            v, e = s.get(vkey), s.get(ekey)
            rows.append(
                {
                    "quantity": f"{q}.{what}",
                    "value": math.nan if v is None else v,
                    "stderr": math.nan if e is None else e,
                    "unit": unit,
                    "qc": _qc(qc.get(what, [])),
                }
            )
    shifts = [] if not edge_shift else edge_shift
    if isinstance(shifts, Mapping):
        shifts = [shifts]
    for sh in shifts:
        el = sh["element"]
        hi, lo = by.get((el, sh["high"])), by.get((el, sh["low"]))
        if hi is None or lo is None:
            raise InputError(
                f"edge_shift names {el} {sh['high']} / {sh['low']}, but the "
                f"processed spectra are {sorted(by)}"
            )
        qc = list((hi.get("qc") or {}).get("edge", [])) + list((lo.get("qc") or {}).get("edge", []))
        rows.append(
            {
                "quantity": f"xas.{el}.{sh.get('name', 'edge_shift')}",
                "value": hi["e0_eV"] - lo["e0_eV"],
                "stderr": float(np.hypot(hi["e0_stderr_eV"], lo["e0_stderr_eV"])),
                "unit": "eV",
                "qc": _qc(qc),
            }
        )
    for fit in lcf or []:
        for comp, (v, e) in fit["weights"].items():
            rows.append(
                {
                    "quantity": f"xas.{fit['element']}.{fit['sample']}.weight.{comp}",
                    "value": v,
                    "stderr": e,
                    "unit": "",
                    "qc": _qc(fit.get("qc", [])),
                }
            )
    return pd.DataFrame(rows, columns=REPRO_COLUMNS)


def edge_table(summaries: Sequence[Mapping]) -> pd.DataFrame:
    """One row per spectrum: edge energies, pre-edge centroid/area, QC, settled normalization.

    Columns: spectrum, element, sample, mode, n_scans, e0_eV, e0_stderr_eV,
    half_step_eV, half_step_stderr_eV, preedge_eV, preedge_stderr_eV,
    preedge_area, preedge_area_stderr, preedge_window_method,
    preedge_window_lo_eV, preedge_window_hi_eV, edge_step, mean_shift_eV,
    calibration_stderr_eV, norm_e0_eV, pre1_eV, pre2_eV, norm1_eV, norm2_eV,
    nnorm, nvict, e0_stderr_method, qc.
    """
    rows = []
    for s in summaries:
        win = s.get("preedge_window") or {}
        lohi = win.get("window_eV") or [math.nan, math.nan]
        nrm = s["normalization"]
        qc = s.get("qc") or {}
        shifts = list(s["shifts_eV"].values())
        rows.append(
            {
                "spectrum": s["name"],
                "element": s["element"],
                "sample": s["sample"],
                "mode": s.get("mode", ""),
                "n_scans": len(s["files"]),
                "e0_eV": s["e0_eV"],
                "e0_stderr_eV": s["e0_stderr_eV"],
                "half_step_eV": s["half_step_eV"],
                "half_step_stderr_eV": s["half_step_stderr_eV"],
                "preedge_eV": _num(s.get("preedge_eV")),
                "preedge_stderr_eV": _num(s.get("preedge_stderr_eV")),
                "preedge_area": _num(s.get("preedge_area")),
                "preedge_area_stderr": _num(s.get("preedge_area_stderr")),
                "preedge_window_method": win.get("method", ""),
                "preedge_window_lo_eV": _num(lohi[0]),
                "preedge_window_hi_eV": _num(lohi[1]),
                "edge_step": s["edge_step"],
                "mean_shift_eV": float(np.mean(shifts)) if shifts else math.nan,
                "calibration_stderr_eV": _num(s.get("calibration_stderr_eV")),
                "norm_e0_eV": nrm.get("e0", s["e0_eV"]),
                "pre1_eV": nrm["pre1"],
                "pre2_eV": nrm["pre2"],
                "norm1_eV": nrm["norm1"],
                "norm2_eV": nrm["norm2"],
                "nnorm": nrm["nnorm"],
                "nvict": nrm["nvict"],
                "e0_stderr_method": s.get("e0_stderr_method", ""),
                "qc": _qc(f for v in qc.values() for f in v),
            }
        )
    return pd.DataFrame(rows)


def _num(v) -> float:
    return math.nan if v is None else float(v)


def lcf_spectrum(spectrum: pd.DataFrame, summary: Mapping) -> dict:
    """The description of one processed spectrum that :func:`lcf_monte_carlo` redraws."""
    nrm = {k: v for k, v in summary["normalization"].items() if k != "e0"}
    cal = summary.get("calibration_stderr_eV")
    return {
        "energy": spectrum.energy_eV.to_numpy(),
        "mu": spectrum.mu.to_numpy(),
        "noise": spectrum.mu_noise.to_numpy(),
        "e0": summary["e0_eV"],
        "normalization": nrm,
        "calib_stderr": 0.0 if cal is None else float(cal),
    }


def run_lcf(
    target: tuple[pd.DataFrame, Mapping],
    components: Mapping[str, tuple[pd.DataFrame, Mapping]],
    *,
    range_eV: Sequence[float],
    sum_to_one: bool = True,
    n_mc: int = 200,
    source: str = "lcf",
) -> dict:
    """Linear-combination fit with Monte-Carlo standard errors, ready to write.

    Parameters
    ----------
    target : (DataFrame, mapping)
        Spectrum table and summary of the fitted spectrum.
    components : mapping
        Spectrum id -> (spectrum table, summary) of each end member.
    range_eV : (float, float)
        Fit range relative to the target's E0 (eV).
    sum_to_one : bool
        Constrain the weights to sum to one.
    n_mc : int
        Monte-Carlo draws of the standard errors.
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``record`` (fit record: weights with Monte-Carlo stderr, the
        reduced-chi-square stderr for comparison, statistics), ``curve``
        (energy_eV, data, fit), ``weights`` (component sample -> (value,
        stderr)), ``method``.
    """
    from .fit import lcf, lcf_monte_carlo

    tsp, tsum = target
    e0 = tsum["e0_eV"]
    rng = (e0 + float(range_eV[0]), e0 + float(range_eV[1]))
    comps = {k: (sp.energy_eV.to_numpy(), sp.norm.to_numpy()) for k, (sp, _) in components.items()}
    res = lcf(
        tsp.energy_eV.to_numpy(),
        tsp.norm.to_numpy(),
        comps,
        e_range=rng,
        sum_to_one=sum_to_one,
        source=source,
    )
    mc = lcf_monte_carlo(
        lcf_spectrum(tsp, tsum),
        {k: lcf_spectrum(sp, sm) for k, (sp, sm) in components.items()},
        e_range=rng,
        sum_to_one=sum_to_one,
        n_draws=n_mc,
    )
    names = list(components)
    rows = []
    weights = {}
    for n in names:
        v, se_redchi = res["weights"][n]
        se = mc["stderr"][n]
        weights[components[n][1]["sample"]] = (v, se)
        dependent = sum_to_one and n == names[-1]
        rows.append(
            {
                "parameter": f"weight[{n}]",
                "value": v,
                "stderr": se,
                "unit": "",
                "refined": not dependent,
                "note": ("1 - other weights; " if dependent else "") + "stderr " + mc["method"],
            }
        )
        rows.append(
            {
                "parameter": f"weight_stderr_redchi[{n}]",
                "value": se_redchi,
                "stderr": math.nan,
                "unit": "",
                "refined": False,
                "note": "lmfit covariance scaled by reduced chi-square (correlated points; "
                "not used)",
            }
        )
    stats = {k: res[k] for k in ("r_factor", "chisqr", "redchi", "n_points")}
    stats["errors_scaled_by_redchi"] = 0.0
    stats["monte_carlo_draws"] = n_mc
    curve = pd.DataFrame(
        {
            "energy_eV": res["energy"],
            "data": np.interp(res["energy"], tsp.energy_eV, tsp.norm),
            "fit": res["best_fit"],
        }
    )
    return {
        "record": fit_record(rows, stats),
        "curve": curve,
        "weights": weights,
        "method": mc["method"],
        "r_factor": res["r_factor"],
    }


def lcf_qc(weights: Mapping[str, tuple[float, float]], n_sigma: float = 3.0) -> list[str]:
    """QC flags of LCF weights: ``esd_nan:<c>``, ``weight_out_of_range:<c>`` (beyond 0..1 by
    more than ``n_sigma`` standard errors)."""
    flags = []
    for c, (v, e) in weights.items():
        if not np.isfinite(e):
            flags.append(f"esd_nan:{c}")
        elif v < -n_sigma * e or v > 1 + n_sigma * e:
            flags.append(f"weight_out_of_range:{c}")
    return flags
