"""The reproduction table: every headline number beside the paper's.

Row names, units and paper values are fixed by ../shared/REFERENCE.md ("The
reproduction table"). Each technique writes a partial table with the
columns ``quantity, value, stderr, unit``; :func:`merge` joins them onto the
fixed row list, so rows of techniques that were not run stay present with an
empty value (never a made-up one).

z = (value - paper_value) / sqrt(stderr^2 + paper_stderr^2), empty when
neither side carries an error. Paper values given as a range (the muSR onset,
150-175 K) are stored as the mid-point with half the range as paper_stderr;
the qualitative Cr edge shift ("positive") has no paper number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import InputError

COLUMNS = ["quantity", "value", "stderr", "unit", "paper_value", "paper_stderr", "z"]

#: (quantity, unit, paper value, paper esd) in REFERENCE.md order.
PAPER: list[tuple[str, str, float, float]] = [
    ("lebail.CrSe2.a", "angstrom", 3.3956, 0.0006),
    ("lebail.CrSe2.c", "angstrom", 5.9168, 0.0010),
    ("lebail.LiCrSe2.a", "angstrom", 3.65127, 0.00005),
    ("lebail.LiCrSe2.c", "angstrom", 6.29616, 0.00010),
    ("operando.a_delithiated", "angstrom", 3.452, math.nan),
    ("operando.c_delithiated", "angstrom", 5.869, math.nan),
    ("operando.a_lithiated", "angstrom", 3.691, math.nan),
    ("operando.c_lithiated", "angstrom", 6.294, math.nan),
    ("operando.c_expansion", "percent", 7.67, math.nan),
    ("operando.volume_expansion", "percent", 22.0, math.nan),
    ("operando.transition_x", "Li per CrSe2", 0.5, math.nan),
    ("xas.Se.CrSe2.preedge", "eV", 12660.2, math.nan),
    ("xas.Se.CrSe2.edge", "eV", 12669.4, math.nan),
    ("xas.Se.LiCrSe2.edge", "eV", 12667.4, math.nan),
    ("xas.Cr.edge_shift", "eV", math.nan, math.nan),
    ("musr.activation_energy", "meV", 74.0, 8.0),
    ("musr.onset_temperature", "K", 162.5, 12.5),
    ("echem.theoretical_capacity", "mAh/g", 127.7, math.nan),
    ("echem.capacity_cutoff_1.0V", "mAh/g", 125.3, math.nan),
    ("echem.capacity_cutoff_2.0V", "mAh/g", 64.87, math.nan),
    ("echem.first_discharge_cutoff_0.75V", "mAh/g", 482.0, math.nan),
    ("echem.first_charge_cutoff_0.75V", "mAh/g", 318.0, math.nan),
    ("echem.retention_50cyc_cutoff_1.0V", "percent", 85.0, math.nan),
    ("echem.retention_50cyc_cutoff_2.0V", "percent", 94.0, math.nan),
    ("echem.rate_retention_1C", "percent", 63.0, math.nan),
    ("echem.cv_cathodic_peak_0.1mVs", "V", 2.36, math.nan),
    ("echem.cv_anodic_peak_0.1mVs", "V", 2.62, math.nan),
    ("echem.diffusion_lithiation", "cm2/s", 9.71e-9, math.nan),
    ("echem.diffusion_delithiation", "cm2/s", 7.69e-9, math.nan),
]

QUANTITIES = [p[0] for p in PAPER]


def z_score(value: float, stderr: float, paper: float, paper_stderr: float) -> float:
    """Return (value - paper) / sqrt(stderr^2 + paper_stderr^2), NaN if undefined."""
    errs = [e for e in (stderr, paper_stderr) if e is not None and np.isfinite(e)]
    if not errs or not np.isfinite(value) or not np.isfinite(paper):
        return math.nan
    denom = math.sqrt(sum(e * e for e in errs))
    if denom == 0:
        return math.nan
    return (value - paper) / denom


def merge(parts: Iterable[pd.DataFrame], sources: Iterable[str] | None = None) -> pd.DataFrame:
    """Merge partial technique tables onto the fixed reproduction rows.

    Parameters
    ----------
    parts : iterable of DataFrame
        Each with columns ``quantity, value, stderr, unit``.
    sources : iterable of str, optional
        Names of the parts (file paths) for error messages.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, one row per quantity of REFERENCE.md, in its order.

    Raises
    ------
    InputError
        If a part has a quantity not in REFERENCE.md, a unit that differs from
        the contract, or gives the same quantity twice.
    """
    parts = list(parts)
    sources = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    units = {q: u for q, u, _, _ in PAPER}
    got: dict[str, tuple[float, float]] = {}
    for df, src in zip(parts, sources, strict=True):
        missing = {"quantity", "value", "stderr", "unit"} - set(df.columns)
        if missing:
            raise InputError(f"{src}: missing columns {sorted(missing)}")
        for row in df.itertuples(index=False):
            q = row.quantity
            if q not in units:
                raise InputError(
                    f"{src}: quantity {q!r} is not a REFERENCE.md row; expected one of {QUANTITIES}"
                )
            if row.unit != units[q]:
                raise InputError(f"{src}: {q} has unit {row.unit!r}, expected {units[q]!r}")
            if q in got:
                raise InputError(f"{src}: {q} given twice")
            got[q] = (float(row.value), float(row.stderr))
    out = []
    for q, unit, pv, pe in PAPER:
        v, e = got.get(q, (math.nan, math.nan))
        out.append(
            {
                "quantity": q,
                "value": v,
                "stderr": e,
                "unit": unit,
                "paper_value": pv,
                "paper_stderr": pe,
                "z": z_score(v, e, pv, pe),
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


# --- acceptance tolerances on the demo data -----------------------------------
#: How each row is judged against the demo truth (= the paper value), as the
#: technique issues state it. Kinds: ("abs", tol), ("rel", fraction),
#: ("esd", k) -> |value - paper| <= k * stderr (the fit's own esd),
#: ("range", lo, hi), ("positive",), ("abs_to", target, tol, reason) -> judged
#: against ``target`` instead of the paper value, where the paper contradicts itself.
TOLERANCES: dict[str, tuple] = {
    "lebail.CrSe2.a": ("esd", 2.0),
    "lebail.CrSe2.c": ("esd", 2.0),
    "lebail.LiCrSe2.a": ("esd", 2.0),
    "lebail.LiCrSe2.c": ("esd", 2.0),
    "operando.a_delithiated": ("abs", 0.002),
    "operando.c_delithiated": ("abs", 0.002),
    "operando.a_lithiated": ("abs", 0.002),
    "operando.c_lithiated": ("abs", 0.002),
    # REFERENCE.md quotes 7.67 %, but its own delithiated/lithiated c (5.869 -> 6.294 A)
    # give 7.24 %; the demo data encode the cells, so the row is judged against 7.24 %.
    "operando.c_expansion": (
        "abs_to",
        round(100.0 * (6.294 / 5.869 - 1.0), 4),
        0.2,
        "the paper's 7.67 % contradicts its own c values 5.869 -> 6.294 A",
    ),
    "operando.volume_expansion": ("abs", 1.0),
    "operando.transition_x": ("abs", 0.05),
    "xas.Se.CrSe2.preedge": ("abs", 0.1),
    "xas.Se.CrSe2.edge": ("abs", 0.1),
    "xas.Se.LiCrSe2.edge": ("abs", 0.1),
    "xas.Cr.edge_shift": ("positive",),
    "musr.activation_energy": ("esd", 1.0),
    "musr.onset_temperature": ("range", 150.0, 175.0),
    "echem.theoretical_capacity": ("abs", 0.05),
    "echem.capacity_cutoff_1.0V": ("rel", 0.005),
    "echem.capacity_cutoff_2.0V": ("rel", 0.005),
    "echem.first_discharge_cutoff_0.75V": ("rel", 0.005),
    "echem.first_charge_cutoff_0.75V": ("rel", 0.005),
    "echem.retention_50cyc_cutoff_1.0V": ("abs", 1.0),
    "echem.retention_50cyc_cutoff_2.0V": ("abs", 1.0),
    "echem.rate_retention_1C": ("abs", 1.0),
    "echem.cv_cathodic_peak_0.1mVs": ("abs", 0.01),
    "echem.cv_anodic_peak_0.1mVs": ("abs", 0.01),
    "echem.diffusion_lithiation": ("rel", 0.10),
    "echem.diffusion_delithiation": ("rel", 0.10),
}


#: partial-table file stem -> quantity prefix, where they differ
PART_PREFIX = {"xrd": "lebail"}


def judge(quantity: str, value: float, stderr: float, paper: float) -> tuple[bool, str]:
    """Judge one row against its tolerance; return (passed, explanation)."""
    kind, *args = TOLERANCES[quantity]
    if not np.isfinite(value):
        return False, "no value"
    if kind == "abs":
        ok = abs(value - paper) <= args[0]
        return ok, f"|{value:.6g} - {paper:.6g}| <= {args[0]:g}"
    if kind == "rel":
        ok = abs(value - paper) <= args[0] * abs(paper)
        return ok, f"|{value:.6g} - {paper:.6g}| <= {args[0]:.1%} of {paper:.6g}"
    if kind == "esd":
        if not np.isfinite(stderr) or stderr <= 0:
            return False, f"esd {stderr!r} is not a positive number"
        ok = abs(value - paper) <= args[0] * stderr
        return ok, f"|{value:.6g} - {paper:.6g}| <= {args[0]:g} x esd {stderr:.2g}"
    if kind == "range":
        ok = args[0] <= value <= args[1]
        return ok, f"{args[0]:g} <= {value:.6g} <= {args[1]:g}"
    if kind == "positive":
        return value > 0, f"{value:.6g} > 0"
    if kind == "abs_to":
        target, tol, reason = args
        ok = abs(value - target) <= tol
        return ok, f"|{value:.6g} - {target:.6g}| <= {tol:g} ({reason})"
    raise ValueError(f"unknown tolerance kind {kind!r} for {quantity}")


def check(table: pd.DataFrame, required_prefixes: Iterable[str] = ()) -> list[str]:
    """Check a merged reproduction table against :data:`TOLERANCES`.

    Parameters
    ----------
    table : DataFrame
        As written by :func:`merge`.
    required_prefixes : iterable of str
        Technique prefixes (``"musr"``, ``"echem"`` ...) whose rows must all
        have values; rows of other techniques may be empty.

    Returns
    -------
    list of str
        One line per failure (empty when everything passes).
    """
    if list(table.columns) != COLUMNS:
        return [f"columns are {list(table.columns)}, expected {COLUMNS}"]
    if list(table.quantity) != QUANTITIES:
        return ["rows differ from the REFERENCE.md row list"]
    required = tuple(required_prefixes)
    failures = []
    for row in table.itertuples(index=False):
        prefix = row.quantity.split(".")[0]
        if not np.isfinite(row.value):
            if prefix in required:
                failures.append(f"{row.quantity}: no value")
            continue
        ok, why = judge(row.quantity, row.value, row.stderr, row.paper_value)
        if not ok:
            failures.append(f"{row.quantity}: FAILED {why}")
    return failures


def _fmt(value: float, stderr: float) -> str:
    """Value with its esd in parentheses notation where an esd exists (3.3956(6))."""
    if not np.isfinite(value):
        return ""
    if not np.isfinite(stderr) or stderr <= 0:
        return f"{value:.6g}"
    digits = max(
        0,
        -int(math.floor(math.log10(stderr)))
        + (1 if stderr < 2 * 10 ** math.floor(math.log10(stderr)) else 0),
    )
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.4g} +/- {stderr:.2g}"
    scaled = round(stderr * 10**digits)
    return f"{value:.{digits}f}({scaled})"


def render_markdown(table: pd.DataFrame) -> str:
    """Render the reproduction table as Markdown, deviations flagged.

    A row is flagged "DEVIATES" when it fails its demo-data tolerance
    (:data:`TOLERANCES`); a row within tolerance but with |z| > 3 (a
    difference larger than the esds explain) says so; "not produced" when the
    technique did not run.
    """
    lines = [
        "| quantity | this run | paper | unit | z | status |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        if not np.isfinite(row.value):
            status = "not produced"
        else:
            ok, why = judge(row.quantity, row.value, row.stderr, row.paper_value)
            big_z = np.isfinite(row.z) and abs(row.z) > 3
            if not ok:
                status = f"DEVIATES ({why}; z = {row.z:.1f})"
            elif TOLERANCES[row.quantity][0] == "abs_to":
                status = f"ok, see note: {why}"
            elif big_z:
                status = f"within tolerance ({why}), but |z| = {abs(row.z):.1f} > 3"
            else:
                status = "ok"
        status = status.replace("|", "\\|")  # keep the Markdown table intact
        paper = _fmt(row.paper_value, row.paper_stderr) or "positive"
        if row.quantity == "musr.onset_temperature":
            paper = "150-175"
        z = f"{row.z:.2f}" if np.isfinite(row.z) else ""
        value = _fmt(row.value, row.stderr)
        lines.append(f"| {row.quantity} | {value} | {paper} | {row.unit} | {z} | {status} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m intercal.reproduction check TABLE [--require PREFIX ...]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m intercal.reproduction")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="check reproduction.csv against the demo tolerances")
    p.add_argument("table")
    p.add_argument(
        "--require", nargs="*", default=[], help="technique prefixes that must have values"
    )
    p.add_argument(
        "--require-parts",
        metavar="DIR",
        help="require every row of each technique that wrote a partial table in DIR",
    )
    args = parser.parse_args(argv)
    table = pd.read_csv(args.table)
    required = list(args.require)
    if args.require_parts:
        from pathlib import Path

        # partial tables are named after the technique; the Le Bail rows are "lebail.*"
        required += [
            PART_PREFIX.get(p.stem, p.stem) for p in Path(args.require_parts).glob("*.csv")
        ]
    failures = check(table, required)
    for row in table.itertuples(index=False):
        if np.isfinite(row.value):
            ok, why = judge(row.quantity, row.value, row.stderr, row.paper_value)
            print(f"{'ok  ' if ok else 'FAIL'} {row.quantity:40s} {why}")
        else:
            print(f"--   {row.quantity:40s} not produced")
    if failures:
        print(f"{len(failures)} reproduction check(s) failed:")
        for f in failures:
            print("  " + f)
        return 1
    print("reproduction check passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
