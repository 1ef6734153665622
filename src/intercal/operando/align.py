"""Put the scans on the cell's clock: time, mean voltage, x and half-cycle per scan.

The scan log gives each scan's start and end, either as seconds on a clock
whose offset to the cycling file is known (``clock_offset_s``: the cell
time_s at which the scan clock reads 0) or as absolute date-times, which are
referred to the cycling file's "Acquisition started on" header. The charge
passed is integrated from the current (trapezoid rule), so it does not depend
on how an instrument resets its own charge counter; the Li content is

    x(t) = x0 + s * Q(t) * 3.6 / (F * n),   n = m_active / M(formula)

with s = +1 when lithiation is the negative current (a cathode vs Li, the
BioLogic convention) and Q in mAh. Each scan gets the time average of the
voltage and of x over its acquisition interval.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InputError

FARADAY = 96485.33212  # C/mol


def molar_mass(formula: str) -> float:
    """Molar mass (g/mol) of ``formula`` via pymatgen's Composition."""
    from pymatgen.core import Composition

    try:
        return float(Composition(formula).weight)
    except Exception as err:  # pymatgen raises several types for bad formulas
        raise InputError(f"operando.cell.host_formula: cannot parse {formula!r}: {err}") from err


def cumulative_charge_mAh(time_s: np.ndarray, current_mA: np.ndarray) -> np.ndarray:
    """Cumulative charge (mAh, signed like the current) by the trapezoid rule."""
    t = np.asarray(time_s, float)
    i = np.asarray(current_mA, float)
    q = np.concatenate([[0.0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))])
    return q / 3600.0


def _interval_mean(t, y, t0, t1):
    """Time average of the piecewise-linear y(t) over [t0, t1] (arrays of intervals).

    The exact integral of the linear interpolant (trapezoids), from its running
    integral; an empty interval (t1 <= t0) gives y(t0).
    """
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    t0 = np.asarray(t0, float)
    t1 = np.asarray(t1, float)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(t))])

    def integral(tq):
        # running integral up to tq: whole trapezoids to the sample before tq, then the
        # part-trapezoid to tq
        k = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, t.size - 1)
        yq = np.interp(tq, t, y)
        return cum[k] + 0.5 * (y[k] + yq) * (tq - t[k])

    y0 = np.interp(t0, t, y)
    span = t1 - t0
    ok = span > 0
    out = y0.copy()
    out[ok] = (integral(t1[ok]) - integral(t0[ok])) / span[ok]
    return out


def parse_acquisition_start(text: str, source: str = "cycling file") -> pd.Timestamp:
    """Parse a BioLogic 'Acquisition started on' value (MM/DD/YYYY HH:MM:SS[.fff])."""
    for fmt in ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return pd.Timestamp(pd.to_datetime(text.strip(), format=fmt))
        except (ValueError, TypeError):
            continue
    raise InputError(
        f"{source}: 'Acquisition started on' = {text!r}; expected MM/DD/YYYY HH:MM:SS[.fff]"
    )


