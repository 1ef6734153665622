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
- Reversibility: the end state of the analysed cycle (delithiated_end for a
  lithiation-first cell, lithiated_end for a delithiation-first one) minus its
  start, in units of the combined esd, for a and c (not against x = 0).
- Transition x only where two phases coexist (else null, with the reason);
  Vegard-like slopes da/dx, dc/dx, dV/dx of every phase over the x range where
  it is alone (a solid solution is summarised by its slopes and expansions).
- Every number carries qc flags (from the scans that enter it, lost-phase
  streaks, ``uncalibrated``) and every null number a reason (``null_reasons``).
- Detection limit: per phase, the smallest fraction its presence test sees
  (``detection_limit_fraction``, :func:`detection_limits`); a minor phase below
  it is reported absent. Scans whose cell esd exceeds ``qc.max_cell_esd_A`` are
  flagged ``imprecise:<phase>`` and counted (``n_imprecise_scans``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tables import qc_text

LATTICE_FRONT = [
    "scan", "time_s", "time_h", "voltage_V", "x", "direction", "cycle", "phase", "present",
    "fraction", "fraction_esd", "a_A", "a_esd_A", "c_A", "c_esd_A", "V_A3", "V_esd_A3",
]  # fmt: skip


def assemble_lattice(
    peaks: pd.DataFrame,
    alignment: pd.DataFrame,
    register: bool = True,
    trace: pd.DataFrame | None = None,
    max_cell_esd: float | None = None,
) -> pd.DataFrame:
    """Join the per-scan peak fits with the scan alignment (time, voltage, x, cycle).

    With ``register`` (continuous scans), a and c are referred to each scan's
    mid-time (:func:`register_times`; with the cycling ``trace`` the
    interpolation runs in the charge coordinate x(t)). With ``max_cell_esd``
    (angstrom, ``operando.qc.max_cell_esd_A``) a present phase whose a or c esd
    exceeds it is flagged ``imprecise:<phase>`` (:func:`flag_imprecise`).

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
    cols += [c for c in ("x_offset",) if c in alignment.columns]
    df = peaks.merge(alignment[cols], on="scan", how="left")
    if register:
        df = register_times(df, alignment, trace)
    if max_cell_esd is not None:
        df = flag_imprecise(df, float(max_cell_esd))
    rest = [c for c in df.columns if c not in LATTICE_FRONT]
    return df[LATTICE_FRONT + rest].sort_values(["scan", "phase"]).reset_index(drop=True)


def flag_imprecise(lattice: pd.DataFrame, max_cell_esd: float) -> pd.DataFrame:
    """Add ``imprecise:<phase>`` to the ``qc`` of present rows whose a or c esd > ``max_cell_esd``.

    A minor phase (a few % of the electrode) has weak reflections: its cell is
    measured, with an honest but large esd. The flag marks the scans whose cell
    cannot meet a per-scan accuracy target of about 3 ``max_cell_esd``.
    """
    df = lattice.copy()
    if "qc" not in df.columns:
        df["qc"] = ""
    qc = qc_text(df["qc"])
    esd = np.fmax(df["a_esd_A"].to_numpy(float), df["c_esd_A"].to_numpy(float))
    bad = df["present"].astype(bool).to_numpy() & (esd > max_cell_esd)
    df["qc"] = [
        ";".join(f for f in (q, f"imprecise:{ph}") if f) if b else q
        for q, ph, b in zip(qc, df["phase"].astype(str), bad, strict=True)
    ]
    return df


def detection_limits(lattice: pd.DataFrame, min_sigma: float) -> dict[str, float]:
    """Smallest fraction of each phase its presence test can see, from the data.

    The presence test needs the (00l) area at ``min_sigma`` esds; in the scans
    where a phase is alone its area/esd is ``presence_sigma`` (median taken), and
    an area's esd hardly changes when the peak shrinks (background-limited), so
    a fraction below ``min_sigma / presence_sigma`` (at the moment the (00l) is
    recorded) is not detected. NaN for a phase never alone.
    """
    out: dict[str, float] = {}
    if "presence_sigma" not in lattice.columns:
        return out
    pres = lattice[lattice["present"].astype(bool)]
    alone = pres.groupby("scan")["phase"].transform("size") == 1
    for ph in lattice["phase"].unique():
        z = pres.loc[alone & (pres["phase"] == ph), "presence_sigma"].to_numpy(float)
        z = z[np.isfinite(z) & (z > 0)]
        out[str(ph)] = float(min_sigma / np.median(z)) if z.size else math.nan
    return out


def register_times(
    lattice: pd.DataFrame, alignment: pd.DataFrame, trace: pd.DataFrame | None = None
) -> pd.DataFrame:
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
    calibration). The phase fraction (from the area of ``reflections.fraction``) is interpolated to
    mid-time the same way. A phase seen in one scan only keeps its
    per-reflection values (``time_registered`` False). The moves are kept in
    ``c_time_shift_A`` / ``a_time_shift_A``.

    With the cycling ``trace`` (``time_s, x``) the interpolation weights are
    taken in x(t), the charge passed, rather than in t: the cell follows the
    ion content, so a scan that straddles a rest or a change of current (where
    the rate of change jumps) is registered correctly; the neighbours are still
    chosen in time.
    """
    from .lattice import hex_cells

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
    # the fraction comes from reflections.fraction (tt_f_deg; older tables: the (00l))
    tt_f = df["tt_f_deg"] if "tt_f_deg" in df.columns else df["tt_c_deg"]
    df["_t_f"] = start + (tt_f.to_numpy(float) - tfirst) / span * dur
    a_used = df.get("tt_a_used", pd.Series(True, index=df.index)).astype(bool)

    if trace is not None and len(trace) > 1:
        tt_tr = trace["time_s"].to_numpy(float)
        xx_tr = trace["x"].to_numpy(float)

        def coord(t):
            return np.interp(t, tt_tr, xx_tr)

    else:

        def coord(t):
            return np.asarray(t, float)

    def interp(tq, vq, eq, ok, tm, qq, qm):
        """Values/esds of series (tq, vq, eq) at the times tm, each from its point and a neighbour.

        Element by element: the neighbour on the side of tm (the other one,
        extrapolating, when that one lacks the phase); no neighbour keeps the point's
        own value (not registered); no change of the coordinate ``qq`` between the
        two (a rest) keeps it too (registered). ``qq`` and ``qm`` are the
        interpolation coordinates of ``tq`` and ``tm``. Returns value, esd, registered.
        """
        n = tq.size
        kk = np.arange(n)
        side = np.where(tm > tq, 1, -1)

        def usable(j):
            inside = (j >= 0) & (j < n)
            return inside & ok[np.clip(j, 0, n - 1)]

        j1, j2 = kk + side, kk - side
        v1 = usable(j1)
        j = np.clip(np.where(v1, j1, j2), 0, n - 1)
        has = v1 | usable(j2)
        qk, qj = qq, qq[j]
        flat = np.abs(qj - qk) < 1e-9 * np.maximum(1.0, np.abs(qk))
        move = has & ~flat
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(move, (qm - qk) / (qj - qk), 0.0)
        val = np.where(move, (1 - u) * vq + u * vq[j], vq)
        esd = np.where(move, np.sqrt(((1 - u) * eq) ** 2 + (u * eq[j]) ** 2), eq)
        val = np.where(ok, val, np.nan)
        esd = np.where(ok, esd, np.nan)
        return val, esd, ok & has

    # results collected in arrays and written once (a 10,000-scan series has 20,000 rows)
    out = {
        k: df[k].to_numpy(float).copy()
        for k in ("fraction", "fraction_esd", "a_A", "a_esd_A", "c_A", "c_esd_A", "V_A3")
        + ("V_esd_A3", "c_time_shift_A", "a_time_shift_A")
    }
    registered = np.zeros(len(df), bool)
    pos = pd.Series(np.arange(len(df)), index=df.index)

    def col(name, default):
        return df[name].to_numpy(float) if name in df.columns else np.full(len(df), default)

    zero = np.nan_to_num(col("cal_zero_shift_deg", 0.0), nan=0.0)
    disp = np.nan_to_num(col("cal_displacement_mm", 0.0), nan=0.0)
    radius, shift_esd = col("cal_radius_mm", 240.0), col("cal_shift_esd_deg", np.nan)
    radius = np.where(np.isfinite(radius) & (radius != 0), radius, 240.0)
    lam_all = df["wavelength_A"].to_numpy(float)
    hkl_all = df["a_hkl"].astype(str).to_numpy()

    def corrected(tt, i):
        # zero shift and displacement of each row's calibration (corrected_two_theta)
        t = tt - zero[i]
        return t + np.degrees(2.0 * disp[i] * np.cos(np.radians(t / 2.0)) / radius[i])

    for _ph, grp in df[df["present"].astype(bool)].groupby("phase"):
        g = grp.sort_values("time_s")
        idx = pos.loc[g.index].to_numpy()
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
        oka &= a_used.loc[g.index].to_numpy()
        fr = g["fraction"].to_numpy(float)
        fe = g["fraction_esd"].to_numpy(float)
        okf = np.isfinite(fr) & np.isfinite(tf)
        fe0 = np.nan_to_num(fe, nan=0.0)
        qc, qa, qf, qm = (np.asarray(coord(t), float) for t in (tc, ta, tf, tm))
        c_tt, c_e, reg_c = interp(tc, vc, ec, okc, tm, qc, qm)
        a_tt, a_e, reg_a = interp(ta, va, ea, oka, tm, qa, qm)
        f, f_e, _ = interp(tf, fr, fe0, okf, tm, qf, qm)
        fsel = okf & np.isfinite(fe)
        out["fraction"][idx[fsel]] = np.clip(f[fsel], 0.0, 1.0)
        out["fraction_esd"][idx[fsel]] = np.where(f_e[fsel] > 0, f_e[fsel], np.nan)
        sel = np.isfinite(c_tt) & reg_c
        if not sel.any():
            continue
        i = idx[sel]
        hkl = np.array([[int(v) for v in str(h).split()] for h in hkl_all[i]], int)
        cell = hex_cells(
            corrected(c_tt[sel], i), c_e[sel], lc[sel], corrected(a_tt[sel], i), a_e[sel],
            hkl, lam_all[i], shift_esd[i],
        )  # fmt: skip
        old_a, old_c = out["a_A"][i], out["c_A"][i]
        out["c_time_shift_A"][i] = np.where(np.isfinite(old_c), cell["c"] - old_c, 0.0)
        out["c_A"][i] = cell["c"]
        out["c_esd_A"][i] = cell["c_esd"]
        has_a = np.isfinite(cell["a"])
        ia = i[has_a]
        out["a_time_shift_A"][ia] = np.where(
            np.isfinite(old_a[has_a]), cell["a"][has_a] - old_a[has_a], 0.0
        )
        out["a_A"][ia] = cell["a"][has_a]
        out["a_esd_A"][ia] = cell["a_esd"][has_a]
        out["V_A3"][ia] = cell["V"][has_a]
        out["V_esd_A3"][ia] = cell["V_esd"][has_a]
        registered[i] = reg_c[sel] & (reg_a[sel] | ~np.isfinite(a_tt[sel]))
    for k, v in out.items():
        df[k] = v
    df["time_registered"] = registered
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


def _turns(trace: pd.DataFrame, cells: pd.DataFrame, cycle: int, first: str = "lithiation"):
    """Turning points of ``cycle``: the turn of its first half-cycle and the states around it.

    For a lithiation-first cell: lithiated = the x maximum of the cycle,
    delithiated = the x minimum between the previous cycle's turn and it,
    delithiated_end = the x minimum after it (before the next cycle's turn).
    For a delithiation-first cell the same with the roles swapped.
    """
    hi_first = first == "lithiation"

    def turn(n):
        sc = cells[cells["cycle"] == n]
        if sc.empty:
            return math.nan, math.nan
        tr = trace[
            (trace["time_s"] >= sc["time_s"].min()) & (trace["time_s"] <= sc["time_s"].max())
        ]
        k = tr["x"].idxmax() if hi_first else tr["x"].idxmin()
        return float(tr.loc[k, "time_s"]), float(tr.loc[k, "x"])

    def other(t0, t1):
        tr = trace[(trace["time_s"] >= t0) & (trace["time_s"] <= t1)]
        if tr.empty:
            return math.nan, math.nan
        k = tr["x"].idxmin() if hi_first else tr["x"].idxmax()
        return float(tr.loc[k, "time_s"]), float(tr.loc[k, "x"])

    t_l, x_l = turn(cycle)
    if not np.isfinite(t_l):
        raise InputError(f"operando.states.cycle = {cycle}: no scan lies in that cycle")
    t_prev, _ = turn(cycle - 1) if cycle > 1 else (-np.inf, math.nan)
    t_prev = t_prev if np.isfinite(t_prev) else -np.inf
    t_next, _ = turn(cycle + 1)
    t_next = t_next if np.isfinite(t_next) else np.inf
    a, b = ("lithiated", "delithiated") if hi_first else ("delithiated", "lithiated")
    return {
        a: (t_l, x_l, -np.inf, np.inf, cycle),
        b: (*other(t_prev, t_l), t_prev, t_l, None),
        f"{b}_end": (*other(t_l, t_next), t_l, t_next, None),
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
    line = n >= 3 and np.ptp(x) >= 1e-3
    A = np.column_stack([np.ones(n), x - x0]) if line else np.ones((n, 1))
    solve = _grouped_cov_solver(stat2, cal, grp)
    ci_a = solve(A)
    cov = np.linalg.inv(A.T @ ci_a)
    beta = cov @ (ci_a.T @ v)
    r = v - A @ beta
    dof = n - A.shape[1]
    chi2 = float(r @ solve(r[:, None])[:, 0] / dof) if dof > 0 else 1.0
    return float(beta[0]), float(math.sqrt(cov[0, 0] * max(1.0, chi2)))


def _grouped_cov_solver(stat2: np.ndarray, cal: np.ndarray, grp: np.ndarray):
    """``M -> C^-1 M`` for ``C = diag(stat2) + sum_g c_g c_g^T``.

    ``c_g`` is ``cal`` on the rows of group ``g`` and 0 elsewhere: a calibration error
    shared fully within a group, independent between groups. ``C`` is block diagonal
    with one rank-one update of a diagonal per block, so each block is inverted by the
    Sherman-Morrison formula, ``B^-1 = D^-1 - D^-1 c c^T D^-1 / (1 + c^T D^-1 c)``,
    in O(n) rather than the O(n^3) of a dense inverse (a few hundred scans per end
    state in a long series).
    """
    _, idx = np.unique(grp, return_inverse=True)
    u = cal / stat2  # D^-1 c
    den = 1.0 + np.bincount(idx, weights=cal * u)

    def solve(m: np.ndarray) -> np.ndarray:
        dm = m / stat2[:, None]
        proj = np.stack(
            [
                np.bincount(idx, weights=cal * dm[:, j], minlength=len(den))
                for j in range(m.shape[1])
            ],
            axis=1,
        )
        return dm - u[:, None] * (proj / den[:, None])[idx]

    return solve


def select_states(
    cells: pd.DataFrame,
    trace: pd.DataFrame,
    cycle: int,
    window_x: float,
    first: str = "lithiation",
) -> dict[str, tuple[pd.DataFrame, float]]:
    """Scans near the three turning points of ``cycle`` and the turning-point x.

    lithiated: scans of the cycle with x >= x_turn - window_x (both sides of
    the end of lithiation); delithiated: scans between the previous and this
    cycle's lithiation end with x <= x_min + window_x; delithiated_end: the same
    after this cycle's lithiation end.
    """
    out = {}
    for name, (_t_turn, x_turn, t0, t1, cyc) in _turns(trace, cells, cycle, first).items():
        sel = (cells["time_s"] > t0) & (cells["time_s"] < t1)
        if cyc is not None:
            sel &= cells["cycle"] == cyc
        if name.startswith("lithiated"):
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
    lattice: pd.DataFrame,
    cells: pd.DataFrame,
    lithiated_phase: str,
    cycle: int,
    level: float,
    min_coexisting: int = 1,
) -> tuple[float, float, str]:
    """x where the lithiated phase's fraction first crosses ``level`` in cycle N's lithiation.

    A transition needs two phases side by side: at least ``min_coexisting`` scans
    of the bracketing pair (or their neighbours) must hold both the lithiated
    phase and another present phase. A crossing between a scan with only one
    phase and a scan with only the other (a phase handed over, e.g. a solid
    solution declared as two end members) gives no transition x.

    Returns
    -------
    x, esd, reason : float, float, str
        ``reason`` is empty when x is defined, else why it is not.
    """
    if lithiated_phase not in set(lattice["phase"]):
        return math.nan, math.nan, f"phase {lithiated_phase!r} is not tracked"
    ph = lattice[lattice["phase"] == lithiated_phase][["scan", "fraction", "fraction_esd"]]
    npres = lattice[lattice["present"].astype(bool)].groupby("scan").size().rename("n_present")
    df = cells[["scan", "x", "cycle", "direction", "time_s"]].merge(ph, on="scan", how="left")
    df = df.merge(npres, on="scan", how="left")
    df = df[(df["cycle"] == cycle) & (df["direction"] == "lithiation")].sort_values("time_s")
    f = df["fraction"].fillna(0.0).to_numpy()
    fe = df["fraction_esd"].to_numpy()
    x = df["x"].to_numpy()
    both = (df["n_present"].fillna(0).to_numpy() >= 2) & (f > 0)
    if len(f) < 2:
        return math.nan, math.nan, f"fewer than two scans in cycle {cycle}'s lithiation"
    for i in range(1, len(f)):
        if f[i - 1] < level <= f[i]:
            near = both[max(i - 2, 0) : i + 2]
            if int(near.sum()) < min_coexisting:
                return (
                    math.nan,
                    math.nan,
                    f"no two-phase coexistence: {lithiated_phase} replaces the other phase "
                    f"between scans {int(df['scan'].iloc[i - 1])} and {int(df['scan'].iloc[i])} "
                    "without both being present (a solid solution or a phase lost by the fit)",
                )
            dx, df_ = x[i] - x[i - 1], f[i] - f[i - 1]
            u = (level - f[i - 1]) / df_
            xt = x[i - 1] + u * dx
            # esd propagated from the two fraction esds through the linear interpolation
            # (a lone phase has fraction 1 by construction: no esd, taken as 0 there)
            e0, e1 = (float(v) if np.isfinite(v) else 0.0 for v in (fe[i - 1], fe[i]))
            xesd = abs(dx / df_) * math.hypot((1.0 - u) * e0, u * e1)
            if not xesd > 0:
                return float(xt), math.nan, ""
            return float(xt), float(xesd), ""
    if not both.any():
        return math.nan, math.nan, "single phase throughout the lithiation (solid solution)"
    return math.nan, math.nan, f"the {lithiated_phase} fraction never crosses {level}"


def slopes(cells: pd.DataFrame, lattice: pd.DataFrame, cycle: int, min_span_x: float = 0.1):
    """Vegard-like slopes da/dx, dc/dx, dV/dx of each phase where it is alone, in ``cycle``.

    Weighted straight-line fit of a, c, V vs x over the scans of the cycle in
    which the phase is the only present phase; esd from the fit covariance,
    scaled by sqrt(reduced chi-square) when that exceeds 1. Phases alone over
    less than ``min_span_x`` in x (or in fewer than 5 scans) are left out.

    Returns
    -------
    dict
        phase -> {"a": (slope, esd), "c": ..., "V": ..., "x_range": (lo, hi), "n": n}
    """
    pres = lattice[lattice["present"].astype(bool)]
    alone = pres.groupby("scan")["phase"].transform("size") == 1
    out = {}
    for ph, g in pres[alone].groupby("phase"):
        g = g[g["cycle"] == cycle] if "cycle" in g.columns else g
        if len(g) < 5 or np.ptp(g["x"].to_numpy(float)) < min_span_x:
            continue
        res = {"x_range": (float(g["x"].min()), float(g["x"].max())), "n": int(len(g))}
        for q, col, ecol in (
            ("a", "a_A", "a_esd_A"),
            ("c", "c_A", "c_esd_A"),
            ("V", "V_A3", "V_esd_A3"),
        ):
            ok = g[np.isfinite(g[col]) & np.isfinite(g[ecol]) & (g[ecol] > 0)]
            if len(ok) < 5:
                res[q] = (math.nan, math.nan)
                continue
            xx = ok["x"].to_numpy(float)
            w = 1.0 / ok[ecol].to_numpy(float) ** 2
            A = np.column_stack([np.ones(len(ok)), xx - xx.mean()])
            cov = np.linalg.inv(A.T @ (A * w[:, None]))
            beta = cov @ (A.T @ (w * ok[col].to_numpy(float)))
            r = ok[col].to_numpy(float) - A @ beta
            chi2 = float(np.sum(w * r * r) / (len(ok) - 2))
            res[q] = (float(beta[1]), float(math.sqrt(cov[1, 1] * max(1.0, chi2))))
        out[str(ph)] = res
    return out


def lost_streaks(lattice: pd.DataFrame, max_lost: int) -> dict[str, int]:
    """Longest run of consecutive scans flagged ``lost:<phase>``, per phase above ``max_lost``."""
    out = {}
    if "qc" not in lattice.columns:
        return out
    for ph, g in lattice.sort_values("scan").groupby("phase"):
        lost = qc_text(g["qc"]).str.contains(f"lost:{ph}", regex=False).to_numpy()
        run = best = 0
        for v in lost:
            run = run + 1 if v else 0
            best = max(best, run)
        if best > max_lost:
            out[str(ph)] = int(best)
    return out


def _flags(rows: pd.DataFrame) -> list[str]:
    """Distinct qc flags of the scans that enter a number.

    ``imprecise:<phase>`` (a scan's esd above ``qc.max_cell_esd_A``) is not carried:
    a number built from several scans has its own esd, which weights them.
    """
    if "qc" not in rows.columns:
        return []
    out: list[str] = []
    for q in qc_text(rows["qc"]):
        for f in q.split(";"):
            if f and f not in out and not f.startswith("imprecise:"):
                out.append(f)
    return out


def summarize(
    lattice: pd.DataFrame,
    trace: pd.DataFrame,
    *,
    cycle: int,
    window_x: float,
    lithiated_phase: str | None,
    transition_fraction: float = 0.5,
    first_direction: str = "lithiation",
    min_coexisting: int = 1,
    max_lost_scans: int = 2,
    calibration_method: str = "",
    x_offset: float = 0.0,
    min_sigma: float = 5.0,
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
    lithiated_phase : str or None
        Phase whose fraction defines the transition (None: no transition sought).
    transition_fraction : float
        Fraction level of the transition.
    first_direction : {"lithiation", "delithiation"}
        Half-cycle that starts a cycle.
    min_coexisting : int
        Scans with two phases needed at a transition.
    max_lost_scans : int
        A phase lost (seen by the ridge pass, rejected by the fit) in more
        consecutive scans is flagged.
    calibration_method : str
        ``none`` marks every cell ``uncalibrated``.
    x_offset : float
        x subtracted by ``cell.x_reset`` (irreversible x of the earlier cycles).
    min_sigma : float
        The presence test's area/esd threshold (``operando.fit.min_sigma``), for
        ``detection_limit_fraction`` (:func:`detection_limits`).

    Returns
    -------
    dict
        Flat mapping name -> value (with ``*_esd`` keys), ``n_*`` scan counts,
        ``qc`` (number -> flags), ``null_reasons`` (number -> why it is null),
        ``slopes`` (phase -> quantity -> [slope, esd]) and ``mode``
        (``two_phase`` / ``solid_solution``).
    """
    cells = majority_cell(lattice)
    states = select_states(cells, trace, cycle, window_x, first_direction)
    out: dict = {}
    qc: dict[str, list[str]] = {}
    why: dict[str, str] = {}
    lost = lost_streaks(lattice, max_lost_scans)
    lost_flags = [f"lost:{p}:{n}_scans" for p, n in lost.items()]
    base = ["uncalibrated"] if calibration_method == "none" else []
    for name, (rows, x_turn) in states.items():
        flags = base + _flags(rows) + lost_flags
        for q, col, ecol in (
            ("a", "a_A", "a_esd_A"),
            ("c", "c_A", "c_esd_A"),
            ("V", "V_A3", "V_esd_A3"),
        ):
            m, e = end_state(rows, col, ecol, x_turn, cal_col=ecol.replace("_esd_", "_esd_cal_"))
            key = f"{q}_{name}"
            out[key] = m
            out[f"{key}_esd"] = e
            qc[key] = list(flags)
            if not np.isfinite(m):
                if rows.empty:
                    why[key] = (
                        f"no scan within {window_x} of x = {x_turn:.3f} at the {name} turning "
                        f"point of cycle {cycle} (operando.states.window_x)"
                    )
                else:
                    why[key] = (
                        f"the {len(rows)} scans at the {name} turning point have no finite {q} "
                        f"(phase absent, fit at a bound or masked: {';'.join(flags) or 'see log'})"
                    )
        out[f"x_turn_{name}"] = x_turn
        out[f"n_scans_{name}"] = int(len(rows))
        out[f"scans_{name}"] = [int(s) for s in rows["scan"]]
        out[f"phase_{name}"] = sorted(set(rows["phase"]))
    end = "delithiated_end" if "delithiated_end" in states else "lithiated_end"
    start = end[: -len("_end")]
    for q in ("a", "c", "V"):
        r, e = _ratio_pct(
            out[f"{q}_lithiated"],
            out[f"{q}_lithiated_esd"],
            out[f"{q}_delithiated"],
            out[f"{q}_delithiated_esd"],
        )
        out[f"{q}_expansion_pct"] = r
        out[f"{q}_expansion_pct_esd"] = e
        qc[f"{q}_expansion_pct"] = sorted(set(qc[f"{q}_lithiated"] + qc[f"{q}_delithiated"]))
        if not np.isfinite(r):
            why[f"{q}_expansion_pct"] = (
                "; ".join(
                    f"{k}: {why[k]}" for k in (f"{q}_lithiated", f"{q}_delithiated") if k in why
                )
                or "end-state esd not estimable"
            )
        d = out[f"{q}_{end}"] - out[f"{q}_{start}"]
        de = math.hypot(out[f"{q}_{end}_esd"], out[f"{q}_{start}_esd"])
        out[f"{q}_return_diff"] = d
        out[f"{q}_return_diff_esd"] = de
        out[f"{q}_return_z"] = d / de if de > 0 else math.nan
    # x of the analysed cycle's end state against its start (not against x = 0)
    dx = out[f"x_turn_{end}"] - out[f"x_turn_{start}"]
    out["x_return_diff"] = dx
    if lithiated_phase:
        xt, xe, reason = transition_x(
            lattice, cells, lithiated_phase, cycle, transition_fraction, min_coexisting
        )
    else:
        xt, xe, reason = math.nan, math.nan, "no operando.transition.phase configured"
    out["transition_x"] = xt
    out["transition_x_esd"] = xe
    qc["transition_x"] = list(base + lost_flags)
    if reason:
        why["transition_x"] = reason
        qc["transition_x"].append("no_coexistence" if "coexist" in reason else "no_transition")
    zs = [out[f"{q}_return_z"] for q in ("a", "c")]
    out["reversible_within_3esd"] = (
        bool(all(abs(z) <= 3.0 for z in zs)) if all(np.isfinite(z) for z in zs) else None
    )
    if out["reversible_within_3esd"] is None:
        why["reversible_within_3esd"] = (
            f"the {end} state of cycle {cycle} or its start has no finite cell "
            f"({why.get(f'a_{end}', why.get(f'a_{start}', 'esd not estimable'))})"
        )
    sl = slopes(cells, _with_cycle(lattice, cells), cycle)
    out["slopes"] = {p: {q: list(v[q]) for q in ("a", "c", "V")} for p, v in sl.items()}
    out["slope_x_range"] = {p: list(v["x_range"]) for p, v in sl.items()}
    two = bool((lattice[lattice["present"].astype(bool)].groupby("scan").size() >= 2).any())
    out["mode"] = "two_phase" if two else "solid_solution"
    out["irreversible_x_before_reset"] = float(x_offset)
    out["lost_phases"] = lost
    out["detection_limit_fraction"] = detection_limits(lattice, min_sigma)
    out["n_imprecise_scans"] = {
        str(ph): int(qc_text(g["qc"]).str.contains(f"imprecise:{ph}").sum())
        for ph, g in lattice.groupby("phase")
    } if "qc" in lattice.columns else {}  # fmt: skip
    out["calibration_method"] = calibration_method
    out["qc"] = {k: ";".join(v) for k, v in qc.items()}
    out["null_reasons"] = why
    return out


def _with_cycle(lattice: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    if "cycle" in lattice.columns:
        return lattice
    return lattice.merge(cells[["scan", "cycle"]], on="scan", how="left")


def reproduction_rows(summary: Mapping, x_unit: str = "x") -> list[dict]:
    """``operando.*`` rows (quantity, value, stderr, unit, qc) from :func:`summarize`'s output.

    Row names are fixed (``operando.a_delithiated`` ...); slopes of phases alone
    over a range of x add ``operando.<phase>.<a|c|V>_slope`` (unit per ``x_unit``).
    """
    g = summary.get
    qc = dict(summary.get("qc", {}))
    rows = [
        ("operando.a_delithiated", "a_delithiated", "a_delithiated", "angstrom"),
        ("operando.c_delithiated", "c_delithiated", "c_delithiated", "angstrom"),
        ("operando.a_lithiated", "a_lithiated", "a_lithiated", "angstrom"),
        ("operando.c_lithiated", "c_lithiated", "c_lithiated", "angstrom"),
        ("operando.c_expansion", "c_expansion_pct", "c_expansion_pct", "percent"),
        ("operando.volume_expansion", "V_expansion_pct", "V_expansion_pct", "percent"),
        ("operando.transition_x", "transition_x", "transition_x", x_unit),
    ]
    out = []
    for name, key, qkey, unit in rows:
        v, e = g(key), g(f"{key}_esd")
        flags = qc.get(qkey, "")
        if v is not None and np.isfinite(v) and not (e is not None and np.isfinite(e)):
            flags = ";".join(f for f in (flags, "esd_nan") if f)
        out.append(dict(quantity=name, value=v, stderr=e, unit=unit, qc=flags))
    units = {"a": "angstrom", "c": "angstrom", "V": "angstrom^3"}
    for ph, d in summary.get("slopes", {}).items():
        for q in ("a", "c", "V"):
            v, e = d[q]
            out.append(
                dict(
                    quantity=f"operando.{ph}.{q}_slope",
                    value=v,
                    stderr=e,
                    unit=f"{units[q]} per ({x_unit})",
                    qc="" if np.isfinite(e) else "esd_nan",
                )
            )
    return out
