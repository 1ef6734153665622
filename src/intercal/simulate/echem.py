"""Forward model of the electrochemistry demo data (BioLogic ``.mpt`` exports).

Writes ``data/echem/`` for a CrSe2 | Li half cell (1 M LiPF6 EC/DMC):

* ``gcpl/CrSe2_cutoff_<V>V_01_GCPL.mpt``: first cycles at 0.1 C from the pristine
  electrode to lower cut-offs 0.75, 1.0, 1.25, 1.5 and 2.0 V (upper 3.0 V);
  five cycles each (two at 0.75 V, where the Li-Se conversion plateau below
  ~0.9 V makes the first cycle irreversible). The 1.0 V file is also the
  1.0-3.0 V, 0.1 C cycling of Fig. 3b.
* ``gcpl/CrSe2_0.5C_cutoff_<V>V_01_GCPL.mpt``: 50 cycles at 0.5 C per cut-off.
* ``gcpl/CrSe2_rate_01_GCPL.mpt``: rate test, 5 cycles each at 0.1, 0.2, 0.5,
  1, 2 C and back to 0.1 C (1.0-3.0 V).
* ``cv/CrSe2_CV_<v>mVs_01_CV.mpt``: cyclic voltammetry 1.0-3.0 V at 0.1-1.0
  mV/s, three cycles each, one file per scan rate (one EC-Lab CV technique
  each).
* ``eis/CrSe2_EIS_<k>_<E>V_PEIS.mpt``: PEIS 100 kHz-10 mHz at OCV and at
  potentials through the first discharge.

``--example LiCoO2`` (``python -m intercal.simulate.echem --example LiCoO2``) writes the
echem part of the LiCoO2 example study instead: charge-first LiCoO2 | Li cells exported as
cycler CSV files (see :func:`generate_example_licoo2`).

Physics (independent of the analysis code):

* GCPL: voltage-capacity curves built from a monotone (PCHIP) 0.1 C discharge
  curve through anchor points (plateau ~2.6 V, slope to 1.0 V, conversion
  plateau ~0.8 V) and a hysteretic charge curve; rate polarisation
  (ohmic + Tafel) and rate-dependent accessible capacity (solid-state
  diffusion limitation) shrink the capacity at high rate; after such a
  rate-limited discharge the charge starts from the bottom of the charge curve
  on the same compressed capacity axis (the near-surface region is fully
  lithiated), not from the potential of the average Li content; capacity fade
  per cycle; Gaussian voltage noise and current-control noise. Capacities are
  the exact integrals of the written current (the truth is computed from
  the written rows).
* CV: finite-volume solution of Li diffusion in a semi-infinite host
  (implicit Euler on a geometric grid) with lattice-gas Butler-Volmer
  kinetics at the surface, an uncompensated resistance (solved
  self-consistently), a double-layer capacitance and hysteresis between
  lithiation and delithiation (two-phase reaction). The diffusion
  coefficient is D_lith during the cathodic sweep and D_delith during the
  anodic sweep. Peak currents therefore follow from D, the area A and the
  Li concentration C, not from the Randles-Sevcik formula.
* PEIS: L - R0 - p(R_sei, CPE_sei) - p(R_ct + Wo(finite), CPE_dl)
  [- p(R_lf, CPE_lf) at the end of discharge], richer than the fit circuit,
  with 0.4 % complex Gaussian noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator
from scipy.linalg import solve_banded

from .biologic import gcpl_settings, write_mpt

F = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)
T_K = 298.15
SEED_CONST = 7003  # this generator's stream

# --------------------------------------------------------------------------- cell
M_CRSE2 = 51.9961 + 2 * 78.971  # g/mol
Q_THEO = F / 3.6 / M_CRSE2  # mAh/g for 1 Li per CrSe2 (127.67)

CELL: dict[str, Any] = {
    "electrode_mass_mg": 3.75,  # coated composite on the disc (without current collector)
    "powder_fraction": 0.80,  # CrSe2+graphite powder in the composite (rest carbon black/binder)
    "active_fraction_in_powder": 0.90,  # CrSe2 in the powder (10 wt% graphite)
    "area_cm2": 1.131,  # 12 mm disc
    # Li concentration in fully lithiated LiCrSe2: 1 / (N_A V_fu), V_fu = sqrt(3)/2 a^2 c
    "li_concentration_mol_cm3": 1.0
    / (6.02214076e23 * (np.sqrt(3) / 2 * 3.65127**2 * 6.29616) * 1e-24),
}
CELL["active_mass_mg"] = (
    CELL["electrode_mass_mg"] * CELL["powder_fraction"] * CELL["active_fraction_in_powder"]
)

META_BASE: dict[str, Any] = {
    "electrode_material": "CrSe2 (10 wt% graphite) / carbon black / PVDF 80:10:10",
    "initial_state": "pristine",
    "electrolyte": "1 M LiPF6 in EC/DMC (1:1 v/v), Li metal counter electrode",
    "comments": "SYNTHETIC demo data written by intercal.simulate.echem",
    "molecular_weight_g_mol": round(M_CRSE2, 3),
    "ion_weight_g_mol": 6.941,
    "electrons_per_ion": 1,
}

# 0.1 C discharge curve (capacity mAh/g, voltage V) from the pristine electrode
DIS_ANCHORS = [
    (0.0, 2.80),
    (2.0, 2.66),
    (8.0, 2.615),
    (30.0, 2.600),
    (55.0, 2.585),
    (61.0, 2.560),
    (63.0, 2.470),
    (64.2, 2.250),
    (64.87, 2.000),
    (66.5, 1.900),
    (80.0, 1.680),
    (100.0, 1.400),
    (115.0, 1.200),
    (122.0, 1.070),
    (125.3, 1.000),
    (126.6, 0.920),
    (128.5, 0.870),
    (145.0, 0.835),
    (300.0, 0.815),
    (460.0, 0.790),
    (476.0, 0.770),
    (482.0, 0.750),
    (486.0, 0.700),
]
# 0.1 C charge curve: voltage vs remaining Li content (mAh/g) for the intercalation range
CHG_ANCHORS = [
    (0.0, 3.00),
    (1.0, 2.90),
    (4.0, 2.70),
    (30.0, 2.650),
    (58.0, 2.630),
    (62.0, 2.560),
    (64.0, 2.400),
    (66.0, 2.150),
    (80.0, 1.850),
    (100.0, 1.520),
    (115.0, 1.280),
    (125.3, 1.080),
    (130.0, 1.000),
]
# charge after the conversion (0.75 V): voltage vs fraction of the 318 mAh/g charge
CONV_CHG_ANCHORS = [
    (0.0, 0.90),
    (0.05, 1.55),
    (0.35, 2.05),
    (0.55, 2.25),
    (0.62, 2.55),
    (0.95, 2.66),
    (0.99, 2.85),
    (1.0, 3.00),
]


def _pchip(anchors: list[tuple[float, float]]) -> PchipInterpolator:
    x, y = np.array(anchors).T
    return PchipInterpolator(x, y, extrapolate=True)


V_DIS = _pchip(DIS_ANCHORS)
V_CHG = _pchip(CHG_ANCHORS)
V_CONV_CHG = _pchip(CONV_CHG_ANCHORS)


def _crossing(fun, target: float, lo: float, hi: float, decreasing: bool = True) -> float:
    """Argument where the monotone ``fun`` crosses ``target`` (bisection, 1e-10 tolerance)."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        above = fun(mid) > target
        if above == decreasing:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------- GCPL writer