def scan_times(
    log: pd.DataFrame,
    *,
    columns: Mapping[str, str],
    clock_offset_s: float | None = None,
    cell_start: pd.Timestamp | None = None,
    source: str = "scan log",
) -> pd.DataFrame:
    """Scan number, start and end (s on the cycling file's clock) from a scan log.

    Parameters
    ----------
    log : DataFrame
        The scan log as read from its CSV.
    columns : mapping
        Names of the ``scan``, ``start`` and ``end`` columns in ``log``.
    clock_offset_s : float, optional
        For numeric start/end: cell time_s at scan-clock zero.
    cell_start : Timestamp, optional
        For date-time start/end: the cycling file's acquisition start.
    source : str
        Name used in messages.

    Returns
    -------
    DataFrame
        ``scan, start_s, end_s`` sorted as in the log.

    Raises
    ------
    InputError
        Missing columns, unparsable times, end before start, scan numbers
        repeated or not increasing, or no way to put the times on the cell clock.
    """
    key = "file" if "file" in columns and "scan" not in columns else "scan"
    for role in (key, "start", "end"):
        col = columns.get(role, role)
        if col not in log.columns:
            raise InputError(
                f"{source}: no column {col!r} (operando.scan_log_columns.{role}); "
                f"columns are {list(log.columns)}"
            )
    if key == "file":
        from .scans import scan_number

        scan = np.array([scan_number(str(f)) for f in log[columns["file"]].astype(str)], dtype=int)
    else:
        raw = log[columns.get("scan", "scan")]
        num = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero(~np.isfinite(num.to_numpy(float)) | (num % 1 != 0).to_numpy())
        if bad.size:
            raise InputError(
                f"{source}: scan numbers must be integers; line {bad[0] + 2} has "
                f"{raw.iloc[bad[0]]!r} (a log keyed by file name: set "
                "operando.scan_log_columns.file instead of scan)"
            )
        scan = num.to_numpy().astype(int)
    order = np.argsort(scan, kind="stable")
    if np.any(np.diff(scan[order]) == 0):
        i = int(np.flatnonzero(np.diff(scan[order]) == 0)[0])
        raise InputError(f"{source}: scan {scan[order][i]} appears twice")
    out = {}
    for role in ("start", "end"):
        col = log[columns.get(role, role)]
        if pd.api.types.is_numeric_dtype(col):
            if clock_offset_s is None:
                raise InputError(
                    f"{source}: column {col.name!r} holds seconds; set operando.clock_offset_s "
                    "(cell time_s at scan-clock zero) to put the scans on the cell's clock"
                )
            out[role] = col.to_numpy(float) + clock_offset_s
        else:
            try:
                ts = pd.to_datetime(col, format="ISO8601")
            except (ValueError, TypeError) as err:
                raise InputError(
                    f"{source}: column {col.name!r} is neither seconds nor ISO date-times ({err})"
                ) from err
            if cell_start is None:
                raise InputError(
                    f"{source}: column {col.name!r} holds date-times but the cycling file has no "
                    "acquisition start; set operando.clock_offset_s instead"
                )
            out[role] = (ts - cell_start).dt.total_seconds().to_numpy(float) + (
                clock_offset_s or 0.0
            )
    bad = np.flatnonzero(~(out["end"] >= out["start"]))
    if bad.size:
        raise InputError(
            f"{source}: scan {scan[bad[0]]} ends before it starts (or a time is missing)"
        )
    df = pd.DataFrame({"scan": scan, "start_s": out["start"], "end_s": out["end"]})
    return df.iloc[order].reset_index(drop=True)


def li_content(
    time_s: np.ndarray,
    current_mA: np.ndarray,
    active_mass_mg: float,
    host_formula: str,
    starting_x: float,
    lithiation_current: str = "negative",
) -> np.ndarray:
    """x(t) = x0 + s Q(t) 3.6 / (F n): ions per formula unit from the charge passed.

    Parameters
    ----------
    time_s, current_mA : ndarray
        Cycling record (s, mA).
    active_mass_mg : float
        Active mass (mg).
    host_formula : str
        Formula per which x is counted (molar mass from pymatgen).
    starting_x : float
        x at the first point.
    lithiation_current : {"negative", "positive"}
        Sign of the inserting current.
    """
    sign = -1.0 if lithiation_current == "negative" else 1.0
    n_mol = active_mass_mg / 1000.0 / molar_mass(host_formula)
    q = cumulative_charge_mAh(time_s, current_mA)
    return starting_x + sign * q * 3.6 / (FARADAY * n_mol)


