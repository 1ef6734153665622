"""Powder-diffraction forward model for the synthetic lab PXRD data (Cu Ka, Bragg-Brentano).

This is the *forward* model behind ``data/xrd`` and ``data/operando``. It is deliberately
richer than any Le Bail / peak-fit model that analyses its output (DESIGN.md, "Demo data")
and shares no code with :mod:`intercal.xrd` or :mod:`intercal.operando`:

* Integrated intensities from the crystal structures: pymatgen's
  :class:`~pymatgen.analysis.diffraction.xrd.XRDCalculator` (atomic form factors, isotropic
  Debye-Waller factors, unpolarised Lorentz-polarisation ``(1 + cos^2 2theta) / (sin^2 theta
  cos theta)``, multiplicities / exact overlaps merged), times a March-Dollase preferred
  orientation along c* and a per-phase scale factor derived from the weight fraction
  (Hill-Howard: ``S_p ~ w_p / (M_cell,p V_p)``).
* Cu Ka1/Ka2 doublet (1.540593 / 1.544414 A, intensity ratio 0.5); the Ka2 line is placed at
  its own Bragg angle and its intensity carries the Lorentz-polarisation factor at that angle.
* Thompson-Cox-Hastings pseudo-Voigt line shape: ``H_G^2 = U tan^2 th + V tan th + W`` (deg^2),
  ``H_L = X tan th + Y / cos th`` (deg), combined with the TCH 5th-order formula.
* Axial-divergence asymmetry computed from the diffractometer geometry (Finger, Cox &
  Jephcoat 1994): a Debye cone reaching the receiving slit with out-of-plane angle ``beta`` is
  recorded at ``cos 2phi = cos 2theta / cos beta``. ``beta`` is integrated numerically over the
  illuminated sample height (+-S), the receiving-slit height (+-H) at distance L, weighted by a
  triangular Soller-slit transmission; the resulting shift distribution is convolved with the
  pseudo-Voigt on a fine grid (5x oversampled), then integrated over each detector step.
* Zero shift and specimen displacement ``delta 2theta = -2 s cos(theta) / R`` (rad).
* Chebyshev background over the scan plus a broad Gaussian "amorphous" hump; Poisson counts.

Heavy imports (pymatgen) happen inside the functions that need them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Cu Ka1 and Ka2 wavelengths (angstrom) and the Ka2/Ka1 intensity ratio used for the demo data
CU_KA1 = 1.540593
CU_KA2 = 1.544414
KA2_RATIO = 0.5

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class Instrument:
    """Bragg-Brentano diffractometer geometry.

    Parameters
    ----------
    wavelength1, wavelength2 : float
        Ka1 and Ka2 wavelengths (angstrom).
    ka2_ratio : float
        Intensity ratio I(Ka2)/I(Ka1).
    radius_mm : float
        Goniometer radius R (mm).
    zero_shift_deg : float
        Zero-point error added to every peak position (deg 2theta).
    displacement_mm : float
        Specimen displacement s (mm); peaks move by ``-2 s cos(theta) / R`` (rad).
    s_over_l, h_over_l : float
        Half-height of the illuminated sample (S) and of the receiving slit (H) over the
        sample-detector distance L (Finger-Cox-Jephcoat geometry, dimensionless).
    soller_rad : float
        Half-acceptance of the Soller slits (rad); triangular transmission in beta.
    """

    wavelength1: float = CU_KA1
    wavelength2: float = CU_KA2
    ka2_ratio: float = KA2_RATIO
    radius_mm: float = 240.0
    zero_shift_deg: float = 0.0
    displacement_mm: float = 0.0
    s_over_l: float = 0.012
    h_over_l: float = 0.012
    soller_rad: float = 0.02

    def shift_deg(self, two_theta_deg: np.ndarray) -> np.ndarray:
        """Zero shift plus specimen displacement at the given Bragg angles (deg 2theta)."""
        theta = np.radians(np.asarray(two_theta_deg, dtype=float) / 2.0)
        disp = -2.0 * self.displacement_mm * np.cos(theta) / self.radius_mm
        return self.zero_shift_deg + np.degrees(disp)


@dataclass(frozen=True)
class Profile:
    """TCH pseudo-Voigt width parameters (U, V, W in deg^2; X, Y in deg)."""

    U: float
    V: float
    W: float
    X: float
    Y: float

    def widths(
        self, two_theta_deg: np.ndarray, extra_lorentz_deg: float | np.ndarray = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Total FWHM (deg) and Lorentzian fraction eta of the TCH pseudo-Voigt.

        ``extra_lorentz_deg`` (deg) is added to the Lorentzian FWHM (sample broadening).
        """
        theta = np.radians(np.asarray(two_theta_deg, dtype=float) / 2.0)
        t = np.tan(theta)
        hg2 = self.U * t**2 + self.V * t + self.W
        if np.any(hg2 <= 0):
            raise ValueError(f"TCH Gaussian width^2 <= 0 for U,V,W = {self.U},{self.V},{self.W}")
        hg = np.sqrt(hg2)
        hl = self.X * t + self.Y / np.cos(theta) + extra_lorentz_deg
        h = (
            hg**5
            + 2.69269 * hg**4 * hl
            + 2.42843 * hg**3 * hl**2
            + 4.47163 * hg**2 * hl**3
            + 0.07842 * hg * hl**4
            + hl**5
        ) ** 0.2
        q = hl / h
        eta = 1.36603 * q - 0.47719 * q**2 + 0.11116 * q**3
        return h, eta