class _Recorder:
    """Accumulates GCPL rows the way EC-Lab records them (every dE or dt, plus limits)."""

    COLUMNS = [
        "mode",
        "ox/red",
        "error",
        "control changes",
        "Ns changes",
        "counter inc.",
        "Ns",
        "time/s",
        "control/V/mA",
        "Ewe/V",
        "I/mA",
        "dq/mA.h",
        "(Q-Qo)/mA.h",
        "half cycle",
        "Q charge/discharge/mA.h",
        "cycle number",
    ]

    def __init__(self, rng: np.random.Generator, de_mV: float, dt_s: float, noise_V: float):
        self.rng = rng
        self.de = de_mV / 1000.0
        self.dt = dt_s
        self.noise = noise_V
        self.rows: list[np.ndarray] = []
        self.t = 0.0
        self.q = 0.0  # Q - Qo, mAh
        self.half = 0
        self.last_ns = -1

    def half_cycle(self, curve, q_end_mAh: float, current_mA: float, ns: int, cycle: int) -> float:
        """Record one constant-current half cycle.

        ``curve(p)`` gives the voltage after ``p`` mAh of this half cycle;
        returns the charge passed (mAh, positive) as integrated from the
        written current.
        """
        i_set = current_mA
        duration = q_end_mAh / abs(i_set) * 3600.0
        n_dense = 4000
        tt = np.linspace(0.0, duration, n_dense + 1)
        # current-control noise: 0.02 % slowly varying
        i_true = i_set * (1.0 + 2e-4 * np.sin(2 * np.pi * tt / 5400.0 + self.rng.uniform(0, 6.3)))
        v_true = curve(np.abs(i_set) * tt / 3600.0)
        keep = [0]
        v_last, t_last = v_true[0], tt[0]
        for k in range(1, n_dense):
            if abs(v_true[k] - v_last) >= self.de or tt[k] - t_last >= self.dt:
                keep.append(k)
                v_last, t_last = v_true[k], tt[k]
        keep.append(n_dense)
        keep = np.array(keep)
        t = tt[keep]
        i_rec = i_true[keep]
        v = v_true[keep] + self.rng.normal(0.0, self.noise, keep.size)
        # dq from the written (recorded) current by the trapezoid rule, as the instrument
        # integrates between records
        dq = np.r_[0.0, 0.5 * (i_rec[1:] + i_rec[:-1]) * np.diff(t) / 3600.0]
        q_half = np.cumsum(dq)
        n = keep.size
        ox = 1 if i_set > 0 else 0
        block = np.zeros((n, len(self.COLUMNS)))
        block[:, 0] = 1  # CC mode
        block[:, 1] = ox
        block[0, 3] = 1  # control changes at the start of a sequence
        block[0, 4] = 1 if ns != self.last_ns else 0
        block[:, 6] = ns
        block[:, 7] = self.t + t
        block[:, 8] = i_set
        block[:, 9] = v
        block[:, 10] = i_rec
        block[:, 11] = dq
        block[:, 12] = self.q + q_half
        block[:, 13] = self.half
        block[:, 14] = q_half
        block[:, 15] = cycle
        self.rows.append(block)
        self.t += duration
        self.q += q_half[-1]
        self.half += 1
        self.last_ns = ns
        return abs(q_half[-1])

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(np.vstack(self.rows), columns=self.COLUMNS)


# --------------------------------------------------------------------------- GCPL experiments
def _c_rate_current(c_rate: float) -> float:
    return c_rate * Q_THEO * CELL["active_mass_mg"] / 1000.0  # mA


