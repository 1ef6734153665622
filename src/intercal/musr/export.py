"""Hand the global fit to the tools muon scientists trust: a musrfit .msr file and a
Mantid-style fit-parameter table.

The .msr file describes the same global asymmetry fit (one RUN block per ZF/LF
run, maps for the per-temperature parameters, Delta shared, linear in T or per
temperature) with the fitted values as start values and our esds in the
Pos_Error column, so that ``musrfit`` can reproduce or refine it. Data paths
are the config's (relative to the study folder).

The Mantid table has the column layout of Mantid's ``Fit`` ``_Parameters``
output (Name, Value, Error) for the equivalent multi-domain function, one domain
per run: ``f<d>.f0.f0`` DynamicKuboToyabe (Asym, Delta, Field, Nu),
``f<d>.f0.f1`` ExpDecayMuon (A = 1, Lambda), ``f<d>.f1`` FlatBackground (A0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .global_fit import GlobalResult

_RULE = "#" * 63 + "\n"


def _fmt(v: float) -> str:
    return "none" if v is None or not np.isfinite(v) else f"{v:.6g}"


def _data_name(path: str) -> tuple[str, str, str]:
    """(path without extension, institute, musrfit data-file format) of a run file."""
    p = Path(path)
    head = p.read_bytes()[:2] if p.is_file() else b""
    if head == b"1N":
        return str(p.with_suffix("")), "PSI", "PSI-BIN"
    return str(p.with_suffix("")), "ISIS", "NEXUS"


def write_msr(
    result: GlobalResult,
    temperatures: Sequence[Mapping],
    *,
    alpha: float,
    grouping: Mapping | None,
    t_min_us: float,
    t_max_us: float,
    rebin: int,
    background_window_us: Sequence[float] | None = None,
    run_info: Mapping[str, tuple[float, float]] | None = None,
    title: str = "global dynamic Kubo-Toyabe fit",
) -> str:
    """musrfit .msr text of the global fit.

    Parameters
    ----------
    result : GlobalResult
        From :func:`intercal.musr.global_fit.fit_global`.
    temperatures : sequence of mappings
        The config's ``musr.temperatures`` entries (name, runs with file and field_G).
    alpha : float
        Forward/backward efficiency ratio (fixed).
    grouping : mapping, optional
        ``forward``/``backward`` detector strings (default groups 1/2 of the file).
    t_min_us, t_max_us : float
        Fit window (us).
    rebin : int
        Packing (raw bins per point).
    background_window_us : (float, float), optional
        Late-time window whose mean count level was subtracted (us); written as
        musrfit ``background`` bins when ``run_info`` knows the run, else
        ``backgr.fix 0 0`` (no background).
    run_info : mapping, optional
        Run file -> (t0 in us, bin width in us).
    title : str
        First line of the file.
    """
    params: list[tuple[str, float, float, float, float]] = []  # name, value, err, lo, hi

    def add(name, value, err=np.nan, lo=None, hi=None):
        params.append((name, value, err, lo, hi))
        return len(params)

    p_alpha = add("alpha", alpha)
    p_delta = {}
    if result.delta_mode in ("shared", "linear"):
        p_delta["delta"] = add("Delta", result.value("delta"), result.error("delta"), 0, 5)
    if result.delta_mode == "linear":
        p_delta["slope"] = add(
            "Delta_slope", result.value("delta_slope"), result.error("delta_slope")
        )
    per_t = {}
    fields = sorted({float(r["field_G"]) for t in temperatures for r in t["runs"]})
    p_field = {f: add(f"B_{f:g}G", f) for f in fields}
    by_name = {t["name"]: t for t in temperatures}
    for i, n in enumerate(result.names):
        d = {}
        for key, label, lo, hi in (
            ("nu", "nu", 0, 50),
            ("a0", "asy", 0, 0.5),
            ("a_bg", "asyBg", -0.1, 0.3),
            ("lam", "lambda", 0, 10),
        ):
            d[key] = add(
                f"{label}_{n}", result.value(f"{key}_{n}"), result.error(f"{key}_{n}"), lo, hi
            )
        if result.delta_mode == "free":
            d["delta"] = add(
                f"Delta_{n}", result.value(f"delta_{n}"), result.error(f"delta_{n}"), 0, 5
            )
        if result.delta_mode == "linear":
            d["dT"] = add(f"dT_{n}", float(result.extra["dT"][i]))
        per_t[n] = d
    lines = [title + "\n", _RULE, "FITPARAMETER\n"]
    lines.append("#      Nr. Name        Value     Step      Pos_Error  Boundaries\n")
    for k, (name, v, e, lo, hi) in enumerate(params, start=1):
        step = _fmt(e) if np.isfinite(e) else "0"
        pos = _fmt(e) if np.isfinite(e) else "none"
        b = "" if lo is None else f"  {lo:g}  {hi:g}"
        lines.append(f"  {k:>6} {name:<14} {_fmt(v):<12} {step:<12} {pos:<12}{b}\n")
    # maps: 1 asy, 2 nu, 3 lambda, 4 asyBg, 5 field, 6 Delta_T or dT
    delta_arg = {"shared": str(p_delta.get("delta")), "linear": "fun2", "free": "map6"}[
        result.delta_mode
    ]
    lines += [
        "\n",
        _RULE,
        "THEORY\n",
        "asymmetry      map1\n",
        f"dynGssKTLF     fun1  {delta_arg}  map2    (frequency damping hopping-rate)\n",
        "simplExpo      map3          (rate)\n",
        "+\n",
        "asymmetry      map4\n",
        "\n",
        _RULE,
        "FUNCTIONS\n",
        "fun1 = gamma_mu * map5\n",
    ]
    if result.delta_mode == "linear":
        lines.append(f"fun2 = par{p_delta['delta']} + par{p_delta['slope']} * map6\n")
    g = grouping or {}
    fwd, bwd = g.get("forward", "1"), g.get("backward", "2")
    for n in result.names:
        d = per_t[n]
        for run in by_name[n]["runs"] if n in by_name else []:
            m6 = d.get("delta", d.get("dT", 0))
            maps = [d["a0"], d["nu"], d["lam"], d["a_bg"], p_field[float(run["field_G"])], m6]
            name, inst, fmt = _data_name(run["file"])
            lines += [
                "\n",
                _RULE,
                f"RUN {name} XXXX {inst} {fmt}   (name beamline institute data-file-format)\n",
                "fittype         2         (asymmetry fit)\n",
                f"alpha           {p_alpha}\n",
                "map             " + "  ".join(f"{m:<3d}" for m in maps + [0] * 4) + "\n",
                f"forward         {fwd}\n",
                f"backward        {bwd}\n",
                _background(run["file"], background_window_us, run_info),
                f"fit             {t_min_us:g}   {t_max_us:g}\n",
                f"packing         {int(rebin)}\n",
            ]
    st = result.stats
    lines += [
        "\n",
        _RULE,
        "COMMANDS\n",
        "MINIMIZE\n",
        "HESSE\n",
        "SAVE\n",
        "\n",
        _RULE,
        f"PLOT 2   (asymmetry plot)\nruns     1-{sum(len(t['runs']) for t in temperatures)}\n",
        f"range    0   {t_max_us:g}\n",
        "\n",
        _RULE,
        "STATISTIC --- intercal global fit (our background subtraction and dead-time "
        "correction may differ from musrfit's)\n",
        f"  chisq = {st['chi2']:.1f}, NDF = {st['n_points'] - st['n_free']}, "
        f"chisq/NDF = {st['redchi']:.6f}\n",
    ]
    return "".join(lines)


def _background(file, window, run_info) -> str:
    info = (run_info or {}).get(str(file))
    if window is None or info is None:
        return "backgr.fix      0    0\n"
    t0, dt = info
    lo, hi = (int(round((w + t0) / dt)) for w in window)
    return f"background      {lo}  {hi}  {lo}  {hi}    # {window[0]:g}-{window[1]:g} us\n"


def mantid_table(result: GlobalResult, temperatures: Sequence[Mapping]) -> pd.DataFrame:
    """Mantid ``Fit`` _Parameters-style table (Name, Value, Error) of the global fit."""
    rows = []
    by_name = {t["name"]: t for t in temperatures}
    dom = 0
    for i, n in enumerate(result.names):
        delta, delta_err = result.delta_at(i)
        for run in by_name[n]["runs"] if n in by_name else []:
            pre = f"f{dom}."
            for name, v, e in (
                ("f0.f0.Asym", result.value(f"a0_{n}"), result.error(f"a0_{n}")),
                ("f0.f0.Delta", delta, delta_err),
                ("f0.f0.Field", float(run["field_G"]), np.nan),
                ("f0.f0.Nu", result.value(f"nu_{n}"), result.error(f"nu_{n}")),
                ("f0.f1.A", 1.0, np.nan),
                ("f0.f1.Lambda", result.value(f"lam_{n}"), result.error(f"lam_{n}")),
                ("f1.A0", result.value(f"a_bg_{n}"), result.error(f"a_bg_{n}")),
            ):
                rows.append({"Name": pre + name, "Value": v, "Error": e})
            dom += 1
    rows.append({"Name": "Cost function value", "Value": result.stats["redchi"], "Error": np.nan})
    return pd.DataFrame(rows)