@dataclass(frozen=True)
class SampleBroadening:
    """Crystallite size and microstrain of a phase (Lorentzian line broadening).

    Crystallites are ellipsoids of revolution about c*: the volume-weighted column length in
    a direction at angle ``phi`` to c* is ``L = 1 / sqrt(cos^2 phi / L_c^2 + sin^2 phi /
    L_ab^2)`` (exact for an ellipsoid), and the Scherrer integral breadth is
    ``lambda / (L cos theta)`` (rad). The microstrain ``e`` (FWHM of the distribution of
    Delta d / d, Lorentzian) broadens a line by ``2 e tan theta`` (rad), with ``e`` along c*
    and ``e_ab`` perpendicular combined as the size terms.

    Parameters
    ----------
    size_ab_nm, size_c_nm : float
        Apparent crystallite sizes perpendicular to and along c* (nm).
    strain_ab, strain_c : float
        Microstrain (FWHM of Delta d / d, dimensionless) perpendicular to and along c*.
    """

    size_ab_nm: float
    size_c_nm: float
    strain_ab: float = 0.0
    strain_c: float = 0.0

    def lorentz_fwhm_deg(self, two_theta_deg: float, wavelength: float, cos_alpha: float) -> float:
        """Lorentzian FWHM (deg) of a line at ``two_theta_deg`` (deg) whose scattering vector
        makes the angle ``acos(cos_alpha)`` with c*; ``wavelength`` in angstrom."""
        th = math.radians(two_theta_deg / 2.0)
        c2 = cos_alpha * cos_alpha
        s2 = 1.0 - c2
        inv_l = math.sqrt(c2 / (10.0 * self.size_c_nm) ** 2 + s2 / (10.0 * self.size_ab_nm) ** 2)
        size = wavelength * inv_l / math.cos(th)
        strain = 0.0
        if self.strain_ab > 0 and self.strain_c > 0:
            e = 1.0 / math.sqrt(c2 / self.strain_c**2 + s2 / self.strain_ab**2)
            strain = 2.0 * e * math.tan(th)
        return math.degrees(size + strain)


@dataclass
class Phase:
    """One crystalline phase in the specimen.

    Parameters
    ----------
    name : str
        Phase label (used in the truth).
    structure : pymatgen.core.Structure
        Crystal structure (lattice in angstrom).
    scale : float
        Scale factor multiplying the structure-factor intensities (counts deg per unit
        ``m |F|^2 LP``).
    profile : Profile
        TCH widths of this phase (instrument plus sample broadening).
    march_dollase : float
        March-Dollase parameter r for platelets normal to c* (1 = random).
    b_iso : dict
        Isotropic Debye-Waller B (angstrom^2) per element.
    sample : SampleBroadening, optional
        Crystallite size / microstrain broadening on top of ``profile``.
    """

    name: str
    structure: object
    scale: float
    profile: Profile
    march_dollase: float = 1.0
    b_iso: dict = field(default_factory=dict)
    sample: SampleBroadening | None = None


