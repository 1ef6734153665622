"""The results table, and its comparison with reference values the study supplies.

Each technique writes a partial table with the columns ``quantity, value,
stderr, unit`` and optionally ``qc`` (empty when the number is clean, else
short semicolon-separated flags). :func:`merge_results` joins them into the
study's results table (``results.csv``): every headline number the data gave,
named from the user's own names (patterns, spectra, cells, cut-offs).

Reference values are data, not code: the study's config may carry a
``references`` section (quantity, value, esd, unit, tolerance, note), e.g. the
published numbers a study sets out to reproduce. Only then is a comparison
table written (``reproduction.csv``, columns :data:`COLUMNS`), one row per
reference in config order, with

    z = (value - reference) / sqrt(stderr^2 + reference_esd^2)

(empty when neither side has an error) and a judgement against the
reference's tolerance. A study without references gets the results table and
no comparison, never a table of deviations from somebody else's paper.

Tolerance kinds (one key each): ``abs: t`` (|value - ref| <= t), ``rel: f``
(<= f |ref|), ``esd: k`` (<= k x the value's own esd), ``range: [lo, hi]``,
``positive: true`` / ``negative: true`` (a sign only), and ``target: t``
beside ``abs``/``rel``/``esd`` to judge against t instead of the reference
value, with the reason in ``note`` (where the reference contradicts itself).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, closest_name

#: the comparison table's columns (fixed so that tools can read it)
COLUMNS = ["quantity", "value", "stderr", "unit", "paper_value", "paper_stderr", "z"]
#: the results table's columns
RESULT_COLUMNS = ["quantity", "value", "stderr", "unit", "qc"]

TOLERANCE_KINDS = ("abs", "rel", "esd", "range", "positive", "negative")


def z_score(value: float, stderr: float, paper: float, paper_stderr: float) -> float:
    """Return (value - paper) / sqrt(stderr^2 + paper_stderr^2), NaN if undefined."""
    errs = [e for e in (stderr, paper_stderr) if e is not None and np.isfinite(e)]
    if not errs or not np.isfinite(value) or not np.isfinite(paper):
        return math.nan
    denom = math.sqrt(sum(e * e for e in errs))
    if denom == 0:
        return math.nan
    return (value - paper) / denom


def _isnan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def merge_results(
    parts: Iterable[pd.DataFrame], sources: Iterable[str] | None = None
) -> pd.DataFrame:
    """Join partial technique tables into the results table.

    Parameters
    ----------
    parts : iterable of DataFrame
        Each with columns ``quantity, value, stderr, unit`` and optionally ``qc``.
    sources : iterable of str, optional
        Names of the parts (file paths) for error messages.

    Returns
    -------
    DataFrame
        Columns :data:`RESULT_COLUMNS`, rows in part order.

    Raises
    ------
    InputError
        If a part lacks a column or two parts give the same quantity.
    """
    parts = list(parts)
    sources = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    rows: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for df, src in zip(parts, sources, strict=True):
        missing = {"quantity", "value", "stderr", "unit"} - set(df.columns)
        if missing:
            raise InputError(f"{src}: missing columns {sorted(missing)}")
        for rec in df.to_dict("records"):
            q = str(rec["quantity"])
            if q in seen:
                raise InputError(f"{src}: quantity {q!r} given twice (also in {seen[q]})")
            seen[q] = src
            qc = rec.get("qc", "")
            qc = "" if qc is None or (isinstance(qc, float) and math.isnan(qc)) else str(qc)
            value, stderr = _float(rec["value"]), _float(rec["stderr"])
            if not np.isfinite(value) and "no_value" not in qc:
                qc = ";".join(f for f in (qc, "no_value") if f)
            rows.append(
                {
                    "quantity": q,
                    "value": value,
                    "stderr": stderr,
                    "unit": "" if _isnan(rec["unit"]) else str(rec["unit"]),
                    "qc": qc,
                }
            )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def _check_reference(ref: Mapping[str, Any], i: int) -> None:
    if "quantity" not in ref or "unit" not in ref:
        raise InputError(f"references.values[{i}]: needs 'quantity' and 'unit', got {dict(ref)}")
    tol = ref.get("tolerance") or {}
    kinds = [k for k in tol if k in TOLERANCE_KINDS]
    unknown = [k for k in tol if k not in (*TOLERANCE_KINDS, "target")]
    if unknown or len(kinds) > 1:
        raise InputError(
            f"references.values[{i}] ({ref['quantity']}): tolerance {dict(tol)} must have one "
            f"of {list(TOLERANCE_KINDS)} (and optionally 'target')"
        )


def compare(results: pd.DataFrame, references: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the comparison table: one row per reference, in the order given.

    Parameters
    ----------
    results : DataFrame
        The results table (:func:`merge_results`).
    references : sequence of mapping
        ``quantity, unit`` and optionally ``value, esd, tolerance, note, display``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; a reference whose quantity the run did not
        produce keeps its row with an empty value.

    Raises
    ------
    InputError
        If a produced quantity's unit differs from its reference's, or a
        reference is malformed or given twice.
    """
    by_q = results.set_index("quantity") if len(results) else None
    out, seen = [], set()
    for i, ref in enumerate(references):
        _check_reference(ref, i)
        q = ref["quantity"]
        if q in seen:
            raise InputError(f"references.values: {q!r} given twice")
        seen.add(q)
        value = stderr = math.nan
        if by_q is not None and q in by_q.index:
            row = by_q.loc[q]
            if str(row.unit) != str(ref["unit"]):
                raise InputError(
                    f"references.values[{i}]: {q} has unit {ref['unit']!r} in config but the "
                    f"run reports it in {row.unit!r}"
                )
            value, stderr = float(row.value), float(row.stderr)
        pv, pe = _float(ref.get("value")), _float(ref.get("esd"))
        out.append(
            {
                "quantity": q,
                "value": value,
                "stderr": stderr,
                "unit": ref["unit"],
                "paper_value": pv,
                "paper_stderr": pe,
                "z": z_score(value, stderr, pv, pe),
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def judge(value: float, stderr: float, reference: Mapping[str, Any]) -> tuple[bool | None, str]:
    """Judge one value against its reference's tolerance.

    Returns
    -------
    (passed, explanation)
        ``passed`` is None when the reference has no tolerance (nothing to judge).
    """
    tol = dict(reference.get("tolerance") or {})
    ref_value = _float(reference.get("value"))
    if not np.isfinite(value):
        return False, "no value"
    target = _float(tol.pop("target", ref_value))
    note = (
        f" ({reference['note']})"
        if reference.get("note") and "target" in (reference.get("tolerance") or {})
        else ""
    )
    if not tol:
        return None, "no tolerance given"
    kind, arg = next(iter(tol.items()))
    if kind == "abs":
        ok = abs(value - target) <= float(arg)
        return ok, f"|{value:.6g} - {target:.6g}| <= {float(arg):g}{note}"
    if kind == "rel":
        ok = abs(value - target) <= float(arg) * abs(target)
        return ok, f"|{value:.6g} - {target:.6g}| <= {float(arg):.1%} of {target:.6g}{note}"
    if kind == "esd":
        if not np.isfinite(stderr) or stderr <= 0:
            return False, f"esd {stderr!r} is not a positive number"
        ok = abs(value - target) <= float(arg) * stderr
        return ok, f"|{value:.6g} - {target:.6g}| <= {float(arg):g} x esd {stderr:.2g}{note}"
    if kind == "range":
        lo, hi = (float(a) for a in arg)
        return lo <= value <= hi, f"{lo:g} <= {value:.6g} <= {hi:g}"
    if kind == "positive":
        return value > 0, f"{value:.6g} > 0"
    if kind == "negative":
        return value < 0, f"{value:.6g} < 0"
    raise InputError(f"unknown tolerance kind {kind!r} for {reference.get('quantity')}")


def check(
    table: pd.DataFrame,
    references: Sequence[Mapping[str, Any]],
    required_prefixes: Iterable[str] = (),
) -> list[str]:
    """Check a comparison table against the references' tolerances.

    Parameters
    ----------
    table : DataFrame
        As written by :func:`compare`.
    references : sequence of mapping
        The study's references (config ``references.values``).
    required_prefixes : iterable of str
        Technique prefixes (``"musr"``, ``"echem"`` ...) whose rows must all have values.

    Returns
    -------
    list of str
        One line per failure (empty when everything passes).
    """
    if list(table.columns) != COLUMNS:
        return [f"columns are {list(table.columns)}, expected {COLUMNS}"]
    refs = {r["quantity"]: r for r in references}
    if list(table.quantity) != list(refs):
        return ["rows differ from the config's reference list"]
    required = tuple(required_prefixes)
    failures = []
    for row in table.itertuples(index=False):
        prefix = row.quantity.split(".")[0]
        if not np.isfinite(row.value):
            if prefix in required:
                failures.append(f"{row.quantity}: no value")
            continue
        ok, why = judge(row.value, row.stderr, refs[row.quantity])
        if ok is False:
            failures.append(f"{row.quantity}: FAILED {why}")
    return failures


def fmt_value(value: float, stderr: float) -> str:
    """Value with its esd in parentheses notation where an esd exists: 3.3956(6).

    Values below 1e-3 or from 1e6 up are written ``9.71e-09 +/- 2.1e-10``; no esd
    gives 6 significant digits.
    """
    if not np.isfinite(value):
        return ""
    if not np.isfinite(stderr) or stderr <= 0:
        return f"{value:.6g}"
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.4g} +/- {stderr:.2g}"
    exp = math.floor(math.log10(stderr))
    digits = max(0, -exp + (1 if stderr < 2 * 10**exp else 0))
    scaled = round(stderr * 10**digits)
    return f"{value:.{digits}f}({scaled})"


def _status(row: Any, ref: Mapping[str, Any] | None) -> str:
    if not np.isfinite(row.value):
        return "not produced"
    if ref is None:
        return ""
    ok, why = judge(row.value, row.stderr, ref)
    big_z = np.isfinite(row.z) and abs(row.z) > 3
    if ok is None:
        status = "no tolerance"
    elif not ok:
        status = f"DEVIATES ({why})"
    elif "target" in (ref.get("tolerance") or {}):
        status = f"ok against {why}"
    elif big_z:
        status = f"within tolerance ({why}) but |z| = {abs(row.z):.1f} > 3"
    else:
        status = "ok"
    return status


def render_markdown(
    results: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    references: Sequence[Mapping[str, Any]] = (),
    *,
    title: str = "Results",
    provenance: str = "",
    source: str = "",
) -> str:
    """Render the results (and, when given, the comparison) as Markdown.

    A comparison row is "DEVIATES" when it fails its tolerance, "within
    tolerance but |z| > 3" when the difference is larger than the esds explain
    (z uses the reference's esd where the reference gives one), "not produced"
    when the run has no value. Every row's QC flags are shown.
    """
    lines = [f"# {title}", ""]
    if provenance:
        lines += [provenance, ""]
    qc = dict(zip(results.quantity, results.qc, strict=True)) if len(results) else {}
    if comparison is not None:
        refs = {r["quantity"]: r for r in references}
        lines += [
            f"## Comparison with reference values{f' ({source})' if source else ''}",
            "",
            "| quantity | this run | reference | unit | z | status | QC |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in comparison.itertuples(index=False):
            ref = refs.get(row.quantity)
            shown = (ref or {}).get("display") or fmt_value(row.paper_value, row.paper_stderr)
            z = f"{row.z:.2f}" if np.isfinite(row.z) else ""
            status = _status(row, ref)
            if status == "not produced" and len(results):
                near = closest_name(row.quantity, results.quantity)
                status += f" (did you mean {near}?)" if near else " (no row of that name)"
            status = status.replace("|", "\\|")
            flags = str(qc.get(row.quantity, "") or "").replace("|", "\\|")
            lines.append(
                f"| {row.quantity} | {fmt_value(row.value, row.stderr)} | {shown} | {row.unit} "
                f"| {z} | {status} | {flags} |"
            )
        lines.append("")
        notes = [r for r in references if r.get("note")]
        if notes:
            lines += ["Notes:", ""]
            lines += [f"- {r['quantity']}: {r['note']}" for r in notes]
            lines.append("")
    lines += [
        "## All headline numbers",
        "",
        "| quantity | value | unit | QC |",
        "|---|---|---|---|",
    ]
    for row in results.itertuples(index=False):
        flags = str(row.qc or "").replace("|", "\\|")
        lines.append(
            f"| {row.quantity} | {fmt_value(row.value, row.stderr)} | {row.unit} | {flags} |"
        )
    n_flag = int((results.qc.astype(str).str.len() > 0).sum()) if len(results) else 0
    lines += ["", f"{len(results)} numbers, {n_flag} with QC flags."]
    return "\n".join(lines) + "\n"


def render_html(markdown_text: str) -> str:
    """A self-contained HTML page of :func:`render_markdown`'s text (headings, tables, lists).

    Written beside the Markdown so that Snakemake's report shows the tables inline.
    """
    import html

    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>",
        "body{font-family:sans-serif;font-size:13px;margin:1em}"
        "table{border-collapse:collapse;margin:0.5em 0}"
        "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}"
        "tr.flag td{background:#fff3cd}tr.dev td{background:#f8d7da}",
        "</style></head><body>",
    ]
    rows: list[list[str]] = []

    def _flush() -> None:
        if not rows:
            return
        out.append("<table>")
        head, *body = rows
        out.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>")
        for r in body:
            joined = " ".join(r)
            cls = " class='dev'" if "DEVIATES" in joined else ""
            if not cls and r[-1].strip() and r[-1].strip() != "QC":
                cls = " class='flag'"
            out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
        out.append("</table>")
        rows.clear()

    for line in markdown_text.splitlines():
        if line.startswith("|"):
            if set(line.replace("|", "").strip()) <= {"-"}:
                continue
            cells = line.replace("\\|", "\x00").strip().strip("|").split("|")
            rows.append([c.strip().replace("\x00", "|") for c in cells])
            continue
        _flush()
        if line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    _flush()
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def load_references(config: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Return (reference list, source) from a study config; ([], "") when it has none."""
    refs = config.get("references") or {}
    values = [dict(v) for v in refs.get("values", [])]
    for i, r in enumerate(values):
        _check_reference(r, i)
    return values, str(refs.get("source", ""))


def main(argv: list[str] | None = None) -> int:
    """``python -m intercal.reproduction check TABLE --config CONFIG [--require-parts DIR]``."""
    import argparse
    from pathlib import Path

    import yaml

    parser = argparse.ArgumentParser(prog="python -m intercal.reproduction")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="check reproduction.csv against the config's tolerances")
    p.add_argument("table")
    p.add_argument("--config", default="config.yaml", help="the study's config.yaml")
    p.add_argument(
        "--require", nargs="*", default=[], help="technique prefixes that must have values"
    )
    p.add_argument(
        "--require-parts",
        metavar="DIR",
        help="require every row of each technique that wrote a partial table in DIR",
    )
    args = parser.parse_args(argv)
    config = yaml.safe_load(Path(args.config).read_text())
    references, _ = load_references(config)
    if not references:
        print(f"{args.config} has no references: nothing to check")
        return 1
    table = pd.read_csv(args.table)
    required = list(args.require)
    if args.require_parts:
        for part in Path(args.require_parts).glob("*.csv"):
            required += sorted({q.split(".")[0] for q in pd.read_csv(part).quantity})
    failures = check(table, references, required)
    refs = {r["quantity"]: r for r in references}
    # the run's own row names (results.csv beside the table) for "did you mean" hints
    results_csv = Path(args.table).with_name("results.csv")
    produced = list(pd.read_csv(results_csv).quantity) if results_csv.is_file() else []
    for row in table.itertuples(index=False):
        if row.quantity in refs and np.isfinite(row.value):
            ok, why = judge(row.value, row.stderr, refs[row.quantity])
            tag = {True: "ok  ", False: "FAIL", None: "--  "}[ok]
            print(f"{tag} {row.quantity:40s} {why}")
        else:
            near = closest_name(row.quantity, produced) if produced else None
            hint = f" (did you mean {near}?)" if near else ""
            print(f"--   {row.quantity:40s} not produced{hint}")
    if failures:
        print(f"{len(failures)} reproduction check(s) failed:")
        for f in failures:
            print("  " + f)
        return 1
    print("reproduction check passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
