"""Synthetic operando XRD of a CrSe2 | Li half cell over two cycles (1.0-3.0 V, ~C/10).

Writes, under ``data_dir/operando/``:

* ``scans/scan_0001.xye`` ... - one continuous 2theta scan (12-36 deg, 0.02 deg step, Cu Ka)
  per ~15 min, numbered in time order;
* ``scan_log.csv`` - ``scan, file, start_time, end_time, start_time_s, end_time_s``: ISO 8601
  local wall-clock times of the diffractometer PC and the same instants in seconds since the
  start of the cycling file (``Acquisition started on`` in ``cell.mpt``); both clocks agree;
* ``cell.mpt`` - the cell's galvanostatic cycling, a BioLogic EC-Lab GCPL text export
  (written with :func:`intercal.simulate.biologic.write_mpt`);
* ``ground_truth_operando.csv`` - per-scan truth (x, voltage, phase fractions, a, c, V).

Physics encoded (REFERENCE.md, "Operando XRD"):

* ``x`` in Li_xCrSe2 follows the charge passed (C/10 for 1 Li = 127.7 mAh/g), except that in
  the first discharge 4.5 % of the charge goes into side reactions (first-cycle irreversible
  loss: the counted x runs 0.046 ahead of the true x from then on); the voltage is a
  plateau near 2.6 V for x < 0.5 and a slope down to 1.0 V (half the capacity each); the
  charge curve mirrors it with ~0.1 V hysteresis.
* A Li-poor phase (CrSe2-like, a = 3.452, c = 5.869 A) with constant cell for x < 0.5; a
  Li-rich phase (LiCrSe2-like) appears around x = 0.5 (two-phase coexistence, fraction
  ``0.5 (1 + tanh((x - 0.5)/0.035))``) with a = 3.6313, c = 6.1878 A, then expands linearly in
  x to a = 3.691, c = 6.294 A at the 1.0 V end of discharge (x = 0.981); the same path is
  followed backwards on charge (reversible).
* Each scan is continuous: every 2theta point is measured at its own time within the scan,
  so the pattern is evaluated at five instants per scan and interpolated in time per point.
* Fixed reflections that never move: the electrode's graphite 002 (26.5 deg; graphite is
  inert above 0.25 V) and the polyethylene 110 / 200 lines (21.6 / 24.0 deg) of the cell's
  polymer laminate/separator. The Be-window lines (Be 100/002/101, 45.9-52.8 deg) and the
  Al current-collector 111 (38.5 deg) fall outside the 12-36 deg window.
* Ka1/Ka2, TCH pseudo-Voigt, axial divergence, zero shift, specimen displacement,
  preferred orientation, Chebyshev + hump background (electrolyte/polymer), Poisson counts
  (:mod:`intercal.simulate.powder`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from intercal.simulate import powder
from intercal.simulate.biologic import gcpl_settings, write_mpt

#: stream constant for numpy.random.default_rng([seed, RNG_KEY])
RNG_KEY = 3002

#: Faraday constant in mAh/mol
F_MAH = 26801.4
M_CRSE2 = 51.9961 + 2 * 78.971
Q_THEO = F_MAH / M_CRSE2  # mAh/g for 1 Li per CrSe2 (127.66)
C_RATE = 0.1
ACTIVE_MASS_MG = 4.50
AREA_CM2 = 0.785
CURRENT_MA = C_RATE * 127.7 * ACTIVE_MASS_MG / 1000.0  # C/10 on the nominal 127.7 mAh/g

CELL_START = datetime(2025, 3, 3, 9, 30, 0)
REST_S = 1800.0
FIRST_SCAN_S = 300.0
SCAN_S = 900.0
PERIOD_S = 945.0
TT_START, TT_STEP, TT_N = 12.0, 0.02, 1201  # 12.00 ... 36.00 deg
N_SUB = 5  # instants per scan at which the pattern is evaluated

#: lattice truth (angstrom)
DELITH = {"a": 3.452, "c": 5.869}
LITH = {"a": 3.691, "c": 6.294}
BETA0_FRACTION = 0.75  # Li-rich phase appears 75 % of the way from DELITH to LITH
X_TRANSITION = 0.5
COEXIST_WIDTH = 0.035
X_LITHIATED = 125.3 / 127.7  # x at the 1.0 V end of discharge (nominal)
#: share of the first discharge's charge that goes into side reactions (SEI) instead of Li
#: insertion: the counted x runs ahead of the true x by 0.046 at the end of the first
#: discharge (first-cycle coulombic efficiency ~95 %); later half-cycles are loss-free
FIRST_DISCHARGE_LOSS = 0.045

GRAPHITE_WEIGHT_FRACTION = 0.10
B_ISO = {"Cr": 0.45, "Se": 0.65, "Li": 1.2, "C": 0.8}
PE_LINES = [  # orthorhombic polyethylene, a = 7.417, b = 4.945 A
    {"hkl": (1, 1, 0), "d": 4.1143, "rel_area": 1.0},
    {"hkl": (2, 0, 0), "d": 3.7085, "rel_area": 0.32},
]
PE_AREA_COUNTS_DEG = 260.0
PE_PROFILE = powder.Profile(U=0.004, V=-0.002, W=0.0012, X=0.0, Y=0.33)
PROFILE_ALPHA = powder.Profile(U=0.006, V=-0.003, W=0.0020, X=0.040, Y=0.090)
PROFILE_BETA = powder.Profile(U=0.006, V=-0.003, W=0.0020, X=0.060, Y=0.110)
PROFILE_GRAPHITE = powder.Profile(U=0.006, V=-0.003, W=0.0020, X=0.020, Y=0.180)
INSTRUMENT = powder.Instrument(
    zero_shift_deg=-0.008, displacement_mm=0.030, s_over_l=0.015, h_over_l=0.015, soller_rad=0.02
)
BACKGROUND = powder.Background((520.0, -60.0, 35.0, -10.0), 260.0, 23.0, 9.0)
PEAK_COUNTS = 3000.0  # net counts of the strongest CrSe2 line of the pristine electrode


# --------------------------------------------------------------------------- electrochemistry
def _smooth_step(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(np.asarray(x) - X_TRANSITION) / 0.015))


def v_discharge(x: np.ndarray) -> np.ndarray:
    """Discharge voltage (V) vs x: plateau ~2.6 V for x < 0.5, then a slope to 1.0 V."""
    x = np.asarray(x, dtype=float)
    plateau = 2.585 - 0.06 * (x - 0.25) + 0.30 * np.exp(-x / 0.012)
    u = np.clip((x - X_TRANSITION) / (X_LITHIATED - X_TRANSITION), 0.0, None)
    slope = 2.45 - 1.45 * u**1.25
    w = _smooth_step(x)
    return (1.0 - w) * plateau + w * slope


def v_charge(x: np.ndarray) -> np.ndarray:
    """Charge voltage (V) vs x: the discharge curve plus hysteresis, rising to 3.0 V near x=0."""
    x = np.asarray(x, dtype=float)
    return v_discharge(x) + 0.08 + 0.06 * _smooth_step(x) + 0.6 * np.exp(-(x + 0.01) / 0.01)


def _crossing(f, target: float, lo: float, hi: float) -> float:
    """x in [lo, hi] where the monotonic f(x) crosses ``target`` (bisection)."""
    flo = f(lo) - target
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (f(mid) - target) * flo > 0:
            lo, flo = mid, f(mid) - target
        else:
            hi = mid
    return 0.5 * (lo + hi)


def x_per_mAh() -> float:
    """Change of x per mAh passed (1/mAh)."""
    return M_CRSE2 / (F_MAH * ACTIVE_MASS_MG / 1000.0)


def protocol() -> list[dict]:
    """Segments of the experiment: rest, then discharge/charge x 2 (times in s).

    ``x0``/``x1`` are the true Li contents; in the first discharge only
    1 - FIRST_DISCHARGE_LOSS of the charge inserts Li, so it lasts longer.
    """
    segs = [{"kind": "rest", "t0": 0.0, "t1": REST_S, "x0": 0.0, "x1": 0.0, "cycle": 0}]
    t, x = REST_S, 0.0
    rate = CURRENT_MA / 3600.0 * x_per_mAh()  # dx/dt (1/s)
    for cycle in range(2):
        x_end = _crossing(lambda v: float(v_discharge(v)), 1.0, x, 1.2)
        dt = (x_end - x) / (rate * (1.0 - (FIRST_DISCHARGE_LOSS if cycle == 0 else 0.0)))
        segs.append({"kind": "discharge", "t0": t, "t1": t + dt, "x0": x, "x1": x_end})
        segs[-1]["cycle"] = cycle
        t, x = t + dt, x_end
        x_end = _crossing(lambda v: float(v_charge(v)), 3.0, 0.0, x)
        dt = (x - x_end) / rate
        segs.append({"kind": "charge", "t0": t, "t1": t + dt, "x0": x, "x1": x_end})
        segs[-1]["cycle"] = cycle
        t, x = t + dt, x_end
    return segs


def state(t: np.ndarray, segs: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True x, voltage (V) and segment index at times t (s since the cell start)."""
    t = np.asarray(t, dtype=float)
    x = np.zeros_like(t)
    v = np.zeros_like(t)
    idx = np.zeros(t.shape, dtype=int)
    for i, s in enumerate(segs):
        m = (
            (t >= s["t0"]) & (t <= s["t1"])
            if i == len(segs) - 1
            else (t >= s["t0"]) & (t < s["t1"])
        )
        frac = (t[m] - s["t0"]) / (s["t1"] - s["t0"])
        x[m] = s["x0"] + frac * (s["x1"] - s["x0"])
        idx[m] = i
        if s["kind"] == "rest":
            v[m] = 2.935 + 0.025 * np.exp(-(t[m] - s["t0"]) / 600.0)
        elif s["kind"] == "discharge":
            v[m] = v_discharge(x[m])
        else:
            v[m] = v_charge(x[m])
    return x, v, idx