def align_scans(
    scans: pd.DataFrame,
    cycling: pd.DataFrame,
    *,
    active_mass_mg: float,
    host_formula: str,
    starting_x: float,
    lithiation_current: str = "negative",
    rest_current_mA: float = 1e-6,
    source: str = "cycling file",
    first_direction: str = "lithiation",
    x_reset: Mapping | None = None,
) -> pd.DataFrame:
    """Time, mean voltage, x, current direction and cycle for every scan.

    Parameters
    ----------
    scans : DataFrame
        ``scan, start_s, end_s`` on the cycling clock (:func:`scan_times`).
    cycling : DataFrame
        Tidy cycling table with ``time_s, voltage_V, current_mA``.
    active_mass_mg : float
        Active mass (mg).
    host_formula : str
        Host formula (pymatgen Composition), x counted per formula unit.
    starting_x : float
        x at the start of the cycling file.
    lithiation_current : {"negative", "positive"}
        Sign of the current that inserts the ion.
    rest_current_mA : float
        |I| below this counts as rest.
    source : str
        Name used in messages.
    first_direction : {"lithiation", "delithiation"}
        Direction that starts a cycle (the cell's first current step).
    x_reset : mapping, optional
        ``{cycle: N, x: x0}``: x is shifted so that it equals x0 at the start of
        cycle N (:func:`cycling_x`); the shift is returned in ``df.attrs``.

    Returns
    -------
    DataFrame
        ``scan, start_s, end_s, time_s, time_h, voltage_V, current_mA, x,
        direction`` (lithiation / delithiation / rest) and ``cycle`` (1 for the
        first half-cycle in ``first_direction`` and the one after it, ...);
        ``attrs["x_offset"]`` is the x subtracted by the reset (0 without it).
    """
    for col in ("time_s", "voltage_V", "current_mA"):
        if col not in cycling.columns:
            raise InputError(f"{source}: no column {col!r}; columns are {list(cycling.columns)}")
    if lithiation_current not in ("negative", "positive"):
        raise InputError(
            f"operando.cell.lithiation_current is {lithiation_current!r}; "
            "expected 'negative' or 'positive'"
        )
    if not active_mass_mg > 0:
        raise InputError(f"operando.cell.active_mass_mg must be > 0, got {active_mass_mg}")
    t, v, cur, x, cyc, x_off = cycling_x(
        cycling,
        active_mass_mg=active_mass_mg,
        host_formula=host_formula,
        starting_x=starting_x,
        lithiation_current=lithiation_current,
        rest_current_mA=rest_current_mA,
        source=source,
        first_direction=first_direction,
        x_reset=x_reset,
    )
    sign = -1.0 if lithiation_current == "negative" else 1.0
    first = 1 if first_direction == "lithiation" else -1
    lo, hi = t[0], t[-1]
    start = scans["start_s"].to_numpy(float)
    end = scans["end_s"].to_numpy(float)
    outside = (start < lo - 1e-6) | (end > hi + 1e-6)
    if outside.any():
        r = scans[outside].iloc[0]
        raise InputError(
            f"scan {r.scan}: acquisition {r.start_s:.0f}-{r.end_s:.0f} s lies outside the "
            f"cycling record ({lo:.0f}-{hi:.0f} s); check operando.clock_offset_s"
        )
    mid = 0.5 * (start + end)
    imean = _interval_mean(t, cur, start, end)
    d = np.where(np.abs(imean) <= rest_current_mA, 0, np.where(sign * imean > 0, 1, -1))
    j = np.minimum(np.searchsorted(t, mid), t.size - 1)
    j2 = np.minimum(np.searchsorted(t, end), t.size - 1)
    out = {
        "scan": scans["scan"].to_numpy().astype(int),
        "start_s": start,
        "end_s": end,
        "time_s": mid,
        "time_h": mid / 3600.0,
        "voltage_V": _interval_mean(t, v, start, end),
        "current_mA": imean,
        "x": _interval_mean(t, x, start, end),
        "direction": np.array(["rest", "lithiation", "delithiation"])[np.where(d == -1, 2, d)],
        # a half-cycle that starts a cycle within the scan belongs to the new cycle
        "cycle": np.where(d == first, np.asarray(cyc)[j2], np.asarray(cyc)[j]).astype(int),
    }
    df = pd.DataFrame(out)
    df.attrs["x_offset"] = x_off
    return df