def _polarisation(c_rate: float) -> float:
    """Extra polarisation relative to 0.1 C (V): ohmic + Tafel-like."""
    i = _c_rate_current(c_rate) - _c_rate_current(0.1)
    return 0.12 * i + 0.03 * np.log10(c_rate / 0.1)


def _gcpl_file(
    path: Path,
    rng: np.random.Generator,
    cut: float,
    cycles: list[dict],
    *,
    de_mV: float,
    dt_s: float,
    title: str,
) -> list[dict]:
    """Simulate and write one GCPL file; ``cycles`` lists per-cycle settings.

    Each entry: c_rate, s_cap (capacity scale, fade), ce (coulombic efficiency),
    kind ("int" intercalation or "conv" conversion), conv_q (discharge mAh/g for
    conversion cycles).
    """
    mass_g = CELL["active_mass_mg"] / 1000.0
    rec = _Recorder(rng, de_mV, dt_s, noise_V=4e-4)
    truth = []
    currents, limits = [], []
    for n, cyc in enumerate(cycles):
        c = cyc["c_rate"]
        i_mA = _c_rate_current(c)
        pol = _polarisation(c)
        r = cyc.get("rate_factor", 1.0)
        s = cyc["s_cap"]
        if cyc.get("kind", "int") == "conv":
            q_dis = cyc["conv_q"]
            stretch = q_dis / 482.0

            def dis(q, stretch=stretch):
                return V_DIS(np.asarray(q) / stretch)

        else:
            q_dis = s * r * _crossing(lambda q, p=pol: V_DIS(q) - p, cut, 0.0, 486.0)

            def dis(q, s=s, r=r, p=pol):
                return V_DIS(np.asarray(q) / (s * r)) - p

        ns_d = 2 * len({cc["c_rate"] for cc in cycles[: n + 1]}) - 2
        qd = rec.half_cycle(
            lambda p, dis=dis: dis(p / mass_g), q_dis * mass_g, -i_mA, ns_d, cycle=n
        )
        q_chg = cyc["ce"] * qd / mass_g
        if cyc.get("kind", "int") == "conv" or cyc.get("after_conv", False):

            def chg(p, qc=q_chg):
                return V_CONV_CHG(np.asarray(p) / qc)

        elif r == 1.0:
            y0 = qd / mass_g

            def chg(p, y0=y0, qc=q_chg, pp=pol):
                # remaining Li content maps the charge onto the hysteretic charge curve
                y = y0 * (1.0 - np.asarray(p) / qc)
                # polarisation fades into the 3.0 V limit at the end of charge
                return V_CHG(y) + pp * (1.0 - np.exp(-y / 2.0))

        else:
            # rate-limited cycle: the discharge filled only the accessible (near-surface)
            # part, which is fully lithiated at the end of discharge, so the charge starts
            # from the bottom of the charge curve on the same compressed capacity axis as the
            # discharge (not from the potential of the average Li content)
            y0 = qd / mass_g

            def chg(p, y0=y0, qc=q_chg, pp=pol, sr=s * r):
                y = y0 * (1.0 - np.asarray(p) / qc)
                return V_CHG(y / sr) + pp * (1.0 - np.exp(-y / 2.0))

        qc = rec.half_cycle(lambda p, chg=chg: chg(p / mass_g), q_chg * mass_g, i_mA, ns_d + 1, n)
        currents += [-i_mA, i_mA]
        limits += [cut, 3.0]
        truth.append(
            {
                "cycle": n + 1,
                "c_rate": c,
                "discharge_mAh_g": float(qd / mass_g),
                "charge_mAh_g": float(qc / mass_g),
            }
        )
    table = rec.table()
    # settings: one sequence pair per distinct rate
    seen, cur, lim = [], [], []
    for cyc in cycles:
        if cyc["c_rate"] not in seen:
            seen.append(cyc["c_rate"])
            cur += [-_c_rate_current(cyc["c_rate"]), _c_rate_current(cyc["c_rate"])]
            lim += [cut, 3.0]
    meta = dict(META_BASE)
    meta.update(
        {
            "active_mass_mg": CELL["active_mass_mg"],
            "characteristic_mass_mg": CELL["electrode_mass_mg"],
            "area_cm2": CELL["area_cm2"],
            "file": path.with_suffix(".mpr").name,
            "comments": f"SYNTHETIC demo data ({title}) written by intercal.simulate.echem",
            "settings": gcpl_settings(
                cur, lim, record_dE_mV=de_mV, record_dt_s=dt_s, n_cycles=len(cycles) - 1
            ),
        }
    )
    write_mpt(path, table, meta, "GCPL")
    return truth


