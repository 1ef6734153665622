"""Forward model for the XAS demo data: Cr K and Se K transmission XANES/EXAFS scans.

What is simulated (per scan, in the order the photons meet things)::

    I0  = N0(E, t) * g0 + dark0                      (ion chamber 1, counts)
    It  = N0 * exp(-mu_sample(E) - mu_win) * g1      (after the sample)
    Iref = It * exp(-mu_ref(E) - mu_win2) * g2        (after the reference foil)

with Poisson noise on every channel (and a dark-current offset on I0). The
monochromator is mis-calibrated by a per-scan energy offset: the file's energy
column is ``E_true + offset``; the reference foil in the Iref channel lets the
analysis remove it.

The absorption of each material is physically richer than any fit model:

* core-hole Lorentzian broadening (Krause & Oliver K-level widths: Cr 1.08 eV,
  Se 2.33 eV FWHM) of several edge steps (an integrated Lorentzian each),
  Lorentzian bound-state peaks (pre-edge, shoulder, white line, post-edge
  resonances), and EXAFS-like oscillations chi(k) from a few shells with
  Debye-Waller damping and a smooth onset;
* monochromator resolution: Si(111) dE/E = 1.4e-4, a Gaussian convolution;
* a Victoreen-like sloping background (other elements, E^-3) and an atomic
  post-edge decay (E^-2.6) of the edge jump;
* beam decay and monochromator throughput in I0, dark current, detector gains.

Ground truth ("edge" definition, used by the analysis): the edge energy E0 of a
spectrum is the energy of the maximum of dmu/dE of the noise-free, broadened
sample absorption on the true energy scale. Each model is shifted so that this
maximum lands exactly on the target energy (found numerically on a 0.005 eV
grid). The pre-edge energy is the centre of the (symmetric) pre-edge peak. The
reference foils are built the same way, with their derivative maximum at the
tabulated value (Cr 5989.0 eV, Se 12658.0 eV).

This module is independent of :mod:`intercal.xas` (no shared code).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

#: XAS's own constant mixed into the master seed
_SEED_CONST = 0x5A5

#: hbar^2/(2 m_e) in eV A^2: E - E0 = k^2 * ETOK^-1
_KTOE = 3.8099821

#: K-level core-hole widths (FWHM, eV; Krause & Oliver 1979)
CORE_HOLE = {"Cr": 1.08, "Se": 2.33}

#: Si(111) intrinsic resolution dE/E (FWHM) with a slightly divergent beam
MONO_DE_OVER_E = 1.4e-4

#: tabulated reference energies (first-derivative maximum of the foil)
REF_E0 = {"Cr": 5989.0, "Se": 12658.0}

_FINE_STEP = 0.005  # eV, grid of the noise-free model


def _istep(x: np.ndarray, fwhm: float) -> np.ndarray:
    """Integrated unit-area Lorentzian (an arctan step) of FWHM ``fwhm`` (eV)."""
    return 0.5 + np.arctan(2.0 * x / fwhm) / math.pi


def _lorentz(x: np.ndarray, fwhm: float) -> np.ndarray:
    """Unit-area Lorentzian of FWHM ``fwhm`` (eV)."""
    g = 0.5 * fwhm
    return g / math.pi / (x * x + g * g)


def _chi(e_rel: np.ndarray, shells: list[tuple[float, float, float, float]]) -> np.ndarray:
    """EXAFS-like chi(E) from shells (N*amp, R in A, sigma2 in A^2, phase in rad)."""
    k = np.sqrt(np.clip(e_rel, 0.0, None) / _KTOE)
    out = np.zeros_like(e_rel)
    for amp, r, s2, ph in shells:
        with np.errstate(divide="ignore", invalid="ignore"):
            term = amp * np.sin(2 * k * r + ph) * np.exp(-2 * s2 * k * k) / (k * r * r)
        out += np.where(k > 0, term, 0.0)
    onset = 1.0 - np.exp(-((np.clip(e_rel, 0.0, None) / 25.0) ** 2))
    return out * onset


def _shape(e_rel: np.ndarray, comp: dict, element: str) -> np.ndarray:
    """Normalized absorption (edge jump 1) before broadening by the monochromator."""
    gam = CORE_HOLE[element]
    y = np.zeros_like(e_rel)
    steps = comp["steps"]  # (position, weight); weights sum to 1
    for pos, w in steps:
        y += w * _istep(e_rel - pos, gam)
    y *= 1.0 + _chi(e_rel - steps[0][0], comp["shells"])
    for pos, area, extra in comp["peaks"]:  # (position, area eV, extra width eV)
        y += area * _lorentz(e_rel - pos, gam + extra)
    return y


def _model_mu(
    e_true: np.ndarray, comp: dict, element: str, shift: float, jump: float, e_edge: float
) -> np.ndarray:
    """Absolute mu(E) (dimensionless mu*x) of one material on the true energy axis."""
    lo, hi = e_true.min() - 30.0, e_true.max() + 30.0
    fine = np.arange(lo, hi, _FINE_STEP)
    shape = _shape(fine - shift, comp, element)
    fwhm_res = MONO_DE_OVER_E * e_edge
    shape = gaussian_filter1d(shape, fwhm_res / 2.3548 / _FINE_STEP, mode="nearest")
    decay = np.where(fine > e_edge, (e_edge / fine) ** 2.6, 1.0)
    mu = comp["bg"] * (e_edge / fine) ** 3 + jump * shape * decay
    return np.interp(e_true, fine, mu)


def _deriv_max_abs(
    comp: dict, element: str, e0_guess: float, edge_nominal: float, jump: float
) -> float:
    """Derivative maximum of ``comp`` placed with shift ``e0_guess``, relative to it (eV)."""
    e = np.arange(e0_guess - 40.0, e0_guess + 40.0, _FINE_STEP)
    mu = _model_mu(e, comp, element, e0_guess, jump, edge_nominal)
    d = np.gradient(mu, e)
    sel = np.abs(e - e0_guess) < 6.0
    i = np.flatnonzero(sel)[np.argmax(d[sel])]
    y0, y1, y2 = d[i - 1], d[i], d[i + 1]
    return float(e[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * _FINE_STEP) - e0_guess


# ----------------------------------------------------------------------------------------
# materials (positions relative to the main step, eV; areas in eV x edge jump)
# ----------------------------------------------------------------------------------------


def _materials() -> dict:
    se_shells_crse2 = [(1.6, 2.47, 0.0055, 0.3), (1.2, 3.40, 0.0090, 1.9)]
    se_shells_licrse2 = [(1.6, 2.54, 0.0060, 0.2), (1.2, 3.65, 0.0095, 1.6)]
    cr_shells_crse2 = [(2.4, 2.47, 0.0050, -0.4), (1.6, 3.40, 0.0080, 1.2)]
    cr_shells_licrse2 = [(2.4, 2.54, 0.0055, -0.5), (1.6, 3.65, 0.0085, 1.0)]
    return {
        ("Se", "CrSe2"): {
            "steps": [(0.0, 0.8), (4.5, 0.2)],
            "peaks": [(-9.0, 0.55, 0.6), (2.2, 2.2, 1.5), (9.0, 1.2, 5.0), (22.0, 1.5, 9.0)],
            "shells": se_shells_crse2,
            "bg": 0.55,
        },
        ("Se", "LiCrSe2"): {
            "steps": [(0.0, 0.8), (4.0, 0.2)],
            "peaks": [(-7.2, 0.22, 0.6), (2.0, 2.9, 1.5), (10.0, 1.0, 5.0), (24.0, 1.4, 9.0)],
            "shells": se_shells_licrse2,
            "bg": 0.55,
        },
        ("Se", "reference"): {  # grey Se powder in the reference position
            "steps": [(0.0, 1.0)],
            "peaks": [(1.5, 2.6, 0.8), (12.0, 1.0, 6.0)],
            "shells": [(2.0, 2.37, 0.0035, 0.5)],
            "bg": 0.25,
        },
        ("Cr", "CrSe2"): {
            "steps": [(-3.2, 0.25), (0.0, 0.75)],
            "peaks": [(-3.6, 0.12, 0.4), (4.5, 2.0, 2.5), (14.0, 1.4, 6.0)],
            "shells": cr_shells_crse2,
            "bg": 0.70,
        },
        ("Cr", "LiCrSe2"): {
            "steps": [(-3.0, 0.25), (0.0, 0.75)],
            "peaks": [(-3.3, 0.09, 0.4), (4.0, 2.4, 2.5), (13.0, 1.3, 6.0)],
            "shells": cr_shells_licrse2,
            "bg": 0.70,
        },
        ("Cr", "Cr2O3"): {
            "steps": [(-5.0, 0.15), (0.0, 0.85)],
            "peaks": [(-9.5, 0.10, 0.3), (-7.5, 0.06, 0.3), (7.0, 3.3, 2.5), (20.0, 1.6, 8.0)],
            "shells": [(3.0, 1.99, 0.0030, 0.8), (2.0, 2.89, 0.0060, 2.0)],
            "bg": 0.60,
        },
        ("Cr", "CrO2"): {
            "steps": [(-4.5, 0.2), (0.0, 0.8)],
            "peaks": [(-10.5, 0.12, 0.3), (-8.7, 0.08, 0.3), (6.5, 2.8, 2.5), (19.0, 1.5, 8.0)],
            "shells": [(3.0, 1.91, 0.0030, 0.9), (1.6, 2.92, 0.0060, 2.1)],
            "bg": 0.60,
        },
        ("Cr", "reference"): {  # Cr metal foil
            "steps": [(-1.8, 0.18), (0.0, 0.82)],
            "peaks": [(5.0, 1.0, 3.0), (17.0, 0.6, 6.0)],
            "shells": [(4.0, 2.50, 0.0040, 0.0), (2.0, 2.88, 0.0050, 1.0)],
            "bg": 0.20,
        },
    }


# targets: derivative-maximum edge energies (eV) on the true energy scale
EDGE_TARGETS = {
    ("Se", "CrSe2"): 12669.4,
    ("Se", "LiCrSe2"): 12667.4,
    ("Cr", "LiCrSe2"): 5991.80,
    ("Cr", "CrSe2"): 5991.80 + 1.25,
    ("Cr", "Cr2O3"): 5999.6,
    ("Cr", "CrO2"): 6001.9,
}
PREEDGE_TARGETS = {("Se", "CrSe2"): 12660.2, ("Se", "LiCrSe2"): 12660.0}

#: scans: (element, sample, number of repeats, nominal per-scan energy offsets in eV)
SCANS = [
    ("Se", "CrSe2", 3, (-1.62, -1.48, -1.71)),
    ("Se", "LiCrSe2", 3, (-1.55, -1.69, -1.44)),
    ("Se", "Li0.6CrSe2", 2, (-1.58, -1.66)),
    ("Cr", "CrSe2", 3, (0.84, 0.97, 0.78)),
    ("Cr", "LiCrSe2", 3, (0.91, 0.73, 1.02)),
    ("Cr", "Cr2O3", 2, (0.88, 0.95)),
    ("Cr", "CrO2", 2, (0.80, 0.93)),
]
MIX_FRACTION = {"Li0.6CrSe2": 0.6}  # LiCrSe2 fraction of the two-phase mixture

EDGE_NOMINAL = {"Cr": 5990.0, "Se": 12660.0}
JUMP = {"Cr": 1.05, "Se": 0.95}
REF_JUMP = {"Cr": 1.6, "Se": 1.1}


def _grid(element: str) -> np.ndarray:
    """Beamline scan grid: 5 eV pre-edge, 0.2 eV XANES, 0.04 1/A steps in k to k = 10."""
    e0 = EDGE_NOMINAL[element]
    pre = np.arange(e0 - 150.0, e0 - 30.0, 5.0)
    xanes = np.arange(e0 - 30.0, e0 + 45.0, 0.2)
    k = np.arange(math.sqrt(45.0 / _KTOE), 10.0 + 1e-9, 0.04)
    exafs = e0 + _KTOE * k * k
    return np.concatenate([pre, xanes, exafs[exafs > xanes[-1] + 0.1]])


def _placed_comp(mats: dict, element: str, sample: str) -> tuple[dict, float]:
    """(material dict, shift) with the derivative maximum at its target."""
    comp = {k: (list(v) if isinstance(v, list) else v) for k, v in mats[(element, sample)].items()}
    target = EDGE_TARGETS[(element, sample)]
    pre = PREEDGE_TARGETS.get((element, sample))
    shift = target
    for _ in range(4):  # fixed point: the pre-edge peak barely moves the derivative maximum
        shift = target - _deriv_max_abs(comp, element, shift, EDGE_NOMINAL[element], JUMP[element])
        if pre is not None:
            peaks = comp["peaks"]
            peaks[0] = (pre - shift, peaks[0][1], peaks[0][2])
    return comp, shift


def _true_deriv_max(mu_fn, e_near: float) -> float:
    e = np.arange(e_near - 20.0, e_near + 20.0, _FINE_STEP)
    d = np.gradient(mu_fn(e), e)
    sel = np.abs(e - e_near) < 6.0
    i = np.flatnonzero(sel)[np.argmax(d[sel])]
    y0, y1, y2 = d[i - 1], d[i], d[i + 1]
    return float(e[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * _FINE_STEP)


def _header_dat(meta: dict, columns: list[str]) -> str:
    lines = [
        "# Diamond Light Source Ltd.",
        "# B18 Core EXAFS beamline: ascii scan file",
        f"# Scan number: {meta['scan_number']}",
        f"# Date: {meta['date']}",
        f"# Sample: {meta['sample']}",
        f"# Element: {meta['element']}",
        f"# Edge: {meta['edge']}",
        f"# Edge energy (tabulated): {meta['edge_energy']:.1f} eV",
        f"# Reference foil: {meta['reference']}",
        "# Mode: transmission",
        "# Monochromator: Si(111), d = 3.13551 A",
        "# Ring energy: 3.0 GeV",
        f"# Initial ring current: {meta['ring_current']:.1f} mA",
        "# Detectors: I0 ion chamber 15 cm, It 30 cm, Iref 30 cm (counts, V-to-F)",
        f"# Dark current I0: {meta['dark0']:.1f} counts/point",
        "# Dwell time: 1.0 s",
        "# Synthetic demo data written by intercal.simulate.xas (see data/README.md)",
        "# " + "\t".join(columns),
    ]
    return "\n".join(lines) + "\n"


def _header_xdi(meta: dict) -> str:
    lines = [
        "# XDI/1.0 intercal-simulate/0.1",
        "# Column.1: energy eV",
        "# Column.2: i0",
        "# Column.3: itrans",
        "# Column.4: irefer",
        f"# Element.symbol: {meta['element']}",
        f"# Element.edge: {meta['edge']}",
        f"# Element.reference: {meta['element']}",
        "# Mono.name: Si 111",
        "# Mono.d_spacing: 3.13551",
        "# Beamline.name: B18",
        "# Facility.name: Diamond Light Source",
        "# Facility.energy: 3.0 GeV",
        f"# Scan.start_time: {meta['date']}",
        f"# Scan.edge_energy: {meta['edge_energy']:.1f}",
        f"# Sample.name: {meta['sample']}",
        "# Sample.prep: pellet with cellulose, transmission",
        "# Detector.I0: 15 cm ion chamber",
        "# Detector.I1: 30 cm ion chamber",
        "# ///",
        f"# Synthetic demo scan {meta['scan_number']} (intercal.simulate.xas).",
        f"# Reference channel: {meta['reference']} foil/powder after the sample.",
        "#----",
        "# energy i0 itrans irefer",
    ]
    return "\n".join(lines) + "\n"


def _format_rows(cols: list[np.ndarray], sep: str) -> str:
    e, i0, it, ir = cols
    rows = [
        f"{a:.3f}{sep}{int(b):d}{sep}{int(c):d}{sep}{int(d):d}"
        for a, b, c, d in zip(e, i0, it, ir, strict=True)
    ]
    return "\n".join(rows) + "\n"


def generate(data_dir: Path, seed: int) -> dict:
    """Write the XAS demo scans into ``data_dir/xas/`` and return the ground truth.

    Parameters
    ----------
    data_dir : pathlib.Path
        The data/ folder; files go to ``data_dir/xas``.
    seed : int
        Master seed; the XAS stream is ``default_rng([seed, 0x5A5])``.

    Returns
    -------
    dict
        Ground truth (plain python types): edge and pre-edge energies (eV),
        the Cr edge shift, per-scan energy offsets, noise and file lists.
    """
    rng = np.random.default_rng([seed, _SEED_CONST])
    out = Path(data_dir) / "xas"
    out.mkdir(parents=True, exist_ok=True)
    mats = _materials()

    placed = {}
    for key in EDGE_TARGETS:
        placed[key] = _placed_comp(mats, *key)
    for el in ("Cr", "Se"):
        comp = mats[(el, "reference")]
        shift = REF_E0[el]
        for _ in range(3):
            shift = REF_E0[el] - _deriv_max_abs(comp, el, shift, EDGE_NOMINAL[el], REF_JUMP[el])
        placed[(el, "reference")] = (comp, shift)

    def mu_of(el: str, sample: str, e: np.ndarray, jump: float) -> np.ndarray:
        if sample in MIX_FRACTION:
            f = MIX_FRACTION[sample]
            a = mu_of(el, "CrSe2", e, jump)
            b = mu_of(el, "LiCrSe2", e, jump)
            return (1.0 - f) * a + f * b
        comp, shift = placed[(el, sample)]
        return _model_mu(e, comp, el, shift, jump, EDGE_NOMINAL[el])

    truth: dict = {
        "edge_definition": (
            "E0 = energy of the maximum of dmu/dE of the noise-free, resolution-broadened "
            "absorption on the true (calibrated) energy scale; pre-edge = centre of the "
            "symmetric pre-edge peak"
        ),
        "reference_e0_eV": {k: float(v) for k, v in REF_E0.items()},
        "edges_eV": {},
        "preedge_eV": {},
        "scans": [],
    }
    scan_no = 41200
    for el, sample, nrep, offsets in SCANS:
        e_true = _grid(el)
        n = len(e_true)
        mu_s = mu_of(el, sample, e_true, JUMP[el])
        mu_r = mu_of(el, "reference", e_true, REF_JUMP[el])
        e0_true = _true_deriv_max(
            lambda e, el=el, s=sample: mu_of(el, s, e, JUMP[el]), _near(el, s=sample)
        )
        truth["edges_eV"].setdefault(el, {})[sample] = round(e0_true, 4)
        if (el, sample) in PREEDGE_TARGETS:
            truth["preedge_eV"].setdefault(el, {})[sample] = PREEDGE_TARGETS[(el, sample)]
        files = []
        for rep in range(nrep):
            scan_no += 1
            offset = float(offsets[rep])
            # beam: ring decay, mono throughput (smooth), plus a little slow drift
            frac = np.linspace(0.0, 1.0, n)
            throughput = 1.0 - 0.25 * ((e_true - e_true.mean()) / np.ptp(e_true)) ** 2
            current = 300.0 - 1.5 * rep
            n0 = 1.2e7 * (current / 300.0) * throughput * (1.0 - 0.01 * frac)
            dark0 = 250.0
            win = 0.15  # windows, air and the sample matrix (other elements)
            g1, g2 = 0.62, 0.55  # relative detector efficiencies
            lam_t = n0 * np.exp(-mu_s - win) * g1
            lam_r = lam_t * np.exp(-mu_r - win) * g2
            i0 = rng.poisson(n0 + dark0)
            it = rng.poisson(lam_t)
            ir = rng.poisson(lam_r)
            e_file = e_true + offset
            tag = f"{el}K_{sample}_{rep + 1:02d}"
            meta = {
                "scan_number": scan_no,
                "date": f"2024-03-{12 + (rep % 3):02d}T{9 + rep:02d}:{(7 * scan_no) % 60:02d}:00",
                "sample": sample,
                "element": el,
                "edge": "K",
                "edge_energy": REF_E0[el],
                "reference": "Cr metal" if el == "Cr" else "Se (grey, powder)",
                "ring_current": current,
                "dark0": dark0,
            }
            cols = [e_file, i0, it, ir]
            dat = _header_dat(meta, ["energy", "I0", "It", "Iref"]) + _format_rows(cols, "\t")
            (out / f"{tag}.dat").write_text(dat)
            xdi = _header_xdi(meta) + _format_rows(cols, "  ")
            (out / f"{tag}.xdi").write_text(xdi)
            files.append(f"{tag}.dat")
            truth["scans"].append(
                {
                    "file": f"{tag}.dat",
                    "element": el,
                    "sample": sample,
                    "energy_offset_eV": offset,
                    "calibration_shift_eV": -offset,
                }
            )
    cr = truth["edges_eV"]["Cr"]
    truth["cr_edge_shift_eV"] = round(cr["CrSe2"] - cr["LiCrSe2"], 4)
    truth["lcf"] = {
        "Se": {"Li0.6CrSe2": {"CrSe2": 1.0 - MIX_FRACTION["Li0.6CrSe2"], "LiCrSe2": 0.6}}
    }
    truth["noise"] = (
        "Poisson counts: I0 ~1.2e7 per point (+250 dark), It = I0 exp(-mu-0.15)*0.62, "
        "Iref = It exp(-mu_ref-0.15)*0.55"
    )
    truth["resolution_fwhm_eV"] = {
        el: round(MONO_DE_OVER_E * EDGE_NOMINAL[el], 3) for el in ("Cr", "Se")
    }
    truth["core_hole_fwhm_eV"] = dict(CORE_HOLE)
    return truth


def _near(el: str, s: str) -> float:
    if s in MIX_FRACTION:
        return 0.5 * (EDGE_TARGETS[(el, "CrSe2")] + EDGE_TARGETS[(el, "LiCrSe2")])
    return EDGE_TARGETS[(el, s)]


# ----------------------------------------------------------------------------------------
# Second example study: Co K edge of LiCoO2 on charge (examples/LiCoO2/)
# ----------------------------------------------------------------------------------------

#: Co K-level core-hole width (FWHM, eV; Krause & Oliver 1979) and the Co foil E0 (eV)
CO_CORE_HOLE = 1.33
CO_REF_E0 = 7709.0
CO_EDGE_NOMINAL = 7715.0

#: derivative-maximum targets (eV, true scale); Co oxidation on charge moves the edge up
CO_EDGE_TARGETS = {"LiCoO2": 7721.0, "Li0.5CoO2": 7721.9}
#: pre-edge (1s -> 3d) peak centres (eV)
CO_PREEDGE_TARGETS = {"LiCoO2": 7709.6, "Li0.5CoO2": 7709.9}
#: mid-charge electrode measured in fluorescence: fraction of the delithiated end member
CO_MIX = {"Li0.75CoO2": 0.5}
#: energy offsets of the mis-calibrated monochromator per scan (eV) and the scan format
CO_SCANS = [
    ("LiCoO2", "transmission", "dat", (0.62, 0.71, 0.55)),
    ("Li0.5CoO2", "transmission", "dat", (0.68, 0.52, 0.60)),
    ("Li0.75CoO2", "fluorescence", "xdi", (0.58, 0.66, 0.74)),
]


def _co_materials() -> dict:
    """Co K-edge absorption shapes (positions relative to the main step, eV)."""
    return {
        "LiCoO2": {
            "steps": [(-4.2, 0.2), (0.0, 0.8)],
            # pre-edge (placed at its target), 4p shoulder, white line, resonance
            "peaks": [(-11.4, 0.16, 0.4), (-6.0, 0.12, 1.0), (4.5, 2.6, 2.5), (17.0, 1.4, 7.0)],
            "shells": [(3.0, 1.92, 0.0030, 0.6), (2.0, 2.82, 0.0045, 1.8)],
            "bg": 0.45,
        },
        "Li0.5CoO2": {
            "steps": [(-4.0, 0.2), (0.0, 0.8)],
            "peaks": [(-12.0, 0.21, 0.4), (-5.6, 0.10, 1.0), (4.8, 2.3, 2.7), (16.5, 1.3, 7.0)],
            "shells": [(3.0, 1.90, 0.0035, 0.7), (2.0, 2.81, 0.0050, 1.9)],
            "bg": 0.45,
        },
        "foil": {
            "steps": [(-1.6, 0.2), (0.0, 0.8)],
            "peaks": [(4.5, 1.0, 3.0), (16.0, 0.6, 6.0)],
            "shells": [(4.0, 2.50, 0.0045, 0.2), (2.0, 2.88, 0.0055, 1.1)],
            "bg": 0.20,
        },
    }


def _co_mu(e: np.ndarray, comp: dict, shift: float, jump: float) -> np.ndarray:
    """Co K mu(E) of one material (same physics as :func:`_model_mu`)."""
    lo, hi = e.min() - 30.0, e.max() + 30.0
    fine = np.arange(lo, hi, _FINE_STEP)
    y = np.zeros_like(fine)
    x = fine - shift
    for pos, w in comp["steps"]:
        y += w * _istep(x - pos, CO_CORE_HOLE)
    y *= 1.0 + _chi(x - comp["steps"][0][0], comp["shells"])
    for pos, area, extra in comp["peaks"]:
        y += area * _lorentz(x - pos, CO_CORE_HOLE + extra)
    y = gaussian_filter1d(y, MONO_DE_OVER_E * CO_EDGE_NOMINAL / 2.3548 / _FINE_STEP)
    decay = np.where(fine > CO_EDGE_NOMINAL, (CO_EDGE_NOMINAL / fine) ** 2.6, 1.0)
    mu = comp["bg"] * (CO_EDGE_NOMINAL / fine) ** 3 + jump * y * decay
    return np.interp(e, fine, mu)


def _co_deriv_max(fn, near: float) -> float:
    e = np.arange(near - 20.0, near + 20.0, _FINE_STEP)
    d = np.gradient(fn(e), e)
    sel = np.abs(e - near) < 4.0
    i = np.flatnonzero(sel)[np.argmax(d[sel])]
    y0, y1, y2 = d[i - 1], d[i], d[i + 1]
    return float(e[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * _FINE_STEP)


def _co_placed() -> dict:
    """Each Co material shifted so its derivative maximum (and pre-edge) hit the targets."""
    mats = _co_materials()
    out = {}
    for name, target in [*CO_EDGE_TARGETS.items(), ("foil", CO_REF_E0)]:
        comp = {k: (list(v) if isinstance(v, list) else v) for k, v in mats[name].items()}
        shift = target
        for _ in range(5):
            got = _co_deriv_max(lambda e, c=comp, s=shift: _co_mu(e, c, s, 1.0), shift)
            shift = shift + (target - got)
            pre = CO_PREEDGE_TARGETS.get(name)
            if pre is not None:
                p = comp["peaks"]
                p[0] = (pre - shift, p[0][1], p[0][2])
        out[name] = (comp, shift)
    return out


def _co_grid() -> np.ndarray:
    e0 = CO_EDGE_NOMINAL
    pre = np.arange(e0 - 150.0, e0 - 30.0, 5.0)
    xanes = np.arange(e0 - 30.0, e0 + 45.0, 0.2)
    k = np.arange(math.sqrt(45.0 / _KTOE), 9.0 + 1e-9, 0.05)
    exafs = e0 + _KTOE * k * k
    return np.concatenate([pre, xanes, exafs[exafs > xanes[-1] + 0.1]])


def generate_licoo2(out_dir: Path, seed: int = 20260301, placed: dict | None = None) -> dict:
    """Write the Co K-edge scans of the LiCoO2 example study and return the truth.

    LiCoO2 and Li0.5CoO2 in transmission (column ASCII, eV), a mid-charge
    electrode Li0.75CoO2 (half of each end member) in fluorescence (XDI,
    energy column in keV, dilute so self-absorption is small), each scan with
    a Co-foil reference after the sample (Iref) and its own monochromator
    offset. Poisson counting noise on every channel.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder that receives the files (created).
    seed : int
        Seed of the noise (``default_rng([seed, 0xC0])``).
    placed : dict, optional
        Cached result of the material placement (speeds up repeated calls).

    Returns
    -------
    dict
        Ground truth: edge (derivative maximum) and pre-edge energies (eV),
        the edge shift, LCF fraction, per-scan calibration shifts.
    """
    rng = np.random.default_rng([seed, 0xC0])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    placed = placed or _co_placed()
    e_true = _co_grid()
    n = e_true.size

    def mu_sample(name: str, e: np.ndarray, jump: float) -> np.ndarray:
        if name in CO_MIX:
            f = CO_MIX[name]
            return (1 - f) * mu_sample("LiCoO2", e, jump) + f * mu_sample("Li0.5CoO2", e, jump)
        comp, shift = placed[name]
        return _co_mu(e, comp, shift, jump)

    foil_c, foil_s = placed["foil"]
    mu_ref = _co_mu(e_true, foil_c, foil_s, 1.5)
    truth: dict = {
        "edge_definition": (
            "E0 = max of dmu/dE of the noise-free, resolution-broadened absorption (true "
            "energy scale); pre-edge = centre of the Lorentzian 1s-3d peak"
        ),
        "reference_e0_eV": {"Co": CO_REF_E0},
        "edges_eV": {"Co": {}},
        "preedge_eV": {"Co": dict(CO_PREEDGE_TARGETS)},
        "lcf": {"Co": {k: {"LiCoO2": 1 - f, "Li0.5CoO2": f} for k, f in CO_MIX.items()}},
        "scans": [],
    }
    for name, mode, _fmt, offsets in CO_SCANS:
        near = CO_EDGE_TARGETS.get(name, np.mean(list(CO_EDGE_TARGETS.values())))
        e0_true = _co_deriv_max(lambda e, s=name: mu_sample(s, e, 1.0), near)
        truth["edges_eV"]["Co"][name] = round(e0_true, 4)
        for rep, offset in enumerate(offsets):
            frac = np.linspace(0.0, 1.0, n)
            throughput = 1.0 - 0.2 * ((e_true - e_true.mean()) / np.ptp(e_true)) ** 2
            n0 = 8.0e6 * (1.0 - 0.004 * rep) * throughput * (1.0 - 0.01 * frac)
            if mode == "transmission":
                mu_s = mu_sample(name, e_true, 1.1)
                other = 0.0
            else:  # thin electrode: small Co jump on a matrix
                mu_s = mu_sample(name, e_true, 0.08)
                other = 0.35
            lam_t = n0 * np.exp(-mu_s - other - 0.12) * 0.6
            lam_r = lam_t * np.exp(-mu_ref - 0.12) * 0.55
            i0 = rng.poisson(n0 + 180.0)
            it = rng.poisson(lam_t)
            ir = rng.poisson(lam_r)
            e_file = e_true + offset
            tag = f"CoK_{name}_{rep + 1:02d}"
            if mode == "transmission":
                head = [
                    "# Synthetic Co K-edge scan (intercal.simulate.xas.generate_licoo2)",
                    f"# Sample: {name}",
                    "# Mode: transmission",
                    "# Reference foil: Co metal (Iref)",
                    "# energy\tI0\tIt\tIref",
                ]
                rows = [
                    f"{a:.3f}\t{b:d}\t{c:d}\t{d:d}"
                    for a, b, c, d in zip(e_file, i0, it, ir, strict=True)
                ]
                (out / f"{tag}.dat").write_text("\n".join(head + rows) + "\n")
                fname = f"{tag}.dat"
            else:
                # fluorescence: a dilute absorber (If ~ mu_Co / (mu_Co + mu_matrix), nearly
                # linear) plus elastic/Compton scatter that leaks into the window
                mu_co = mu_s - 0.45 * (CO_EDGE_NOMINAL / e_true) ** 3  # Co part only
                lam_f = n0 * 0.02 * mu_co / (mu_co + 2.0) + n0 * 2.0e-4
                fl = rng.poisson(lam_f)
                head = [
                    "# XDI/1.0 intercal-simulate/0.1",
                    "# Column.1: energy keV",
                    "# Column.2: i0",
                    "# Column.3: itrans",
                    "# Column.4: irefer",
                    "# Column.5: ifluor",
                    "# Element.symbol: Co",
                    "# Element.edge: K",
                    "# Mono.name: Si 111",
                    f"# Sample.name: {name}",
                    "# Sample.prep: electrode on Al foil, fluorescence (4-element SDD)",
                    "# ///",
                    "# Synthetic scan (intercal.simulate.xas.generate_licoo2); Co foil in Iref.",
                    "#----",
                    "# energy i0 itrans irefer ifluor",
                ]
                rows = [
                    f"{a / 1000.0:.6f}  {b:d}  {c:d}  {d:d}  {f:d}"
                    for a, b, c, d, f in zip(e_file, i0, it, ir, fl, strict=True)
                ]
                (out / f"{tag}.xdi").write_text("\n".join(head + rows) + "\n")
                fname = f"{tag}.xdi"
            truth["scans"].append(
                {
                    "file": fname,
                    "sample": name,
                    "mode": mode,
                    "energy_offset_eV": float(offset),
                    "calibration_shift_eV": -float(offset),
                }
            )
    co = truth["edges_eV"]["Co"]
    truth["edge_shift_eV"] = {"Co": round(co["Li0.5CoO2"] - co["LiCoO2"], 4)}
    truth["noise"] = "Poisson counts: I0 ~8e6 per point; fluorescence If ~ 1e4 at the edge"
    return truth


def _main(argv: list[str] | None = None) -> int:
    """``python -m intercal.simulate.xas --example LiCoO2 [--out DIR] [--seed N]``."""
    import argparse

    import yaml

    ap = argparse.ArgumentParser(prog="python -m intercal.simulate.xas")
    ap.add_argument("--example", choices=["LiCoO2"], required=True)
    ap.add_argument("--out", type=Path, default=Path("examples/LiCoO2/data/xas"))
    ap.add_argument("--seed", type=int, default=20260301)
    args = ap.parse_args(argv)
    truth = generate_licoo2(args.out, args.seed)
    truth = {"seed": args.seed, **truth}
    (args.out / "truth.yaml").write_text(
        "# Ground truth of the Co K-edge example scans (python -m intercal.simulate.xas "
        "--example LiCoO2); do not edit.\n" + yaml.safe_dump(truth, sort_keys=False)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