def cycling_x(
    cycling: pd.DataFrame,
    *,
    active_mass_mg: float,
    host_formula: str,
    starting_x: float,
    lithiation_current: str = "negative",
    rest_current_mA: float = 1e-6,
    source: str = "cycling file",
    first_direction: str = "lithiation",
    x_reset: Mapping | None = None,
):
    """Check the cycling record; x, direction and cycle at every record point.

    Cycles: cycle k starts at the k-th half-cycle in ``first_direction``
    (before the first one: cycle 0). With ``x_reset = {cycle: N, x: x0}`` x is
    shifted so that it equals x0 at the first point of cycle N: the charge
    counted before it that did not come back (irreversible capacity of the
    earlier cycles) no longer enters x; the shift (x counted - x reset) is returned.

    Returns
    -------
    time_s, voltage_V, current_mA, x, cycle : ndarray
    x_offset : float

    Raises
    ------
    InputError
        Missing columns, non-finite time/voltage/current (naming the data rows),
        decreasing time, a bad option, or a reset cycle that is not in the record.
    """
    for col in ("time_s", "voltage_V", "current_mA"):
        if col not in cycling.columns:
            raise InputError(f"{source}: no column {col!r}; columns are {list(cycling.columns)}")
    if lithiation_current not in ("negative", "positive"):
        raise InputError(
            f"operando.cell.lithiation_current is {lithiation_current!r}; "
            "expected 'negative' or 'positive'"
        )
    if first_direction not in ("lithiation", "delithiation"):
        raise InputError(
            f"operando.cell.first_direction is {first_direction!r}; "
            "expected 'lithiation' or 'delithiation'"
        )
    if not active_mass_mg > 0:
        raise InputError(f"operando.cell.active_mass_mg must be > 0, got {active_mass_mg}")
    for col in ("time_s", "voltage_V", "current_mA"):
        vals = pd.to_numeric(cycling[col], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(vals))
        if bad.size:
            rows = ", ".join(str(int(i) + 1) for i in bad[:5])
            raise InputError(
                f"{source}: {col} is missing or not a number in {bad.size} data row(s) "
                f"({rows}{' ...' if bad.size > 5 else ''}; rows counted from 1 after the "
                "header); expected a finite value in every row (x is integrated from the current)"
            )
    t = cycling["time_s"].to_numpy(float)
    if np.any(np.diff(t) < 0):
        i = int(np.argmax(np.diff(t) < 0))
        raise InputError(f"{source}: time_s decreases at data row {i + 2} ({t[i + 1]} < {t[i]})")
    v = cycling["voltage_V"].to_numpy(float)
    cur = cycling["current_mA"].to_numpy(float)
    sign = -1.0 if lithiation_current == "negative" else 1.0
    x = li_content(t, cur, active_mass_mg, host_formula, starting_x, lithiation_current)
    direction = np.where(
        np.abs(cur) <= rest_current_mA, 0, np.where(sign * cur > 0, 1, -1)
    )  # 1 lithiation, -1 delithiation
    first = 1 if first_direction == "lithiation" else -1
    cyc = np.zeros(t.size, int)
    k = 0
    prev = 0
    for j, d in enumerate(direction):
        if d == first and prev != first:
            k += 1
        if d != 0:
            prev = d
        cyc[j] = k
    x_off = 0.0
    if x_reset:
        n = int(x_reset["cycle"])
        hit = np.flatnonzero(cyc == n)
        if not hit.size:
            raise InputError(
                f"operando.cell.x_reset.cycle = {n}: the cycling record {source} has cycles "
                f"1-{int(cyc.max())}"
            )
        x_off = float(x[hit[0]] - float(x_reset.get("x", 0.0)))
        x = x - x_off
    return t, v, cur, x, cyc, x_off


def theoretical_capacity_mAh_g(host_formula: str, n_ions: float = 1.0) -> float:
    """n F / (3.6 M): capacity (mAh/g) for ``n_ions`` per formula unit."""
    return n_ions * FARADAY / (3.6 * molar_mass(host_formula))


__all__ = [
    "align_scans",
    "cumulative_charge_mAh",
    "molar_mass",
    "parse_acquisition_start",
    "scan_times",
    "theoretical_capacity_mAh_g",
]