def counted_x(t: np.ndarray, segs: list[dict]) -> np.ndarray:
    """x counted from the charge passed (what a cycler integrates), at times t (s)."""
    t = np.asarray(t, dtype=float)
    rate = CURRENT_MA / 3600.0 * x_per_mAh()
    out = np.zeros_like(t)
    x = 0.0
    for s in segs:
        sign = {"rest": 0.0, "discharge": 1.0, "charge": -1.0}[s["kind"]]
        m = (t >= s["t0"]) & (t <= s["t1"])
        out[m] = x + sign * rate * (t[m] - s["t0"])
        x += sign * rate * (s["t1"] - s["t0"])
    return out


def _gcpl_table(segs: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    """EC-Lab GCPL rows, recorded every 60 s or 5 mV (plus segment ends)."""
    rows = []
    q_total = 0.0
    for half, s in enumerate(segs):
        n_dense = int(math.ceil((s["t1"] - s["t0"]) / 5.0))
        tt = np.linspace(s["t0"], s["t1"], n_dense + 1)
        _, vv, _ = state(tt, [s])
        keep = [0]
        for k in range(1, n_dense):
            if abs(vv[k] - vv[keep[-1]]) >= 0.005 or tt[k] - tt[keep[-1]] >= 60.0:
                keep.append(k)
        keep.append(n_dense)
        t = tt[keep]
        v = vv[keep] + rng.normal(0.0, 3e-4, len(keep))
        if s["kind"] == "rest":
            i_set, mode, ns, ox = 0.0, 3, 0, 0
        elif s["kind"] == "discharge":
            i_set, mode, ns, ox = -CURRENT_MA, 1, 1, 0
        else:
            i_set, mode, ns, ox = CURRENT_MA, 1, 2, 1
        i_rec = i_set * (1.0 + 1e-4 * rng.standard_normal(len(keep))) if i_set else 0.0 * t
        dq = np.r_[0.0, 0.5 * (i_rec[1:] + i_rec[:-1]) * np.diff(t) / 3600.0]
        q_half = np.cumsum(dq)
        block = pd.DataFrame(
            {
                "mode": mode,
                "ox/red": ox,
                "error": 0,
                "control changes": np.r_[1, np.zeros(len(t) - 1, dtype=int)],
                "Ns changes": np.r_[1 if half else 0, np.zeros(len(t) - 1, dtype=int)],
                "counter inc.": 0,
                "Ns": ns,
                "time/s": t,
                "control/V/mA": i_set,
                "Ewe/V": v,
                "I/mA": i_rec,
                "dq/mA.h": dq,
                "(Q-Qo)/mA.h": q_total + q_half,
                "half cycle": half,
                "Q charge/discharge/mA.h": q_half,
                "cycle number": float(s["cycle"]),
            }
        )
        rows.append(block)
        q_total += q_half[-1]
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- crystallography
def lattice(x: np.ndarray) -> dict[str, np.ndarray]:
    """True phase fractions and lattice parameters (angstrom) of both phases vs x."""
    x = np.asarray(x, dtype=float)
    f_beta = 0.5 * (1.0 + np.tanh((x - X_TRANSITION) / COEXIST_WIDTH))
    prog = BETA0_FRACTION + (1 - BETA0_FRACTION) * np.clip(
        (x - X_TRANSITION) / (X_LITHIATED - X_TRANSITION), 0.0, 1.0
    )
    out = {
        "fraction_CrSe2": 1.0 - f_beta,
        "fraction_LiCrSe2": f_beta,
        "a_CrSe2_A": np.full_like(x, DELITH["a"]),
        "c_CrSe2_A": np.full_like(x, DELITH["c"]),
        "a_LiCrSe2_A": DELITH["a"] + prog * (LITH["a"] - DELITH["a"]),
        "c_LiCrSe2_A": DELITH["c"] + prog * (LITH["c"] - DELITH["c"]),
        "li_occupancy_LiCrSe2": prog,
    }
    for p in ("CrSe2", "LiCrSe2"):
        out[f"volume_{p}_A3"] = math.sqrt(3) / 2 * out[f"a_{p}_A"] ** 2 * out[f"c_{p}_A"]
    return out


def _se_z(a: float, c: float, bond: float) -> float:
    return math.sqrt(bond**2 - a**2 / 3.0) / c


def _phases(lat: dict, k: int, scale_per_fu: float) -> list[powder.Phase]:
    """Phases at one instant (index k of the arrays in ``lat``)."""
    a1, c1 = float(lat["a_CrSe2_A"][k]), float(lat["c_CrSe2_A"][k])
    a2, c2 = float(lat["a_LiCrSe2_A"][k]), float(lat["c_LiCrSe2_A"][k])
    occ = float(lat["li_occupancy_LiCrSe2"][k])
    s1 = powder.hexagonal_structure(
        ["Cr", "Se"], [[0, 0, 0], [1 / 3, 2 / 3, _se_z(a1, c1, 2.47)]], a1, c1
    )
    bond2 = 2.47 + occ * (2.54 - 2.47)
    s2 = powder.hexagonal_structure(
        ["Cr", "Se", {"Li": occ}],
        [[0, 0, 0], [1 / 3, 2 / 3, _se_z(a2, c2, bond2)], [0, 0, 0.5]],
        a2,
        c2,
    )
    out = []
    for name, s, f, prof in (
        ("CrSe2", s1, lat["fraction_CrSe2"][k], PROFILE_ALPHA),
        ("LiCrSe2", s2, lat["fraction_LiCrSe2"][k], PROFILE_BETA),
    ):
        if f < 1e-4:
            continue
        # cells per CrSe2 f.u. (one Cr per cell) over V: I ~ (n_cells / V) m |F|^2 LP
        scale = scale_per_fu * float(f) / s.lattice.volume
        bi = {el: B_ISO[el] for el in B_ISO if el in s.composition}
        out.append(powder.Phase(name, s, scale, prof, march_dollase=0.8, b_iso=bi))
    return out


def _fixed_lines(scale_per_fu: float, graphite) -> list[dict]:
    """Lines that never move: the electrode's graphite 002 and the polyethylene laminate."""
    # graphite: weight fraction relative to CrSe2 -> moles of graphite cells per CrSe2 f.u.
    g_cells = (GRAPHITE_WEIGHT_FRACTION / (1 - GRAPHITE_WEIGHT_FRACTION)) * (
        M_CRSE2 / graphite.composition.weight
    )
    gph = powder.Phase(
        "graphite",
        graphite,
        scale_per_fu * g_cells / graphite.lattice.volume,
        PROFILE_GRAPHITE,
        march_dollase=0.65,
        b_iso={"C": B_ISO["C"]},
    )
    lines = powder.line_list([gph], INSTRUMENT, (TT_START, TT_START + TT_STEP * (TT_N - 1)))
    inst = INSTRUMENT
    for pe in PE_LINES:
        for comp, lam, ratio in (
            ("Ka1", inst.wavelength1, 1.0),
            ("Ka2", inst.wavelength2, inst.ka2_ratio),
        ):
            tt = float(powder.two_theta_deg(pe["d"], lam))
            fwhm, eta = PE_PROFILE.widths(tt)
            lines.append(
                {
                    "phase": "polyethylene",
                    "hkl": pe["hkl"],
                    "multiplicity": 0,
                    "component": comp,
                    "d": pe["d"],
                    "two_theta_bragg": tt,
                    "two_theta_obs": tt + float(inst.shift_deg(tt)),
                    "area": PE_AREA_COUNTS_DEG * pe["rel_area"] * ratio,
                    "fwhm": float(fwhm),
                    "eta": float(eta),
                    "po_factor": 1.0,
                }
            )
    return lines


def _settings() -> list:
    """GCPL settings: a 30 min rest (Ns 0), discharge to 1.0 V (Ns 1), charge to 3.0 V (Ns 2)."""
    rows = gcpl_settings(
        [0.0, -CURRENT_MA, CURRENT_MA],
        [3.0, 1.0, 3.0],
        record_dE_mV=5.0,
        record_dt_s=60.0,
        n_cycles=1,
    )
    fixed = {
        "I sign": ["> 0", "< 0", "> 0"],
        "tM (h:m:s)": ["0:30:0.0000", "0:00:0.0000", "0:00:0.0000"],
        "goto Ns'": ["0", "0", "1"],
    }
    return [(k, fixed.get(k, v)) for k, v in rows]


def _iso(t_s: float) -> str:
    return (CELL_START + timedelta(seconds=float(t_s))).isoformat(timespec="seconds")


def generate(data_dir: Path, seed: int) -> dict:
    """Write the operando XRD scan series, scan log and cycling file; return the truth.

    Parameters
    ----------
    data_dir : pathlib.Path
        The demo data folder (``data/``).
    seed : int
        Master seed; this module draws from ``default_rng([seed, 3002])``.

    Returns
    -------
    dict
        Summary of the ground truth (plain python types); the per-scan truth is in
        ``operando/ground_truth_operando.csv``.
    """
    out = Path(data_dir) / "operando"
    (out / "scans").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, RNG_KEY])
    segs = protocol()
    t_end = segs[-1]["t1"]
    n_scans = int((t_end - FIRST_SCAN_S - SCAN_S) // PERIOD_S) + 1
    tt = TT_START + TT_STEP * np.arange(TT_N)
    lo_hi = (float(tt[0]), float(tt[-1]))

    graphite = powder.hexagonal_structure(
        ["C", "C"], [[0, 0, 0.25], [1 / 3, 2 / 3, 0.25]], 2.464, 6.711, "P6_3/mmc"
    )
    # calibrate the scale on the pristine electrode
    lat0 = lattice(np.array([0.0]))
    lines0 = powder.line_list(_phases(lat0, 0, 1.0), INSTRUMENT, lo_hi)
    k_scale = PEAK_COUNTS / powder.render_lines(tt, lines0, INSTRUMENT).max()
    fixed = powder.render_lines(tt, _fixed_lines(k_scale, graphite), INSTRUMENT)
    bkg = BACKGROUND(tt, *lo_hi)
    # acquisition time of each point within a scan (s from the scan start)
    t_point = (np.arange(TT_N) + 0.5) / TT_N * SCAN_S
    t_sub = np.linspace(0.0, SCAN_S, N_SUB)

    log_rows, truth_rows = [], []
    for i in range(n_scans):
        t0 = FIRST_SCAN_S + i * PERIOD_S
        t1 = t0 + SCAN_S
        x_sub, _, _ = state(t0 + t_sub, segs)
        lat = lattice(x_sub)
        subs = np.array(
            [
                powder.render_lines(
                    tt, powder.line_list(_phases(lat, k, k_scale), INSTRUMENT, lo_hi), INSTRUMENT
                )
                for k in range(N_SUB)
            ]
        )
        # linear interpolation in time for every point
        pos = np.interp(t_point, t_sub, np.arange(N_SUB))
        j = np.minimum(pos.astype(int), N_SUB - 2)
        w = pos - j
        cols = np.arange(TT_N)
        moving = (1 - w) * subs[j, cols] + w * subs[j + 1, cols]
        expected = moving + fixed + bkg
        counts = rng.poisson(expected)
        name = f"scan_{i + 1:04d}.xye"
        header = [
            f"SYNTHETIC operando demo data (intercal.simulate.operando, seed {seed})",
            f"scan {i + 1}: start {_iso(t0)} end {_iso(t1)} (continuous 2theta scan,"
            f" {TT_START:.2f}-{tt[-1]:.2f} deg)",
            f"Cu Ka1 {INSTRUMENT.wavelength1} A, Ka2 {INSTRUMENT.wavelength2} A,"
            f" I(Ka2)/I(Ka1) {INSTRUMENT.ka2_ratio}",
            "columns: 2theta_deg counts sigma_counts",
        ]
        powder.write_text(out / "scans" / name, powder.format_xye(tt, counts, header))
        log_rows.append(
            {
                "scan": i + 1,
                "file": f"scans/{name}",
                "start_time": _iso(t0),
                "end_time": _iso(t1),
                "start_time_s": round(t0, 3),
                "end_time_s": round(t1, 3),
            }
        )
        tm = 0.5 * (t0 + t1)
        xm, vm, segm = state(np.array([tm]), segs)
        lm = lattice(xm)
        row = {
            "scan": i + 1,
            "mid_time_s": tm,
            "x": float(xm[0]),
            "x_counted": float(counted_x(np.array([tm]), segs)[0]),
            "voltage_V": float(vm[0]),
            "step": segs[int(segm[0])]["kind"],
            "cycle": segs[int(segm[0])]["cycle"] + 1,
        }
        for key, val in lm.items():
            row[key] = float(val[0])
        for p in ("CrSe2", "LiCrSe2"):
            if row[f"fraction_{p}"] < 0.005:
                for key in (f"a_{p}_A", f"c_{p}_A", f"volume_{p}_A3"):
                    row[key] = float("nan")
        truth_rows.append(row)

    log = pd.DataFrame(log_rows)
    log.to_csv(out / "scan_log.csv", index=False, lineterminator="\n")
    tr = pd.DataFrame(truth_rows).drop(columns=["li_occupancy_LiCrSe2"])
    tr.to_csv(
        out / "ground_truth_operando.csv", index=False, float_format="%.6f", lineterminator="\n"
    )

    table = _gcpl_table(segs, rng)
    meta = {
        "acquisition_start": CELL_START.strftime("%m/%d/%Y %H:%M:%S.000"),
        "file": "operando_CrSe2.mpr",
        "electrode_material": "CrSe2 (10 wt% graphite) / carbon black / PTFE, operando cell",
        "initial_state": "pristine",
        "electrolyte": "1 M LiPF6 in EC/DMC (1:1 v/v), Li metal counter electrode",
        "comments": "SYNTHETIC operando demo cell written by intercal.simulate.operando; XRD"
        " scan times in scan_log.csv on the same clock",
        "active_mass_mg": ACTIVE_MASS_MG,
        "molecular_weight_g_mol": round(M_CRSE2, 3),
        "ion_weight_g_mol": 6.941,
        "electrons_per_ion": 1,
        "area_cm2": AREA_CM2,
        "settings": _settings(),
    }
    write_mpt(out / "cell.mpt", table, meta, "GCPL")

    v_d = math.sqrt(3) / 2 * DELITH["a"] ** 2 * DELITH["c"]
    v_l = math.sqrt(3) / 2 * LITH["a"] ** 2 * LITH["c"]
    return {
        "description": "synthetic operando XRD (Cu Ka, 12-36 deg) of a CrSe2|Li cell, 2 cycles",
        "files": {
            "scans": f"operando/scans/scan_0001.xye ... scan_{n_scans:04d}.xye",
            "scan_log": "operando/scan_log.csv",
            "cycling": "operando/cell.mpt",
            "per_scan_truth": "operando/ground_truth_operando.csv",
        },
        "n_scans": n_scans,
        "scan_duration_s": SCAN_S,
        "scan_period_s": PERIOD_S,
        "first_scan_start_s": FIRST_SCAN_S,
        "cell_start": CELL_START.isoformat(timespec="seconds"),
        "time_convention": "start_time_s/end_time_s = seconds since the .mpt acquisition start",
        "two_theta_range_deg": [TT_START, round(float(tt[-1]), 4)],
        "two_theta_step_deg": TT_STEP,
        "a_delithiated_A": DELITH["a"],
        "c_delithiated_A": DELITH["c"],
        "a_lithiated_A": LITH["a"],
        "c_lithiated_A": LITH["c"],
        "volume_delithiated_A3": round(v_d, 4),
        "volume_lithiated_A3": round(v_l, 4),
        "c_expansion_percent": round(100 * (LITH["c"] / DELITH["c"] - 1), 3),
        "a_expansion_percent": round(100 * (LITH["a"] / DELITH["a"] - 1), 3),
        "volume_expansion_percent": round(100 * (v_l / v_d - 1), 3),
        "transition_x": X_TRANSITION,
        "coexistence": "fraction_LiCrSe2 = 0.5 (1 + tanh((x - 0.5) / 0.035))",
        "li_rich_phase_at_transition": {
            "a_A": round(DELITH["a"] + BETA0_FRACTION * (LITH["a"] - DELITH["a"]), 5),
            "c_A": round(DELITH["c"] + BETA0_FRACTION * (LITH["c"] - DELITH["c"]), 5),
        },
        "x_lithiated": round(X_LITHIATED, 5),
        "first_discharge_loss_fraction": FIRST_DISCHARGE_LOSS,
        "irreversible_x_first_cycle": round(
            float(counted_x(np.array([segs[2]["t1"]]), segs)[0]) - segs[2]["x1"], 5
        ),
        "x_true_top_of_first_charge": round(segs[2]["x1"], 5),
        "x_note": "x in ground_truth_operando.csv is the true Li content; x_counted the charge"
        " counted from the start (it carries the first discharge's irreversible loss)",
        "active_mass_mg": ACTIVE_MASS_MG,
        "current_mA": round(CURRENT_MA, 6),
        "theoretical_capacity_mAh_g": round(Q_THEO, 3),
        "half_cycles": [
            {
                "step": s["kind"],
                "cycle": s["cycle"] + 1,
                "start_s": round(s["t0"], 3),
                "end_s": round(s["t1"], 3),
                "x_start": round(s["x0"], 5),
                "x_end": round(s["x1"], 5),
            }
            for s in segs
        ],
        "instrument": {
            "zero_shift_deg": INSTRUMENT.zero_shift_deg,
            "displacement_mm": INSTRUMENT.displacement_mm,
            "goniometer_radius_mm": INSTRUMENT.radius_mm,
            "wavelength_ka1_A": INSTRUMENT.wavelength1,
            "wavelength_ka2_A": INSTRUMENT.wavelength2,
            "ka2_ka1_ratio": INSTRUMENT.ka2_ratio,
        },
        "fixed_reflections": [
            {
                "origin": "graphite 002 (electrode additive)",
                "d_A": 3.3555,
                "two_theta_ka1_deg": round(float(powder.two_theta_deg(3.3555, powder.CU_KA1)), 4),
            }
        ]
        + [
            {
                "origin": f"polyethylene {''.join(map(str, pe['hkl']))} (cell laminate/separator)",
                "d_A": pe["d"],
                "two_theta_ka1_deg": round(float(powder.two_theta_deg(pe["d"], powder.CU_KA1)), 4),
            }
            for pe in PE_LINES
        ],
        "note_c_expansion": "REFERENCE.md quotes 7.67 %; its own a, c values give the"
        " c_expansion_percent above",
    }


# =========================================================================== example study
# Layered R-3m LiCoO2 (hexagonal setting), a charge-first cathode: x in Li_xCoO2 goes from 1.0
# down to 0.5 on charge and back on discharge as one solid solution (continuous a and c).
EX_A0, EX_C0 = 2.816, 14.05  # x = 1 (angstrom)
EX_X_MIN = 0.5
EX_M_COO2 = 58.933 + 2 * 15.999  # g/mol, host CoO2
EX_MASS_MG = 6.0
EX_C_RATE = 0.2  # C/5 on 1 Li per CoO2
EX_REST_S = 600.0
EX_SCAN_S = 300.0
EX_PERIOD_S = 315.0
EX_FIRST_SCAN_S = 200.0
EX_CLOCK_OFFSET_S = 120.0  # cell time at which the diffractometer's clock reads 0
EX_TT = (17.0, 67.0, 0.025)
EX_INSTRUMENT = powder.Instrument(
    zero_shift_deg=-0.012, displacement_mm=0.020, s_over_l=0.015, h_over_l=0.015, soller_rad=0.02
)
EX_PROFILE = powder.Profile(U=0.006, V=-0.003, W=0.0020, X=0.030, Y=0.080)
EX_BACKGROUND = powder.Background((300.0, -40.0, 20.0, -5.0), 150.0, 25.0, 10.0)
EX_PEAK_COUNTS = 6000.0
#: Al current collector 111 / 200 (fixed hardware lines)
EX_AL = [
    {"hkl": (1, 1, 1), "d": 2.3380, "area": 120.0},
    {"hkl": (2, 0, 0), "d": 2.0248, "area": 60.0},
]


def ex_cell(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True a, c (angstrom) of Li_xCoO2 vs x: c grows, a shrinks on delithiation (smoothly)."""
    u = 1.0 - np.asarray(x, dtype=float)
    return EX_A0 - 0.024 * u + 0.012 * u * u, EX_C0 + 0.80 * u - 0.12 * u * u


def ex_voltage(x: np.ndarray, charge: bool) -> np.ndarray:
    """Cell voltage (V) vs x: 3.88 V at x = 1 rising to ~4.2 V at x = 0.5; 30 mV hysteresis."""
    u = 1.0 - np.asarray(x, dtype=float)
    return 3.88 + 0.55 * u + 0.22 * u**3 + (0.015 if charge else -0.015)


def ex_protocol() -> list[dict]:
    """Rest, CC charge to x = 0.5, CC discharge back to x = 1 (times in s)."""
    q1 = F_MAH / EX_M_COO2  # mAh/g for 1 Li
    i_ma = EX_C_RATE * q1 * EX_MASS_MG / 1000.0
    rate = i_ma / 3600.0 * EX_M_COO2 / (F_MAH * EX_MASS_MG / 1000.0)  # dx/dt
    t_half = (1.0 - EX_X_MIN) / rate
    return [
        {"kind": "rest", "t0": 0.0, "t1": EX_REST_S, "x0": 1.0, "x1": 1.0, "i": 0.0},
        {"kind": "charge", "t0": EX_REST_S, "t1": EX_REST_S + t_half, "x0": 1.0,
         "x1": EX_X_MIN, "i": i_ma},
        {"kind": "discharge", "t0": EX_REST_S + t_half, "t1": EX_REST_S + 2 * t_half,
         "x0": EX_X_MIN, "x1": 1.0, "i": -i_ma},
    ]  # fmt: skip


def _ex_x(t: np.ndarray, segs: list[dict]) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    x = np.ones_like(t)
    for s in segs:
        m = (t >= s["t0"]) & (t <= s["t1"])
        x[m] = s["x0"] + (t[m] - s["t0"]) / (s["t1"] - s["t0"]) * (s["x1"] - s["x0"])
    return x


def _ex_structure(x: float):
    a, c = ex_cell(np.array([x]))
    return powder.hexagonal_structure(
        [{"Li": float(x)}, "Co", "O"],
        [[0, 0, 0.5], [0, 0, 0], [0, 0, 0.2396]],
        float(a[0]),
        float(c[0]),
        "R-3m",
    )


def generate_example(out_dir: Path, seed: int) -> dict:
    """Write the LiCoO2 operando example: scans, cycling CSV, scan log keyed by file name.

    Parameters
    ----------
    out_dir : pathlib.Path
        ``examples/LiCoO2/data/operando``.
    seed : int
        Master seed; draws from ``default_rng([seed, RNG_KEY, 1])``.

    Returns
    -------
    dict
        The truth (also written to ``truth.yaml`` beside the data).
    """
    import yaml

    out = Path(out_dir)
    (out / "scans").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, RNG_KEY, 1])
    segs = ex_protocol()
    t_end = segs[-1]["t1"]
    n_scans = int((t_end - EX_FIRST_SCAN_S - EX_SCAN_S) // EX_PERIOD_S) + 1
    lo, hi, step = EX_TT
    tt = np.round(lo + step * np.arange(int(round((hi - lo) / step)) + 1), 6)
    rng_tt = (float(tt[0]), float(tt[-1]))
    inst = EX_INSTRUMENT

    def moving(x: float, scale: float) -> np.ndarray:
        ph = powder.Phase("LiCoO2", _ex_structure(x), scale, EX_PROFILE, march_dollase=0.85,
                          b_iso={"Li": 1.0, "Co": 0.4, "O": 0.6})  # fmt: skip
        return powder.render_lines(tt, powder.line_list([ph], inst, rng_tt), inst)

    k_scale = EX_PEAK_COUNTS / moving(1.0, 1.0).max()
    lines = []
    for al in EX_AL:
        for comp, lam, ratio in (("Ka1", inst.wavelength1, 1.0), ("Ka2", inst.wavelength2,
                                                                   inst.ka2_ratio)):  # fmt: skip
            t0 = float(powder.two_theta_deg(al["d"], lam))
            fwhm, eta = EX_PROFILE.widths(t0)
            lines.append({
                "phase": "Al", "hkl": al["hkl"], "multiplicity": 0, "component": comp,
                "d": al["d"], "two_theta_bragg": t0,
                "two_theta_obs": t0 + float(inst.shift_deg(t0)), "area": al["area"] * ratio,
                "fwhm": float(fwhm), "eta": float(eta), "po_factor": 1.0,
            })  # fmt: skip
    fixed = powder.render_lines(tt, lines, inst) + EX_BACKGROUND(tt, *rng_tt)
    t_point = (np.arange(tt.size) + 0.5) / tt.size * EX_SCAN_S
    t_sub = np.linspace(0.0, EX_SCAN_S, N_SUB)
    log_rows, truth_rows = [], []
    for i in range(n_scans):
        t0 = EX_FIRST_SCAN_S + i * EX_PERIOD_S
        subs = np.array([moving(float(xx), k_scale) for xx in _ex_x(t0 + t_sub, segs)])
        pos = np.interp(t_point, t_sub, np.arange(N_SUB))
        j = np.minimum(pos.astype(int), N_SUB - 2)
        w = pos - j
        cols = np.arange(tt.size)
        expected = (1 - w) * subs[j, cols] + w * subs[j + 1, cols] + fixed
        counts = rng.poisson(expected)
        name = f"LCO_operando_{i + 1:03d}.xye"
        header = [
            f"SYNTHETIC LiCoO2 operando example (intercal.simulate.operando, seed {seed})",
            f"continuous scan {rng_tt[0]:.2f}-{rng_tt[1]:.2f} deg in {EX_SCAN_S:.0f} s, Cu Ka",
            "columns: 2theta_deg counts sigma_counts",
        ]
        powder.write_text(out / "scans" / name, powder.format_xye(tt, counts, header))
        log_rows.append({"file": name, "t_start_s": round(t0 - EX_CLOCK_OFFSET_S, 3),
                         "t_end_s": round(t0 + EX_SCAN_S - EX_CLOCK_OFFSET_S, 3)})  # fmt: skip
        tm = t0 + 0.5 * EX_SCAN_S
        xm = float(_ex_x(np.array([tm]), segs)[0])
        a, c = ex_cell(np.array([xm]))
        truth_rows.append({"scan": i + 1, "mid_time_s": tm, "x": xm, "a_LiCoO2_A": float(a[0]),
                           "c_LiCoO2_A": float(c[0]),
                           "volume_LiCoO2_A3": math.sqrt(3) / 2 * a[0] ** 2 * c[0]})  # fmt: skip
    pd.DataFrame(log_rows).to_csv(out / "scan_log.csv", index=False, lineterminator="\n")
    pd.DataFrame(truth_rows).to_csv(
        out / "truth_per_scan.csv", index=False, float_format="%.6f", lineterminator="\n"
    )
    # cycling record: a generic CSV (time s, voltage V, current A), every 30 s
    t = np.arange(0.0, t_end + 1e-9, 30.0)
    if t[-1] < t_end:
        t = np.append(t, t_end)
    x = _ex_x(t, segs)
    cur = np.zeros_like(t)
    volt = np.zeros_like(t)
    for s in segs:
        m = (t >= s["t0"]) & (t < s["t1"]) if s is not segs[-1] else (t >= s["t0"])
        cur[m] = s["i"]
        volt[m] = ex_voltage(x[m], s["kind"] != "discharge") if s["kind"] != "rest" else 3.85
    cur = cur * (1.0 + 1e-4 * rng.standard_normal(t.size))
    volt = volt + rng.normal(0.0, 3e-4, t.size)
    pd.DataFrame(
        {"Test_Time(s)": t, "Voltage(V)": np.round(volt, 5), "Current(A)": cur / 1000.0}
    ).to_csv(out / "cell.csv", index=False, float_format="%.7g", lineterminator="\n")
    a_ch, c_ch = ex_cell(np.array([EX_X_MIN]))
    v = lambda aa, cc: math.sqrt(3) / 2 * aa * aa * cc  # noqa: E731
    truth = {
        "description": "synthetic operando XRD of a LiCoO2 | Li cell, C/5 charge to x = 0.5 and "
        "discharge back (one solid solution)",
        "seed": seed,
        "n_scans": n_scans,
        "cell_law": "a = 2.816 - 0.024 (1-x) + 0.012 (1-x)^2; "
        "c = 14.05 + 0.80 (1-x) - 0.12 (1-x)^2",
        "a_lithiated_A": EX_A0,
        "c_lithiated_A": EX_C0,
        "a_delithiated_A": round(float(a_ch[0]), 6),
        "c_delithiated_A": round(float(c_ch[0]), 6),
        "c_expansion_percent": round(100 * (EX_C0 / float(c_ch[0]) - 1), 4),
        "volume_expansion_percent": round(
            100 * (v(EX_A0, EX_C0) / v(float(a_ch[0]), float(c_ch[0])) - 1), 4
        ),
        "slope_a_per_x_at_x_0.75": round(0.024 - 2 * 0.012 * 0.25, 5),
        "slope_c_per_x_at_x_0.75": round(-0.80 + 2 * 0.12 * 0.25, 5),
        "transition_x": None,
        "x_min": EX_X_MIN,
        "clock_offset_s": EX_CLOCK_OFFSET_S,
        "instrument": {
            "zero_shift_deg": inst.zero_shift_deg,
            "displacement_mm": inst.displacement_mm,
            "goniometer_radius_mm": inst.radius_mm,
        },  # fmt: skip
        "hardware_lines": [
            f"Al {''.join(map(str, al['hkl']))} at "
            f"{float(powder.two_theta_deg(al['d'], inst.wavelength1)):.3f} deg"
            for al in EX_AL
        ],  # fmt: skip
        "per_scan_truth": "truth_per_scan.csv",
    }
    (out / "truth.yaml").write_text(
        "# Ground truth of the LiCoO2 operando example (intercal.simulate.operando)\n"
        + yaml.safe_dump(truth, sort_keys=False)
    )
    return truth


if __name__ == "__main__":  # python -m intercal.simulate.operando --example LiCoO2 [--out DIR]
    import argparse

    ap = argparse.ArgumentParser(prog="python -m intercal.simulate.operando")
    ap.add_argument("--example", choices=["LiCoO2"], required=True)
    ap.add_argument("--out", type=Path, default=Path("examples/LiCoO2/data/operando"))
    ap.add_argument("--seed", type=int, default=20260218)
    args = ap.parse_args()
    generate_example(args.out, args.seed)
