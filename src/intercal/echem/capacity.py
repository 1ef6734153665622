"""Galvanostatic cycling: capacities, coulombic efficiency, retention, dQ/dV, rate capability.

All functions take the tidy table of :mod:`intercal.io.echem` (``time_s``,
``voltage_V``, ``current_mA``, ``charge_mAh`` ...). Half cycles are found
from the sign of the charge increments (a reduction segment is a discharge
of the cathode, an oxidation segment a charge), independent of how the
instrument numbers its half cycles; rests (no charge passed) belong to no
segment.
"""

from __future__ import annotations

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
        Host formula, e.g. ``"CrSe2"`` (M in g/mol).
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
    """Active mass (mg) = composite electrode mass x active fraction (no graphite/binder)."""
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


def cycle_table(table: pd.DataFrame, mass_mg: float, first: str = "discharge") -> pd.DataFrame:
    """Per-cycle discharge/charge capacities, coulombic efficiency and retention.

    Parameters
    ----------
    table : DataFrame
        Tidy cycling table.
    mass_mg : float
        Active mass (mg) for specific capacities.
    first : {"discharge", "charge"}
        The half cycle that opens a cycle (a cathode from the pristine state
        starts with a discharge; an anode half cell vs Li with a lithiation,
        also a reduction).

    Returns
    -------
    DataFrame
        ``cycle`` (1-based), ``discharge_mAh``, ``charge_mAh``,
        ``discharge_mAh_g``, ``charge_mAh_g``, ``coulombic_efficiency_percent``
        (charge/discharge, %), ``retention_percent`` (discharge vs cycle 1, %).
    """
    if mass_mg <= 0:
        raise InputError(f"active mass must be > 0 mg, got {mass_mg}")
    seg = segments(table)
    if seg.empty:
        raise InputError("no charge or discharge segment found (no charge passed)")
    idx = np.flatnonzero(seg["direction"].to_numpy() == first)
    if idx.size == 0:
        raise InputError(f"no {first} segment in the table")
    other = "charge" if first == "discharge" else "discharge"
    rows = []
    for n, i in enumerate(idx):
        d = seg.iloc[i]
        nxt = (
            seg.iloc[i + 1] if i + 1 < len(seg) and seg.iloc[i + 1]["direction"] == other else None
        )
        q1 = float(d["capacity_mAh"])
        q2 = float(nxt["capacity_mAh"]) if nxt is not None else np.nan
        qd, qc = (q1, q2) if first == "discharge" else (q2, q1)
        rows.append({"cycle": n + 1, "discharge_mAh": qd, "charge_mAh": qc})
    out = pd.DataFrame(rows)
    out["discharge_mAh_g"] = out["discharge_mAh"] / (mass_mg / 1000.0)
    out["charge_mAh_g"] = out["charge_mAh"] / (mass_mg / 1000.0)
    out["coulombic_efficiency_percent"] = 100.0 * out["charge_mAh"] / out["discharge_mAh"]
    out["retention_percent"] = 100.0 * out["discharge_mAh"] / out["discharge_mAh"].iloc[0]
    return out


def curves(table: pd.DataFrame, mass_mg: float) -> pd.DataFrame:
    """Voltage vs specific capacity within each half cycle (for GCD plots).

    Returns ``cycle``, ``direction``, ``capacity_mAh_g`` (from 0 in each half
    cycle) and ``voltage_V``.
    """
    seg = segments(table)
    q = table["charge_mAh"].to_numpy(float)
    v = table["voltage_V"].to_numpy(float)
    parts = []
    n_dis = 0
    for row in seg.itertuples(index=False):
        if row.direction == "discharge":
            n_dis += 1
        sl = slice(row.start, row.stop)
        parts.append(
            pd.DataFrame(
                {
                    "cycle": max(n_dis, 1),
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
    capacity: np.ndarray, voltage: np.ndarray, *, v_range: tuple[float, float] = (1.9, 2.5)
) -> dict[str, float]:
    """Split a discharge into plateau and slope capacity at the inflection.

    The inflection is the voltage of minimum |dQ/dV| between the plateau
    and the slope (searched within ``v_range``, V); the capacity passed above
    it is the plateau part.

    Returns
    -------
    dict
        ``inflection_V``, ``plateau_mAh_g``, ``slope_mAh_g``,
        ``plateau_fraction`` (same capacity unit as the input).
    """
    grid, d = dqdv(capacity, voltage)
    m = (grid >= v_range[0]) & (grid <= v_range[1])
    if not m.any():
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


def rate_capability(cycles: pd.DataFrame, c_rates: list[float], per_step: int) -> pd.DataFrame:
    """Mean discharge capacity per C-rate step and its % of the first (slowest) step.

    Parameters
    ----------
    cycles : DataFrame
        From :func:`cycle_table`.
    c_rates : list of float
        C-rate of each step, in order (a rate may repeat, e.g. back to 0.1 C).
    per_step : int
        Cycles per step.

    Returns
    -------
    DataFrame
        ``step``, ``c_rate``, ``discharge_mAh_g`` (mean), ``stderr_mAh_g``
        (standard error of the mean), ``retention_percent`` (vs step 1).
    """
    need = len(c_rates) * per_step
    if len(cycles) < need:
        raise InputError(
            f"rate test has {len(cycles)} cycles; the config's {len(c_rates)} steps x "
            f"{per_step} cycles need {need}"
        )
    rows = []
    for k, c in enumerate(c_rates):
        q = cycles["discharge_mAh_g"].to_numpy()[k * per_step : (k + 1) * per_step]
        rows.append(
            {
                "step": k + 1,
                "c_rate": c,
                "discharge_mAh_g": float(np.mean(q)),
                "stderr_mAh_g": float(np.std(q, ddof=1) / np.sqrt(q.size))
                if q.size > 1
                else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["retention_percent"] = 100.0 * out["discharge_mAh_g"] / out["discharge_mAh_g"].iloc[0]
    return out