def hexagonal_d(a: float, c: float, h: int, k: int, l: int) -> float:
    """d-spacing (angstrom) of (hkl) in a hexagonal cell: 1/d^2 = 4/(3a^2)(h^2+hk+k^2) + l^2/c^2."""
    inv = 4.0 / (3.0 * a * a) * (h * h + h * k + k * k) + l * l / (c * c)
    return 1.0 / math.sqrt(inv)


def two_theta_deg(d: np.ndarray | float, wavelength: float) -> np.ndarray:
    """Bragg angle 2theta (deg) of spacing d (angstrom) at the given wavelength (angstrom)."""
    return np.degrees(2.0 * np.arcsin(wavelength / (2.0 * np.asarray(d, dtype=float))))


def lorentz_polarisation(two_theta: np.ndarray) -> np.ndarray:
    """Unpolarised-beam Lorentz-polarisation factor (same as pymatgen's XRDCalculator)."""
    th = np.radians(np.asarray(two_theta) / 2.0)
    return (1 + np.cos(2 * th) ** 2) / (np.sin(th) ** 2 * np.cos(th))


def reflections(phase: Phase, wavelength: float, two_theta_range: tuple[float, float]) -> list:
    """Reflections of a phase: d, hkl, multiplicity and m|F|^2 LP at ``wavelength``.

    Returns a list of dicts with keys ``hkl`` (3-index tuple of the first family member),
    ``multiplicity``, ``d`` (angstrom), ``intensity`` (pymatgen m |F|^2 LP, unscaled) and
    ``cos_alpha`` (cosine of the angle between the scattering vector and c*).
    """
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    calc = XRDCalculator(wavelength=wavelength, debye_waller_factors=dict(phase.b_iso))
    pat = calc.get_pattern(phase.structure, scaled=False, two_theta_range=two_theta_range)
    lat = phase.structure.lattice
    rec = lat.reciprocal_lattice_crystallographic
    cstar = rec.matrix[2] / np.linalg.norm(rec.matrix[2])
    out = []
    for inten, fams, d in zip(pat.y, pat.hkls, pat.d_hkls, strict=True):
        hkl4 = fams[0]["hkl"]
        hkl = (hkl4[0], hkl4[1], hkl4[-1]) if len(hkl4) == 4 else tuple(hkl4)
        g = rec.get_cartesian_coords(hkl)
        cos_alpha = float(abs(np.dot(g, cstar)) / np.linalg.norm(g))
        out.append(
            {
                "hkl": tuple(int(v) for v in hkl),
                "multiplicity": int(sum(f["multiplicity"] for f in fams)),
                "d": float(d),
                "intensity": float(inten),
                "cos_alpha": cos_alpha,
            }
        )
    return out


def march_dollase(r: float, cos_alpha: np.ndarray | float) -> np.ndarray:
    """March-Dollase orientation factor (r^2 cos^2 a + sin^2 a / r)^(-3/2)."""
    c2 = np.asarray(cos_alpha) ** 2
    return (r * r * c2 + (1.0 - c2) / r) ** -1.5


