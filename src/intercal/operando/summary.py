"""Series-level results: end states of a cycle, expansions, transition x, reversibility.

Works on the per-scan lattice table (one row per scan and phase, joined with
the scan alignment: ``time_s, voltage_V, x, direction, cycle``).

- The *majority cell* of a scan is the cell of its present phase with the
  largest fraction.
- End states of cycle N: the cell at the turning points of x (from the
  cycling trace): *delithiated (start)* = top of the charge before cycle N's
  lithiation (3.0 V), *lithiated* = end of cycle N's lithiation (1.0 V),
  *delithiated (end)* = top of cycle N's charge. A scan averages over ~15 min,
  so no scan sits at the cut-off: each state is the weighted linear fit of
  a, c, V vs x over the scans within ``window_x`` of the turning point,
  evaluated at the turning-point x (:func:`end_state`).
- Expansion = (lithiated - delithiated) / delithiated x 100 %, with propagated esd.
- Transition x: during cycle N's lithiation, the x at which the lithiated
  phase's fraction crosses ``fraction`` (linear interpolation between the two
  bracketing scans; esd from the fraction esds and the local slope).
- Reversibility: the delithiated (end) cell minus the delithiated (start)
  cell, in units of the combined esd, for a and c.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InputError

LATTICE_FRONT = [
    "scan", "time_s", "time_h", "voltage_V", "x", "direction", "cycle", "phase", "present",
    "fraction", "fraction_esd", "a_A", "a_esd_A", "c_A", "c_esd_A", "V_A3", "V_esd_A3",
]  # fmt: skip


def assemble_lattice(
    peaks: pd.DataFrame, alignment: pd.DataFrame, register: bool = True
) -> pd.DataFrame:
    """Join the per-scan peak fits with the scan alignment (time, voltage, x, cycle).

    With ``register`` (continuous scans), a and c are referred to each scan's
    mid-time (:func:`register_times`).

    Raises
    ------
    InputError
        If a fitted scan has no row in the scan log, or a scan was fitted twice.
    """
    dup = peaks.duplicated(["scan", "phase"])
    if dup.any():
        raise InputError(f"scan {int(peaks.loc[dup, 'scan'].iloc[0])} was fitted twice")
    missing = sorted(set(peaks["scan"]) - set(alignment["scan"]))
    if missing:
        raise InputError(
            f"scans {missing[:5]}{' ...' if len(missing) > 5 else ''} have no row in the scan log"
        )
    cols = ["scan", "start_s", "end_s", "time_s", "time_h", "voltage_V", "x", "direction", "cycle"]
    df = peaks.merge(alignment[cols], on="scan", how="left")
    if register:
        df = register_times(df, alignment)
    rest = [c for c in df.columns if c not in LATTICE_FRONT]
    return df[LATTICE_FRONT + rest].sort_values(["scan", "phase"]).reset_index(drop=True)


def register_times(lattice: pd.DataFrame, alignment: pd.DataFrame) -> pd.DataFrame:
    """Build each scan's cell at one moment, its mid-time (continuous scans).

    In a continuous 2theta scan each reflection is recorded at its own time,
    t = start + (2theta - 2theta_first) / (2theta_last - 2theta_first) (end - start),
    so the (00l) giving c and the general reflection giving a are minutes apart.
    For every phase, the fitted positions of the two reflections are
    interpolated linearly in time to the scan's mid-time between the scan and
    its neighbour on that side (the other neighbour, extrapolating, when that
    one lacks the phase), with the esds propagated through the interpolation
    weights; a, c and V are then rebuilt from the two positions at the same
    moment (:func:`intercal.operando.lattice.hex_cell`, with the scan's
    calibration). The phase fraction (from the (00l) area) is interpolated to
    mid-time the same way. A phase seen in one scan only keeps its
    per-reflection values (``time_registered`` False). The moves are kept in
    ``c_time_shift_A`` / ``a_time_shift_A``.
    """
    from .lattice import corrected_two_theta, hex_cell

    df = lattice.copy()
    if "start_s" not in df.columns:
        df = df.merge(alignment[["scan", "start_s", "end_s"]], on="scan", how="left")
    df["c_time_shift_A"] = 0.0
    df["a_time_shift_A"] = 0.0
    df["time_registered"] = False
    need = {"tt_first_deg", "tt_last_deg", "tt_cval_deg", "tt_cval_esd_deg", "l_cval"}
    need |= {"wavelength_A", "a_hkl"}
    if not need <= set(df.columns):
        return df
    span = (df["tt_last_deg"] - df["tt_first_deg"]).to_numpy(float)
    dur = (df["end_s"] - df["start_s"]).to_numpy(float)
    tfirst = df["tt_first_deg"].to_numpy(float)
    start = df["start_s"].to_numpy(float)
    df["_t_c"] = start + (df["tt_cval_deg"].to_numpy(float) - tfirst) / span * dur
    df["_t_a"] = start + (df["tt_a_deg"].to_numpy(float) - tfirst) / span * dur
    df["_t_f"] = start + (df["tt_c_deg"].to_numpy(float) - tfirst) / span * dur
    a_used = df.get("tt_a_used", pd.Series(True, index=df.index)).astype(bool)

    def interp(tq, vq, eq, ok, k, tm):
        """Value/esd of series (tq, vq, eq) at tm, from point k and its neighbour."""
        if not ok[k]:
            return np.nan, np.nan, False
        side = 1 if tm > tq[k] else -1
        j = k + side
        if not (0 <= j < tq.size and ok[j]):
            j = k - side
            if not (0 <= j < tq.size and ok[j]):
                return vq[k], eq[k], False
        u = (tm - tq[k]) / (tq[j] - tq[k])
        val = (1 - u) * vq[k] + u * vq[j]
        esd = np.sqrt(((1 - u) * eq[k]) ** 2 + (u * eq[j]) ** 2)
        return val, esd, True

    for _ph, grp in df[df["present"].astype(bool)].groupby("phase"):
        g = grp.sort_values("time_s")
        idx = g.index.to_numpy()
        tm = g["time_s"].to_numpy(float)
        tc, ta, tf = (g[c].to_numpy(float) for c in ("_t_c", "_t_a", "_t_f"))
        vc = g["tt_cval_deg"].to_numpy(float)
        ec = g["tt_cval_esd_deg"].to_numpy(float)
        lc = g["l_cval"].to_numpy(float)
        va = g["tt_a_deg"].to_numpy(float)
        ea = g["tt_a_esd_deg"].to_numpy(float)
        okc = np.isfinite(vc) & np.isfinite(ec) & np.isfinite(tc)
        okc &= ~g["guard_hit"].astype(bool).to_numpy()
        # one (00l) reflection for c throughout the interpolation
        okc &= lc == np.where(okc, lc, 0).max(initial=0)
        oka = np.isfinite(va) & np.isfinite(ea) & np.isfinite(ta) & okc
        oka &= a_used.loc[idx].to_numpy()
        fr = g["fraction"].to_numpy(float)
        fe = g["fraction_esd"].to_numpy(float)
        okf = np.isfinite(fr) & np.isfinite(tf)
        for k, i in enumerate(idx):
            row = df.loc[i]
            c_tt, c_e, reg_c = interp(tc, vc, ec, okc, k, tm[k])
            a_tt, a_e, reg_a = interp(ta, va, ea, oka, k, tm[k])
            if okf[k] and np.isfinite(fe[k]):
                f, f_e, _ = interp(tf, fr, np.nan_to_num(fe, nan=0.0), okf, k, tm[k])
                df.loc[i, "fraction"] = float(np.clip(f, 0.0, 1.0))
                df.loc[i, "fraction_esd"] = float(f_e) if f_e > 0 else np.nan
            if not (np.isfinite(c_tt) and reg_c):
                continue
            corr = dict(
                zero_shift_deg=float(row.get("cal_zero_shift_deg", 0.0) or 0.0),
                displacement_mm=float(row.get("cal_displacement_mm", 0.0) or 0.0),
                radius_mm=float(row.get("cal_radius_mm", 240.0) or 240.0),
            )
            lam = float(row["wavelength_A"])
            hkl_a = tuple(int(v) for v in str(row["a_hkl"]).split())
            cell = hex_cell(
                float(corrected_two_theta(c_tt, **corr)),
                c_e,
                int(lc[k]),
                float(corrected_two_theta(a_tt, **corr)) if np.isfinite(a_tt) else np.nan,
                a_e,
                hkl_a,
                lam,
                shift_esd=float(row.get("cal_shift_esd_deg", np.nan)),
            )
            old_a, old_c = float(row["a_A"]), float(row["c_A"])
            df.loc[i, "c_time_shift_A"] = cell["c"] - old_c if np.isfinite(old_c) else 0.0
            df.loc[i, "c_A"] = cell["c"]
            df.loc[i, "c_esd_A"] = cell["c_esd"]
            if np.isfinite(cell["a"]):
                df.loc[i, "a_time_shift_A"] = cell["a"] - old_a if np.isfinite(old_a) else 0.0
                df.loc[i, "a_A"] = cell["a"]
                df.loc[i, "a_esd_A"] = cell["a_esd"]
                df.loc[i, "V_A3"] = cell["V"]
                df.loc[i, "V_esd_A3"] = cell["V_esd"]
            df.loc[i, "time_registered"] = bool(reg_c and (reg_a or not np.isfinite(a_tt)))
    return df.drop(columns=["_t_c", "_t_a", "_t_f"])


def majority_cell(lattice: pd.DataFrame) -> pd.DataFrame:
    """One row per scan: the present phase with the largest fraction and its cell."""
    need = {"scan", "phase", "present", "fraction", "a_A", "c_A", "V_A3"}
    miss = need - set(lattice.columns)
    if miss:
        raise InputError(f"lattice table: missing columns {sorted(miss)}")
    pres = lattice[lattice["present"].astype(bool)].copy()
    pres["_f"] = pres["fraction"].fillna(-1.0)
    idx = pres.sort_values(["scan", "_f"], ascending=[True, False]).groupby("scan").head(1).index
    return lattice.loc[idx].sort_values("scan").reset_index(drop=True)


def weighted_state(rows: pd.DataFrame, col: str, esd_col: str) -> tuple[float, float, int]:
    """Weighted mean and esd of ``col`` over ``rows`` (NaN, NaN, 0 when empty)."""
    ok = rows[np.isfinite(rows[col]) & np.isfinite(rows[esd_col]) & (rows[esd_col] > 0)]
    n = len(ok)
    if n == 0:
        return math.nan, math.nan, 0
    w = 1.0 / ok[esd_col].to_numpy() ** 2
    v = ok[col].to_numpy()
    mean = float(np.sum(w * v) / np.sum(w))
    internal = float(1.0 / math.sqrt(np.sum(w)))
    if n > 1:
        chi2 = float(np.sum(w * (v - mean) ** 2) / (n - 1))
        external = internal * math.sqrt(chi2)
        return mean, max(internal, external), n
    return mean, internal, n


def _turns(trace: pd.DataFrame, cells: pd.DataFrame, cycle: int):
    """Times and x of the lithiation end of ``cycle`` and the delithiation ends around it."""

    def lith_turn(n):
        sc = cells[cells["cycle"] == n]
        if sc.empty:
            return math.nan, math.nan
        tr = trace[
            (trace["time_s"] >= sc["time_s"].min()) & (trace["time_s"] <= sc["time_s"].max())
        ]
        k = tr["x"].idxmax()
        return float(tr.loc[k, "time_s"]), float(tr.loc[k, "x"])

    def delith_turn(t0, t1):
        tr = trace[(trace["time_s"] >= t0) & (trace["time_s"] <= t1)]
        if tr.empty:
            return math.nan, math.nan
        k = tr["x"].idxmin()
        return float(tr.loc[k, "time_s"]), float(tr.loc[k, "x"])

    t_l, x_l = lith_turn(cycle)
    if not np.isfinite(t_l):
        raise InputError(f"operando.states.cycle = {cycle}: no scan lies in that cycle")
    t_prev, _ = lith_turn(cycle - 1) if cycle > 1 else (-np.inf, math.nan)
    t_prev = t_prev if np.isfinite(t_prev) else -np.inf
    t_next, _ = lith_turn(cycle + 1)
    t_next = t_next if np.isfinite(t_next) else np.inf
    return {
        "lithiated": (t_l, x_l, -np.inf, np.inf, cycle),
        "delithiated": (*delith_turn(t_prev, t_l), t_prev, t_l, None),
        "delithiated_end": (*delith_turn(t_l, t_next), t_l, t_next, None),
    }


def end_state(
    rows: pd.DataFrame,
    col: str,
    esd_col: str,
    x0: float,
    cal_col: str | None = None,
    group_col: str = "cal_group",
) -> tuple[float, float]:
    """Weighted linear fit of ``col`` vs x over ``rows``, evaluated at ``x0``.

    One or two scans (or no spread in x): their weighted mean. Esd from the fit
    covariance, scaled by sqrt(reduced chi-square) when that exceeds 1 (scatter
    beyond the esds).

    With ``cal_col`` (the calibration part of each esd, e.g. ``c_esd_cal_A``)
    the fit is generalised least squares: scans calibrated together (same
    ``group_col``, e.g. one batch's internal-standard fit) share that error
    fully, so it is not averaged down; scans of different groups are
    independent. Without it all esds are taken as independent.
    """
    ok = rows[np.isfinite(rows[col]) & np.isfinite(rows[esd_col]) & (rows[esd_col] > 0)]
    n = len(ok)
    if n == 0:
        return math.nan, math.nan
    v = ok[col].to_numpy(float)
    e = ok[esd_col].to_numpy(float)
    x = ok["x"].to_numpy(float)
    cal = np.zeros(n)
    if cal_col and cal_col in ok.columns:
        cal = np.nan_to_num(ok[cal_col].to_numpy(float), nan=0.0)
    grp = ok[group_col].astype(str).to_numpy() if group_col in ok.columns else np.arange(n)
    stat2 = np.maximum(e**2 - cal**2, (1e-3 * e) ** 2)
    cov_v = np.diag(stat2) + np.outer(cal, cal) * (grp[:, None] == grp[None, :])
    line = n >= 3 and np.ptp(x) >= 1e-3
    A = np.column_stack([np.ones(n), x - x0]) if line else np.ones((n, 1))
    ci = np.linalg.inv(cov_v)
    cov = np.linalg.inv(A.T @ ci @ A)
    beta = cov @ (A.T @ ci @ v)
    r = v - A @ beta
    dof = n - A.shape[1]
    chi2 = float(r @ ci @ r / dof) if dof > 0 else 1.0
    return float(beta[0]), float(math.sqrt(cov[0, 0] * max(1.0, chi2)))


def select_states(
    cells: pd.DataFrame, trace: pd.DataFrame, cycle: int, window_x: float
) -> dict[str, tuple[pd.DataFrame, float]]:
    """Scans near the three turning points of ``cycle`` and the turning-point x.

    lithiated: scans of the cycle with x >= x_turn - window_x (both sides of
    the end of lithiation); delithiated: scans between the previous and this
    cycle's lithiation end with x <= x_min + window_x; delithiated_end: the same
    after this cycle's lithiation end.
    """
    out = {}
    for name, (_t_turn, x_turn, t0, t1, cyc) in _turns(trace, cells, cycle).items():
        sel = (cells["time_s"] > t0) & (cells["time_s"] < t1)
        if cyc is not None:
            sel &= cells["cycle"] == cyc
            sel &= cells["x"] >= x_turn - window_x
        else:
            sel &= cells["x"] <= x_turn + window_x
        out[name] = (cells[sel], x_turn)
    return out


def _ratio_pct(num, num_e, den, den_e):
    r = (num - den) / den * 100.0
    e = 100.0 * math.hypot(num_e / den, num * den_e / den**2)
    return r, e


def transition_x(
    lattice: pd.DataFrame, cells: pd.DataFrame, lithiated_phase: str, cycle: int, level: float
) -> tuple[float, float]:
    """x where the lithiated phase's fraction first crosses ``level`` in cycle N's lithiation."""
    ph = lattice[lattice["phase"] == lithiated_phase][["scan", "fraction", "fraction_esd"]]
    df = cells[["scan", "x", "cycle", "direction", "time_s"]].merge(ph, on="scan", how="left")
    df = df[(df["cycle"] == cycle) & (df["direction"] == "lithiation")].sort_values("time_s")
    f = df["fraction"].fillna(0.0).to_numpy()
    fe = df["fraction_esd"].to_numpy()
    x = df["x"].to_numpy()
    for i in range(1, len(f)):
        if f[i - 1] < level <= f[i]:
            slope = (f[i] - f[i - 1]) / (x[i] - x[i - 1]) if x[i] != x[i - 1] else math.nan
            xt = x[i - 1] + (level - f[i - 1]) / slope
            e = [v for v in (fe[i - 1], fe[i]) if np.isfinite(v)]
            fesd = max(e) if e else math.nan
            # esd from the fraction esd, but not below the x spacing of the scans / sqrt(12)
            xesd = math.hypot(fesd / abs(slope), (x[i] - x[i - 1]) / math.sqrt(12.0))
            return float(xt), float(xesd)
    return math.nan, math.nan


def summarize(
    lattice: pd.DataFrame,
    trace: pd.DataFrame,
    *,
    cycle: int,
    window_x: float,
    lithiated_phase: str,
    transition_fraction: float = 0.5,
) -> dict:
    """Summary numbers of the series (see module docstring).

    Parameters
    ----------
    lattice : DataFrame
        Per-scan, per-phase table with the alignment columns.
    trace : DataFrame
        Cycling trace ``time_s, x`` (to find the turning points).
    cycle : int
        Cycle whose end states are reported (2 in the reference study).
    window_x : float
        Scans within this x of a turning point enter its end state.
    lithiated_phase : str
        Phase whose fraction defines the transition.
    transition_fraction : float
        Fraction level of the transition.

    Returns
    -------
    dict
        Flat mapping name -> value (with ``*_esd`` keys), plus ``n_*`` scan counts.
    """
    cells = majority_cell(lattice)
    states = select_states(cells, trace, cycle, window_x)
    out: dict = {}
    for name, (rows, x_turn) in states.items():
        for q, col, ecol in (
            ("a", "a_A", "a_esd_A"),
            ("c", "c_A", "c_esd_A"),
            ("V", "V_A3", "V_esd_A3"),
        ):
            m, e = end_state(rows, col, ecol, x_turn, cal_col=ecol.replace("_esd_", "_esd_cal_"))
            out[f"{q}_{name}"] = m
            out[f"{q}_{name}_esd"] = e
        out[f"x_turn_{name}"] = x_turn
        out[f"n_scans_{name}"] = int(len(rows))
        out[f"scans_{name}"] = [int(s) for s in rows["scan"]]
        out[f"phase_{name}"] = sorted(set(rows["phase"]))
    for q in ("a", "c", "V"):
        r, e = _ratio_pct(
            out[f"{q}_lithiated"],
            out[f"{q}_lithiated_esd"],
            out[f"{q}_delithiated"],
            out[f"{q}_delithiated_esd"],
        )
        out[f"{q}_expansion_pct"] = r
        out[f"{q}_expansion_pct_esd"] = e
        d = out[f"{q}_delithiated_end"] - out[f"{q}_delithiated"]
        de = math.hypot(out[f"{q}_delithiated_end_esd"], out[f"{q}_delithiated_esd"])
        out[f"{q}_return_diff"] = d
        out[f"{q}_return_diff_esd"] = de
        out[f"{q}_return_z"] = d / de if de > 0 else math.nan
    xt, xe = transition_x(lattice, cells, lithiated_phase, cycle, transition_fraction)
    out["transition_x"] = xt
    out["transition_x_esd"] = xe
    out["reversible_within_3esd"] = bool(all(abs(out[f"{q}_return_z"]) <= 3.0 for q in ("a", "c")))
    return out


def reproduction_rows(summary: Mapping) -> list[dict]:
    """``operando.*`` rows (quantity, value, stderr, unit) from :func:`summarize`'s output."""
    g = summary.get
    return [
        dict(quantity="operando.a_delithiated", value=g("a_delithiated"),
             stderr=g("a_delithiated_esd"), unit="angstrom"),
        dict(quantity="operando.c_delithiated", value=g("c_delithiated"),
             stderr=g("c_delithiated_esd"), unit="angstrom"),
        dict(quantity="operando.a_lithiated", value=g("a_lithiated"),
             stderr=g("a_lithiated_esd"), unit="angstrom"),
        dict(quantity="operando.c_lithiated", value=g("c_lithiated"),
             stderr=g("c_lithiated_esd"), unit="angstrom"),
        dict(quantity="operando.c_expansion", value=g("c_expansion_pct"),
             stderr=g("c_expansion_pct_esd"), unit="percent"),
        dict(quantity="operando.volume_expansion", value=g("V_expansion_pct"),
             stderr=g("V_expansion_pct_esd"), unit="percent"),
        dict(quantity="operando.transition_x", value=g("transition_x"),
             stderr=g("transition_x_esd"), unit="Li per CrSe2"),
    ]  # fmt: skip
