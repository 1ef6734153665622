"""Forward model for the DFT tables of Fig. 1 (synthetic Li_xCrSe2 calculations).

The paper's DFT raw outputs are not available, so this module writes tables
that play the role of a post-processed set of periodic DFT calculations
(total energies of relaxed supercells, relaxed lattice parameters and two
climbing-image NEB paths) with the physics the paper reports:

* a Li-CrSe2 pseudo-binary whose stable octahedral (P-3m1) configurations are
  x = 0, 1/16 (0 <= x < 0.08) and x = 5/8, 3/4, 7/8, 1 (0.5 < x <= 1), with a
  long two-phase region between x = 1/16 and 5/8, so that the intercalation
  voltage is a nearly flat curve centred at ~2.6 V vs Li+/Li;
* other Li orderings at the same x, R-3m and C2/m stackings and tetrahedral
  Li occupation, all above the hull (tetrahedral increasingly with x);
* c jumps from ~5.9 A (x <= 1/12) to ~6.3 A (x >= 1/2);
* CI-NEB octahedral -> tetrahedral paths at x = 0.125 and 0.875 with barriers
  0.69 and 0.51 eV, the climbing image sitting exactly on the saddle point.

The formation energies are built from a piecewise-constant voltage on the
stable set (the truth), then every configuration gets a small, seeded
"convergence" scatter (0.3 meV per formula unit). The ground truth returned
(stable set, step voltages, average voltage, barriers) is recomputed from the
energies actually written, with a plain lower-hull scan that shares no code
with the analysis (:mod:`intercal.dft`, which uses pymatgen).

Energies are synthetic, with magnitudes typical of a plane-wave PAW
calculation (eV per formula unit); they are not the paper's numbers.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

#: stream constant for numpy.random.default_rng([seed, RNG_KEY])
RNG_KEY = 1001

#: Li metal (bcc) energy per atom (eV)
E_LI = -1.9089
#: CrSe2 (P-3m1, 1T) energy per formula unit (eV)
E_CRSE2 = -18.3152
#: step voltages (V) between consecutive stable x (the designed truth)
STABLE_X = [
    Fraction(0),
    Fraction(1, 16),
    Fraction(5, 8),
    Fraction(3, 4),
    Fraction(7, 8),
    Fraction(1),
]
STEP_V = [2.68, 2.62, 2.58, 2.55, 2.50]
#: NEB barriers (eV) and octahedral -> tetrahedral end-point energies (eV)
NEB = {
    "0.125": {"x": 0.125, "n_fu": 8, "barrier": 0.69, "end": 0.38, "saddle": 0.55},
    "0.875": {"x": 0.875, "n_fu": 8, "barrier": 0.51, "end": 0.30, "saddle": 0.52},
}
#: per-formula-unit scatter added to every configuration (eV)
SCATTER_EV = 0.0003

HEADER = (
    "# Synthetic DFT table (intercal demo data; see data/README.md). Not the paper's values.\n"
    "# Plane-wave PAW, meta-GGA-like magnitudes; relaxed cells; energies in eV.\n"
)


def _hull_formation(x: float) -> float:
    """Formation energy (eV per CrSe2) vs CrSe2 + x Li on the designed hull."""
    f = 0.0
    for (x0, x1), v in zip(zip(STABLE_X[:-1], STABLE_X[1:], strict=True), STEP_V, strict=True):
        lo, hi = float(x0), float(x1)
        if x <= lo:
            break
        f -= v * (min(x, hi) - lo)
    return f


def _c_octahedral(x: float) -> float:
    """Relaxed c (angstrom) of octahedral P-3m1 Li_xCrSe2: dilute, jump, lithiated."""
    if x <= 1 / 12 + 1e-9:
        return 5.905 + 0.12 * x
    if x >= 0.5 - 1e-9:
        return 6.262 + 0.045 * (x - 0.5) / 0.5
    # intermediate (unstable) orderings: partly expanded layers
    return 5.93 + (6.25 - 5.93) * (x - 1 / 12) / (0.5 - 1 / 12)


def _a_octahedral(x: float) -> float:
    """Relaxed a (angstrom): 3.40 (CrSe2) -> 3.66 (LiCrSe2), flat in the dilute range."""
    if x <= 1 / 12 + 1e-9:
        return 3.402 + 0.03 * x
    return 3.405 + (3.662 - 3.405) * min(1.0, (x - 1 / 12) / (1 - 1 / 12)) ** 0.8


# (config id, x as Fraction, n_fu, site, space group, energy above hull (eV per fu))
_CONFIGS = [
    ("oct_x0", Fraction(0), 1, "octahedral", "P-3m1", 0.0),
    ("oct_x1_16", Fraction(1, 16), 16, "octahedral", "P-3m1", 0.0),
    ("oct_x1_12", Fraction(1, 12), 12, "octahedral", "P-3m1", 0.004),
    ("oct_x1_8_a", Fraction(1, 8), 8, "octahedral", "P-3m1", 0.009),
    ("oct_x1_8_b", Fraction(1, 8), 8, "octahedral", "P-3m1", 0.021),
    ("oct_x1_4_a", Fraction(1, 4), 4, "octahedral", "P-3m1", 0.018),
    ("oct_x1_4_b", Fraction(1, 4), 8, "octahedral", "P-3m1", 0.031),
    ("oct_x1_3", Fraction(1, 3), 3, "octahedral", "P-3m1", 0.024),
    ("oct_x3_8", Fraction(3, 8), 8, "octahedral", "P-3m1", 0.022),
    ("oct_x1_2_a", Fraction(1, 2), 2, "octahedral", "P-3m1", 0.011),
    ("oct_x1_2_b", Fraction(1, 2), 4, "octahedral", "P-3m1", 0.017),
    ("oct_x5_8", Fraction(5, 8), 8, "octahedral", "P-3m1", 0.0),
    ("oct_x2_3", Fraction(2, 3), 3, "octahedral", "P-3m1", 0.006),
    ("oct_x3_4_a", Fraction(3, 4), 4, "octahedral", "P-3m1", 0.0),
    ("oct_x3_4_b", Fraction(3, 4), 8, "octahedral", "P-3m1", 0.012),
    ("oct_x5_6", Fraction(5, 6), 6, "octahedral", "P-3m1", 0.005),
    ("oct_x7_8", Fraction(7, 8), 8, "octahedral", "P-3m1", 0.0),
    ("oct_x1", Fraction(1), 1, "octahedral", "P-3m1", 0.0),
    ("r3m_x1", Fraction(1), 3, "octahedral", "R-3m", 0.062),
    ("c2m_x1", Fraction(1), 2, "octahedral", "C2/m", 0.094),
    ("c2m_x1_2", Fraction(1, 2), 4, "octahedral", "C2/m", 0.081),
    ("tet_x1_8", Fraction(1, 8), 8, "tetrahedral", "P-3m1", None),
    ("tet_x1_4", Fraction(1, 4), 4, "tetrahedral", "P-3m1", None),
    ("tet_x1_2", Fraction(1, 2), 2, "tetrahedral", "P-3m1", None),
    ("tet_x3_4", Fraction(3, 4), 4, "tetrahedral", "P-3m1", None),
    ("tet_x1", Fraction(1), 1, "tetrahedral", "P-3m1", None),
]


def _tet_penalty(x: float) -> float:
    """Energy (eV per fu) of all-tetrahedral Li relative to the hull: (0.35 + 0.25 x) eV per Li."""
    return x * (0.35 + 0.25 * x)


def _lower_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Lower convex hull of (x, f) points (Andrew's monotone chain, lower half)."""
    lowest: dict[float, float] = {}
    for x, f in points:
        lowest[x] = min(f, lowest.get(x, math.inf))
    pts = sorted(lowest.items())
    hull: list[tuple[float, float]] = []
    for p in pts:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


