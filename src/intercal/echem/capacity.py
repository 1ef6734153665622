"""Galvanostatic cycling: capacities, coulombic efficiency, retention, dQ/dV, rate capability.

All functions take the tidy table of :mod:`intercal.io.echem` (``time_s``,
``voltage_V``, ``current_mA``, ``charge_mAh`` ...). Half cycles are found
from the sign of the charge increments (a reduction segment is a discharge
of the cathode, an oxidation segment a charge), independent of how the
instrument numbers its half cycles; rests (no charge passed) belong to no
segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

from ..errors import InputError

FARADAY = 96485.33212  # C/mol


def theoretical_capacity(formula: str, n_electrons: float = 1.0) -> float:
    """Theoretical specific capacity (mAh/g) = n F / (3.6 M), M from pymatgen's Composition.

    Parameters
    ----------
    formula : str
        Formula the specific capacity refers to (pymatgen notation; M in g/mol).
    n_electrons : float
        Electrons (Li) per formula unit.
    """
    from pymatgen.core import Composition

    try:
        mass = float(Composition(formula).weight)
    except Exception as err:  # pymatgen raises ValueError/KeyError on bad formulas
        raise InputError(f"formula {formula!r} is not a valid chemical formula: {err}") from err
    if n_electrons <= 0:
        raise InputError(f"n_electrons must be > 0, got {n_electrons}")
    return n_electrons * FARADAY / (3.6 * mass)


def active_mass_mg(electrode_mass_mg: float, active_fraction: float) -> float:
    """Active mass (mg) = composite electrode mass x active fraction (no carbon, no binder)."""
    if electrode_mass_mg <= 0 or not 0 < active_fraction <= 1:
        raise InputError(
            f"electrode_mass_mg must be > 0 and active_fraction in (0, 1]; got "
            f"{electrode_mass_mg}, {active_fraction}"
        )
    return electrode_mass_mg * active_fraction


def segments(table: pd.DataFrame, min_charge_mAh: float = 1e-9) -> pd.DataFrame:
    """Split a cycling table into reduction/oxidation segments.

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``direction`` ("discharge" for
        reduction, "charge" for oxidation), ``start``/``stop`` (row slice),
        ``capacity_mAh`` (charge passed, positive), ``v_end_V``.
    """
    for col in ("charge_mAh", "voltage_V"):
        if col not in table:
            raise InputError(f"cycling table lacks column {col!r}")
    q = table["charge_mAh"].to_numpy(float)
    if not np.all(np.isfinite(q)):
        raise InputError("cycling table has non-finite charge_mAh values")
    dq = np.diff(q, prepend=q[0])
    sign = np.sign(np.where(np.abs(dq) > min_charge_mAh, dq, 0.0))
    rows = []
    cur, start, cap = 0, 0, 0.0
    last_active = 0
    for k in range(len(q)):
        s = sign[k]
        if s == 0:
            continue
        if s != cur:
            if cur != 0:
                rows.append((cur, start, last_active + 1, cap))
            cur, start, cap = s, k - 1 if k > 0 else 0, 0.0
        cap += abs(dq[k])
        last_active = k
    if cur != 0:
        rows.append((cur, start, last_active + 1, cap))
    v = table["voltage_V"].to_numpy(float)
    out = pd.DataFrame(
        {
            "segment": np.arange(len(rows)),
            "direction": ["discharge" if r[0] < 0 else "charge" for r in rows],
            "start": [r[1] for r in rows],
            "stop": [r[2] for r in rows],
            "capacity_mAh": [r[3] for r in rows],
            "v_end_V": [v[r[2] - 1] for r in rows],
        }
    )
    return out


def _completion(
    seg: pd.DataFrame, tol_V: float, window_V: Sequence[float] | None = None
) -> np.ndarray:
    """True for half cycles that ended at their voltage limit.

    A half cycle followed by one of the other direction was ended by the
    instrument at its limit. The last half cycle of a file (or one followed by
    a rest and nothing else) is complete only when its end voltage is within
    ``tol_V`` of the median end voltage of the followed half cycles of the same
    direction; with no such reference it cannot be checked and counts as
    incomplete. With the cell's ``window_V`` (lower, upper limit in V) a half
    cycle ending within ``tol_V`` of its limit is complete as well.
    """
    n = len(seg)
    followed = np.zeros(n, bool)
    followed[:-1] = seg["direction"].to_numpy()[1:] != seg["direction"].to_numpy()[:-1]
    out = followed.copy()
    for k in np.flatnonzero(~followed):
        same = (seg["direction"] == seg["direction"].iloc[k]).to_numpy() & followed
        if same.any():
            ref = float(np.median(seg["v_end_V"].to_numpy()[same]))
            out[k] = abs(float(seg["v_end_V"].iloc[k]) - ref) <= tol_V
        if window_V is not None:
            lim = min(window_V) if seg["direction"].iloc[k] == "discharge" else max(window_V)
            out[k] |= abs(float(seg["v_end_V"].iloc[k]) - lim) <= tol_V
    return out


def cycle_table(
    table: pd.DataFrame,
    mass_mg: float,
    first: str = "discharge",
    *,
    completion_tol_V: float = 0.05,
    window_V: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Per-cycle capacities, coulombic efficiency, irreversible capacity and retention.

    A cycle is a half cycle of direction ``first`` and the half cycle of the
    other direction that follows it. A half cycle of the other direction
    before the first ``first`` one (a run that opens with a partial discharge
    from OCV, say) is cycle 0 and enters no ratio; one below 0.1 % of the
    median half cycle (current noise at the start) is ignored.

    Parameters
    ----------
    table : DataFrame
        Tidy cycling table.
    mass_mg : float
        Active mass (mg) for specific capacities.
    first : {"discharge", "charge"}
        The half cycle that opens a cycle: "discharge" for a delithiated
        cathode or an anode vs Li (reduction first), "charge" for a lithiated
        cathode such as LiCoO2 (oxidation first).
    completion_tol_V : float
        Tolerance (V) of the end-of-half-cycle check (see ``_completion``).
    window_V : (float, float), optional
        The protocol's voltage limits (V), when known.

    Returns
    -------
    DataFrame
        ``cycle`` (1-based; 0 for a leading partial half cycle),
        ``first_half`` (direction), ``discharge_mAh``, ``charge_mAh``,
        ``discharge_mAh_g``, ``charge_mAh_g``, ``discharge_end_V``,
        ``charge_end_V``, ``discharge_complete``, ``charge_complete`` (bool),
        ``coulombic_efficiency_percent`` (second half cycle / first, %),
        ``irreversible_mAh_g`` (first - second half cycle, mAh/g) and
        ``retention_percent`` (discharge vs cycle 1, %).
    """
    if mass_mg <= 0:
        raise InputError(f"active mass must be > 0 mg, got {mass_mg}")
    if first not in ("discharge", "charge"):
        raise InputError(f"first half cycle must be 'discharge' or 'charge', got {first!r}")
    seg = segments(table)
    if seg.empty:
        raise InputError("no charge or discharge segment found (no charge passed)")
    complete = _completion(seg, completion_tol_V, window_V)
    idx = np.flatnonzero(seg["direction"].to_numpy() == first)
    if idx.size == 0:
        raise InputError(f"no {first} segment in the table")
    other = "charge" if first == "discharge" else "discharge"
    nan = np.nan

    def half(i: int | None) -> tuple[float, float, bool]:
        if i is None:
            return nan, nan, False
        r = seg.iloc[i]
        return float(r["capacity_mAh"]), float(r["v_end_V"]), bool(complete[i])

    rows = []
    # leading half cycle(s) of the other direction: cycle 0, unless it is a blip of current
    # noise (< 0.1 % of the median half cycle), which belongs to no cycle
    lead = int(idx[0]) - 1 if idx[0] > 0 else None
    if lead is not None and seg["capacity_mAh"].iloc[lead] < 1e-3 * float(
        np.median(seg["capacity_mAh"])
    ):
        lead = None
    if lead is not None:
        q, v, c = half(lead)
        rows.append({"cycle": 0, other: (q, v, c), first: (nan, nan, False)})
    for n, i in enumerate(idx):
        j = i + 1 if i + 1 < len(seg) and seg.iloc[i + 1]["direction"] == other else None
        rows.append({"cycle": n + 1, first: half(int(i)), other: half(j)})
    out = pd.DataFrame({"cycle": [r["cycle"] for r in rows]})
    out["first_half"] = first
    for d in ("discharge", "charge"):
        out[f"{d}_mAh"] = [r[d][0] for r in rows]
        out[f"{d}_end_V"] = [r[d][1] for r in rows]
        out[f"{d}_complete"] = [r[d][2] for r in rows]
    g = mass_mg / 1000.0
    out["discharge_mAh_g"] = out["discharge_mAh"] / g
    out["charge_mAh_g"] = out["charge_mAh"] / g
    q1, q2 = out[f"{first}_mAh"], out[f"{other}_mAh"]
    out["coulombic_efficiency_percent"] = 100.0 * q2 / q1
    out["irreversible_mAh_g"] = (q1 - q2) / g
    ref = out.loc[out["cycle"] == 1, "discharge_mAh"].iloc[0]
    out["retention_percent"] = 100.0 * out["discharge_mAh"] / ref
    cols = ["cycle", "first_half", "discharge_mAh", "charge_mAh", "discharge_mAh_g"]
    cols += ["charge_mAh_g", "discharge_end_V", "charge_end_V", "discharge_complete"]
    cols += ["charge_complete", "coulombic_efficiency_percent", "irreversible_mAh_g"]
    cols += ["retention_percent"]
    return out[cols]