# --------------------------------------------------------------------------- CV
def simulate_cv(
    scan_rate_mV_s: float,
    *,
    d_lith: float,
    d_delith: float,
    area_cm2: float,
    conc_mol_cm3: float,
    e0_red: float,
    e0_ox: float,
    k0_cm_s: float,
    alpha: float,
    ru_ohm: float,
    cdl_F: float,
    e_high: float = 3.0,
    e_low: float = 1.0,
    e_start: float = 3.0,
    n_cycles: int = 3,
    de_V: float = 1e-3,
) -> dict[str, np.ndarray]:
    """Cyclic voltammetry of Li insertion into a semi-infinite host.

    Finite-volume diffusion of Li (fraction theta of the site concentration
    ``conc_mol_cm3``) on a geometric grid, implicit Euler in time, with the
    surface flux set by lattice-gas Butler-Volmer kinetics at the
    overpotential E - I*Ru - E0 (solved self-consistently with the
    uncompensated resistance) and a double-layer current Cdl dE/dt.
    The standard potential is ``e0_red`` while Li is inserted and ``e0_ox``
    while it is extracted (two-phase hysteresis); the diffusion coefficient
    is ``d_lith`` on the cathodic sweep and ``d_delith`` on the anodic sweep.

    Returns
    -------
    dict
        ``time_s``, ``E_V`` (applied minus nothing: the measured Ewe), ``I_mA``,
        ``control_V``, ``cycle`` (1-based), ``sweep`` (-1 cathodic, +1 anodic).
    """
    f = F / (R_GAS * T_K)
    v = scan_rate_mV_s / 1000.0  # V/s
    dt = de_V / v
    seg = []
    e = e_start
    for _ in range(n_cycles):
        seg.append(np.arange(e, e_low - 1e-12, -de_V))
        seg.append(np.arange(e_low, e_high + 1e-12, de_V))
    ctrl = np.concatenate([seg[0]] + [s_[1:] for s_ in seg[1:]])
    sweep = np.concatenate(
        [np.full(len(seg[0]), -1)]
        + [np.full(len(s_) - 1, (-1) ** k) for k, s_ in enumerate(seg[1:])]
    )
    cyc = np.concatenate(
        [np.full(len(seg[0]), 1)]
        + [np.full(len(s_) - 1, k // 2 + 1) for k, s_ in enumerate(seg[1:], 1)]
    )
    t_total = dt * len(ctrl)
    l_diff = 6.0 * np.sqrt(max(d_lith, d_delith) * t_total)
    h0 = 0.05 * np.sqrt(min(d_lith, d_delith) * dt)
    gamma = 1.06
    n = int(np.ceil(np.log(1 + l_diff * (gamma - 1) / h0) / np.log(gamma)))
    h = h0 * gamma ** np.arange(n)
    dist = 0.5 * (h[1:] + h[:-1])

    def matrices(d):
        # (h_k/dt) c_k - flux terms: banded form for solve_banded((1, 1), ...)
        g = d / dist  # conductance between cells k and k+1
        ab = np.zeros((3, n))
        ab[1] = h / dt
        ab[1, :-1] += g
        ab[1, 1:] += g
        ab[0, 1:] = -g
        ab[2, :-1] = -g
        unit = np.zeros(n)
        unit[0] = 1.0
        resp = solve_banded((1, 1), ab, unit)  # response of theta to unit surface influx
        return ab, resp

    mats = {-1: matrices(d_lith), 1: matrices(d_delith)}
    theta = np.zeros(n)  # pristine CrSe2: no Li
    fa = F * area_cm2 * conc_mol_cm3  # C/cm per unit theta-flux
    current = np.zeros(len(ctrl))
    i_prev = 0.0
    for k in range(len(ctrl)):
        ab, resp = mats[int(sweep[k])]
        base = solve_banded((1, 1), ab, theta * h / dt)
        e0 = e0_red if sweep[k] < 0 else e0_ox
        i_dl = cdl_F * (ctrl[k] - ctrl[k - 1]) / dt if k > 0 else 0.0
        # Faradaic current i (A, > 0 anodic): influx of Li = -i / (F A C) (units of theta*cm/s)
        # theta_s(i) = base0 + resp0 * (-i / fa)

        def resid(i_f, base=base, resp=resp, k=k, i_dl=i_dl, e0=e0):
            th = min(max(base[0] - resp[0] * i_f / fa, 0.0), 1.0)
            eta = ctrl[k] - (i_f + i_dl) * ru_ohm - e0
            rate = (
                k0_cm_s
                * fa
                * (th * np.exp((1 - alpha) * f * eta) - (1 - th) * np.exp(-alpha * f * eta))
            )
            return rate - i_f

        lo, hi = i_prev - 0.5, i_prev + 0.5
        while resid(lo) < 0:
            lo -= 1.0
        while resid(hi) > 0:
            hi += 1.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if resid(mid) > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-13:
                break
        i_f = 0.5 * (lo + hi)
        theta = np.clip(base - resp * i_f / fa, 0.0, 1.0)
        current[k] = i_f + i_dl
        i_prev = i_f
    ewe = ctrl - current * ru_ohm
    return {
        "time_s": dt * np.arange(len(ctrl)),
        "control_V": ctrl,
        "E_V": ewe,
        "I_mA": current * 1000.0,
        "cycle": cyc,
        "sweep": sweep,
    }


# --------------------------------------------------------------------------- PEIS
def _cpe(q: float, n: float, w: np.ndarray) -> np.ndarray:
    return 1.0 / (q * (1j * w) ** n)


def impedance_truth(freq_Hz: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Forward circuit: L - R0 - p(R_sei, CPE_sei) - p(R_ct + Wo, CPE_dl) [- p(R_lf, CPE_lf)].

    Wo is the finite-length (open, reflective) Warburg element
    Z = A_w coth(sqrt(j w tau)) / sqrt(j w tau).
    """
    w = 2 * np.pi * np.asarray(freq_Hz, dtype=float)
    z = 1j * w * p["L"] + p["R0"]
    z = z + 1.0 / (1.0 / p["R_sei"] + 1.0 / _cpe(p["Q_sei"], p["n_sei"], w))
    s = np.sqrt(1j * w * p["tau_w"])
    zw = p["A_w"] / (s * np.tanh(s))
    z = z + 1.0 / (1.0 / (p["R_ct"] + zw) + 1.0 / _cpe(p["Q_dl"], p["n_dl"], w))
    if p.get("R_lf", 0.0) > 0:
        z = z + 1.0 / (1.0 / p["R_lf"] + 1.0 / _cpe(p["Q_lf"], p["n_lf"], w))
    return z


#: (label, potential V, R_ct Ohm, extra low-frequency arc Ohm)
EIS_POINTS = [
    ("OCV", 2.853, 185.0, 0.0),
    ("2.36V", 2.360, 48.0, 0.0),
    ("2.34V", 2.340, 42.0, 0.0),
    ("1.95V", 1.950, 78.0, 0.0),
    ("1.6V", 1.600, 125.0, 0.0),
    ("1.3V", 1.300, 176.0, 0.0),
    ("1.0V", 1.000, 262.0, 420.0),
]


def _write_eis(out: Path, rng: np.random.Generator) -> list[dict]:
    freq = np.logspace(5, -2, 71)  # 10 points per decade, 100 kHz -> 10 mHz
    truth = []
    for k, (label, e, rct, rlf) in enumerate(EIS_POINTS):
        p = {
            "L": 2.0e-7,
            "R0": 4.2 + 0.05 * k,
            "R_sei": 11.0 + 1.5 * k,
            "Q_sei": 8.0e-6,
            "n_sei": 0.86,
            "R_ct": rct,
            "Q_dl": 2.5e-4,
            "n_dl": 0.80,
            "A_w": 35.0 + 4.0 * k,
            "tau_w": 40.0,
            "R_lf": rlf,
            "Q_lf": 0.02,
            "n_lf": 0.85,
        }
        z = impedance_truth(freq, p)
        noise = 0.004 * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))
        z = z + noise / np.sqrt(2)
        t = 60.0 + np.cumsum(np.maximum(3.0 / freq, 0.25))
        table = pd.DataFrame(
            {
                "freq/Hz": freq,
                "Re(Z)/Ohm": z.real,
                "-Im(Z)/Ohm": -z.imag,
                "|Z|/Ohm": np.abs(z),
                "Phase(Z)/deg": np.angle(z, deg=True),
                "time/s": t,
                "<Ewe>/V": e + rng.normal(0, 2e-4, freq.size),
                "<I>/mA": rng.normal(0, 2e-4, freq.size),
                "cycle number": np.ones(freq.size),
            }
        )
        meta = dict(META_BASE)
        name = f"CrSe2_EIS_{k + 1:02d}_{label}_PEIS.mpt"
        meta.update(
            {
                "active_mass_mg": CELL["active_mass_mg"],
                "characteristic_mass_mg": CELL["electrode_mass_mg"],
                "area_cm2": CELL["area_cm2"],
                "file": name.replace(".mpt", ".mpr"),
                "acquisition_start": f"02/{20 + k:02d}/2026 10:00:00.000",
                "settings": [
                    ("Mode", "Single sine"),
                    ("E (V)", f"{e:.4f}"),
                    ("vs.", "Ref"),
                    ("fi", "100.000"),
                    ("unit fi", "kHz"),
                    ("ff", "10.000"),
                    ("unit ff", "mHz"),
                    ("Nd", "10"),
                    ("Points", "per decade"),
                    ("spacing", "Logarithmic"),
                    ("Va (mV)", "10.0"),
                    ("pw", "0.10"),
                    ("Na", "3"),
                ],
            }
        )
        write_mpt(out / name, table, meta, "PEIS")
        truth.append({"file": name, "label": label, "potential_V": e, **p})
    return truth


# --------------------------------------------------------------------------- CV files
CV_RATES = [0.1, 0.2, 0.4, 0.6, 0.8, 1.0]  # mV/s
CV_PARAMS = {
    "d_lith_cm2_s": 9.71e-9,
    "d_delith_cm2_s": 7.69e-9,
    "k0_cm_s": 1.0e-2,
    "alpha": 0.5,
    "ru_ohm": 0.4,
    "cdl_F": 0.02,
    # two-phase hysteresis: standard potentials of insertion / extraction at 0.1 mV/s and
    # their growth with scan rate (nucleation overpotential, V per decade)
    "e0_red_V": 2.3906,
    "e0_ox_V": 2.5896,
    "hyst_red_V_per_decade": 0.037,
    "hyst_ox_V_per_decade": 0.047,
}


def _write_cv(out: Path, rng: np.random.Generator) -> list[dict]:
    truth = []
    p = CV_PARAMS
    for k, v in enumerate(CV_RATES):
        dec = np.log10(v / 0.1)
        sim = simulate_cv(
            v,
            d_lith=p["d_lith_cm2_s"],
            d_delith=p["d_delith_cm2_s"],
            area_cm2=CELL["area_cm2"],
            conc_mol_cm3=CELL["li_concentration_mol_cm3"],
            e0_red=p["e0_red_V"] - p["hyst_red_V_per_decade"] * dec,
            e0_ox=p["e0_ox_V"] + p["hyst_ox_V_per_decade"] * dec,
            k0_cm_s=p["k0_cm_s"],
            alpha=p["alpha"],
            ru_ohm=p["ru_ohm"],
            cdl_F=p["cdl_F"],
            n_cycles=3,
        )
        sel = np.arange(0, sim["time_s"].size, 5)  # record every 5 mV
        n = sel.size
        i_noise = rng.normal(0, 2e-3, n)  # mA
        i_rec = sim["I_mA"][sel] + i_noise
        t = 30.0 + sim["time_s"][sel]
        dq = np.r_[0.0, 0.5 * (i_rec[1:] + i_rec[:-1]) * np.diff(t)] / 1000.0  # C
        table = pd.DataFrame(
            {
                "mode": np.full(n, 2),
                "ox/red": (sim["sweep"][sel] > 0).astype(int),
                "error": np.zeros(n, dtype=int),
                "control changes": np.r_[1, np.diff(sim["sweep"][sel]) != 0].astype(int),
                "counter inc.": np.zeros(n, dtype=int),
                "time/s": t,
                "control/V": sim["control_V"][sel],
                "Ewe/V": sim["E_V"][sel] + rng.normal(0, 1e-4, n),
                "<I>/mA": i_rec,
                "cycle number": sim["cycle"][sel].astype(float),
                "(Q-Qo)/C": np.cumsum(dq),
            }
        )
        meta = dict(META_BASE)
        name = f"CrSe2_CV_{v:.1f}mVs_{k + 1:02d}_CV.mpt"
        meta.update(
            {
                "active_mass_mg": CELL["active_mass_mg"],
                "characteristic_mass_mg": CELL["electrode_mass_mg"],
                "area_cm2": CELL["area_cm2"],
                "file": name.replace(".mpt", ".mpr"),
                "acquisition_start": f"03/{1 + k:02d}/2026 09:00:00.000",
                "settings": [
                    ("Ei (V)", "3.000"),
                    ("vs.", "Ref"),
                    ("dE/dt", f"{v:.3f}"),
                    ("dE/dt unit", "mV/s"),
                    ("E1 (V)", "1.000"),
                    ("vs.", "Ref"),
                    ("Step percent", "50"),
                    ("N", "5"),
                    ("E range min (V)", "0.000"),
                    ("E range max (V)", "5.000"),
                    ("I Range", "100 mA"),
                    ("Bandwidth", "5"),
                    ("E2 (V)", "3.000"),
                    ("vs.", "Ref"),
                    ("nc cycles", "2"),
                    ("Reverse Scan", "1"),
                    ("Ef (V)", "3.000"),
                    ("vs.", "Ref"),
                ],
            }
        )
        write_mpt(out / name, table, meta, "CV")
        truth.append({"file": name, "scan_rate_mV_s": v})
    return truth


# --------------------------------------------------------------------------- generate
RATE_STEPS = [0.1, 0.2, 0.5, 1.0, 2.0, 0.1]
RATE_RETENTION = {0.1: 1.0, 0.2: 0.92, 0.5: 0.78, 1.0: 0.63, 2.0: 0.45}
CUTOFFS = [0.75, 1.0, 1.25, 1.5, 2.0]
RETENTION_50 = {1.0: 0.85, 1.25: 0.85, 1.5: 0.94, 2.0: 0.94}


def _rate_factor(c_rate: float, cut: float = 1.0) -> float:
    """Accessible-capacity factor that gives the RATE_RETENTION of the 0.1 C capacity."""
    q01 = _crossing(V_DIS, cut, 0.0, 486.0)
    qpol = _crossing(lambda q: V_DIS(q) - _polarisation(c_rate), cut, 0.0, 486.0)
    return RATE_RETENTION[c_rate] * q01 / qpol


def generate(data_dir: Path, seed: int) -> dict:
    """Write data/echem/ and return the ground truth (see module docstring)."""
    rng = np.random.default_rng([seed, SEED_CONST])
    out = Path(data_dir) / "echem"
    for sub in ("gcpl", "cv", "eis"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    truth: dict[str, Any] = {
        "cell": {k: float(v) for k, v in CELL.items()},
        "theoretical_capacity_mAh_g": float(Q_THEO),
    }
    # first cycles at each lower cut-off (0.1 C)
    first = {}
    for cut in CUTOFFS:
        if cut == 0.75:
            cycles = [
                {"c_rate": 0.1, "s_cap": 1.0, "ce": 318.0 / 482.0, "kind": "conv", "conv_q": 482.0},
                {"c_rate": 0.1, "s_cap": 1.0, "ce": 0.70, "kind": "conv", "conv_q": 447.0},
            ]
        else:
            cycles = [{"c_rate": 0.1, "s_cap": 1.0, "ce": 0.955}]
            for n in range(1, 5):
                s = 1.0 - 0.0012 * n + rng.normal(0, 2e-4)
                cycles.append({"c_rate": 0.1, "s_cap": s, "ce": 0.997})
        name = f"CrSe2_cutoff_{cut:.2f}V_01_GCPL.mpt"
        t = _gcpl_file(out / "gcpl" / name, rng, cut, cycles, de_mV=10.0, dt_s=600.0, title=name)
        first[f"{cut:.2f}"] = {"file": name, "lower_cutoff_V": cut, "cycles": t}
    truth["first_cycles"] = first
    # 50 cycles at 0.5 C
    long = {}
    rf = _rate_factor(0.5)
    for cut, ret in RETENTION_50.items():
        cycles = []
        for n in range(50):
            u = n / 49.0
            s = 1.0 - (1.0 - ret) * u**0.85
            if 0 < n < 49:
                s *= 1.0 + rng.normal(0, 1.5e-3)
            cycles.append({"c_rate": 0.5, "s_cap": s, "ce": 0.996, "rate_factor": rf})
        name = f"CrSe2_0.5C_cutoff_{cut:.2f}V_01_GCPL.mpt"
        t = _gcpl_file(out / "gcpl" / name, rng, cut, cycles, de_mV=40.0, dt_s=1800.0, title=name)
        q = [c["discharge_mAh_g"] for c in t]
        long[f"{cut:.2f}"] = {
            "file": name,
            "lower_cutoff_V": cut,
            "retention_percent": 100.0 * q[-1] / q[0],
            "cycles": t,
        }
    truth["cycling_0.5C"] = long
    # rate test
    cycles = []
    for k, c in enumerate(RATE_STEPS):
        for n in range(5):
            s = 0.985 if k > 0 and c == 0.1 else 1.0
            cycles.append(
                {
                    "c_rate": c,
                    "s_cap": s * (1.0 - 0.0005 * n),
                    "ce": 0.997,
                    "rate_factor": _rate_factor(c),
                }
            )
    name = "CrSe2_rate_01_GCPL.mpt"
    t = _gcpl_file(out / "gcpl" / name, rng, 1.0, cycles, de_mV=20.0, dt_s=1200.0, title=name)
    steps = []
    for k, c in enumerate(RATE_STEPS):
        q = [x["discharge_mAh_g"] for x in t[5 * k : 5 * k + 5]]
        steps.append({"c_rate": c, "mean_discharge_mAh_g": float(np.mean(q))})
    base = steps[0]["mean_discharge_mAh_g"]
    for s_ in steps:
        s_["retention_percent"] = 100.0 * s_["mean_discharge_mAh_g"] / base
    truth["rate"] = {"file": name, "steps": steps, "cycles": t}
    # CV
    truth["cv"] = {
        "files": _write_cv(out / "cv", rng),
        "params": dict(CV_PARAMS),
        "area_cm2": CELL["area_cm2"],
        "li_concentration_mol_cm3": float(CELL["li_concentration_mol_cm3"]),
    }
    # EIS
    truth["eis"] = _write_eis(out / "eis", rng)
    return _plain(truth)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


# --------------------------------------------------------------------------- example study
#: LiCoO2 | Li half cell (example study examples/LiCoO2): open-circuit voltage against the
#: fraction of Li removed (delta = 1 - x in Li_xCoO2): the 3.93 V two-phase plateau, the
#: single-phase slope and the order-disorder step near x = 0.5.
LCO_OCV_ANCHORS = [
    (0.00, 3.850),
    (0.02, 3.890),
    (0.06, 3.915),
    (0.25, 3.935),
    (0.35, 3.975),
    (0.45, 4.060),
    (0.48, 4.090),
    (0.53, 4.200),
    (0.58, 4.300),
    (0.62, 4.400),
]
LCO_M = 6.941 + 58.933 + 2 * 15.999  # g/mol LiCoO2
LCO_Q_THEO = F / 3.6 / LCO_M  # 273.8 mAh/g for 1 Li
LCO_CELL = {"active_mass_mg": 4.8, "area_cm2": 1.539}
LCO_RATE_STEPS = [(0.1, 3), (0.2, 3), (0.5, 3), (1.0, 3), (2.0, 3), (0.1, 3)]
LCO_RATE_FACTOR = {0.1: 1.0, 0.2: 0.985, 0.5: 0.95, 1.0: 0.90, 2.0: 0.81}


def _lco_half(
    rng: np.random.Generator,
    *,
    d_from: float,
    d_to: float,
    c_rate: float,
    v_limit: float,
    scale: float,
    n_points: int = 240,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One constant-current half cycle of Li_xCoO2 between Li-removed fractions (scaled axis).

    Charge (d_to > d_from) ends at ``v_limit`` on the upper side; discharge
    ends on a steep tail that reaches ``v_limit`` when the accessible Li sites
    are full. Returns (fraction passed of the 1-Li capacity per point,
    voltage with noise, fraction passed in total).
    """
    ocv = PchipInterpolator(*zip(*LCO_OCV_ANCHORS, strict=True), extrapolate=True)
    eta = 0.012 + 0.045 * c_rate  # ohmic + charge-transfer polarisation (V)
    sign = 1.0 if d_to > d_from else -1.0
    d = np.linspace(d_from, d_to, 4000)
    # accessible-capacity compression at high rate: the OCV is seen on a stretched axis
    v = ocv(d_from + (d - d_from) / scale) + sign * eta
    if sign < 0:
        v = v - 0.9 * np.exp(-(d - d_to) / 0.004)
        stop = np.flatnonzero(v <= v_limit)
    else:
        stop = np.flatnonzero(v >= v_limit)
    k = int(stop[0]) if stop.size else d.size - 1
    d, v = d[: k + 1], v[: k + 1]
    v[-1] = v_limit
    idx = np.unique(np.linspace(0, d.size - 1, n_points).round().astype(int))
    vv = v[idx] + rng.normal(0.0, 4e-4, idx.size)
    vv[-1] = v[-1]
    return np.abs(d[idx] - d_from), vv, abs(d[-1] - d_from)


def lco_cell_csv(
    path: Path,
    rng: np.random.Generator,
    cycles: list[dict],
    *,
    v_low: float = 3.0,
) -> list[dict]:
    """Write one charge-first LiCoO2 cell as a cycler CSV (h, V, mA, mAh counters per step).

    Each cycle: ``c_rate``, ``v_high`` (upper cut-off, V), ``irr`` (fraction of the
    charged Li not re-inserted on discharge). Returns the per-cycle truth
    (capacities as integrated from the written current, mAh/g).
    """
    mass_g = LCO_CELL["active_mass_mg"] / 1000.0
    rows = []
    t_h, delta, truth = 0.0, 0.0, []
    for n, cyc in enumerate(cycles, start=1):
        c = cyc["c_rate"]
        i_mA = c * LCO_Q_THEO * 0.5 * mass_g  # 1 C = the practical 0.5 Li in one hour
        scale = LCO_RATE_FACTOR[c]
        caps = {}
        for direction in ("charge", "discharge"):
            if direction == "charge":
                frac, v, tot = _lco_half(
                    rng, d_from=delta, d_to=0.70, c_rate=c, v_limit=cyc["v_high"], scale=scale
                )
                d_end = delta + tot
            else:
                floor = delta - (delta - cyc["floor"]) * 1.0
                frac, v, tot = _lco_half(
                    rng, d_from=delta, d_to=floor, c_rate=c, v_limit=v_low, scale=1.0
                )
                d_end = delta - tot
            q_mAh = frac * LCO_Q_THEO * mass_g
            dur_h = q_mAh / i_mA
            for k in range(q_mAh.size):
                rows.append(
                    {
                        "Test Time (h)": t_h + dur_h[k],
                        "Voltage (V)": v[k],
                        "Current (mA)": i_mA if direction == "charge" else -i_mA,
                        "Charge Capacity (mAh)": q_mAh[k] if direction == "charge" else 0.0,
                        "Discharge Capacity (mAh)": q_mAh[k] if direction == "discharge" else 0.0,
                        "Cycle Index": n,
                    }
                )
            t_h += float(dur_h[-1])
            caps[direction] = float(q_mAh[-1] / mass_g)
            delta = d_end
        truth.append(
            {
                "cycle": n,
                "c_rate": c,
                "charge_mAh_g": caps["charge"],
                "discharge_mAh_g": caps["discharge"],
            }
        )
    table = pd.DataFrame(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.7g", lineterminator="\n")
    return truth


def generate_example_licoo2(study_dir: Path, seed: int) -> dict:
    """Write examples/LiCoO2/data/echem/ (CSV cycler exports) and its truth.yaml.

    Two formation cells charged first from LiCoO2 (x = 1) at 0.1 C to 4.2 V and
    to 4.3 V (5 cycles, 3.0 V lower limit; first-cycle loss 0.02 Li per
    LiCoO2), and a rate test at 4.2 V (3 cycles each at 0.1, 0.2, 0.5, 1, 2, 0.1 C).
    """
    import yaml

    rng = np.random.default_rng([seed, SEED_CONST, 2])
    out = Path(study_dir) / "data" / "echem"
    truth: dict[str, Any] = {
        "cell": dict(LCO_CELL),
        "theoretical_capacity_mAh_g": float(LCO_Q_THEO),
        "first_half_cycle": "charge",
    }

    def formation(v_high: float, n_cycles: int) -> list[dict]:
        cyc = [{"c_rate": 0.1, "v_high": v_high, "floor": 0.02}]
        for k in range(1, n_cycles):
            cyc.append({"c_rate": 0.1, "v_high": v_high, "floor": 0.02 + 0.003 * k})
        return cyc

    cells = {}
    for v_high in (4.2, 4.3):
        name = f"LCO_formation_{v_high:.1f}V.csv"
        t = lco_cell_csv(out / name, rng, formation(v_high, 5))
        c1 = t[0]
        cells[f"{v_high:.1f}"] = {
            "file": name,
            "upper_cutoff_V": v_high,
            "first_charge_mAh_g": c1["charge_mAh_g"],
            "first_discharge_mAh_g": c1["discharge_mAh_g"],
            "first_cycle_ce_percent": 100.0 * c1["discharge_mAh_g"] / c1["charge_mAh_g"],
            "cycles": t,
        }
    truth["formation"] = cells
    rate_cycles, k = [], 0
    for c, n in LCO_RATE_STEPS:
        for _ in range(n):
            rate_cycles.append({"c_rate": c, "v_high": 4.2, "floor": 0.02 + 0.0005 * k})
            k += 1
    t = lco_cell_csv(out / "LCO_rate_4.2V.csv", rng, rate_cycles)
    steps, k0 = [], 0
    for c, n in LCO_RATE_STEPS:
        q = [x["discharge_mAh_g"] for x in t[k0 : k0 + n]]
        steps.append({"c_rate": c, "cycles": n, "mean_discharge_mAh_g": float(np.mean(q))})
        k0 += n
    for s_ in steps:
        s_["retention_percent"] = (
            100.0 * s_["mean_discharge_mAh_g"] / steps[0]["mean_discharge_mAh_g"]
        )
    truth["rate"] = {"file": "LCO_rate_4.2V.csv", "steps": steps, "cycles": t}
    truth = _plain(truth)
    header = (
        "# Ground truth of the LiCoO2 example's echem data (SYNTHETIC).\n"
        "# Written by `python -m intercal.simulate.echem --example LiCoO2`; do not edit.\n"
    )
    (out / "truth.yaml").write_text(header + yaml.safe_dump(truth, sort_keys=False))
    return truth


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m intercal.simulate.echem --example LiCoO2 [--dir examples/LiCoO2]``."""
    import argparse

    from . import __main__ as sim_main

    ap = argparse.ArgumentParser(prog="python -m intercal.simulate.echem")
    ap.add_argument("--example", choices=["LiCoO2"], required=True)
    ap.add_argument("--dir", type=Path, default=Path("examples/LiCoO2"))
    ap.add_argument("--seed", type=int, default=sim_main.DEFAULT_SEED)
    args = ap.parse_args(argv)
    generate_example_licoo2(args.dir, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