def _neb_path(spec: dict, e_initial: float, rng: np.random.Generator, n_images: int = 7):
    """Oct -> tet CI-NEB path: end points plus ``n_images`` images, one on the saddle.

    The energy along the path is a smooth double-well-like profile (cosine
    branches through the saddle), richer than a parabola; the images are
    equally spaced apart from the climbing image, which sits on the saddle.
    """
    barrier, end, s_saddle = spec["barrier"], spec["end"], spec["saddle"]
    length = 2.62  # oct -> tet hop length along the path (angstrom)

    def energy(s: float) -> float:
        if s <= s_saddle:
            return barrier * 0.5 * (1 - math.cos(math.pi * s / s_saddle))
        u = (s - s_saddle) / (1 - s_saddle)
        return end + (barrier - end) * 0.5 * (1 + math.cos(math.pi * u))

    s = np.linspace(0.0, 1.0, n_images + 2)
    k = int(np.argmin(np.abs(s[1:-1] - s_saddle))) + 1
    s[k] = s_saddle  # the climbing image converges onto the saddle
    e = np.array([energy(float(v)) for v in s])
    noise = rng.normal(0.0, 0.001, size=e.size)  # residual NEB force-convergence scatter
    noise[0] = noise[-1] = 0.0  # end points are relaxed minima
    noise[k] = 0.0
    return s * length, e_initial + e + noise