def cycle_row(cycles: pd.DataFrame, cycle: int, *, need: Sequence[str], what: str) -> pd.Series:
    """The row of ``cycle`` after checking it exists and its ``need`` half cycles completed.

    Raises
    ------
    InputError
        Naming ``what`` (the cell or file), the cycle asked for and what was found.
    """
    sel = cycles[cycles["cycle"] == cycle]
    if sel.empty:
        last = int(cycles["cycle"].max()) if len(cycles) else 0
        raise InputError(f"{what}: cycle {cycle} asked for, but the data end at cycle {last}")
    row = sel.iloc[0]
    bad = [d for d in need if not bool(row[f"{d}_complete"])]
    if bad:
        raise InputError(
            f"{what}: the {' and '.join(bad)} of cycle {cycle} did not complete (ended at "
            + ", ".join(f"{row[f'{d}_end_V']:.3f} V" for d in bad)
            + ", short of the limit reached by the other cycles)"
        )
    return row


def curves(table: pd.DataFrame, mass_mg: float, first: str = "discharge") -> pd.DataFrame:
    """Voltage vs specific capacity within each half cycle (for GCD plots).

    Returns ``cycle`` (numbered as in :func:`cycle_table`: a leading half cycle
    of the other direction is cycle 0), ``direction``, ``capacity_mAh_g``
    (from 0 in each half cycle) and ``voltage_V``.
    """
    seg = segments(table)
    q = table["charge_mAh"].to_numpy(float)
    v = table["voltage_V"].to_numpy(float)
    parts = []
    n = 0
    for row in seg.itertuples(index=False):
        if row.direction == first:
            n += 1
        sl = slice(row.start, row.stop)
        parts.append(
            pd.DataFrame(
                {
                    "cycle": n,
                    "direction": row.direction,
                    "capacity_mAh_g": np.abs(q[sl] - q[row.start]) / (mass_mg / 1000.0),
                    "voltage_V": v[sl],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def dqdv(
    capacity: np.ndarray,
    voltage: np.ndarray,
    *,
    step_V: float = 0.005,
    window: int = 11,
    polyorder: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """dQ/dV of one half cycle, on a uniform voltage grid.

    Q(V) is interpolated onto a grid of ``step_V`` (V), then differentiated
    with a Savitzky-Golay filter (``window`` points, ``polyorder``), which
    keeps peak positions (unlike a moving average that shifts them on
    asymmetric peaks).

    Returns
    -------
    (V, dQdV)
        Grid (V) and |dQ/dV| (capacity units per V).
    """
    order = np.argsort(voltage)
    v = np.asarray(voltage, float)[order]
    q = np.asarray(capacity, float)[order]
    # monotone Q(V): keep the running extreme in the sweep direction
    q = np.maximum.accumulate(q) if q[-1] >= q[0] else np.minimum.accumulate(q)
    v_u, idx = np.unique(v, return_index=True)
    q_u = q[idx]
    if v_u.size < window:
        raise InputError(f"half cycle has {v_u.size} distinct voltages; need >= {window}")
    grid = np.arange(v_u[0], v_u[-1], step_V)
    qg = np.interp(grid, v_u, q_u)
    d = savgol_filter(qg, window, polyorder, deriv=1, delta=step_V)
    return grid, np.abs(d)


def plateau_split(
    capacity: np.ndarray,
    voltage: np.ndarray,
    *,
    v_range: tuple[float, float],
    step_V: float = 0.005,
    window: int = 11,
    polyorder: int = 3,
) -> dict[str, float]:
    """Split a discharge into plateau and slope capacity at the inflection.

    The inflection is the voltage of minimum |dQ/dV| between the plateau
    and the slope (searched within ``v_range``, V); the capacity passed above
    it is the plateau part. ``step_V``, ``window``, ``polyorder``: the dQ/dV
    smoothing of :func:`dqdv`.

    Returns
    -------
    dict
        ``inflection_V``, ``plateau_mAh_g``, ``slope_mAh_g``,
        ``plateau_fraction`` (same capacity unit as the input).
    """
    grid, d = dqdv(capacity, voltage, step_V=step_V, window=window, polyorder=polyorder)
    m = (grid >= min(v_range)) & (grid <= max(v_range))
    if not m.any() or grid.min() > min(v_range) or grid.max() < max(v_range):
        raise InputError(f"discharge does not cover the inflection search range {v_range} V")
    v_inf = float(grid[m][np.argmin(d[m])])
    cap = np.asarray(capacity, float)
    v = np.asarray(voltage, float)
    plateau = float(np.interp(-v_inf, -v, cap))  # discharge: V decreases with capacity
    total = float(cap[-1])
    return {
        "inflection_V": v_inf,
        "plateau_mAh_g": plateau,
        "slope_mAh_g": total - plateau,
        "plateau_fraction": plateau / total,
    }


def rate_capability(
    cycles: pd.DataFrame, steps: Sequence[Mapping[str, float]], *, what: str = "rate test"
) -> pd.DataFrame:
    """Mean discharge capacity per C-rate step and its % of the first (reference) step.

    Parameters
    ----------
    cycles : DataFrame
        From :func:`cycle_table` (cycle 0, a leading partial half cycle, is skipped).
    steps : sequence of mapping
        The protocol's steps in order, each ``{"c_rate": float, "cycles": int}``;
        a rate may repeat (back to the first rate) and steps may differ in length.
    what : str
        Name of the cell for error messages.

    Returns
    -------
    DataFrame
        ``step``, ``c_rate``, ``first_cycle``, ``last_cycle``, ``n_cycles``,
        ``discharge_mAh_g`` (mean), ``stderr_mAh_g`` (standard error of the
        mean, NaN for a one-cycle step), ``retention_percent`` (vs step 1) and
        ``retention_stderr_percent`` (both step errors propagated).

    Raises
    ------
    InputError
        When the data hold fewer cycles than the steps need, or a discharge of
        a step did not complete.
    """
    full = cycles[cycles["cycle"] >= 1].reset_index(drop=True)
    need = int(sum(int(s_["cycles"]) for s_ in steps))
    if len(full) < need:
        raise InputError(
            f"{what}: {len(full)} cycles in the data; the configured {len(steps)} steps need {need}"
        )
    rows, k0 = [], 0
    for k, st in enumerate(steps):
        n = int(st["cycles"])
        sel = full.iloc[k0 : k0 + n]
        k0 += n
        bad = sel.loc[~sel["discharge_complete"].astype(bool), "cycle"].tolist()
        if bad:
            raise InputError(f"{what}: discharge of cycle(s) {bad} (step {k + 1}) did not complete")
        q = sel["discharge_mAh_g"].to_numpy(float)
        rows.append(
            {
                "step": k + 1,
                "c_rate": float(st["c_rate"]),
                "first_cycle": int(sel["cycle"].iloc[0]),
                "last_cycle": int(sel["cycle"].iloc[-1]),
                "n_cycles": n,
                "discharge_mAh_g": float(np.mean(q)),
                "stderr_mAh_g": float(np.std(q, ddof=1) / np.sqrt(q.size))
                if q.size > 1
                else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    q0, e0 = out["discharge_mAh_g"].iloc[0], out["stderr_mAh_g"].iloc[0]
    out["retention_percent"] = 100.0 * out["discharge_mAh_g"] / q0
    rel = np.hypot(out["stderr_mAh_g"] / out["discharge_mAh_g"], e0 / q0)
    out["retention_stderr_percent"] = out["retention_percent"] * rel
    out.loc[0, "retention_stderr_percent"] = 0.0 if np.isfinite(e0) else np.nan
    return out


def dqdv_cycles(
    curves_table: pd.DataFrame, *, step_V: float = 0.005, window: int = 11, polyorder: int = 3
) -> pd.DataFrame:
    """dQ/dV of every complete-enough half cycle of a curves table (:func:`curves`).

    Returns
    -------
    DataFrame
        ``cycle``, ``direction``, ``voltage_V`` (uniform grid, ``step_V``),
        ``dqdv_mAh_g_V`` (|dQ/dV|, Savitzky-Golay derivative over ``window``
        grid points of order ``polyorder``). Half cycles with fewer distinct
        voltages than the window are skipped.
    """
    parts = []
    for (cyc, direction), g in curves_table.groupby(["cycle", "direction"], sort=False):
        try:
            v, d = dqdv(
                g["capacity_mAh_g"].to_numpy(),
                g["voltage_V"].to_numpy(),
                step_V=step_V,
                window=window,
                polyorder=polyorder,
            )
        except InputError:
            continue
        parts.append(
            pd.DataFrame({"cycle": cyc, "direction": direction, "voltage_V": v, "dqdv_mAh_g_V": d})
        )
    if not parts:
        return pd.DataFrame(columns=["cycle", "direction", "voltage_V", "dqdv_mAh_g_V"])
    return pd.concat(parts, ignore_index=True)


def dqdv_peaks(
    dq: pd.DataFrame, *, min_prominence: float = 0.1, half_width_V: float = 0.03
) -> pd.DataFrame:
    """Peaks of dQ/dV per half cycle with positions and esds.

    A peak is a local maximum of |dQ/dV| whose prominence is at least
    ``min_prominence`` x the half cycle's maximum. Its position is the vertex
    of a parabola least-squares fitted to the grid points within
    ``half_width_V`` of the maximum; the esd comes from the parabola's
    covariance scaled by its residual variance and propagated to the vertex
    (delta method). The smoothed points are correlated, so this esd measures
    the peak's shape noise, not the cell-to-cell spread.

    Returns
    -------
    DataFrame
        ``cycle``, ``direction``, ``peak``, ``voltage_V``, ``voltage_stderr_V``,
        ``height_mAh_g_V``, ``qc`` ("" or "esd_nan").
    """
    from scipy.signal import find_peaks

    rows = []
    for (cyc, direction), g in dq.groupby(["cycle", "direction"], sort=False):
        v = g["voltage_V"].to_numpy(float)
        y = g["dqdv_mAh_g_V"].to_numpy(float)
        if y.size < 5 or not np.any(y > 0):
            continue
        idx, _ = find_peaks(y, prominence=min_prominence * float(np.max(y)))
        for n, k in enumerate(idx):
            m = np.abs(v - v[k]) <= half_width_V
            x = v[m] - v[k]
            pos, esd, qc = float(v[k]), np.nan, "esd_nan"
            if m.sum() >= 5:
                a = np.column_stack([x**2, x, np.ones_like(x)])
                coef, *_ = np.linalg.lstsq(a, y[m], rcond=None)
                r = y[m] - a @ coef
                cov = float(r @ r) / (m.sum() - 3) * np.linalg.inv(a.T @ a)
                c2, c1 = coef[0], coef[1]
                if c2 < 0 and abs(-c1 / (2 * c2)) <= half_width_V:
                    x0 = -c1 / (2 * c2)
                    grad = np.array([c1 / (2 * c2**2), -1 / (2 * c2), 0.0])
                    pos = float(v[k] + x0)
                    esd = float(np.sqrt(grad @ cov @ grad))
                    qc = "" if np.isfinite(esd) and esd > 0 else "esd_nan"
            rows.append(
                {
                    "cycle": int(cyc),
                    "direction": direction,
                    "peak": n + 1,
                    "voltage_V": pos,
                    "voltage_stderr_V": esd,
                    "height_mAh_g_V": float(y[k]),
                    "qc": qc,
                }
            )
    cols = ["cycle", "direction", "peak", "voltage_V", "voltage_stderr_V", "height_mAh_g_V", "qc"]
    return pd.DataFrame(rows, columns=cols)