def axial_kernel(two_theta: float, inst: Instrument, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Axial-divergence shift distribution of a line at ``two_theta`` (deg).

    Numerical integration over sample height and receiving-slit height (midpoint rule,
    ``n x n`` points), Soller transmission as weight. Returns shifts (deg, observed minus
    Bragg) and normalised weights.
    """
    u = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    tan_beta = (u[None, :] * inst.h_over_l - u[:, None] * inst.s_over_l).ravel()
    beta = np.arctan(tan_beta)
    weight = np.clip(1.0 - np.abs(beta) / inst.soller_rad, 0.0, None)
    c2t = math.cos(math.radians(two_theta))
    arg = c2t / np.cos(beta)
    ok = (weight > 0) & (np.abs(arg) <= 1.0)
    shifts = np.degrees(np.arccos(arg[ok])) - two_theta
    w = weight[ok]
    return shifts, w / w.sum()


def _pseudo_voigt(dx: np.ndarray, fwhm: float, eta: float) -> np.ndarray:
    """Area-normalised pseudo-Voigt (per degree) at offsets dx (deg)."""
    z = (2.0 * dx / fwhm) ** 2
    gauss = (2.0 / fwhm) * math.sqrt(_LN2 / math.pi) * np.exp(-_LN2 * z)
    lorentz = (2.0 / (math.pi * fwhm)) / (1.0 + z)
    return eta * lorentz + (1.0 - eta) * gauss


def line_list(
    phases: list[Phase], inst: Instrument, two_theta_range: tuple[float, float]
) -> list[dict]:
    """All Ka1 and Ka2 lines: phase, hkl, d, Bragg and observed 2theta, area, FWHM, eta."""
    lo, hi = two_theta_range
    lines = []
    for ph in phases:
        refl = reflections(ph, inst.wavelength1, (max(lo - 3.0, 1.0), min(hi + 3.0, 170.0)))
        for r in refl:
            po = float(march_dollase(ph.march_dollase, r["cos_alpha"]))
            tt1 = float(two_theta_deg(r["d"], inst.wavelength1))
            lp1 = float(lorentz_polarisation(tt1))
            for comp, lam, ratio in (
                ("Ka1", inst.wavelength1, 1.0),
                ("Ka2", inst.wavelength2, inst.ka2_ratio),
            ):
                if lam / (2 * r["d"]) >= 1.0:
                    continue
                tt = float(two_theta_deg(r["d"], lam))
                lp = float(lorentz_polarisation(tt))
                area = ph.scale * r["intensity"] * po * ratio * lp / lp1
                extra = ph.sample.lorentz_fwhm_deg(tt, lam, r["cos_alpha"]) if ph.sample else 0.0
                fwhm, eta = ph.profile.widths(tt, extra)
                lines.append(
                    {
                        "phase": ph.name,
                        "hkl": r["hkl"],
                        "multiplicity": r["multiplicity"],
                        "component": comp,
                        "d": r["d"],
                        "two_theta_bragg": tt,
                        "two_theta_obs": tt + float(inst.shift_deg(tt)),
                        "area": area,
                        "fwhm": float(fwhm),
                        "eta": float(eta),
                        "po_factor": po,
                    }
                )
    return lines


def render_lines(
    grid: np.ndarray, lines: list[dict], inst: Instrument, oversample: int = 5
) -> np.ndarray:
    """Expected counts of all lines on an equally spaced 2theta grid (deg).

    Each line (area in counts deg) is a TCH pseudo-Voigt convolved with its axial-divergence
    shift distribution on a grid ``oversample`` times finer, then averaged over each detector
    step (step integration).
    """
    grid = np.asarray(grid, dtype=float)
    n = grid.size
    step = (grid[-1] - grid[0]) / (n - 1)
    dx = step / oversample
    half = (oversample - 1) / 2.0
    x0 = grid[0] - half * dx
    nf = n * oversample
    fine = np.zeros(nf)
    for ln in lines:
        pos = ln["two_theta_obs"]
        hw = max(40.0 * ln["fwhm"], 2.0)
        i0 = max(int(math.floor((pos - hw - x0) / dx)), 0)
        i1 = min(int(math.ceil((pos + hw - x0) / dx)) + 1, nf)
        if i1 <= i0:
            continue
        xs = x0 + dx * np.arange(i0, i1)
        prof = _pseudo_voigt(xs - pos, ln["fwhm"], ln["eta"])
        shifts, w = axial_kernel(ln["two_theta_bragg"], inst)
        k = shifts / dx
        kmin = int(math.floor(k.min()))
        kmax = int(math.floor(k.max())) + 1
        hist = np.zeros(kmax - kmin + 1)
        kf = np.floor(k).astype(int)
        frac = k - kf
        np.add.at(hist, kf - kmin, w * (1.0 - frac))
        np.add.at(hist, kf - kmin + 1, w * frac)
        conv = np.convolve(prof, hist) * ln["area"]
        j0 = i0 + kmin
        lo = max(j0, 0)
        hi = min(j0 + conv.size, nf)
        if hi > lo:
            fine[lo:hi] += conv[lo - j0 : hi - j0]
    return fine.reshape(n, oversample).mean(axis=1)


@dataclass(frozen=True)
class Background:
    """Chebyshev background (counts) over the scan plus a broad Gaussian hump.

    ``chebyshev`` are coefficients in counts of T_n(x), x mapping the scan range to [-1, 1];
    the hump has ``hump_counts`` at ``hump_center_deg`` with FWHM ``hump_fwhm_deg``.
    """

    chebyshev: tuple[float, ...]
    hump_counts: float
    hump_center_deg: float
    hump_fwhm_deg: float

    def __call__(self, grid: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Background counts on ``grid`` (deg) for a scan from ``lo`` to ``hi`` (deg)."""
        x = (2.0 * np.asarray(grid) - (lo + hi)) / (hi - lo)
        cheb = np.polynomial.chebyshev.chebval(x, np.asarray(self.chebyshev))
        hump = self.hump_counts * np.exp(
            -4.0 * _LN2 * ((np.asarray(grid) - self.hump_center_deg) / self.hump_fwhm_deg) ** 2
        )
        return cheb + hump

    def as_dict(self) -> dict:
        """Plain-python description for the ground truth."""
        return {
            "chebyshev_counts": [float(c) for c in self.chebyshev],
            "chebyshev_domain": "x = (2*two_theta - (start + end)) / (end - start)",
            "hump_counts": float(self.hump_counts),
            "hump_center_deg": float(self.hump_center_deg),
            "hump_fwhm_deg": float(self.hump_fwhm_deg),
        }


def hexagonal_structure(
    species: list[str], coords: list[list[float]], a: float, c: float, space_group: str = "P-3m1"
):
    """pymatgen Structure from a space group, asymmetric-unit species and coordinates."""
    from pymatgen.core import Lattice, Structure

    return Structure.from_spacegroup(space_group, Lattice.hexagonal(a, c), species, coords)


def weight_scales(phases: dict[str, tuple[object, float]]) -> dict[str, float]:
    """Relative Rietveld scale factors from weight fractions (Hill & Howard 1987).

    ``S_p = w_p / (M_cell,p * V_p)`` with the cell mass in g/mol and the volume in A^3, i.e.
    the inverse of ``w_p = S_p (Z M V)_p / sum_i S_i (Z M V)_i``. ``phases`` maps a name to
    (structure, weight fraction).
    """
    return {name: w / (s.composition.weight * s.lattice.volume) for name, (s, w) in phases.items()}


def format_xye(two_theta: np.ndarray, counts: np.ndarray, header: list[str]) -> str:
    """Text of an .xye file: '#' header lines, then 2theta (deg), counts, sigma = sqrt(counts)."""
    lines = [f"# {h}" for h in header]
    sig = np.sqrt(np.maximum(counts, 1))
    for t, y, s in zip(two_theta, counts, sig, strict=True):
        lines.append(f"{t:.5f} {int(y):d} {s:.3f}")
    return "\n".join(lines) + "\n"


def format_xrdml(
    *,
    counts: np.ndarray,
    start_deg: float,
    end_deg: float,
    time_per_step_s: float,
    sample_id: str,
    sample_name: str,
    start_time: str,
    end_time: str,
    inst: Instrument,
    comment: str,
) -> str:
    """PANalytical XRDML 1.5 document (XRDMeasurement schema) of one continuous 2theta-omega scan.

    The 2theta positions are ``start_deg`` ... ``end_deg`` in equal steps (one per count);
    timestamps are fixed strings so that the file is reproducible.
    """
    ns = "http://www.xrdml.com/XRDMeasurement/1.5"
    data = " ".join(str(int(c)) for c in counts)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{ns} http://www.xrdml.com/XRDMeasurement/1.5/XRDMeasurement.xsd" status="Completed">
	<comment>
		<entry>Configuration=Reflection-Transmission Spinner, Owner=intercal demo, Creation date={start_time}</entry>
		<entry>Goniometer=PW3050/60 (Theta/2Theta); Minimum step size 2Theta:0.001; Minimum step size Omega:0.001</entry>
		<entry>Sample stage=Reflection-Transmission Spinner PW3064/60; Minimum step size Phi:0.1</entry>
		<entry>Diffractometer system=XPERT-PRO</entry>
		<entry>SYNTHETIC DATA: {comment}</entry>
	</comment>
	<sample type="To be analyzed">
		<id>{sample_id}</id>
		<name>{sample_name}</name>
		<preparedBy>intercal</preparedBy>
	</sample>
	<xrdMeasurement measurementType="Scan" status="Completed" sampleMode="Reflection">
		<comment>
			<entry>{comment}</entry>
		</comment>
		<usedWavelength intended="K-Alpha 1">
			<kAlpha1 unit="Angstrom">{inst.wavelength1:.6f}</kAlpha1>
			<kAlpha2 unit="Angstrom">{inst.wavelength2:.6f}</kAlpha2>
			<kBeta unit="Angstrom">1.392250</kBeta>
			<ratioKAlpha2KAlpha1>{inst.ka2_ratio:.4f}</ratioKAlpha2KAlpha1>
		</usedWavelength>
		<incidentBeamPath>
			<radius unit="mm">{inst.radius_mm:.2f}</radius>
			<xRayTube id="1" name="Cu LFF">
				<tension unit="kV">45</tension>
				<current unit="mA">40</current>
				<anodeMaterial>Cu</anodeMaterial>
				<focus type="Line">
					<length unit="mm">12.0</length>
					<width unit="mm">0.4</width>
					<takeOffAngle unit="deg">6.0</takeOffAngle>
				</focus>
			</xRayTube>
			<sollerSlit id="2" name="Soller 0.04 rad.">
				<opening unit="deg">{math.degrees(2 * inst.soller_rad):.4f}</opening>
			</sollerSlit>
			<divergenceSlit id="3" name="Fixed slit 1/4 deg.">
				<height unit="mm">0.38</height>
			</divergenceSlit>
		</incidentBeamPath>
		<diffractedBeamPath>
			<radius unit="mm">{inst.radius_mm:.2f}</radius>
			<sollerSlit id="4" name="Soller 0.04 rad.">
				<opening unit="deg">{math.degrees(2 * inst.soller_rad):.4f}</opening>
			</sollerSlit>
			<filter id="5" name="Nickel">
				<material>Ni</material>
				<thickness unit="mm">0.020</thickness>
			</filter>
			<detector id="6" name="PIXcel1D">
				<phdLowerLevel unit="%">25.5</phdLowerLevel>
				<phdUpperLevel unit="%">70.0</phdUpperLevel>
			</detector>
		</diffractedBeamPath>
		<scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">
			<header>
				<startTimeStamp>{start_time}</startTimeStamp>
				<endTimeStamp>{end_time}</endTimeStamp>
				<author>
					<name>intercal demo</name>
				</author>
				<source>
					<applicationSoftware version="5.5">Data Collector</applicationSoftware>
					<instrumentControlSoftware version="5.5">XPERT-PRO</instrumentControlSoftware>
					<instrumentID>0</instrumentID>
				</source>
			</header>
			<dataPoints>
				<positions axis="2Theta" unit="deg">
					<startPosition>{start_deg:.8f}</startPosition>
					<endPosition>{end_deg:.8f}</endPosition>
				</positions>
				<positions axis="Omega" unit="deg">
					<startPosition>{start_deg / 2:.8f}</startPosition>
					<endPosition>{end_deg / 2:.8f}</endPosition>
				</positions>
				<commonCountingTime unit="seconds">{time_per_step_s:.3f}</commonCountingTime>
				<counts unit="counts">{data}</counts>
			</dataPoints>
		</scan>
	</xrdMeasurement>
</xrdMeasurements>
"""  # noqa: E501


def write_text(path: Path, text: str) -> None:
    """Write text atomically with Unix newlines (write then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    tmp.replace(path)