def generate(data_dir: Path, seed: int) -> dict:
    """Write data/dft/*.csv and return the ground truth they encode.

    Parameters
    ----------
    data_dir : pathlib.Path
        The demo data folder; files go to ``data_dir/dft/``.
    seed : int
        Master seed; the stream is ``default_rng([seed, 1001])``.

    Returns
    -------
    dict
        Ground truth (plain python types): reference energies, stable x,
        step and average voltages (V), c before/after the jump (angstrom),
        NEB barriers (eV).
    """
    rng = np.random.default_rng([seed, RNG_KEY])
    out = Path(data_dir) / "dft"
    out.mkdir(parents=True, exist_ok=True)

    rows = []
    for cid, xf, n_fu, site, sg, above in _CONFIGS:
        x = float(xf)
        if above is None:
            above = _tet_penalty(x)
        scatter = 0.0 if x in (0.0, 1.0) and sg == "P-3m1" and site == "octahedral" else None
        if scatter is None:
            scatter = float(rng.normal(0.0, SCATTER_EV))
        # keep designed-stable points on the hull: scatter only pushes them down
        if above == 0.0 and scatter > 0:
            scatter = -scatter
        f = _hull_formation(x) + above + scatter
        e_fu = E_CRSE2 + x * E_LI + f
        c = _c_octahedral(x)
        a = _a_octahedral(x)
        if site == "tetrahedral":
            c += 0.04 * x
        if sg == "R-3m":
            c += 0.02
        if sg == "C2/m":
            c -= 0.03
            a += 0.02
        rows.append((cid, xf.numerator * n_fu // xf.denominator, n_fu, x, site, sg, e_fu, a, c))

    lines = [
        "config_id,n_li,n_formula_units,x,site,space_group,energy_per_fu_eV,a_angstrom,c_angstrom"
    ]
    for cid, n_li, n_fu, x, site, sg, e_fu, a, c in rows:
        lines.append(f"{cid},{n_li},{n_fu},{x:.6f},{site},{sg},{e_fu:.6f},{a:.4f},{c:.4f}")
    (out / "configurations.csv").write_text(
        HEADER
        + "# One row per relaxed supercell: Li_(n_li)Cr_(n)Se_(2n), n = n_formula_units.\n"
        + "# c_angstrom: c of the single-layer P-3m1 cell (interlayer spacing for R-3m, C2/m).\n"
        + "\n".join(lines)
        + "\n"
    )
    (out / "references.csv").write_text(
        HEADER
        + "name,formula,structure,energy_per_atom_eV\n"
        + f"Li_metal,Li,bcc Im-3m,{E_LI:.6f}\n"
    )

    # truth recomputed from the energies as written (rounded to 1e-6 eV)
    formation = [
        (r[3], round(r[6], 6) - E_CRSE2 - r[3] * E_LI) for r in rows
    ]  # (x, eV per fu vs CrSe2 + x Li)
    hull = _lower_hull(formation)
    stable_x = [round(x, 6) for x, _ in hull]
    stable_ids = [
        r[0]
        for r, (x, f) in zip(rows, formation, strict=True)
        if any(abs(x - hx) < 1e-12 and abs(f - hf) < 1e-12 for hx, hf in hull)
    ]
    steps = [
        {
            "x_start": round(x0, 6),
            "x_end": round(x1, 6),
            "voltage_V": round(-(f1 - f0) / (x1 - x0), 6),
        }
        for (x0, f0), (x1, f1) in zip(hull[:-1], hull[1:], strict=True)
    ]
    avg_v = -(hull[-1][1] - hull[0][1]) / (hull[-1][0] - hull[0][0])

    neb_truth = {}
    for label, spec in NEB.items():
        n_li = round(spec["x"] * spec["n_fu"])
        # initial image: the lowest octahedral P-3m1 ordering at this x, as written
        e0 = spec["n_fu"] * min(
            round(r[6], 6)
            for r in rows
            if abs(r[3] - spec["x"]) < 1e-12 and r[4] == "octahedral" and r[5] == "P-3m1"
        )
        coord, energy = _neb_path(spec, e0, rng)
        text = (
            HEADER + f"# CI-NEB, Li{n_li}Cr{spec['n_fu']}Se{2 * spec['n_fu']} (x = {spec['x']}), "
            "one Li octahedral -> tetrahedral; energies are supercell totals.\n"
            "image,reaction_coordinate_angstrom,energy_eV\n"
            + "".join(
                f"{i},{c:.4f},{e:.6f}\n" for i, (c, e) in enumerate(zip(coord, energy, strict=True))
            )
        )
        (out / f"neb_x{label}.csv").write_text(text)
        neb_truth[label] = {
            "x": spec["x"],
            "barrier_eV": round(float(energy.max() - energy[0]), 6),
            "end_point_eV": round(float(energy[-1] - energy[0]), 6),
        }

    return {
        "files": ["dft/configurations.csv", "dft/references.csv"]
        + [f"dft/neb_x{k}.csv" for k in NEB],
        "li_metal_energy_per_atom_eV": E_LI,
        "crse2_energy_per_fu_eV": E_CRSE2,
        "stable_x": stable_x,
        "stable_config_ids": stable_ids,
        "voltage_steps": steps,
        "average_voltage_V": round(avg_v, 6),
        "designed_step_voltages_V": STEP_V,
        "c_angstrom_x_le_0.08": round(_c_octahedral(1 / 12), 4),
        "c_angstrom_x_0.5": round(_c_octahedral(0.5), 4),
        "tetrahedral_above_hull_eV_per_Li": "0.35 + 0.25 x",
        "neb": neb_truth,
        "scatter_eV_per_fu": SCATTER_EV,
    }
