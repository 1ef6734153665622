"""Synthetic ex-situ lab PXRD of CrSe2 (+10 wt% graphite) and LiCrSe2 (Cu Ka, 10-80 deg).

Writes, under ``data_dir/xrd/``:

* ``CrSe2_graphite.xye`` / ``CrSe2_graphite.xrdml`` - CrSe2 (P-3m1, a = 3.3956, c = 5.9168 A)
  mixed with 10 wt% graphite (P6_3/mmc, a = 2.464, c = 6.711 A; 002 at 26.5 deg);
* ``LiCrSe2.xye`` / ``LiCrSe2.xrdml`` - LiCrSe2 (P-3m1, a = 3.65127, c = 6.29616 A);
* ``ground_truth_xrd.yaml`` - the truth returned by :func:`generate`.

The patterns come from :mod:`intercal.simulate.powder` (structure-factor intensities,
Ka1/Ka2, TCH pseudo-Voigt with numerically integrated axial divergence, zero shift, specimen
displacement, preferred orientation, Chebyshev + hump background, Poisson counts). Se z is
set from the paper's Cr-Se bond lengths (2.47 and 2.54 A).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from intercal.simulate import powder

#: stream constant for numpy.random.default_rng([seed, RNG_KEY])
RNG_KEY = 3001

TWO_THETA_START = 10.0
TWO_THETA_STEP = 0.0131303  # PIXcel1D-like step (deg)
N_POINTS = 5332  # 10.00000 ... 79.99763 deg
TIME_PER_STEP_S = 48.195

GRAPHITE = {"a": 2.464, "c": 6.711}
B_ISO = {"Cr": 0.45, "Se": 0.65, "Li": 1.2, "C": 0.8}


def se_z(a: float, c: float, bond: float) -> float:
    """Se z in P-3m1 (Cr at 1a, Se at 2d) giving the Cr-Se bond length ``bond`` (angstrom)."""
    return math.sqrt(bond**2 - a**2 / 3.0) / c


#: sample definitions (truth)
SAMPLES = {
    "CrSe2_graphite": {
        "title": "CrSe2 + 10 wt% graphite",
        "file_stem": "CrSe2_graphite",
        "time": ("2025-03-10T10:15:22+01:00", "2025-03-10T11:20:31+01:00"),
        "zero_shift_deg": -0.012,
        "displacement_mm": 0.045,
        "peak_counts": 12000.0,
        "background": powder.Background((330.0, -110.0, 55.0, -18.0, 6.0), 170.0, 22.0, 10.0),
        "phases": {
            "CrSe2": {
                "a": 3.3956,
                "c": 5.9168,
                "species": ["Cr", "Se"],
                "bond": 2.47,
                "weight_fraction": 0.90,
                "profile": {"U": 0.0040, "V": -0.0020, "W": 0.0012, "X": 0.030, "Y": 0.060},
                "march_dollase": 0.85,
            },
            "graphite": {
                "a": GRAPHITE["a"],
                "c": GRAPHITE["c"],
                "weight_fraction": 0.10,
                "profile": {"U": 0.0040, "V": -0.0020, "W": 0.0012, "X": 0.020, "Y": 0.180},
                "march_dollase": 0.65,
            },
        },
    },
    "LiCrSe2": {
        "title": "LiCrSe2 (chemically lithiated)",
        "file_stem": "LiCrSe2",
        "time": ("2025-03-11T14:02:10+01:00", "2025-03-11T15:07:19+01:00"),
        "zero_shift_deg": -0.012,
        "displacement_mm": -0.030,
        "peak_counts": 15000.0,
        "background": powder.Background((290.0, -95.0, 48.0, -15.0, 5.0), 140.0, 21.0, 11.0),
        "phases": {
            "LiCrSe2": {
                "a": 3.65127,
                "c": 6.29616,
                "species": ["Cr", "Se", "Li"],
                "bond": 2.54,
                "weight_fraction": 1.0,
                "profile": {"U": 0.0040, "V": -0.0020, "W": 0.0012, "X": 0.010, "Y": 0.030},
                "march_dollase": 0.90,
            },
        },
    },
}

INSTRUMENT = {"radius_mm": 240.0, "s_over_l": 0.012, "h_over_l": 0.012, "soller_rad": 0.02}


def _structure(name: str, spec: dict):
    """pymatgen structure of one phase and its Se z (None for graphite)."""
    if name == "graphite":
        s = powder.hexagonal_structure(
            ["C", "C"], [[0, 0, 0.25], [1 / 3, 2 / 3, 0.25]], spec["a"], spec["c"], "P6_3/mmc"
        )
        return s, None
    z = se_z(spec["a"], spec["c"], spec["bond"])
    coords = [[0.0, 0.0, 0.0], [1 / 3, 2 / 3, z]]
    if "Li" in spec["species"]:
        coords.append([0.0, 0.0, 0.5])
    return powder.hexagonal_structure(spec["species"], coords, spec["a"], spec["c"]), z


def grid() -> np.ndarray:
    """The 2theta grid (deg) of the ex-situ scans."""
    return TWO_THETA_START + TWO_THETA_STEP * np.arange(N_POINTS)


def simulate_sample(key: str) -> tuple[np.ndarray, list[dict], dict, powder.Instrument]:
    """Noise-free expected counts, line list, phase truth and instrument of one sample."""
    spec = SAMPLES[key]
    inst = powder.Instrument(
        zero_shift_deg=spec["zero_shift_deg"], displacement_mm=spec["displacement_mm"], **INSTRUMENT
    )
    structs = {}
    ztruth = {}
    for name, ph in spec["phases"].items():
        structs[name], ztruth[name] = _structure(name, ph)
    rel = powder.weight_scales(
        {n: (structs[n], ph["weight_fraction"]) for n, ph in spec["phases"].items()}
    )
    phases = [
        powder.Phase(
            name=n,
            structure=structs[n],
            scale=rel[n],
            profile=powder.Profile(**ph["profile"]),
            march_dollase=ph["march_dollase"],
            b_iso={el: B_ISO[el] for el in B_ISO if el in structs[n].composition},
        )
        for n, ph in spec["phases"].items()
    ]
    tt = grid()
    rng_range = (float(tt[0]), float(tt[-1]))
    lines = powder.line_list(phases, inst, rng_range)
    peaks = powder.render_lines(tt, lines, inst)
    k = spec["peak_counts"] / peaks.max()
    for ln in lines:
        ln["area"] *= k
    expected = peaks * k + spec["background"](tt, *rng_range)
    phase_truth = {}
    for ph in phases:
        pspec = spec["phases"][ph.name]
        a, c = pspec["a"], pspec["c"]
        entry = {
            "space_group": "P6_3/mmc" if ph.name == "graphite" else "P-3m1",
            "a_A": a,
            "c_A": c,
            "volume_A3": round(math.sqrt(3) / 2 * a * a * c, 6),
            "weight_fraction": pspec["weight_fraction"],
            "scale_counts_deg": float(f"{ph.scale * k:.6g}"),
            "tch_profile": {
                "U_deg2": pspec["profile"]["U"],
                "V_deg2": pspec["profile"]["V"],
                "W_deg2": pspec["profile"]["W"],
                "X_deg": pspec["profile"]["X"],
                "Y_deg": pspec["profile"]["Y"],
            },
            "march_dollase_r_001": pspec["march_dollase"],
            "b_iso_A2": dict(ph.b_iso),
        }
        if ztruth[ph.name] is not None:
            entry["se_z"] = round(ztruth[ph.name], 6)
            entry["cr_se_bond_A"] = pspec["bond"]
        phase_truth[ph.name] = entry
    return expected, lines, phase_truth, inst


def generate(data_dir: Path, seed: int) -> dict:
    """Write the ex-situ PXRD files under ``data_dir/xrd`` and return their ground truth.

    Parameters
    ----------
    data_dir : pathlib.Path
        The demo data folder (``data/``).
    seed : int
        Master seed; this module draws from ``default_rng([seed, 3001])``.

    Returns
    -------
    dict
        Ground truth (plain python types), also written to ``xrd/ground_truth_xrd.yaml``.
    """
    out = Path(data_dir) / "xrd"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, RNG_KEY])
    tt = grid()
    truth = {
        "description": "synthetic ex-situ lab PXRD, Cu Ka1/Ka2, Bragg-Brentano",
        "wavelength_ka1_A": powder.CU_KA1,
        "wavelength_ka2_A": powder.CU_KA2,
        "ka2_ka1_ratio": powder.KA2_RATIO,
        "goniometer_radius_mm": INSTRUMENT["radius_mm"],
        "displacement_convention": "delta_2theta_rad = -2 * s_mm * cos(theta) / R_mm",
        "axial_divergence": {
            "model": "Finger-Cox-Jephcoat geometry, numerical integration",
            "S_over_L": INSTRUMENT["s_over_l"],
            "H_over_L": INSTRUMENT["h_over_l"],
            "soller_half_acceptance_rad": INSTRUMENT["soller_rad"],
        },
        "tch_convention": "H_G^2 = U tan^2(th) + V tan(th) + W [deg^2]; H_L = X tan(th) + Y/cos(th)"
        " [deg]",
        "two_theta_start_deg": TWO_THETA_START,
        "two_theta_step_deg": TWO_THETA_STEP,
        "n_points": N_POINTS,
        "samples": {},
    }
    for key, spec in SAMPLES.items():
        expected, lines, phase_truth, inst = simulate_sample(key)
        counts = rng.poisson(expected).astype(np.int64)
        stem = spec["file_stem"]
        header = [
            f"SYNTHETIC demo data (intercal.simulate.xrd_exsitu, seed {seed}): {spec['title']}",
            f"Cu Ka1 {inst.wavelength1} A, Ka2 {inst.wavelength2} A,"
            f" I(Ka2)/I(Ka1) {inst.ka2_ratio}",
            f"measured {spec['time'][0]} to {spec['time'][1]}",
            "columns: 2theta_deg counts sigma_counts",
        ]
        powder.write_text(out / f"{stem}.xye", powder.format_xye(tt, counts, header))
        powder.write_text(
            out / f"{stem}.xrdml",
            powder.format_xrdml(
                counts=counts,
                start_deg=float(tt[0]),
                end_deg=float(tt[-1]),
                time_per_step_s=TIME_PER_STEP_S,
                sample_id=stem,
                sample_name=spec["title"],
                start_time=spec["time"][0],
                end_time=spec["time"][1],
                inst=inst,
                comment=f"intercal.simulate.xrd_exsitu seed {seed}",
            ),
        )
        refl = [
            {
                "phase": ln["phase"],
                "hkl": list(ln["hkl"]),
                "d_A": round(ln["d"], 6),
                "two_theta_bragg_deg": round(ln["two_theta_bragg"], 5),
                "two_theta_obs_deg": round(ln["two_theta_obs"], 5),
                "area_counts_deg": round(ln["area"], 3),
            }
            for ln in lines
            if ln["component"] == "Ka1" and tt[0] <= ln["two_theta_bragg"] <= tt[-1]
        ]
        truth["samples"][key] = {
            "files": [f"xrd/{stem}.xye", f"xrd/{stem}.xrdml"],
            "title": spec["title"],
            "zero_shift_deg": spec["zero_shift_deg"],
            "displacement_mm": spec["displacement_mm"],
            "background": spec["background"].as_dict(),
            "max_expected_counts": round(float(expected.max()), 1),
            "phases": phase_truth,
            "reflections_ka1": refl,
        }
    text = (
        "# Ground truth of the synthetic ex-situ PXRD (intercal.simulate.xrd_exsitu).\n"
        + yaml.safe_dump(truth, sort_keys=False)
    )
    powder.write_text(out / "ground_truth_xrd.yaml", text)
    return truth


# ---------------------------------------------------------------- sample broadening / examples

#: the demo instrument alone (no sample broadening), forward-model units: U, V, W of the
#: Gaussian FWHM^2 (deg^2); X (tan theta) and Y (1/cos theta) Lorentzian FWHM terms (deg)
INSTRUMENT_PROFILE = {"U": 0.0040, "V": -0.0020, "W": 0.0012, "X": 0.0, "Y": 0.010}

#: layered R-3m LiCoO2 (hexagonal setting): Co 3a, Li 3b, O 6c
LICOO2 = {
    "a": 2.8156,
    "c": 14.0542,
    "space_group": "R-3m",
    "species": ["Co", "Li", "O"],
    "coords": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.2396]],
    "b_iso": {"Co": 0.3, "Li": 1.0, "O": 0.5},
}


def instrument_gsas2() -> dict:
    """The demo instrument in GSAS-II units (the fit model's): U, V, W of the Gaussian
    variance (centideg^2), X (1/cos) and Y (tan) Lorentzian FWHM terms (centideg), SH/L and
    the Soller half-acceptance (rad)."""
    k = 1e4 / (8.0 * math.log(2.0))
    ip = INSTRUMENT_PROFILE
    return {
        "U": ip["U"] * k,
        "V": ip["V"] * k,
        "W": ip["W"] * k,
        "X": 100.0 * ip["Y"],
        "Y": 100.0 * ip["X"],
        "SHL": INSTRUMENT["s_over_l"] + INSTRUMENT["h_over_l"],
        "soller_half_acceptance_rad": INSTRUMENT["soller_rad"],
    }


def simulate_single_phase(
    spec: dict,
    name: str,
    sample: powder.SampleBroadening | None,
    *,
    zero_shift_deg: float = -0.012,
    displacement_mm: float = 0.02,
    peak_counts: float = 12000.0,
    march_dollase: float = 1.0,
    background: powder.Background | None = None,
    two_theta: np.ndarray | None = None,
) -> tuple[np.ndarray, list[dict], powder.Instrument]:
    """Noise-free expected counts of one phase on the demo instrument, with optional
    crystallite-size / microstrain broadening.

    Parameters
    ----------
    spec : dict
        a, c (angstrom), space_group, species, coords (fractional), b_iso (angstrom^2).
    name : str
        Phase label.
    sample : powder.SampleBroadening or None
        Sample broadening on top of :data:`INSTRUMENT_PROFILE`.
    zero_shift_deg, displacement_mm, peak_counts, march_dollase : float
        Zero shift (deg), specimen displacement (mm), counts of the strongest point,
        March-Dollase r along c*.
    background : powder.Background, optional
        Default: a demo-like Chebyshev + hump background.
    two_theta : ndarray, optional
        Grid (deg); default :func:`grid`.

    Returns
    -------
    expected : ndarray
        Expected counts on the grid.
    lines : list of dict
        Line list (see :func:`powder.line_list`), areas in counts deg.
    inst : powder.Instrument
    """
    inst = powder.Instrument(
        zero_shift_deg=zero_shift_deg, displacement_mm=displacement_mm, **INSTRUMENT
    )
    st = powder.hexagonal_structure(
        spec["species"], spec["coords"], spec["a"], spec["c"], spec["space_group"]
    )
    ph = powder.Phase(
        name=name,
        structure=st,
        scale=1.0,
        profile=powder.Profile(**INSTRUMENT_PROFILE),
        march_dollase=march_dollase,
        b_iso=dict(spec.get("b_iso", {})),
        sample=sample,
    )
    tt = grid() if two_theta is None else np.asarray(two_theta, dtype=float)
    rng_range = (float(tt[0]), float(tt[-1]))
    lines = powder.line_list([ph], inst, rng_range)
    peaks = powder.render_lines(tt, lines, inst)
    k = peak_counts / peaks.max()
    for ln in lines:
        ln["area"] *= k
    bkg = background or powder.Background((300.0, -100.0, 50.0, -15.0, 5.0), 150.0, 22.0, 10.0)
    return peaks * k + bkg(tt, *rng_range), lines, inst


#: the LiCoO2 example's sample: platelets thinner along c, mild microstrain
LICOO2_SAMPLE = powder.SampleBroadening(
    size_ab_nm=120.0, size_c_nm=45.0, strain_ab=4.0e-4, strain_c=4.0e-4
)


def generate_example_licoo2(out_dir: Path, seed: int) -> dict:
    """The XRD part of the LiCoO2 example study: ``<out_dir>/data/xrd/LiCoO2.xye`` and
    ``truth.yaml`` (R-3m LiCoO2, demo-like Cu Ka instrument, anisotropic size along c).

    Parameters
    ----------
    out_dir : pathlib.Path
        The example study folder (``examples/LiCoO2``).
    seed : int
        Master seed; draws from ``default_rng([seed, RNG_KEY, 1])``.

    Returns
    -------
    dict
        The truth, also written to ``data/xrd/truth.yaml``.
    """
    out = Path(out_dir) / "data" / "xrd"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, RNG_KEY, 1])
    zero, disp = -0.010, 0.025
    expected, lines, inst = simulate_single_phase(
        LICOO2, "LiCoO2", LICOO2_SAMPLE, zero_shift_deg=zero, displacement_mm=disp,
        peak_counts=15000.0, march_dollase=0.9,
    )  # fmt: skip
    counts = rng.poisson(expected).astype(np.int64)
    tt = grid()
    header = [
        f"SYNTHETIC example data (intercal.simulate.xrd_exsitu, seed {seed}): LiCoO2 (R-3m)",
        f"Cu Ka1 {inst.wavelength1} A, Ka2 {inst.wavelength2} A, I(Ka2)/I(Ka1) {inst.ka2_ratio}",
        "columns: 2theta_deg counts sigma_counts",
    ]
    powder.write_text(out / "LiCoO2.xye", powder.format_xye(tt, counts, header))
    ig = instrument_gsas2()
    instprm = [
        "#GSAS-II instrument parameter file; do not add/delete items!",
        "#SYNTHETIC: the demo diffractometer (intercal.simulate.xrd_exsitu.instrument_gsas2)",
        "Type:PXC",
        "Bank:1.0",
        f"Lam1:{inst.wavelength1:.6f}",
        f"Lam2:{inst.wavelength2:.6f}",
        "Zero:0.0",
        "Polariz.:0.7",
        "Azimuth:0.0",
        f"I(L2)/I(L1):{inst.ka2_ratio}",
        *(f"{k}:{ig[k]:.6f}" for k in ("U", "V", "W", "X", "Y")),
        "Z:0.0",
        f"SH/L:{ig['SHL']:.6f}",
    ]
    powder.write_text(out / "instrument.instprm", "\n".join(instprm) + "\n")
    smp = LICOO2_SAMPLE
    a, c = LICOO2["a"], LICOO2["c"]
    truth = {
        "description": "synthetic lab PXRD of R-3m LiCoO2, Cu Ka1/Ka2, demo instrument",
        "seed": seed,
        "files": ["xrd/LiCoO2.xye", "xrd/instrument.instprm"],
        "zero_shift_deg": zero,
        "displacement_mm": disp,
        "instrument_gsas2": {k: round(v, 6) for k, v in instrument_gsas2().items()},
        "phases": {
            "LiCoO2": {
                "space_group": LICOO2["space_group"],
                "a_A": a,
                "c_A": c,
                "volume_A3": round(math.sqrt(3) / 2 * a * a * c, 6),
                "o_z": LICOO2["coords"][2][2],
                "size_ab_nm": smp.size_ab_nm,
                "size_c_nm": smp.size_c_nm,
                "strain_fwhm": smp.strain_ab,
                "gsas2": {
                    "size_um": smp.size_ab_nm / 1000.0,
                    "size_axial_um": smp.size_c_nm / 1000.0,
                    "axis": [0, 0, 1],
                    "mustrain_ppm": 2.0e6 * smp.strain_ab,
                },
                "march_dollase_r_001": 0.9,
            }
        },
    }
    text = "# Ground truth of the LiCoO2 example's XRD pattern (intercal.simulate.xrd_exsitu).\n"
    powder.write_text(out / "truth.yaml", text + yaml.safe_dump(truth, sort_keys=False))
    return truth


#: a triclinic P-1 test phase with a large cell (~1,000 independent reflections in 10-90 deg
#: with Cu Ka): cell (angstrom, deg) and an asymmetric unit (element, fractional x y z)
TRICLINIC = {
    "a": 7.312, "b": 8.634, "c": 10.418, "alpha": 94.21, "beta": 101.37, "gamma": 87.64,
    "sites": [
        ("Fe", 0.1432, 0.2217, 0.3081), ("Fe", 0.6124, 0.7431, 0.1195),
        ("P", 0.3317, 0.0592, 0.6628), ("P", 0.8215, 0.4083, 0.8467),
        ("O", 0.2641, 0.1135, 0.5204), ("O", 0.4919, 0.9473, 0.6812),
        ("O", 0.1805, 0.9711, 0.7360), ("O", 0.3972, 0.2173, 0.7485),
        ("O", 0.7014, 0.5322, 0.7663), ("O", 0.9930, 0.3357, 0.7818),
        ("O", 0.8792, 0.4791, 0.9912), ("O", 0.7133, 0.2651, 0.8842),
        ("Li", 0.0488, 0.6120, 0.4179), ("Li", 0.5527, 0.3904, 0.4486),
    ],
    "b_iso": {"Fe": 0.5, "P": 0.5, "O": 0.8, "Li": 1.2},
}  # fmt: skip


def simulate_triclinic(
    seed: int = 7, two_theta_end: float = 90.0, peak_counts: float = 20000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """A many-reflection low-symmetry pattern (benchmarks and tests; not written to data/).

    :data:`TRICLINIC` on the demo instrument (profile, axial divergence, zero -0.01 deg,
    displacement 20 um), demo-like background, Poisson counts.

    Parameters
    ----------
    seed : int
        Seed of the Poisson draw.
    two_theta_end : float
        Last 2theta (deg) of the demo grid's spacing, from 10 deg.
    peak_counts : float
        Counts of the strongest point.

    Returns
    -------
    two_theta, counts, expected : ndarray
        Grid (deg), Poisson counts and their expectation.
    truth : dict
        Cell (angstrom, deg), zero (deg), displacement (mm), number of reflections.
    """
    from pymatgen.core import Lattice, Structure

    t = TRICLINIC
    lat = Lattice.from_parameters(t["a"], t["b"], t["c"], t["alpha"], t["beta"], t["gamma"])
    st = Structure.from_spacegroup(
        "P-1", lat, [s[0] for s in t["sites"]], [list(s[1:]) for s in t["sites"]]
    )
    zero, disp = -0.010, 0.020
    inst = powder.Instrument(zero_shift_deg=zero, displacement_mm=disp, **INSTRUMENT)
    ph = powder.Phase(
        name="triclinic", structure=st, scale=1.0, profile=powder.Profile(**INSTRUMENT_PROFILE),
        b_iso=dict(t["b_iso"]),
    )  # fmt: skip
    tt = TWO_THETA_START + TWO_THETA_STEP * np.arange(
        int(round((two_theta_end - TWO_THETA_START) / TWO_THETA_STEP)) + 1
    )
    lines = powder.line_list([ph], inst, (float(tt[0]), float(tt[-1])))
    peaks = powder.render_lines(tt, lines, inst)
    bkg = powder.Background((300.0, -100.0, 50.0, -15.0, 5.0), 150.0, 22.0, 10.0)
    expected = peaks * (peak_counts / peaks.max()) + bkg(tt, float(tt[0]), float(tt[-1]))
    counts = np.random.default_rng([seed, RNG_KEY, 2]).poisson(expected).astype(float)
    n_refl = sum(1 for ln in lines if ln["component"] == "Ka1")
    truth = {
        **{k: t[k] for k in ("a", "b", "c", "alpha", "beta", "gamma")},
        "zero_deg": zero,
        "displacement_mm": disp,
        "n_reflections": n_refl,
    }
    return tt, counts, expected, truth


#: example studies this module writes (``python -m intercal.simulate.xrd_exsitu --example``)
EXAMPLES = {"LiCoO2": generate_example_licoo2}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="XRD part of a bundled example study")
    ap.add_argument("--example", required=True, choices=sorted(EXAMPLES))
    ap.add_argument("--out", type=Path, help="example folder (default examples/<name>)")
    ap.add_argument("--seed", type=int, default=20260218)
    args = ap.parse_args()
    EXAMPLES[args.example](args.out or Path("examples") / args.example, args.seed)
