"""Le Bail whole-pattern refinement (pure functions plus a small model class).

Pattern model
-------------
``y_calc(2theta) = bkg(2theta) + sum_r I_r [phi(2theta; c_r1) + R phi(2theta; c_r2)]``

- ``c_rj = 2 asin(lambda_j / (2 d_r)) + zero - (360/pi) s cos(theta) / R_gon``: Ka1/Ka2
  positions, zero shift ``zero`` (deg) and sample displacement ``s`` (um; positive moves
  peaks to low angle; goniometer radius ``R_gon`` in mm), as in GSAS-II;
- ``phi``: unit-area TCH pseudo-Voigt with FCJ asymmetry (:mod:`.profile`), evaluated
  in a window of +-``cutoff_fwhm`` FWHM around each peak;
- ``bkg``: Chebyshev polynomial of the first kind on 2theta mapped to [-1, 1];
- ``d_r`` from the cell under the space group's constraints (:mod:`.reflections`).

Refinement
----------
The model is linear in the background coefficients and the integrated intensities
``I_r`` (counts deg) and non-linear in the rest (cell, zero, displacement, U, V, W, X,
Y, SH/L and per-phase profile terms). Every evaluation of the model takes the Le Bail
extraction to its converged limit: for the current non-linear parameters, the
intensities and background are the exact weighted least-squares solution
(``min chi^2 = sum_i w_i (y_i - y_calc,i)^2``, ``w_i = 1/esd_i^2``), which is the fixed
point of Le Bail's iteration in its least-squares form. The non-linear parameters are
then refined by Levenberg-Marquardt on this *projected* chi^2 (variable projection,
Golub & Pereyra 1973, with Kaufman's Jacobian), so the intensities are updated inside
every Jacobian iteration instead of being alternated with it. This converges in a few
Gauss-Newton-like steps where alternating extraction and least squares crawls along the
zero / displacement / cell valley.

The extraction is unbiased: every point of every window is used, whatever the sign of
``obs - bkg`` (GSAS-II drops points with ``obs - bkg <= 0``, which inflates weak
intensities). Intensities are not forced positive, so a weak reflection can come out
slightly negative (honestly, within its esd). Reflections whose profiles coincide
exactly (e.g. hk0 and kh0 in Laue class 6/m) share their summed intensity equally,
as in Le Bail's partition.

Start: the zero shift is first located by a scan of the projected chi^2 over
``+-zero_search_deg`` (steps of half the narrowest FWHM, profile tails cut at
``core_fwhm``), then positions are refined with the profile fixed, then everything.

Convergence: a Levenberg-Marquardt step is accepted when it lowers chi^2; when the first
step of a cycle does not, one step to the minimum of the parabola along it (exact slope,
measured chi^2) is tried before the damping is raised. The fit has converged when the
largest accepted shift is below ``shift_tolerance`` (default 0.01) of the parameter's esd,
or, in the last stage, when the Gauss-Newton step from the current state is (then without
taking it). When no step lowers chi^2 at any damping (the linear model and
chi^2 disagree at the level of rounding), the fit has converged if the Gauss-Newton step
predicts a chi^2 decrease below ``stall_tolerance`` (1e-2) of chi^2/dof, and has failed
otherwise; ``stats["converged_by"]`` records which rule stopped it.

With many overlapping reflections (a triclinic pattern with a thousand reflections) the
projected chi^2 has ripples on a scale below one esd of the profile and cell parameters
(intensities of nearly coincident reflections trade off); the minimum found there depends
on the path by up to about an esd, and so does the esd itself by a few per cent.

Uncertainties: the joint covariance of all parameters (non-linear, background and
intensities), ``(J^T W J)^-1`` at convergence, so that the esds of the cell include the
correlation with the extracted intensities; multiplied by ``GoF^2 = chi^2 / (N - P)``
when ``scale_esd_by_gof`` (recorded in the result); ``P`` counts the non-linear and
background parameters and the independent intensities.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse

from ..errors import FitError, InputError
from . import profile as prof
from .profile import LN2
from .reflections import (
    SpaceGroupInfo,
    full_cell,
    inv_d2,
    metric,
    reflections,
    space_group,
    space_group_from_ops,
    volume,
)

logger = logging.getLogger(__name__)
_DEBUG = bool(__import__("os").environ.get("INTERCAL_XRD_DEBUG"))
PROFILE_PARAMS = ("U", "V", "W", "X", "Y", "SHL")
UNITS = {
    "a": "angstrom",
    "b": "angstrom",
    "c": "angstrom",
    "alpha": "deg",
    "beta": "deg",
    "gamma": "deg",
    "zero": "deg",
    "displacement": "um",
    "U": "centideg^2",
    "V": "centideg^2",
    "W": "centideg^2",
    "X": "centideg",
    "Y": "centideg",
    "SHL": "1",
    "size": "um",
    "size_axial": "um",
    "mustrain": "ppm",
    "mustrain_axial": "ppm",
}
#: sample-broadening parameters (GSAS-II: Size;i, Size;a in um, Mustrain;i, Mustrain;a in ppm)
SAMPLE_PARAMS = ("size", "size_axial", "mustrain", "mustrain_axial")
#: config key of the starting value of each sample parameter
SAMPLE_KEYS = {
    "size": "size_um",
    "size_axial": "size_axial_um",
    "mustrain": "mustrain_ppm",
    "mustrain_axial": "mustrain_axial_ppm",
}
#: starting Levenberg-Marquardt damping (relative to the normal matrix's diagonal)
LM_LAMBDA0 = 1e-5
#: numbers of FCJ quadrature nodes a peak can get (peaks are grouped by them)
FCJ_NODE_LEVELS = (3, 4, 5, 7, 10, 14, 20, 28, 40)
#: shift (in esd) below which an intermediate stage (positions first, or a user's stage) stops:
#: it only prepares the start of the next one, where everything it refines moves again
STAGE_SHIFT_TOL = 1.0
#: instrument profile terms (held fixed by default when the sample broadening is modelled or
#: the instrument comes from a file)
INSTRUMENT_PROFILE = ("U", "V", "W", "X", "Y", "SHL")


@dataclass
class Phase:
    """One phase of a pattern: name, space group and starting cell.

    Parameters
    ----------
    name : str
        Phase name (used in parameter names, e.g. ``"<phase>.a"``).
    space_group : str
        Hermann-Mauguin symbol.
    cell : dict
        Starting values of the independent cell parameters (angstrom, deg);
        extra keys implied by the crystal system are ignored.
    """

    name: str
    space_group: str
    cell: dict
    symops: tuple[str, ...] | None = None
    """Symmetry operations as x,y,z strings (from a CIF) for a space group pymatgen does not
    know by its symbol in this setting (e.g. ``C 1``); None to look the symbol up."""


@dataclass
class Settings:
    """Instrument and fit settings (units in the names).

    The profile starting values (``U``...``SHL``), zero and displacement are
    refined unless listed in ``fixed``.

    Attributes
    ----------
    soller_rad : float or None
        Half-acceptance (rad) of the Soller slits, an instrument constant (not refined);
        None for the plain FCJ model of GSAS-II.
    zero_search_deg : float
        Half-width (deg) of the scan that locates the zero shift before the least
        squares (0 switches it off; skipped when ``zero`` is fixed).
    shift_tolerance : float
        Converged when the largest parameter shift of a step is below this fraction of
        the parameter's esd.
    tolerance : float
        Relative chi^2 change below which a step that is rejected at every damping
        counts as converged (the minimum is reached to machine precision).
    stall_tolerance : float
        When no Levenberg-Marquardt step lowers chi^2 (the Gauss-Newton model and chi^2
        disagree at the level of rounding or of the profile windows' discretisation), the
        fit counts as converged if the Gauss-Newton step predicts a chi^2 decrease below
        this fraction of chi^2/dof, i.e. a step of at most ~sqrt(1e-2) = 0.1 esd in the
        joint metric of all parameters (recorded as ``converged_by = "stalled"``);
        otherwise the refinement fails.
    reflection_margin_deg : float
        Reflections are listed when their centre lies within the data range widened by
        this margin (deg) on both sides; the tails of reflections further out are left
        to the background.
    """

    wavelength1_A: float = 1.5405929
    wavelength2_A: float | None = 1.5444150
    ratio: float = 0.5
    goniometer_radius_mm: float = 240.0
    zero_deg: float = 0.0
    displacement_um: float = 0.0
    U: float = 2.0
    V: float = -2.0
    W: float = 5.0
    X: float = 1.0
    Y: float = 1.0
    SHL: float = 0.02
    soller_rad: float | None = None
    background_terms: int = 6
    two_theta_range_deg: tuple[float, float] | None = None
    cutoff_fwhm: float = 30.0
    core_fwhm: float = 8.0
    fixed: tuple[str, ...] = ()
    max_cycles: int = 100
    tolerance: float = 1e-9
    shift_tolerance: float = 0.01
    zero_search_deg: float = 0.2
    stall_tolerance: float = 1e-2
    reflection_margin_deg: float = 2.0
    max_gof: float = 5.0
    max_cell_change: float = 0.03
    max_shl: float = 0.15
    """Upper bound of SH/L; a refined SH/L there (or above twice the tangent of the Soller
    half-acceptance, where the Soller slits alone set the asymmetry) is flagged
    ``runaway:SHL``."""
    scale_esd_by_gof: bool = True
    fcj_nodes: int = 0
    phase_profile: dict = field(default_factory=dict)
    """Phases with their own profile terms: ``{phase: [keys]}`` (starting from the global
    values) or ``{phase: {key: start}}``."""
    sample: dict = field(default_factory=dict)
    """Sample broadening per phase (GSAS-II parametrisation, added to the instrument
    profile): ``{phase: {"size_um": 0.05, "size_axial_um": 0.02, "mustrain_ppm": 1000,
    "mustrain_axial_ppm": None, "axis": [0, 0, 1], "size_mix": 1.0, "mustrain_mix": 1.0}}``.
    An ``*_axial`` value makes the term uniaxial along the reciprocal-lattice direction
    ``axis`` (hkl; the value is the size / strain along it, the plain one perpendicular);
    ``*_mix`` is the Lorentzian fraction of the term (1: Lorentzian, GSAS-II's default)."""
    refine: tuple[str, ...] = ()
    """Parameters or groups refined although fixed by default (e.g. the instrument profile
    when ``instrument_fixed``); groups: ``cell``, ``profile`` (U V W X Y), ``instrument``
    (U V W X Y SHL), ``sample`` (size / mustrain terms), ``<phase>.cell``."""
    stages: tuple[tuple[str, ...], ...] = ()
    """Staged order: stage k refines what stages 1..k name (parameters or groups, limited to
    the refined set); a last stage with everything refined is added when they do not name
    it all. Empty: positions first, then everything."""
    instrument_fixed: bool | None = None
    """Hold the instrument profile (U V W X Y SHL) at its given values; None: held fixed when
    a phase has a sample-broadening model, refined otherwise (empirical profile)."""
    exclude_deg: tuple[tuple[float, float], ...] = ()
    """Excluded 2theta regions (deg), e.g. a window or an impurity line."""
    start_from_data: bool = True
    """Rescale the starting widths to the FWHM of the strongest isolated peaks."""
    max_size_um: float = 10.0
    """Upper bound of a crystallite size (um); a size there is flagged ``at_bound``."""
    max_mustrain_ppm: float = 1.0e5
    """Upper bound of a microstrain (ppm)."""
    start_spread: float = 0.0
    """> 1: refine from three starts of the width terms (as given, ``start_spread`` times
    wider and narrower; see :func:`refine`) and keep the lowest chi^2, flagging
    ``multimodal`` when their cells disagree beyond one esd."""
    cell_search_pct: float = 1.5
    """When the local refinement from the given cell fails (no convergence, GoF above
    ``max_gof``, cell runaway): scan the cell lengths over +-``cell_search_pct`` % against
    chi^2 (widths fixed) and refine again from the best cell (see :func:`_cell_search`);
    0: never."""
    cell_search_gof: float = 2.0
    """A fit refined from the searched cell with a GoF above this is flagged
    ``poor_fit:cell_search`` (possibly a wrong minimum)."""


@dataclass
class LeBailResult:
    """Outcome of :func:`refine`.

    Attributes
    ----------
    name : str
        Pattern name.
    params : DataFrame
        One row per parameter: parameter, value, stderr, unit, refined, scaled_by_gof.
    stats : dict
        rp, rwp, rexp, gof, chi2, chi2_red, n_points, n_params, n_ls_params,
        n_intensities, cycles.
    profile : DataFrame
        two_theta_deg, obs, esd, calc, background, diff.
    reflections : DataFrame
        phase, h, k, l, multiplicity, d_A, two_theta_deg (Ka1, incl. zero/displacement),
        intensity and intensity_esd (extracted, counts deg).
    cells : dict
        Phase name -> dict of a, b, c, alpha, beta, gamma, volume and their esds.
    covariance : DataFrame
        Covariance of the refined non-linear and background parameters (scaled as
        stated), marginal over the intensities.
    """

    name: str
    params: pd.DataFrame
    stats: dict
    profile: pd.DataFrame
    reflections: pd.DataFrame
    cells: dict
    covariance: pd.DataFrame
    settings: Settings = field(repr=False, default=None)
    phases: list = field(repr=False, default=None)


def _ranges(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(first[k], first[k] + count[k])`` over k (counts >= 0)."""
    off = np.cumsum(count) - count
    return np.repeat(first - off, count) + np.arange(int(off[-1] + count[-1]) if count.size else 0)


class PatternModel:
    """The Le Bail pattern model of one pattern (see module docstring).

    Parameters
    ----------
    x : ndarray
        2theta (deg), strictly increasing.
    phases : list of Phase
    settings : Settings
    name : str
        Pattern name used in error messages.

    Notes
    -----
    ``p`` vectors hold the non-linear parameters followed by the background
    coefficients (``names``); the intensities are a separate vector of one value per
    reflection (``hkl``). Reflection lists are built once, from the starting cell with
    a margin of ``max_cell_change``.
    """

    def __init__(self, x: np.ndarray, phases: list[Phase], settings: Settings, name: str):
        self.x = np.asarray(x, dtype=float)
        self.name = name
        self.settings = settings
        s = settings
        if not phases:
            raise InputError(f"pattern {name}: no phases given")
        self.sgs: list[SpaceGroupInfo] = []
        names, values = [], []
        self.cell_slices = []
        for ph in phases:
            sg = (
                space_group_from_ops(ph.space_group, ph.symops)
                if ph.symops
                else space_group(ph.space_group)
            )
            self.sgs.append(sg)
            start = len(names)
            for p in sg.cell_params:
                if p not in ph.cell:
                    raise InputError(
                        f"pattern {name}: phase {ph.name} ({ph.space_group}, "
                        f"{sg.crystal_system}) needs starting cell parameter {p!r}; "
                        f"got {sorted(ph.cell)}"
                    )
                names.append(f"{ph.name}.{p}")
                values.append(float(ph.cell[p]))
            self.cell_slices.append(slice(start, len(names)))
        self.phases = phases
        self.n_cell = len(names)
        names += ["zero", "displacement", *PROFILE_PARAMS]
        values += [s.zero_deg, s.displacement_um, s.U, s.V, s.W, s.X, s.Y, s.SHL]
        for phn, keys in (s.phase_profile or {}).items():
            if phn not in [ph.name for ph in phases]:
                raise InputError(
                    f"pattern {name}: phase_profile names phase {phn!r}, which is not a phase of "
                    f"this pattern ({[ph.name for ph in phases]})"
                )
            starts = keys if isinstance(keys, dict) else {k: None for k in keys}
            for k, v0 in starts.items():
                if k not in PROFILE_PARAMS[:5]:
                    raise InputError(
                        f"pattern {name}: phase_profile {phn}: {k!r} is not one of U V W X Y"
                    )
                names.append(f"{phn}.{k}")
                values.append(getattr(s, k) if v0 is None else float(v0))
        # sample broadening (GSAS-II): per phase, isotropic or uniaxial size and microstrain
        self.sample_specs = []
        phase_names = [ph.name for ph in phases]
        for phn, spec in (s.sample or {}).items():
            if phn not in phase_names:
                raise InputError(
                    f"pattern {name}: sample broadening names phase {phn!r}, which is not a "
                    f"phase of this pattern ({phase_names})"
                )
            unknown = set(spec) - {*SAMPLE_KEYS.values(), "axis", "size_mix", "mustrain_mix"}
            if unknown:
                raise InputError(
                    f"pattern {name}: sample broadening of {phn}: unknown keys {sorted(unknown)}; "
                    f"expected {sorted(SAMPLE_KEYS.values())}, axis, size_mix, mustrain_mix"
                )
            entry = {"phase": phase_names.index(phn), "idx": {}}
            for key, ckey in SAMPLE_KEYS.items():
                v0 = spec.get(ckey)
                if v0 is None:
                    continue
                v0 = float(v0)
                lo = 0.0 if key.startswith("mustrain") else 0.0
                if not v0 > lo:
                    raise InputError(
                        f"pattern {name}: sample broadening of {phn}: {ckey} = {v0}, expected > 0"
                    )
                entry["idx"][key] = len(names)
                names.append(f"{phn}.{key}")
                values.append(v0)
            for iso, ax in (("size", "size_axial"), ("mustrain", "mustrain_axial")):
                if ax in entry["idx"] and iso not in entry["idx"]:
                    raise InputError(
                        f"pattern {name}: sample broadening of {phn}: {SAMPLE_KEYS[ax]} needs "
                        f"{SAMPLE_KEYS[iso]} (the value perpendicular to the axis)"
                    )
            axis = np.asarray(spec.get("axis", [0, 0, 1]), dtype=float)
            if axis.shape != (3,) or not np.any(axis):
                raise InputError(
                    f"pattern {name}: sample broadening of {phn}: axis {spec.get('axis')} is not "
                    "a non-zero hkl triple"
                )
            entry["axis"] = axis
            for mx in ("size_mix", "mustrain_mix"):
                v = float(spec.get(mx, 1.0))
                if not 0.0 <= v <= 1.0:
                    raise InputError(
                        f"pattern {name}: sample broadening of {phn}: {mx} = {v}, expected 0-1"
                    )
                entry[mx] = v
            if entry["idx"]:
                self.sample_specs.append(entry)
        nb = int(s.background_terms)
        if nb < 1:
            raise InputError(f"pattern {name}: background_terms must be >= 1, got {nb}")
        self.ib0 = len(names)
        names += [f"bkg{j}" for j in range(nb)]
        values += [0.0] * nb
        self.names = names
        self.p0 = np.array(values, dtype=float)
        self.idx = {n: i for i, n in enumerate(names)}
        bfix = [f for f in s.fixed if f.startswith("bkg")]
        if bfix:
            raise InputError(
                f"pattern {name}: background coefficients {bfix} cannot be fixed (they are "
                "solved exactly with the intensities); lower background_terms instead"
            )
        fixed = set(self.expand(s.fixed, "fixed"))
        inst_fixed = s.instrument_fixed
        if inst_fixed is None:
            inst_fixed = bool(self.sample_specs)
        self.instrument_fixed = bool(inst_fixed)
        if inst_fixed:
            fixed |= {n for n in names[: self.ib0] if n.split(".")[-1] in INSTRUMENT_PROFILE}
        fixed -= set(self.expand(s.refine, "refine"))
        self.refined = np.array([n not in fixed for n in names])
        # bounds: SH/L >= 0 (a length ratio), sizes and strains positive and finite
        self.lower = np.full(len(names), -np.inf)
        self.upper = np.full(len(names), np.inf)
        for j, n in enumerate(names[: self.ib0]):
            base = n.split(".")[-1]
            if base == "SHL":
                # an asymmetry beyond max_shl is not physical (lab: 0.01-0.08): bounded, and
                # a fit that ends there is flagged runaway:SHL
                self.lower[j], self.upper[j] = 0.0, float(s.max_shl)
            elif base in ("size", "size_axial"):
                self.lower[j], self.upper[j] = 1e-4, float(s.max_size_um)
            elif base in ("mustrain", "mustrain_axial"):
                self.lower[j], self.upper[j] = 1e-3, float(s.max_mustrain_ppm)
        self.uniaxial = any(
            "size_axial" in sp["idx"] or "mustrain_axial" in sp["idx"] for sp in self.sample_specs
        )
        self.stage_masks = [
            np.array([n in set(self.expand(st, "stages")) for n in names]) for st in s.stages
        ]
        # Chebyshev basis
        xmin, xmax = self.x[0], self.x[-1]
        t = 2.0 * (self.x - xmin) / (xmax - xmin) - 1.0
        self.bkg_basis = np.polynomial.chebyshev.chebvander(t, nb - 1)
        # reflections (fixed hkl list, from the starting cell with a margin)
        lam = [s.wavelength1_A] + ([s.wavelength2_A] if s.wavelength2_A and s.ratio > 0 else [])
        self.lams = np.array(lam)
        # reflections centred up to ``reflection_margin_deg`` outside the data range: a
        # reflection further out has only a far tail in range, which cannot be told from
        # the background (its intensity is then fitted to the background's curvature)
        margin = float(s.reflection_margin_deg)
        tmax = min(np.radians(xmax + margin) / 2.0, np.radians(179.0) / 2.0)
        tmin = np.radians(xmin - margin) / 2.0
        hkls, mults, phase_of = [], [], []
        self.refl_slices = []
        for iph, (ph, sg) in enumerate(zip(phases, self.sgs, strict=True)):
            cell = full_cell(sg, {**ph.cell})
            d_min = max(lam) / (2.0 * np.sin(tmax)) * (1.0 - s.max_cell_change)
            refl = reflections(sg, cell, d_min)
            if tmin > 0:
                d_max = min(lam) / (2.0 * np.sin(tmin)) * (1.0 + s.max_cell_change)
                refl = refl[refl["d_A"] <= d_max].reset_index(drop=True)
            n0 = sum(len(h) for h in hkls)
            hkls.append(refl[["h", "k", "l"]].to_numpy())
            mults.append(refl["multiplicity"].to_numpy())
            phase_of.append(np.full(len(refl), iph))
            self.refl_slices.append(slice(n0, n0 + len(refl)))
        self.hkl = np.concatenate(hkls).astype(float)
        self.mult = np.concatenate(mults)
        self.phase_of = np.concatenate(phase_of)
        #: reflections in order of increasing 2theta at the start (all phases together)
        self.refl_perm = np.argsort(
            -np.concatenate(
                [
                    1.0 / np.sqrt(inv_d2(self.hkl[sl], full_cell(sg, {**ph.cell})))
                    for sl, sg, ph in zip(self.refl_slices, self.sgs, phases, strict=True)
                ]
            ),
            kind="stable",
        )
        nr = len(self.hkl)
        if nr == 0:
            raise InputError(f"pattern {name}: no reflections in the 2theta range")
        self.nr = nr
        nl = len(lam)
        self.refl_of_peak = np.tile(np.arange(nr), nl)
        self.lam_of_peak = np.repeat(self.lams, nr)
        self.wfac = np.repeat(np.array([1.0, s.ratio][:nl]), nr)
        # which parameter sets U..Y of each peak: (param index, peak mask) per profile key
        ph_of_peak = self.phase_of[self.refl_of_peak]
        self.profile_map = {}
        for k in PROFILE_PARAMS[:5]:
            own = np.zeros(ph_of_peak.size, bool)
            entries = []
            for iph, ph in enumerate(phases):
                if k in (s.phase_profile or {}).get(ph.name, ()):
                    m = ph_of_peak == iph
                    own |= m
                    entries.append((self.idx[f"{ph.name}.{k}"], m))
            entries.insert(0, (self.idx[k], ~own))
            self.profile_map[k] = entries
        self._n_fcj_used = None
        self._gram_buf = {}
        #: evaluations so far (a state of :meth:`_Fit.point` is reused only while no other
        #: evaluation has changed the FCJ node counts since)
        self.n_evaluations = 0

    # ------------------------------------------------------------------ parameter names
    def expand(self, items, what: str) -> list[str]:
        """Parameter names of names and groups (see :attr:`Settings.refine`).

        Raises
        ------
        InputError
            For a name that is neither a parameter of this pattern nor a group.
        """
        nl = self.names[: self.ib0]
        groups = {
            "cell": nl[: self.n_cell],
            "profile": [n for n in nl if n.split(".")[-1] in PROFILE_PARAMS[:5]],
            "instrument": [n for n in nl if n.split(".")[-1] in INSTRUMENT_PROFILE],
            "sample": [n for n in nl if n.split(".")[-1] in SAMPLE_PARAMS],
            "position": nl[: self.n_cell] + ["zero", "displacement"],
            "background": [],
        }
        for ph, sl in zip(self.phases, self.cell_slices, strict=True):
            groups[f"{ph.name}.cell"] = nl[sl]
        out = []
        for it in items:
            if it in self.idx and not it.startswith("bkg"):
                out.append(it)
            elif it in groups:
                out.extend(groups[it])
            else:
                raise InputError(
                    f"pattern {self.name}: {what} names {it!r}, which is neither a parameter of "
                    f"this pattern ({nl}) nor a group ({sorted(groups)})"
                )
        return out

    def check_profile(self, p: np.ndarray, err=FitError) -> None:
        """Reject a profile whose Gaussian FWHM^2 or Lorentzian FWHM is not positive anywhere
        in the 2theta range (not only at the peaks).

        Raises
        ------
        FitError (or ``err``)
            Naming the 2theta where it fails and the parameters.
        """
        tt = np.linspace(self.x[0], self.x[-1], 97)
        for ph_key in [None, *[ph.name for ph in self.phases]]:
            vals = {}
            own = False
            for k in PROFILE_PARAMS[:5]:
                nm = f"{ph_key}.{k}" if ph_key else k
                if ph_key and nm in self.idx:
                    own = True
                vals[k] = p[self.idx[nm]] if nm in self.idx else p[self.idx[k]]
            if ph_key and not own:
                continue
            _, gl, sig2 = prof.gauss_lorentz_fwhm(tt, **vals)
            bad = ~((sig2 > 0) & (gl >= 0))
            if np.any(bad):
                i = int(np.argmax(bad))
                who = f"phase {ph_key}" if ph_key else "instrument"
                raise err(
                    f"pattern {self.name}: {who} profile FWHM^2 not positive in the 2theta range "
                    f"(sigma^2 = U tan^2 + V tan + W = {sig2[i]:.4g} centideg^2, Gamma_L = "
                    f"{100 * gl[i]:.4g} centideg at 2theta = {tt[i]:.2f} deg) with "
                    + " ".join(f"{k}={v:.4g}" for k, v in vals.items())
                )

    def cos_axis(self, p: np.ndarray) -> list[np.ndarray]:
        """|cos| of the angle between each reflection and the broadening axis (reciprocal
        metric, as GSAS-II's uniaxial model), one array per sample spec."""
        out = []
        cells = self.cells(p)
        for sp in self.sample_specs:
            sl = self.refl_slices[sp["phase"]]
            gstar = np.linalg.inv(metric(cells[sp["phase"]]))
            h = self.hkl[sl]
            ax = sp["axis"]
            num = np.abs(h @ gstar @ ax)
            den = np.sqrt(np.einsum("ni,ij,nj->n", h, gstar, h) * (ax @ gstar @ ax))
            out.append(np.clip(num / den, 0.0, 1.0))
        return out

    def sample_widths(self, p: np.ndarray, cc: np.ndarray, cosp: list[np.ndarray]) -> dict:
        """Sample broadening of every peak (GSAS-II ``GetSampleSigGam``).

        Size: ``Gamma = 1.8 lambda / (pi L cos theta)`` (centideg, L in um, lambda in
        angstrom); uniaxial ``1/L = sqrt(sin^2 phi / L_i^2 + cos^2 phi / L_a^2)`` (phi: angle
        to the axis). Microstrain: ``Gamma = 0.018 M tan theta / pi`` (M in ppm); uniaxial
        ``M = M_i M_a / sqrt((M_i cos phi)^2 + (M_a sin phi)^2)``. A fraction ``mix`` of each
        goes to the Lorentzian FWHM, the rest to the Gaussian variance
        ``((1 - mix) Gamma)^2 / (8 ln 2)``.

        Returns
        -------
        dict
            ``sig2`` (centideg^2) and ``gl`` (centideg) per peak; ``d`` maps a parameter
            index to (d sig2, d gl) per peak; ``dth`` (d sig2/d theta, d gl/d theta).
        """
        npk = self.refl_of_peak.size
        sig2 = np.zeros(npk)
        gl = np.zeros(npk)
        dsig_th = np.zeros(npk)
        dgl_th = np.zeros(npk)
        d = {}
        th = np.radians(cc) / 2.0
        cos, tan = np.cos(th), np.tan(th)
        c8 = 8.0 * LN2
        for sp, cp_r in zip(self.sample_specs, cosp, strict=True):
            iph = sp["phase"]
            mask = self.phase_of[self.refl_of_peak] == iph
            r = self.refl_of_peak[mask] - self.refl_slices[iph].start
            cp = cp_r[r]
            sp2 = 1.0 - cp * cp
            lam = self.lam_of_peak[mask]
            cm, tm = cos[mask], tan[mask]
            for kind, k0 in (("size", 1.8 * lam / (np.pi * cm)), ("mustrain", 0.018 * tm / np.pi)):
                if kind not in sp["idx"]:
                    continue
                ji = sp["idx"][kind]
                ja = sp["idx"].get(kind + "_axial")
                vi = p[ji]
                derivs = {}
                if kind == "size":
                    if ja is None:
                        f = np.full(cp.size, 1.0 / vi)
                        derivs[ji] = np.full(cp.size, -1.0 / vi**2)
                    else:
                        va = p[ja]
                        f = np.sqrt(sp2 / vi**2 + cp * cp / va**2)
                        derivs[ji] = -(sp2 / vi**3) / f
                        derivs[ja] = -(cp * cp / va**3) / f
                    dlog_th = tm  # d ln(1/cos)/d theta
                else:
                    if ja is None:
                        f = np.full(cp.size, vi)
                        derivs[ji] = np.ones(cp.size)
                    else:
                        va = p[ja]
                        f = 1.0 / np.sqrt(cp * cp / va**2 + sp2 / vi**2)
                        derivs[ji] = f**3 * sp2 / vi**3
                        derivs[ja] = f**3 * cp * cp / va**3
                    dlog_th = 1.0 / (np.sin(np.radians(cc[mask]) / 2.0) * cm)  # d ln tan
                g = k0 * f
                mx = sp[f"{kind}_mix"]
                gl[mask] += mx * g
                sig2[mask] += ((1.0 - mx) * g) ** 2 / c8
                dgl_th[mask] += mx * g * dlog_th
                dsig_th[mask] += 2.0 * ((1.0 - mx) * g) ** 2 / c8 * dlog_th
                for j, df in derivs.items():
                    ds = np.zeros(npk)
                    dl = np.zeros(npk)
                    dl[mask] = mx * k0 * df
                    ds[mask] = 2.0 * (1.0 - mx) ** 2 * g * k0 * df / c8
                    d[j] = (ds, dl)
        return {"sig2": sig2, "gl": gl, "d": d, "dth": (dsig_th, dgl_th)}

    # ------------------------------------------------------------------ geometry
    def cells(self, p: np.ndarray) -> list[tuple[float, ...]]:
        """Full cells (a, b, c, alpha, beta, gamma) of every phase at parameters ``p``."""
        out = []
        for sg, sl in zip(self.sgs, self.cell_slices, strict=True):
            vals = dict(zip(sg.cell_params, p[sl], strict=True))
            out.append(full_cell(sg, vals))
        return out

    def q(self, p: np.ndarray) -> np.ndarray:
        """1/d^2 (angstrom^-2) of every reflection."""
        return np.concatenate(
            [
                inv_d2(self.hkl[sl], cell)
                for sl, cell in zip(self.refl_slices, self.cells(p), strict=True)
            ]
        )

    def centers(self, p: np.ndarray, q: np.ndarray | None = None):
        """Peak centres (deg) and Bragg angles theta (rad) of all Ka1/Ka2 peaks.

        Returns
        -------
        c : ndarray
            Centres (NaN where lambda/2d > 1).
        th : ndarray
            Bragg angle theta (rad).
        """
        if q is None:
            q = self.q(p)
        s = self.lam_of_peak * np.sqrt(q[self.refl_of_peak]) / 2.0
        with np.errstate(invalid="ignore"):
            th = np.arcsin(np.where(s < 1.0, s, np.nan))
        r = self.settings.goniometer_radius_mm
        disp = -np.degrees(2.0 * p[self.idx["displacement"]] * 1e-3 * np.cos(th) / r)
        return np.degrees(2.0 * th) + p[self.idx["zero"]] + disp, th

    # ------------------------------------------------------------------ profile
    def _peak_param(self, p: np.ndarray, key: str) -> np.ndarray:
        out = np.empty(self.refl_of_peak.size)
        for j, m in self.profile_map[key]:
            out[m] = p[j]
        return out

    def _n_fcj(self, c, gam, shl) -> np.ndarray:
        """Gauss-Legendre nodes of the FCJ integral per peak: ``3 delta_max / FWHM + 2``
        rounded up to one of :data:`FCJ_NODE_LEVELS` (a few groups); a peak's count never
        decreases during a fit (chi^2 stays a continuous function of the parameters)."""
        npk = c.size
        if self.settings.fcj_nodes:
            return np.full(npk, int(self.settings.fcj_nodes))
        if shl <= 0 and not self.refined[self.idx["SHL"]]:
            return np.ones(npk, dtype=np.int64)
        shl = max(shl, 0.005)
        t = np.radians(np.minimum(c, 180 - c))
        dmax = np.degrees(t - np.arccos(np.minimum(np.cos(t) * np.sqrt(1 + shl * shl), 1.0)))
        ratio = np.nan_to_num(dmax / gam, nan=0.0, posinf=0.0)
        need = np.clip(np.ceil(3.0 * ratio) + 2, 3, 40)
        levels = np.asarray(FCJ_NODE_LEVELS)
        n = levels[np.minimum(np.searchsorted(levels, need), levels.size - 1)]
        if self._n_fcj_used is None or self._n_fcj_used.size != npk:
            self._n_fcj_used = n
        else:
            self._n_fcj_used = np.maximum(n, self._n_fcj_used)
        return self._n_fcj_used

    def evaluate(
        self, p: np.ndarray, derivs: bool = False, cutoff_fwhm: float | None = None
    ) -> dict:
        """Profile arrays of every peak on its window.

        Returns
        -------
        dict
            ii, pk (ragged indices: point and peak of each entry), val (unit-area
            profile, deg^-1), background (counts), centers, theta, and with ``derivs``
            the derivatives d_c (d val / d centre), d_gam, d_eta, d_shl and the per-peak
            FWHM / eta derivatives with respect to U, V, W, X, Y.

        Raises
        ------
        FitError
            When the Gaussian variance or the Lorentzian width of a peak in range is
            not positive.
        """
        s = self.settings
        self.n_evaluations += 1
        q = self.q(p)
        c, th = self.centers(p, q)
        ok = np.isfinite(c)
        cc = np.where(ok, c, 90.0)
        U, V, W, X, Y = (self._peak_param(p, k) for k in PROFILE_PARAMS[:5])
        shl = p[self.idx["SHL"]]
        self.check_profile(p)
        gg, gl, sig2 = prof.gauss_lorentz_fwhm(cc, U, V, W, X, Y)
        samp = None
        if self.sample_specs:
            samp = self.sample_widths(p, cc, self.cos_axis(p))
            sig2 = sig2 + samp["sig2"]
            gl = gl + samp["gl"] / 100.0
            with np.errstate(invalid="ignore"):
                gg = np.sqrt(8.0 * LN2 * sig2) / 100.0
        gg = np.where(sig2 > 0, gg, 1e-4)
        gl = np.maximum(gl, 0.0)
        gam, eta, dgg, dgl, deg, del_ = prof.tch(gg, gl)
        # FCJ quadrature per group of peaks with the same number of nodes (low-angle peaks,
        # whose asymmetry spans several FWHM, need many; most need few)
        nodes = self._n_fcj(cc, gam, shl)
        npk = cc.size
        groups = []
        dlo, dhi, dbar = np.zeros(npk), np.zeros(npk), np.zeros(npk)
        for nn in np.unique(nodes):
            pks = np.flatnonzero(nodes == nn)
            dl, wl = prof.fcj_nodes(cc[pks], shl, int(nn), s.soller_rad)
            dlo[pks] = np.maximum(dl.max(axis=1), 0)
            dhi[pks] = np.minimum(dl.min(axis=1), 0)
            dbar[pks] = np.sum(dl * wl, axis=1)
            groups.append((int(nn), pks, dl, wl))
        # core window (+-core_fwhm FWHM beyond the FCJ spread): the FCJ quadrature;
        # tails out to +-cutoff_fwhm FWHM: one pseudo-Voigt at the mean FCJ shift (the
        # two differ there by the FCJ variance times the curvature, << 1e-4 of the peak)
        cutoff = s.cutoff_fwhm if cutoff_fwhm is None else cutoff_fwhm
        core = min(s.core_fwhm, cutoff)
        x = self.x
        lo = np.where(ok, c - core * gam - dlo, np.inf)
        hi = np.where(ok, c + core * gam - dhi, -np.inf)
        olo = np.where(ok, c - cutoff * gam - dlo, np.inf)
        ohi = np.where(ok, c + cutoff * gam - dhi, -np.inf)
        # one window of points [i0, i1) per peak (entries ordered by peak, then point, so
        # that the design matrix is built column by column without sorting); its core is the
        # points [j0, j1) (core entries: from start + j0 - i0 on), the rest are the tails
        i0 = np.searchsorted(x, olo, side="left")
        ln = np.maximum(np.searchsorted(x, ohi, side="right") - i0, 0)
        pw = np.repeat(np.arange(npk), ln)
        start = np.cumsum(ln) - ln
        iw = np.arange(pw.size) - np.repeat(start - i0, ln)
        j0 = np.searchsorted(x, lo, side="left")
        ncore = np.maximum(np.searchsorted(x, hi, side="right") - j0, 0)

        # the tail formula on every entry (the core entries are overwritten below, after
        # their fading zone has mixed it in): beyond core_fwhm (>= 8 FWHM) the Gaussian part
        # is below 1e-70 of its peak, so the tails are the Lorentzian part alone,
        # eta L(dx) with L = (2 / pi) gam / (gam^2 + 4 dx^2) at the mean FCJ shift
        def per_entry(v):
            """A per-peak array on every entry (as ``v[pw]``; np.repeat is faster)."""
            return np.repeat(v, ln)

        # (in place where it saves a temporary of every entry)
        dxo = x[iw]
        dxo -= per_entry(c - dbar)
        g2 = gam * gam
        den = dxo * dxo
        den *= 4.0
        den += per_entry(g2)
        val0 = per_entry(eta * (2.0 / np.pi) * gam)
        val0 /= den
        # smooth taper over the outer 20 % of the window, so that chi^2 stays continuous
        # when a window edge crosses a data point. Its derivatives with respect to the
        # centre and the FWHM are kept: the tails of a reflection centred outside the range
        # (e.g. 001 below 25 deg) lie entirely in the taper zone, where they dominate. The
        # zone's tail entries (the taper is 1 to rounding inside 0.79 of the cutoff):
        zone = 0.79 * cutoff * gam
        nzl = np.maximum(np.minimum(np.searchsorted(x, c - zone, side="right"), j0) - i0, 0)
        zr = np.maximum(np.searchsorted(x, c + zone, side="left"), j0 + ncore)
        zpos = np.concatenate(
            [_ranges(start, nzl), _ranges(start + zr - i0, np.maximum(ln - (zr - i0), 0))]
        )
        pz = pw[zpos]
        xr = x[iw[zpos]] - c[pz]
        uo = np.abs(xr) / (cutoff * gam[pz])
        tt = np.clip((1.0 - uo) / 0.2, 0.0, 1.0)
        taper = tt * tt * (3.0 - 2.0 * tt)
        val = val0.copy()
        val[zpos] *= taper
        # core entries of each node group: positions, points, columns of the group's node
        # arrays (node-major, nodes x entries: sums over the few nodes and broadcasts of
        # per-entry factors run along contiguous rows), peaks, offsets from the nodes'
        # apparent centres, the nodes' weights; and
        # the fading of the core into the tail formula over its outer quarter (smoothstep in
        # the distance u beyond the FCJ spread, in FWHM), so that chi^2 stays smooth when a
        # data point crosses the core edge (the two differ there by ~ Var(delta) / u^2 of
        # the tail)
        bz = 0.25 * core
        core_groups = []
        for _nn, pks, dl, wl in groups:
            nc = ncore[pks]
            pos = _ranges(start[pks] + j0[pks] - i0[pks], nc)
            dx0 = x[_ranges(j0[pks], nc)] - np.repeat(c[pks], nc)
            ge = np.repeat(gam[pks], nc)
            u_lo = (-dx0 - np.repeat(dlo[pks], nc)) / ge
            u_hi = (dx0 + np.repeat(dhi[pks], nc)) / ge
            low_side = u_lo >= u_hi
            u_c = np.where(low_side, u_lo, u_hi)
            sb = np.clip((core - u_c) / bz, 0.0, 1.0)
            sm = sb * sb * (3.0 - 2.0 * sb)
            core_groups.append(
                {
                    "pks": pks, "pos": pos, "nc": nc, "ge": ge,
                    "dx": dx0[None, :] + np.repeat(dl.T, nc, axis=1),
                    "w": np.repeat(wl.T, nc, axis=1), "sb": sb, "sm": sm, "low": low_side,
                    "u_c": u_c,
                }
            )  # fmt: skip
        # the pseudo-Voigt of node n at offset dx: a r + b e, with u = 4 dx^2 / gam^2,
        # r = 1 / (1 + u), e = exp(-ln2 u), a = eta (2 / pi) / gam, b = (1 - eta) c_g / gam;
        # the node sums R = sum_n w_n r_n and E = sum_n w_n e_n give the core value a R + b E
        c_g = 2.0 * np.sqrt(LN2 / np.pi)
        for cg in core_groups:
            ig = 1.0 / cg["ge"]
            u = cg["dx"] * cg["dx"]
            u *= 4.0 * ig * ig
            r = 1.0 / (1.0 + u)
            e = np.exp(-LN2 * u)
            cg.update(
                ig=ig, u=u, r=r, e=e,
                a=(2.0 / np.pi) * np.repeat(eta[cg["pks"]], cg["nc"]) * ig,
                b=c_g * (1.0 - np.repeat(eta[cg["pks"]], cg["nc"])) * ig,
                R=np.einsum("ji,ji->i", r, cg["w"]), E=np.einsum("ji,ji->i", e, cg["w"]),
            )  # fmt: skip
            cg["vc"] = cg["a"] * cg["R"] + cg["b"] * cg["E"]
            pos, sm = cg["pos"], cg["sm"]
            val[pos] = sm * cg["vc"] + (1.0 - sm) * val0[pos]
        out = {
            "ii": iw,
            "pk": pw,
            "centers": c,
            "theta": th,
            "gam": gam,
            "eta": eta,
            "n_fcj": int(nodes.max()),
            "val": val,
        }

        def add_derivs():
            """Derivative entries (computed on demand: trial points need only values)."""
            # the tail formula: d/d(dx), d/d(gam), d/d(eta) (the taper in its zone)
            t_dx = dxo * -8.0
            t_dx *= val0
            t_dx /= den
            # val0 (den - 2 gam^2) / (gam den)
            t_dg = per_entry(g2)
            t_dg *= -2.0
            t_dg += den
            t_dg *= val0
            gden = per_entry(gam)
            gden *= den
            t_dg /= gden
            del gden
            d_c = -t_dx
            # (t_dg itself: its entries read below, in the taper zone and the core, are read
            # before they are overwritten, and the two sets are disjoint)
            d_gam = t_dg
            # d/d(eta): the Lorentzian (2 / pi) gam / den itself
            lor = per_entry((2.0 / np.pi) * gam)
            lor /= den
            d_eta = lor
            dtaper_du = -30.0 * tt * (1.0 - tt)  # d taper / d uo (zero outside the zone)
            dtaper_dc = dtaper_du * (-np.sign(xr) / (cutoff * gam[pz]))
            dtaper_dg = dtaper_du * (-uo / gam[pz])
            t_dxz = t_dx[zpos] * taper
            d_c[zpos] = -(t_dxz - val0[zpos] * dtaper_dc)
            d_gam[zpos] = t_dg[zpos] * taper + val0[zpos] * dtaper_dg
            d_eta[zpos] *= taper
            t_dx[zpos] = t_dxz  # (tapered: the tails' d/d(dx) in fcj_deriv)
            # the core: node sums, mixed with the tail formula in the fading zone, with the
            # derivatives of the mixing weight with respect to the centre and the FWHM
            for cg in core_groups:
                u, r, e, w, dx = cg["u"], cg["r"], cg["e"], cg["w"], cg["dx"]
                a, b, ig, vc = cg["a"], cg["b"], cg["ig"], cg["vc"]
                # node sums of d/d(dx): -8 dx / gam^2 (a r^2 + ln2 b e); d/d(gam):
                # (a r (2 u r - 1) + b e (2 ln2 u - 1)) / gam; d/d(eta): (2/pi r - c_g e) / gam;
                # with R = sum w r and E = sum w e: sum w r (2 u r - 1) = 2 sum w r^2 u - R and
                # sum w e (2 ln2 u - 1) = 2 ln2 sum w e u - E
                wr2 = r * r
                wr2 *= w
                we = w * e
                cg["wr2dx"] = wr2dx = wr2 * dx
                cg["wedx"] = wedx = we * dx
                k8 = -8.0 * ig * ig
                s_dx = k8 * (a * wr2dx.sum(axis=0) + LN2 * b * wedx.sum(axis=0))
                s_dg = ig * (
                    a * (2.0 * np.einsum("ji,ji->i", wr2, u) - cg["R"])
                    + b * ((2.0 * LN2) * np.einsum("ji,ji->i", we, u) - cg["E"])
                )
                del wr2, we
                s_de = ig * ((2.0 / np.pi) * cg["R"] - c_g * cg["E"])
                pos, sm, sb = cg["pos"], cg["sm"], cg["sb"]
                ds_du = -6.0 * sb * (1.0 - sb) / bz
                du_dc = np.where(cg["low"], 1.0, -1.0) / cg["ge"]
                du_dg = -cg["u_c"] / cg["ge"]
                dv = vc - val0[pos]
                d_c[pos] = -(sm * s_dx + (1.0 - sm) * t_dx[pos] - dv * ds_du * du_dc)
                d_gam[pos] = sm * s_dg + (1.0 - sm) * t_dg[pos] + dv * ds_du * du_dg
                d_eta[pos] = sm * s_de + (1.0 - sm) * lor[pos]
            out["d_c"], out["d_gam"], out["d_eta"] = d_c, d_gam, d_eta

            def fcj_deriv(shift_shl, shift_c):
                """d val / d(SH/L) or d val / d(centre) through the FCJ nodes and weights
                (finite differences of the node positions and weights)."""
                ddbar = np.zeros(npk)
                dnodes = []
                for nn, pks, dl, wl in groups:
                    if shift_shl:
                        h = shift_shl
                        d2, w2 = prof.fcj_nodes(cc[pks], shl + h, nn, s.soller_rad)
                        if shl > h:
                            d1, w1 = prof.fcj_nodes(cc[pks], shl - h, nn, s.soller_rad)
                            h2 = 2.0 * h
                        else:
                            d1, w1, h2 = dl, wl, h
                    else:
                        h2 = shift_c
                        d2, w2 = prof.fcj_nodes(cc[pks] + h2, shl, nn, s.soller_rad)
                        d1, w1 = dl, wl
                    dnodes.append(((d2 - d1) / h2, (w2 - w1) / h2))
                    ddbar[pks] = (np.sum(d2 * w2, axis=1) - np.sum(d1 * w1, axis=1)) / h2
                res = per_entry(ddbar)
                res *= t_dx
                for cg, (dd, dw) in zip(core_groups, dnodes, strict=True):
                    # sum_n dw_n v_n + sum_n w_n dd_n d/d(dx) v_n (see add_derivs)
                    pos, sm = cg["pos"], cg["sm"]
                    a, b, ig = cg["a"], cg["b"], cg["ig"]
                    nc = cg["nc"]
                    dwr = np.repeat(dw.T, nc, axis=1)
                    ddr = np.repeat(dd.T, nc, axis=1)
                    one = (
                        a * np.einsum("ji,ji->i", dwr, cg["r"])
                        + b * np.einsum("ji,ji->i", dwr, cg["e"])
                        - 8.0
                        * ig
                        * ig
                        * (
                            a * np.einsum("ji,ji->i", cg["wr2dx"], ddr)
                            + LN2 * b * np.einsum("ji,ji->i", cg["wedx"], ddr)
                        )
                    )
                    res[pos] = sm * one + (1.0 - sm) * res[pos]
                return res

            multi = int(nodes.max()) > 1
            if multi and self.refined[self.idx["SHL"]]:
                # central difference where SH/L - h stays positive, forward otherwise
                out["d_shl"] = fcj_deriv(1e-5 + 1e-3 * abs(shl), 0.0)
            else:
                out["d_shl"] = np.zeros(out["ii"].size)
            # derivatives of the per-peak FWHM and eta with respect to U, V, W, X, Y and to
            # the peak centre: the widths are evaluated at the observed centre ``cc``
            # (including zero and displacement), so cell, zero and displacement also move
            # them. Where sigma^2 <= 0 the Gaussian FWHM is a constant floor (zero slope).
            thc = np.radians(cc) / 2.0
            t = np.tan(thc)
            dsig = np.stack([t * t, t, np.ones_like(t)])  # d sig2 / d(U, V, W)
            dgg_dsig = np.where(sig2 > 0, 8.0 * np.log(2.0) / (2e4 * gg), 0.0)
            dgl_dxy = np.stack([1.0 / np.cos(thc) / 100.0, t / 100.0])  # d Gamma_L / d(X, Y)
            dgam = np.concatenate([dgg * dgg_dsig * dsig, dgl * dgl_dxy])
            deta = np.concatenate([deg * dgg_dsig * dsig, del_ * dgl_dxy])
            out["dgam_dp"] = np.nan_to_num(dgam)
            out["deta_dp"] = np.nan_to_num(deta)
            dth = np.pi / 360.0  # d theta / d 2theta(deg)
            dsig2_dc = (2.0 * U * t + V) * (1.0 + t * t) * dth
            dgl_dc = (X * np.sin(thc) / np.cos(thc) ** 2 + Y * (1.0 + t * t)) * dth / 100.0
            if samp is not None:
                g1, e1 = dgg * dgg_dsig, deg * dgg_dsig
                out["tch"] = (g1, dgl, e1, del_)
                out["sample_d"] = {
                    j: (
                        np.nan_to_num(g1 * ds + dgl * dl / 100.0),
                        np.nan_to_num(e1 * ds + del_ * dl / 100.0),
                    )
                    for j, (ds, dl) in samp["d"].items()
                }
                dsig2_dc = dsig2_dc + samp["dth"][0] * dth
                dgl_dc = dgl_dc + samp["dth"][1] * dth / 100.0
            dgam_dc = np.nan_to_num(dgg * dgg_dsig * dsig2_dc + dgl * dgl_dc)
            deta_dc = np.nan_to_num(deg * dgg_dsig * dsig2_dc + del_ * dgl_dc)
            d_cw = per_entry(dgam_dc)
            d_cw *= out["d_gam"]
            d_cw += out["d_c"]
            tmp = per_entry(deta_dc)
            tmp *= out["d_eta"]
            d_cw += tmp
            del tmp
            out["d_cw"] = d_cw
            if multi:
                # the FCJ shifts and weights depend on the Bragg angle too
                out["d_cw"] += fcj_deriv(0.0, 1e-4)

        if derivs:
            add_derivs()
        else:
            out["_add_derivs"] = add_derivs
        nb = self.bkg_basis.shape[1]
        out["background"] = self.bkg_basis @ p[self.ib0 : self.ib0 + nb]
        # design matrix of the intensities: column r = phi_r1 + R phi_r2 (deg^-1), the sum
        # of the per-peak columns, built directly on the union of the peaks' windows (the
        # entries are ordered by peak and point; explicit zeros where the windows of a
        # reflection's Ka1 and Ka2 peaks leave a gap, or where the taper is zero)
        indptr = np.zeros(npk + 1, dtype=np.int64)
        np.cumsum(ln, out=indptr[1:])
        out["indptr"] = indptr
        nr, nl = self.nr, npk // self.nr
        val = out["val"]
        if nl == 1:
            a = scipy.sparse.csc_matrix((val * self.wfac[0], iw, indptr), shape=(x.size, nr))
        else:
            first = np.where(ln > 0, i0, np.iinfo(np.int64).max).reshape(nl, nr).min(axis=0)
            last = np.where(ln > 0, i0 + ln, -1).reshape(nl, nr).max(axis=0)
            first = np.where(last >= 0, first, 0)
            width = np.maximum(last - first, 0)
            cptr = np.zeros(nr + 1, dtype=np.int64)
            np.cumsum(width, out=cptr[1:])
            cdata = np.zeros(int(cptr[-1]))
            to = iw + np.repeat(np.tile(cptr[:-1] - first, nl), ln)
            for k in range(nl):  # (each peak's window holds a point once)
                sl = slice(indptr[k * nr], indptr[(k + 1) * nr])
                f = self.wfac[k * nr]
                if k == 0:
                    cdata[to[sl]] = val[sl] if f == 1.0 else f * val[sl]
                else:
                    cdata[to[sl]] += f * val[sl]
            a = scipy.sparse.csc_matrix((cdata, _ranges(first, width), cptr), shape=(x.size, nr))
        a.has_sorted_indices = True
        out["A"] = a
        return out

    def calc(self, ev: dict, intens: np.ndarray) -> np.ndarray:
        """Calculated pattern (counts) from evaluated profiles and intensities."""
        return ev["background"] + ev["A"] @ intens

    # ------------------------------------------------------------------ least squares
    def jacobian(self, p: np.ndarray, ev: dict, intens: np.ndarray) -> np.ndarray:
        """d y_calc / d p of the refined non-linear parameters (n_points x m).

        The background and intensities are linear parameters (see :class:`LinearSolver`).
        """
        n = self.x.size
        if "_add_derivs" in ev:
            ev.pop("_add_derivs")()
        n = self.x.size
        ii, pk = ev["ii"], ev["pk"]
        npk = self.refl_of_peak.size
        ref = self.nl_refined()
        col = {j: k for k, j in enumerate(ref)}
        # every column is sum_e f_e g_(peak of e), with f_e one of the entries' derivatives
        # with respect to the centre, FWHM or eta, and g per peak: J = F_c G_c + F_g G_g +
        # F_e G_e with sparse F (points x peaks, the layout of the design matrix)
        amp = intens[self.refl_of_peak] * self.wfac
        gc, gg, ge = (np.zeros((npk, ref.size)) for _ in range(3))
        c0, th = ev["centers"], ev["theta"]
        for j in range(self.n_cell):
            if j not in col:
                continue
            h = 1e-7 * max(abs(p[j]), 1.0)
            pp = p.copy()
            pp[j] += h
            gc[:, col[j]] = amp * np.nan_to_num((self.centers(pp)[0] - c0) / h)
            if "tch" in ev and self.uniaxial:
                # uniaxial terms: the angle to the axis depends on the cell too
                cc = np.where(np.isfinite(c0), c0, 90.0)
                s0 = self.sample_widths(p, cc, self.cos_axis(p))
                s1 = self.sample_widths(p, cc, self.cos_axis(pp))
                ds = (s1["sig2"] - s0["sig2"]) / h
                dl = (s1["gl"] - s0["gl"]) / h / 100.0
                g1, gl_, e1, el_ = ev["tch"]
                gg[:, col[j]] = amp * np.nan_to_num(g1 * ds + gl_ * dl)
                ge[:, col[j]] = amp * np.nan_to_num(e1 * ds + el_ * dl)
        if self.idx["zero"] in col:
            gc[:, col[self.idx["zero"]]] = amp
        if self.idx["displacement"] in col:
            r = self.settings.goniometer_radius_mm
            gc[:, col[self.idx["displacement"]]] = amp * np.nan_to_num(
                -np.degrees(2e-3 * np.cos(th) / r)
            )
        for m, nm in enumerate(PROFILE_PARAMS[:5]):
            for j, mask in self.profile_map[nm]:
                if j in col:
                    gg[:, col[j]] = amp * ev["dgam_dp"][m] * mask
                    ge[:, col[j]] = amp * ev["deta_dp"][m] * mask
        for j, (dgam, deta) in ev.get("sample_d", {}).items():
            if j in col:
                gg[:, col[j]] = amp * dgam
                ge[:, col[j]] = amp * deta
        jac = np.zeros((n, ref.size))
        f = None
        for key, g in (("d_cw", gc), ("d_gam", gg), ("d_eta", ge)):
            nz = np.flatnonzero(np.any(g, axis=0))  # (only the columns this part moves)
            if nz.size:
                if f is None:
                    f = scipy.sparse.csc_matrix((ev[key], ii, ev["indptr"]), shape=(n, npk))
                else:
                    f.data = ev[key]  # (the same pattern: no second check of it)
                jac[:, nz] += f @ g[:, nz]
        ishl = self.idx["SHL"]
        if ishl in col:
            jac[:, col[ishl]] += np.bincount(ii, weights=amp[pk] * ev["d_shl"], minlength=n)
        return jac

    def nl_refined(self) -> np.ndarray:
        """Indices (into ``names``) of the refined non-linear parameters."""
        return np.flatnonzero(self.refined[: self.ib0])


class LinearSolver:
    """Exact weighted least-squares solution for the background and the intensities.

    ``L = [B | A]`` (Chebyshev basis, profile design matrix); solves
    ``(L^T W L) c = L^T W y`` with the columns scaled to unit diagonal and a relative
    ridge of 1e-10 (so that exactly coincident reflections share their intensity equally;
    reflections with no point in range get zero).
    """

    RIDGE = 1e-10
    #: the banded factorisation is used from this many reflections on (when the intensities'
    #: normal matrix, ordered by 2theta, is banded: reflections overlap only with neighbours)
    BANDED_MIN = 120

    def __init__(self, model: PatternModel, ev: dict, w: np.ndarray, bw: np.ndarray):
        a = ev["A"]
        self.model, self.a, self.w, self.bw = model, a, w, bw
        bb = model.bkg_basis
        nb, nr = bb.shape[1], a.shape[1]
        self.nb = nb
        k_bb = bb.T @ bw
        k_ab = (a.T @ bw).T if a.nnz else np.zeros((nb, nr))
        perm = model.refl_perm
        inv = np.empty(nr, dtype=np.int64)
        inv[perm] = np.arange(nr)
        # the intensities' block: sparse (COO, reflection order) or banded in 2theta order
        k_aa, band = _gram(a, w, perm, buf=model._gram_buf)
        self._parts = (k_bb, k_ab, k_aa)
        self._k = None
        banded_p = isinstance(k_aa, np.ndarray)
        diag_aa = k_aa[0][inv] if banded_p else k_aa.diagonal()
        d = np.sqrt(np.concatenate([np.diag(k_bb), diag_aa]))
        self.live = d > 0
        d[~self.live] = 1.0
        self.d = d
        if not banded_p:
            r_, c_ = inv[k_aa.row], inv[k_aa.col]
            band = int(np.max(np.abs(r_ - c_), initial=0))
        self.banded = nr >= self.BANDED_MIN and 3 * (band + 1) < nr
        if not self.banded:
            kn = self.k / np.outer(d, d)
            kn[np.diag_indices_from(kn)] += self.RIDGE
            try:
                self.cho = scipy.linalg.cho_factor(kn, lower=False, check_finite=False)
            except np.linalg.LinAlgError:
                kn[np.diag_indices_from(kn)] += 1e-6
                self.cho = scipy.linalg.cho_factor(kn, lower=False, check_finite=False)
            return
        # banded intensities block (lower storage, reflections ordered by 2theta; LAPACK's
        # banded Cholesky is about twice as fast on it as on the upper one) and the
        # background through its Schur complement
        da, db = d[nb:], d[:nb]
        if banded_p:
            # k_aa[o, j] = K[j + o, j] (2theta order): divided by d[j + o] d[j]
            dp = da[perm]
            pad = np.concatenate([dp, np.ones(band)])
            d_hi = np.lib.stride_tricks.as_strided(
                pad, shape=(band + 1, nr), strides=(pad.itemsize, pad.itemsize)
            )
            ab = k_aa / (d_hi * dp)
        else:
            ab = np.zeros((band + 1, nr))
            lo = r_ >= c_
            ab[r_[lo] - c_[lo], c_[lo]] = k_aa.data[lo] / (da[k_aa.row[lo]] * da[k_aa.col[lo]])
        ab[0] += self.RIDGE
        try:
            cb = scipy.linalg.cholesky_banded(ab, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            ab[0] += 1e-6
            cb = scipy.linalg.cholesky_banded(ab, lower=True, check_finite=False)
        kab = (k_ab / np.outer(db, da))[:, perm].T
        xab = scipy.linalg.cho_solve_banded((cb, True), kab, check_finite=False)
        schur = k_bb / np.outer(db, db) - kab.T @ xab
        schur[np.diag_indices_from(schur)] += self.RIDGE
        self.cho_b = scipy.linalg.cho_factor(schur, lower=False, check_finite=False)
        self.cb, self.kab, self.xab, self.perm = cb, kab, xab, perm
        self._inv = inv

    @property
    def k(self) -> np.ndarray:
        """The normal matrix L^T W L (dense; background first, then intensities)."""
        if self._k is None:
            k_bb, k_ab, k_aa = self._parts
            nb = self.nb
            k = np.empty((nb + k_ab.shape[1],) * 2)
            k[:nb, :nb] = k_bb
            k[:nb, nb:] = k_ab
            k[nb:, :nb] = k_ab.T
            if isinstance(k_aa, np.ndarray):
                # from the lower band in 2theta order
                nr = k_aa.shape[1]
                band = k_aa.shape[0] - 1
                kd = np.zeros((nr, nr))
                for o in range(band + 1):
                    v = k_aa[o, : nr - o]
                    idx = np.arange(nr - o)
                    kd[idx, idx + o] = v
                    kd[idx + o, idx] = v
                inv = np.empty(nr, dtype=np.int64)
                inv[self.model.refl_perm] = np.arange(nr)
                k[nb:, nb:] = kd[np.ix_(inv, inv)]
            else:
                k[nb:, nb:] = k_aa.toarray()
            self._k = k
        return self._k

    def lt_w(self, m: np.ndarray) -> np.ndarray:
        """L^T W m for a vector or a matrix m (rows = points)."""
        top = self.bw.T @ m
        bot = self.a.T @ (m * self.w if m.ndim == 1 else m * self.w[:, None])
        return np.concatenate([top, bot], axis=0)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(L^T W L)^-1 rhs (regularised as stated)."""
        d = self.d if rhs.ndim == 1 else self.d[:, None]
        r = rhs / d
        if not self.banded:
            return scipy.linalg.cho_solve(self.cho, r, check_finite=False) / d
        nb = self.nb
        ya = scipy.linalg.cho_solve_banded((self.cb, True), r[nb:][self.perm], check_finite=False)
        xb = scipy.linalg.cho_solve(self.cho_b, r[:nb] - self.kab.T @ ya, check_finite=False)
        out = np.empty_like(r)
        out[:nb] = xb
        out[nb:][self.perm] = ya - self.xab @ xb
        return out / d

    def apply(self, coef: np.ndarray) -> np.ndarray:
        """L coef."""
        nb = self.model.bkg_basis.shape[1]
        return self.model.bkg_basis @ coef[:nb] + self.a @ coef[nb:]


def _gram(
    a: scipy.sparse.csc_matrix,
    w: np.ndarray,
    perm: np.ndarray,
    rows: int = 48,
    buf: dict | None = None,
):
    """``A^T W A`` for a design matrix whose columns are windows of points.

    With many reflections the points are taken in blocks of ``rows``; each block meets a
    contiguous range of reflections (in 2theta order ``perm``), whose dense Gram block is
    one BLAS product (of that block's own width), accumulated into the band of a
    matrix in 2theta order and returned in LAPACK's lower banded storage. Below
    :attr:`LinearSolver.BANDED_MIN` reflections (or for blocks wider than a third of them),
    the sparse product.

    Returns
    -------
    k : scipy.sparse.coo_matrix or ndarray
        COO in reflection order, or the lower band in 2theta order (``perm``):
        ``k[i - j, j] = K[i, j]`` for ``j <= i <= j + band``, shape (band + 1, nr).
    band : int
        For the banded form, the half bandwidth (a bound: the widest block's reflections
        minus one); -1 for the sparse form.

    ``buf`` (optional, one per pattern model) keeps the two work arrays between calls, all
    zeros (the entries set are cleared again before returning), which spares allocating and
    first touching megabytes of pages at every call.
    """
    nr = a.shape[1]
    n = a.shape[0]
    if nr >= LinearSolver.BANDED_MIN and a.nnz:
        inv = np.empty(nr, dtype=np.int64)
        inv[perm] = np.arange(nr)
        cnt = np.diff(a.indptr)
        col = np.repeat(inv, cnt)
        row = a.indices
        blk = row // rows
        nblk = (n + rows - 1) // rows
        # the 2theta ranks meeting each block, from the blocks each column spans (its rows
        # are sorted; a gap between its Ka1 and Ka2 windows only widens a block by zeros)
        live = np.flatnonzero(cnt)
        b0 = row[a.indptr[live]] // rows
        nbk = row[a.indptr[live + 1] - 1] // rows - b0 + 1
        bb, rk = _ranges(b0, nbk), np.repeat(inv[live], nbk)
        cmin = np.full(nblk, nr)
        cmax = np.full(nblk, -1)
        np.minimum.at(cmin, bb, rk)
        np.maximum.at(cmax, bb, rk)
        used = np.flatnonzero(cmax >= 0)
        wd = cmax - cmin + 1
        width = int(np.max(wd[used])) if used.size else 0
        if 3 * width < nr:
            # the band of K (2theta order) in a dense matrix with ``band`` spare rows on top
            # (and ``width`` below), so that the band storage is one strided view of it
            band = width - 1
            nk = nr + width
            buf = {} if buf is None else buf
            sizes = {"dense": nblk * rows * width, "kp": (band + nk) * nk}
            for key, size in sizes.items():
                if buf.get(key) is None or buf[key].size < size:
                    buf[key] = np.zeros(size)
            at = row * width + col - cmin[blk]
            dense = buf["dense"][: sizes["dense"]]
            kp = buf["kp"][: sizes["kp"]].reshape(band + nk, nk)
            k = kp[band:]
            strides = (nk * kp.itemsize, (nk + 1) * kp.itemsize)
            try:
                dense[at] = a.data * np.sqrt(w[row])
                blocks = dense.reshape(nblk, rows, width)
                for b in used:
                    wb, c0 = int(wd[b]), int(cmin[b])
                    d = blocks[b, :, :wb]
                    k[c0 : c0 + wb, c0 : c0 + wb] += d.T @ d
                lower = np.lib.stride_tricks.as_strided(k, shape=(band + 1, nr), strides=strides)
                ab = lower.copy()
            finally:
                # every entry written lies in the upper or the lower band
                dense[at] = 0.0
                for view in (kp, k):
                    np.lib.stride_tricks.as_strided(view, shape=(band + 1, nr), strides=strides)[
                        ...
                    ] = 0.0
            return ab, band
    if n * nr * nr <= DENSE_GRAM_MAX:
        # few reflections: one BLAS product of the dense design matrix (the sparse product's
        # overhead dominates there)
        sa = a.toarray()
        sa *= np.sqrt(w)[:, None]
        return scipy.sparse.coo_matrix(sa.T @ sa), -1
    wa = a.copy()
    wa.data = wa.data * w[wa.indices]
    return (a.T @ wa).tocoo(), -1


#: largest points x reflections^2 for which :func:`_gram` takes the dense product
DENSE_GRAM_MAX = 2e7


def statistics(y, calc, w, n_params):
    """Rp, Rwp, Rexp (fractions), chi2, chi2_red and GoF = sqrt(chi2_red)."""
    n = y.size
    chi2 = float(np.sum(w * (y - calc) ** 2))
    dof = n - n_params
    if dof <= 0:
        raise FitError(f"{n} points cannot determine {n_params} parameters")
    swy2 = float(np.sum(w * y * y))
    return {
        "rp": float(np.sum(np.abs(y - calc)) / np.sum(np.abs(y))),
        "rwp": math.sqrt(chi2 / swy2),
        "rexp": math.sqrt(dof / swy2),
        "chi2": chi2,
        "chi2_red": chi2 / dof,
        "gof": math.sqrt(chi2 / dof),
        "n_points": n,
        "n_params": n_params,
    }


class _Fit:
    """State of one refinement: data, weights and the projected chi^2."""

    def __init__(self, model: PatternModel, y: np.ndarray, w: np.ndarray):
        self.model, self.y, self.w = model, y, w
        self.bw = model.bkg_basis * w[:, None]
        self.ny = None
        self._last = None

    def point(self, p: np.ndarray, derivs: bool, cutoff_fwhm: float | None = None) -> dict:
        """Evaluate the model at ``p`` with the linear parameters solved exactly.

        The state of the latest evaluation is returned again for the same ``p`` (e.g. the
        start after :func:`start_widths` left the widths as they were) when the model was
        not evaluated elsewhere in between.
        """
        m = self.model
        last = self._last
        if (
            last is not None
            and last[0] == m.n_evaluations
            and last[1] == (derivs, cutoff_fwhm)
            and np.array_equal(last[2], p)
        ):
            return last[3]
        ev = m.evaluate(p, derivs=derivs, cutoff_fwhm=cutoff_fwhm)
        ls = LinearSolver(m, ev, self.w, self.bw)
        coef = ls.solve(ls.lt_w(self.y))
        calc = ls.apply(coef)
        nb = m.bkg_basis.shape[1]
        pp = p.copy()
        pp[m.ib0 : m.ib0 + nb] = coef[:nb]
        ev["background"] = m.bkg_basis @ coef[:nb]
        r = self.y - calc
        st = {
            "p": pp,
            "ev": ev,
            "ls": ls,
            "intens": coef[nb:],
            "calc": calc,
            "chi2": float(np.sum(self.w * r * r)),
        }
        self._last = (m.n_evaluations, (derivs, cutoff_fwhm), p.copy(), st)
        return st

    def chi2_of_design(self, a: scipy.sparse.csc_matrix) -> float:
        """chi^2 with the background and intensities solved for a given design matrix."""
        ls = LinearSolver(self.model, {"A": a}, self.w, self.bw)
        r = self.y - ls.apply(ls.solve(ls.lt_w(self.y)))
        return float(np.sum(self.w * r * r))

    def reduced(self, st: dict, jac: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Normal matrix and gradient of the projected problem (Kaufman's Jacobian; ``jac``:
        the model's Jacobian at ``st`` when already computed)."""
        m = self.model
        if jac is None:
            jac = m.jacobian(st["p"], st["ev"], st["intens"])
        ls = st["ls"]
        jr = jac - ls.apply(ls.solve(ls.lt_w(jac)))
        wj = jr * self.w[:, None]
        a, g = jr.T @ wj, wj.T @ (self.y - st["calc"])
        # kept for the covariance when the fit stops at this state (same refined set)
        st["reduced"] = (m.nl_refined(), jac, a)
        return a, g


def _esd_of_normal(a: np.ndarray, chi2_red: float) -> np.ndarray:
    """esds from a normal matrix (NaN for parameters in its null space)."""
    cov, _ = _covariance(a)
    return np.sqrt(np.abs(np.diag(cov)) * max(chi2_red, 1e-300))


def _lm(
    fit: _Fit, st: dict, max_cycles: int, shift_tol: float, s: Settings, early_stop: bool = False
):
    """Levenberg-Marquardt on the refined non-linear parameters (projected chi^2).

    Returns
    -------
    st : dict
        Final state (see :meth:`_Fit.point`).
    cycles : int
    converged_by : str
        How the fit converged: "shift" (every shift below ``shift_tol`` esd), "chi2"
        (relative chi^2 change below ``tolerance``), "stalled" (no step lowers chi^2 and
        the predicted decrease is negligible, see :func:`_stalled`); "" when it did not.
    info : str
        Last shift / chi^2 change, for error messages.

    With ``early_stop``, from the second cycle on the fit also stops (``"shift"``) before a
    step when the Gauss-Newton step from the current state is below ``shift_tol`` esd in
    every parameter (the step the shift rule would accept next, and stop after).
    """
    m = fit.model
    ref = m.nl_refined()
    lam = LM_LAMBDA0
    info = "no cycle run"
    npts = m.x.size
    for cycle in range(1, max_cycles + 1):
        a, g = fit.reduced(st)
        dg = np.diag(a).copy()
        dg[dg <= 0] = 1.0
        chi2_red = st["chi2"] / max(npts - ref.size, 1)
        esd = _esd_of_normal(a, chi2_red)
        # the undamped (Gauss-Newton) step: a damped step can be tiny because the damping
        # is large, which must not count as convergence
        stalled = _stalled(a, g, esd, chi2_red, s.stall_tolerance)
        gn_max = float(np.max(stalled[2], initial=0.0))
        if early_stop and cycle > 1:
            # the full (undamped) step from here, below shift_tol esd in every parameter:
            # converged without evaluating it (the shift rule below, applied one step early;
            # the Jacobian at this state is then reused for the covariance)
            gn_ratio = _gauss_newton_esd(a, g, esd)
            k = int(np.argmax(gn_ratio)) if gn_ratio.size else 0
            if gn_ratio.size and gn_ratio[k] < shift_tol:
                info = (
                    f"Gauss-Newton step {gn_ratio[k]:.3g} esd (largest, in {m.names[ref[k]]}) "
                    f"below {shift_tol:g} esd"
                )
                st["gn_step_esd"] = gn_max
                return st, cycle - 1, "shift", info
        accepted = None
        backtracked = False
        while lam < 1e12:
            try:
                step = np.linalg.solve(a + lam * np.diag(dg), g)
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            pt = st["p"].copy()
            pt[ref] += step
            pt[ref] = np.clip(pt[ref], m.lower[ref], m.upper[ref])
            try:
                trial = fit.point(pt, derivs=False)
            except FitError:
                lam *= 10.0
                continue
            if trial["chi2"] < st["chi2"]:
                accepted = trial
                if lam <= 1e-2:
                    accepted = _extrapolate(fit, st, trial, ref, step, g)
                lam = max(lam / 10.0, 1e-9)
                break
            if stalled[0]:
                # the step is refused and the Gauss-Newton model predicts a negligible
                # decrease: the minimum is reached (raising the damping cannot help)
                break
            if not backtracked:
                # first refusal of the cycle: one step to the minimum of the parabola along
                # this direction (exact slope, chi^2 measured at the step) before raising
                # the damping step by step (each raise costs an evaluation)
                backtracked = True
                accepted = _backtrack(fit, st, trial, ref, pt[ref] - st["p"][ref], g)
                if accepted is not None:
                    break
            lam *= 10.0
        if accepted is None:
            # no step lowers chi^2 at any damping. The Gauss-Newton model predicts the
            # decrease g^T A^-1 g; when that is below stall_tolerance * chi^2/dof the
            # minimum is reached to within the model's resolution (the remaining step is
            # ~sqrt(stall_tolerance) esd in the joint metric); otherwise the model and chi^2
            # disagree on a step that matters: a genuine failure
            ok, pred, ratio, k = stalled
            name_k = m.names[ref[k]] if ratio.size else "-"
            info = (
                f"no step lowers chi^2; predicted chi^2 decrease {pred:.3g} "
                f"({pred / max(chi2_red, 1e-300):.3g} chi^2/dof), Gauss-Newton shift "
                f"{ratio[k] if ratio.size else 0.0:.3g} esd in {name_k}"
            )
            return st, cycle, "stalled" if ok else "", info
        # shift relative to the esd (parameters without an esd do not count)
        shift = np.nan_to_num(np.abs(accepted["p"][ref] - st["p"][ref]) / esd, nan=0.0)
        rel = (st["chi2"] - accepted["chi2"]) / accepted["chi2"]
        k = int(np.argmax(shift)) if shift.size else 0
        info = (
            f"relative chi2 change {rel:.2e}, largest shift {shift[k]:.3g} esd in {m.names[ref[k]]}"
        )
        if _DEBUG:
            print(cycle, accepted["chi2"], lam, info)
        st = accepted
        _check_cells(m, st["p"], m.name, s)
        info += f", Gauss-Newton step {gn_max:.3g} esd"
        st["gn_step_esd"] = gn_max
        if shift[k] < shift_tol or rel < s.tolerance:
            # (the damped step is small; the undamped one, recorded, can be larger along a
            # flat valley of correlated widths, where chi^2 changes by < 1e-5 relative)
            return st, cycle, "shift" if shift[k] < shift_tol else "chi2", info
    return st, max_cycles, "", info


def _gauss_newton_esd(a: np.ndarray, g: np.ndarray, esd: np.ndarray) -> np.ndarray:
    """|Gauss-Newton step| / esd per parameter (the normal matrix scaled to unit diagonal
    for the solve; parameters without an esd count 0)."""
    d = np.sqrt(np.diag(a))
    d[~(d > 0)] = 1.0
    step = np.linalg.lstsq(a / np.outer(d, d), g / d, rcond=1e-12)[0] / d
    return np.nan_to_num(np.abs(step) / esd, nan=0.0, posinf=0.0)


def _extrapolate(fit: _Fit, st: dict, trial: dict, ref: np.ndarray, step: np.ndarray, g):
    """Line search along an accepted, nearly undamped step.

    Along ``p + t s`` chi^2 is ``c(t) = c0 - 2 t g.s + kappa t^2`` to second order; the slope
    ``-2 g.s`` is exact (the projected gradient) and ``c(1)`` is measured, which gives the
    true curvature ``kappa`` along the step. Where the Gauss-Newton curvature ``s^T A s``
    overestimates it (a flat direction whose curvature has a large negative residual
    term, e.g. the cell of a weak, broad minority phase), Gauss-Newton converges only
    linearly, ``1 - 1/t*`` per cycle; the step to the parabola's minimum ``t* = g.s/kappa``
    (at most 4) removes that crawl in one move. Kept only when chi^2 is lower there.

    Returns
    -------
    dict
        ``trial`` or the state at ``t*`` (see :meth:`_Fit.point`).
    """
    gs = float(g @ step)
    kappa = trial["chi2"] - st["chi2"] + 2.0 * gs
    if not gs > 0:
        return trial
    t_opt = gs / kappa if kappa > 0 else 4.0
    if t_opt < 1.5:
        return trial
    ext = _point_along(fit, st, ref, step, min(t_opt, 4.0))
    return ext if ext is not None and ext["chi2"] < trial["chi2"] else trial


def _point_along(fit: _Fit, st: dict, ref: np.ndarray, step: np.ndarray, t: float):
    """The state at ``p + t step`` (refined parameters, clipped to their bounds), or None
    where the model cannot be evaluated (:class:`FitError`)."""
    m = fit.model
    pt = st["p"].copy()
    pt[ref] += t * step
    pt[ref] = np.clip(pt[ref], m.lower[ref], m.upper[ref])
    try:
        return fit.point(pt, derivs=False)
    except FitError:
        return None


def _backtrack(fit: _Fit, st: dict, trial: dict, ref: np.ndarray, step: np.ndarray, g):
    """Quadratic backtracking along a refused step.

    Along ``p + t s`` chi^2 is ``c(t) = c0 - 2 t g.s + kappa t^2`` to second order, with the
    exact slope ``-2 g.s`` (the projected gradient) and ``kappa`` from the refused
    ``c(1) >= c0`` (the Gauss-Newton curvature underestimated the true one along ``s``).
    The state at the parabola's minimum ``t* = g.s / kappa`` (at least 0.01) when chi^2 is
    lower there, else None (the caller then raises the damping). Near convergence this
    replaces the ramp of the damping over many decades, one evaluation per decade.

    Returns
    -------
    dict or None
        State at ``t*`` (see :meth:`_Fit.point`) or None.
    """
    gs = float(g @ step)
    kappa = trial["chi2"] - st["chi2"] + 2.0 * gs
    if not (gs > 0 and kappa > 0 and np.isfinite(kappa)):
        return None
    t = max(gs / kappa, 0.01)
    if t >= 0.9:
        return None
    bt = _point_along(fit, st, ref, step, t)
    return bt if bt is not None and bt["chi2"] < st["chi2"] else None


def _stalled(
    a: np.ndarray, g: np.ndarray, esd: np.ndarray, chi2_red: float, tol: float
) -> tuple[bool, float, np.ndarray, int]:
    """Stopping rule for an LM cycle in which no damped step lowers chi^2.

    Parameters
    ----------
    a, g : ndarray
        Normal matrix and gradient (``J^T W r``) of the projected problem.
    esd : ndarray
        esds of the parameters (for the message).
    chi2_red : float
        chi^2 / (N - P).
    tol : float
        Largest predicted decrease, in units of chi^2/dof, that counts as converged.

    Returns
    -------
    converged : bool
        The Gauss-Newton step predicts a chi^2 decrease ``g^T A^-1 g <= tol chi2_red``.
    predicted : float
        That predicted decrease (inf when A is singular).
    ratio : ndarray
        |Gauss-Newton shift| / esd per parameter.
    k : int
        Index of the largest ratio.
    """
    try:
        gn = scipy.linalg.lstsq(a, g, cond=1e-12)[0] if g.size else g
        pred = float(g @ gn)
    except (np.linalg.LinAlgError, ValueError):
        gn, pred = np.full(g.size, np.inf), math.inf
    ratio = np.nan_to_num(np.abs(gn) / esd, nan=0.0)
    k = int(np.argmax(ratio)) if ratio.size else 0
    ok = bool(g.size == 0 or (np.isfinite(pred) and pred <= tol * max(chi2_red, 1e-300)))
    return ok, pred, ratio, k


def _zero_scan(fit: _Fit, p: np.ndarray, s: Settings) -> np.ndarray:
    """Start value of the zero shift: minimum of the projected chi^2 on a grid."""
    m = fit.model
    jz = m.idx["zero"]
    if not m.refined[jz] or s.zero_search_deg <= 0:
        return p
    ev = m.evaluate(p, cutoff_fwhm=s.core_fwhm)
    c = ev["centers"]
    inr = np.isfinite(c) & (c > m.x[0]) & (c < m.x[-1])
    if not np.any(inr):
        return p
    # coarse grid in steps of the narrowest FWHM (the chi^2 basin of the right zero is
    # about one FWHM wide on each side), then halved steps either side of the best point
    dx = np.diff(m.x)
    step = max(float(np.min(ev["gam"][inr])), float(np.median(dx)))
    nstep = int(np.ceil(s.zero_search_deg / step))
    best = [np.inf, p]
    uniform = bool(np.all(np.abs(dx - dx[0]) <= 0.01 * dx[0]))  # (within rounding)
    if uniform:
        # on an equally spaced grid a zero shift of k steps moves every profile by k points:
        # one evaluation of the core profiles, shifted, serves the whole scan (the widths
        # and asymmetry are not re-evaluated at the shifted centres, which a scan can ignore)
        a0 = ev["A"]
        kstep = max(int(round(step / dx[0])), 1)

        chi = {}

        def try_k(k):
            chi[k] = fit.chi2_of_design(_shift_rows(a0, k))

        for k in kstep * np.arange(-nstep, nstep + 1):
            try_k(int(k))
        k0 = min(chi, key=chi.get)
        kh = kstep // 2
        while kh >= 1:  # halve the step down to one point
            for k in (k0 - kh, k0 + kh):
                if k not in chi:
                    try_k(int(k))
            k0 = min(chi, key=chi.get)
            kh //= 2
        # vertex of the parabola through the best point and its neighbours (one point apart)
        for k in (k0 - 1, k0 + 1):
            if k not in chi:
                try_k(int(k))
        z = float(k0)
        cm, c0, cp = chi[k0 - 1], chi[k0], chi[k0 + 1]
        curv = cm - 2.0 * c0 + cp
        if curv > 0:
            z += float(np.clip(0.5 * (cm - cp) / curv, -1.0, 1.0))
        pz = p.copy()
        pz[jz] = p[jz] + z * dx[0]
        return pz

    def try_zero(z):
        pz = p.copy()
        pz[jz] = z
        chi2 = fit.point(pz, derivs=False, cutoff_fwhm=s.core_fwhm)["chi2"]
        if chi2 < best[0]:
            best[:] = [chi2, pz]

    for z in p[jz] + step * np.arange(-nstep, nstep + 1):
        try_zero(z)
    z0 = best[1][jz]
    for z in (z0 - step / 2.0, z0 + step / 2.0):
        try_zero(z)
    return best[1]


def _cell_search(fit: _Fit, p: np.ndarray, s: Settings) -> tuple[np.ndarray, float, str]:
    """Coarse search of the cell lengths against chi^2, widths fixed (before a local fit).

    A cell a fraction ``delta`` off moves a peak at Bragg angle theta by
    ``2 tan(theta) delta`` rad: 0.5 % is several FWHM at high angle, outside the basin of a
    local fit. Each refined length (``a``, ``b``, ``c``) of every phase is scanned, first all
    lengths of a phase by a common factor, then each alone, over ``+-cell_search_pct`` % in
    steps that move no peak by more than half its FWHM; the best grid point is refined by
    halved steps. Two rounds from the given zero shift, which is searched again in between
    (:func:`_zero_scan`).
    The profile tails are cut at ``core_fwhm``.

    Returns
    -------
    p : ndarray
        Parameters with the best cell found.
    moved_pct : float
        Largest relative change of a cell length from the start (%).
    edge : str
        Name of a length whose best value lies at the edge of the scanned range ("" when
        none): the start is too far off for the search.
    """
    m = fit.model
    r = s.cell_search_pct / 100.0
    # the zero scan may have moved the zero to match the low-angle peaks of a wrong cell
    # (a c 1 % off shifts a 002 line at 16 deg by 0.16 deg): search from the given zero
    p = p.copy()
    p[m.idx["zero"]] = m.p0[m.idx["zero"]]
    ev = m.evaluate(p, cutoff_fwhm=s.core_fwhm)
    c = ev["centers"]
    inr = np.isfinite(c) & (c > m.x[0]) & (c < m.x[-1])
    if not np.any(inr) or r <= 0:
        return p, 0.0, ""
    tan_th = np.tan(np.radians(c[inr] / 2.0))
    dx = float(np.median(np.diff(m.x)))
    fw = np.maximum(ev["gam"][inr], dx)
    step = 0.5 * float(np.min(np.radians(fw) / (2.0 * tan_th)))
    if r / step > 60:  # (very narrow peaks: a coarser grid, still refined by halving below)
        step = r / 60
    p0 = p.copy()
    groups = []
    for sg, sl in zip(m.sgs, m.cell_slices, strict=True):
        js = [
            sl.start + i
            for i, nm in enumerate(sg.cell_params)
            if nm in ("a", "b", "c") and m.refined[sl.start + i]
        ]
        if js:
            groups.append(js)
            if len(js) > 1:
                groups.extend([j] for j in js)

    def chi2_at(pt):
        try:
            return fit.point(pt, derivs=False, cutoff_fwhm=s.core_fwhm)["chi2"]
        except FitError:
            return math.inf

    best_p, best = p.copy(), chi2_at(p)
    edge = ""
    for rnd in range(2):
        for js in groups:
            js = np.asarray(js)
            base = best_p.copy()

            def at(f, base=base, js=js):
                pt = base.copy()
                pt[js] = base[js] * f
                return pt

            # the range is relative to the start, the grid is centred on the current best
            lo = np.min((1.0 - r) * p0[js] / base[js])
            hi = np.max((1.0 + r) * p0[js] / base[js])
            grid = 1.0 + step * np.arange(
                math.ceil((lo - 1.0) / step - 1e-9), math.floor((hi - 1.0) / step + 1e-9) + 1
            )
            chi = {float(f): chi2_at(at(f)) for f in grid}
            f0 = min(chi, key=chi.get)
            h = step / 2.0
            while h >= step / 8.0:
                for f in (f0 - h, f0 + h):
                    if lo <= f <= hi and f not in chi:
                        chi[f] = chi2_at(at(f))
                f0 = min(chi, key=chi.get)
                h /= 2.0
            if chi[f0] < best:
                best, best_p = chi[f0], at(f0)
            if rnd == 1 and (f0 - lo < 0.5 * step or hi - f0 < 0.5 * step):
                edge = edge or m.names[js[0]] + ("" if js.size == 1 else " (common scale)")
        if rnd == 0:
            best_p = _zero_scan(fit, best_p, s)
            best = chi2_at(best_p)
    sl_all = np.concatenate([np.arange(sl.start, sl.stop) for sl in m.cell_slices])
    moved = float(np.max(np.abs(best_p[sl_all] / p0[sl_all] - 1.0), initial=0.0)) * 100.0
    return best_p, moved, edge


def _shift_rows(a: scipy.sparse.csc_matrix, k: int) -> scipy.sparse.csc_matrix:
    """The design matrix with every column moved down by ``k`` rows (points), entries
    moved out of the pattern dropped."""
    n, ncol = a.shape
    ind = a.indices + k
    keep = (ind >= 0) & (ind < n)
    col = np.repeat(np.arange(ncol), np.diff(a.indptr))
    indptr = np.zeros(ncol + 1, dtype=np.int64)
    np.cumsum(np.bincount(col[keep], minlength=ncol), out=indptr[1:])
    out = scipy.sparse.csc_matrix((a.data[keep], ind[keep], indptr), shape=a.shape)
    out.has_sorted_indices = True
    return out


def refine(
    pattern: pd.DataFrame,
    phases: list[Phase],
    settings: Settings | None = None,
    name: str = "pattern",
) -> LeBailResult:
    """Le Bail refinement of one powder pattern, from one start or several.

    With ``settings.start_spread = f > 1`` the refinement is run from three starts of the
    refined width terms: as given, and all of them ``f`` times wider and ``f`` times
    narrower (each start then matched to the data as usual, ``start_from_data``). The
    lowest chi^2 is kept. Its ``stats`` record the spread of
    the minima: ``n_starts``, ``n_starts_failed``, ``start_chi2_spread`` (max - min
    chi^2 over chi^2 of the kept one) and ``start_cell_spread_esd`` (largest difference of
    a cell parameter from the kept one, in the kept one's esd); the QC flag ``multimodal``
    (and a logged warning) when a start's cell differs by more than one esd.

    Parameters and exceptions as :func:`_refine_once` (a FitError only when every start
    fails).
    """
    s = settings or Settings()
    f = float(s.start_spread or 0.0)
    if f <= 1.0:
        return _refine_searched(pattern, phases, s, name)
    results, errors = [], []
    for bal in (1.0, f, 1.0 / f):
        try:
            results.append(_refine_searched(pattern, phases, s, name, balance=bal))
        except FitError as e:
            errors.append(e)
    if not results:
        raise errors[0]
    best = min(results, key=lambda r: r.stats["chi2"])
    chi = [r.stats["chi2"] for r in results]
    spread_esd = 0.0
    for r in results:
        for ph, cell in best.cells.items():
            for k in ("a", "b", "c", "alpha", "beta", "gamma"):
                e = cell[f"{k}_esd"]
                if e > 0 and np.isfinite(e):
                    spread_esd = max(spread_esd, abs(r.cells[ph][k] - cell[k]) / e)
    best.stats.update(
        n_starts=len(results) + len(errors),
        n_starts_failed=len(errors),
        start_chi2_spread=(max(chi) - min(chi)) / best.stats["chi2"],
        start_cell_spread_esd=spread_esd,
    )
    if spread_esd > 1.0 or errors:
        flags = [q for q in best.stats["qc"].split(";") if q]
        flags.append("multimodal")
        best.stats["qc"] = ";".join(flags)
        logger.warning(
            "pattern %s: QC flag multimodal: %d starts (%d failed) end %.3g esd apart in the "
            "cell, chi^2 spread %.3g; the lowest chi^2 is kept",
            name, len(results) + len(errors), len(errors), spread_esd,
            best.stats["start_chi2_spread"],
        )  # fmt: skip
    return best


def _refine_searched(pattern, phases, s: Settings, name: str, balance: float = 1.0):
    """:func:`_refine_once` from the given cell, then, when that fails (FitError), again
    after a coarse cell search (:func:`_cell_search`).

    A FitError when both fail (its message names both reasons); a fit from the searched
    cell with GoF above ``cell_search_gof`` is flagged ``poor_fit:cell_search``.
    """
    try:
        return _refine_once(pattern, phases, s, name, balance=balance)
    except FitError as e:
        if s.cell_search_pct <= 0:
            raise
        err = e
    why = str(err)
    logger.info("pattern %s: local fit from the given cell: %s; searching the cell", name, why)
    try:
        res = _refine_once(pattern, phases, s, name, balance=balance, cell_search=True)
    except FitError as e2:
        raise FitError(f"{err}; a cell search did not help: {e2}") from e2
    if res.stats["gof"] > s.cell_search_gof:
        # a start the local fit could not refine, and a mediocre fit from the searched cell:
        # perhaps a wrong minimum; the numbers carry a flag
        res.stats["qc"] = ";".join(f for f in (res.stats["qc"], "poor_fit:cell_search") if f)
        logger.warning(
            "pattern %s: QC flag poor_fit:cell_search: GoF %.3g > cell_search_gof %s after the "
            "cell search; check the phases, space group and starting cell",
            name, res.stats["gof"], s.cell_search_gof,
        )  # fmt: skip
    logger.warning(
        "pattern %s: the given cell was %.2f %% off (largest length change in the cell search); "
        "refined from the searched cell (from the given cell: %s). Update the starting cell",
        name, res.stats["cell_search_moved_pct"], why,
    )  # fmt: skip
    return res


def _refine_once(
    pattern: pd.DataFrame,
    phases: list[Phase],
    settings: Settings | None = None,
    name: str = "pattern",
    balance: float = 1.0,
    cell_search: bool = False,
) -> LeBailResult:
    """Le Bail refinement of one powder pattern from one start.

    Parameters
    ----------
    pattern : DataFrame
        Columns two_theta_deg (deg, increasing), intensity (counts), esd (counts).
    phases : list of Phase
        Phases with starting cells.
    settings : Settings, optional
        Instrument and fit settings.
    name : str
        Pattern name (error messages, result).

    Returns
    -------
    LeBailResult

    Raises
    ------
    InputError
        Bad pattern table (columns, non-positive esd, too few points).
    FitError
        No convergence within ``max_cycles``, unphysical profile, a cell that moved by
        more than ``max_cell_change`` (relative), or GoF above ``max_gof``; the
        message names the pattern and what diverged.
    """
    s = settings or Settings()
    for col in ("two_theta_deg", "intensity", "esd"):
        if col not in pattern.columns:
            raise InputError(f"pattern {name}: missing column {col!r}; got {list(pattern.columns)}")
    df = pattern
    if s.two_theta_range_deg is not None:
        lo, hi = s.two_theta_range_deg
        df = df[(df.two_theta_deg >= lo) & (df.two_theta_deg <= hi)]
    n_excluded = 0
    for reg in s.exclude_deg or ():
        if len(reg) != 2 or not reg[0] < reg[1]:
            raise InputError(
                f"pattern {name}: excluded region {reg} is not [low, high] in deg 2theta"
            )
        inside = (df.two_theta_deg >= reg[0]) & (df.two_theta_deg <= reg[1])
        n_excluded += int(inside.sum())
        df = df[~inside]
    x = df.two_theta_deg.to_numpy(float)
    y = df.intensity.to_numpy(float)
    e = df.esd.to_numpy(float)
    if x.size < 20:
        raise InputError(f"pattern {name}: only {x.size} points in the 2theta range")
    if np.any(np.diff(x) <= 0):
        raise InputError(f"pattern {name}: two_theta_deg is not strictly increasing")
    if np.any(~(e > 0)):
        i = int(np.argmax(~(e > 0)))
        raise InputError(f"pattern {name}: esd must be > 0; point {i} (2theta {x[i]}) has {e[i]}")
    w = 1.0 / e**2
    model = PatternModel(x, phases, s, name)
    fit = _Fit(model, y, w)
    # (the background coefficients in p need no start: every evaluation solves them exactly
    # with the intensities)
    p = model.p0.copy()
    nb = model.bkg_basis.shape[1]
    model.check_profile(p, err=InputError)
    if balance != 1.0:
        # another start (see refine): every refined width term scaled by ``balance`` (U, V,
        # W by its square, sizes by its inverse) before the match to the data below, which
        # is approximate (10 %) and keeps the split between the terms
        for j, nm in enumerate(model.names[: model.ib0]):
            base = nm.split(".")[-1]
            if not model.refined[j]:
                continue
            if base in ("U", "V", "W"):
                p[j] *= balance * balance
            elif base in ("X", "Y", "mustrain", "mustrain_axial"):
                p[j] *= balance
            elif base in ("size", "size_axial"):
                p[j] /= balance
        p = np.clip(p, model.lower, model.upper)
        model.check_profile(p, err=InputError)
    width_scale = 1.0
    if s.start_from_data:
        p, width_scale = start_widths(fit, p)
    p = _zero_scan(fit, p, s)
    if (
        s.start_from_data
        and width_scale != 1.0
        and model.refined[model.idx["zero"]]
        and s.zero_search_deg > 0
    ):
        # the widths were far off: measure them again with the peaks in place
        p, f2 = start_widths(fit, p)
        width_scale *= f2
    moved_pct = 0.0
    if cell_search:
        p, moved_pct, edge = _cell_search(fit, p, s)
        if edge:
            raise FitError(
                f"pattern {name}: the cell search found its best chi^2 at the edge of "
                f"+-{s.cell_search_pct} % in {edge}: the starting cell is too far off (or the "
                "space group or phase is wrong); give a better starting cell"
            )
        if s.start_from_data:
            # the widths were measured on peaks picked with the wrong cell: again, in place
            p, f2 = start_widths(fit, p)
            width_scale *= f2
    st = fit.point(p, derivs=False)
    # default order: positions with the profile fixed (avoids widths growing to cover
    # misplaced peaks), then everything that is refined; or the user's stages
    refined_all = model.refined.copy()
    if model.stage_masks:
        masks, acc = [], np.zeros_like(refined_all)
        for sm in model.stage_masks:
            acc = acc | sm
            masks.append(acc & refined_all)
        if not np.array_equal(masks[-1], refined_all):
            masks.append(refined_all)
        bg = np.arange(refined_all.size) >= model.ib0
        plan = [(m | bg, 20, STAGE_SHIFT_TOL) for m in masks[:-1]]
        plan.append((refined_all, s.max_cycles, None))
    else:
        stage1 = refined_all.copy()
        for j, nm in enumerate(model.names):
            if nm.split(".")[-1] in PROFILE_PARAMS + SAMPLE_PARAMS:
                stage1[j] = False
        plan = [(stage1, 20, STAGE_SHIFT_TOL), (refined_all, s.max_cycles, None)]
    cycles = 0
    for k, (mask, max_cycles, tol) in enumerate(plan):
        last = k == len(plan) - 1
        model.refined = mask
        if not last and not np.any(mask[: model.ib0]):
            continue
        st, n, converged_by, info = _lm(
            fit, st, max_cycles, tol or s.shift_tolerance, s, early_stop=last
        )
        converged = bool(converged_by)
        cycles += n
        last_info = info
        if last and not converged:
            raise FitError(
                f"pattern {name}: Le Bail refinement did not converge in {s.max_cycles} cycles "
                f"({info}); check the starting cell, space group and profile starting values"
            )
    # statistics and the joint covariance of (non-linear, background, intensities)
    p, ev, intens, calc = st["p"], st["ev"], st["intens"], st["calc"]
    ref = model.nl_refined()
    cached = st.get("reduced")
    if cached is not None and np.array_equal(cached[0], ref):
        jac, a_red = cached[1], cached[2]
    else:
        jac = model.jacobian(p, ev, intens)
        a_red = None
    ls = st["ls"]
    nlin = ls.k.shape[0]
    full = np.empty((ref.size + nlin,) * 2)
    full[: ref.size, : ref.size] = jac.T @ (jac * w[:, None])
    cross = ls.lt_w(jac)
    full[: ref.size, ref.size :] = cross.T
    full[ref.size :, : ref.size] = cross
    full[ref.size :, ref.size :] = ls.k
    live = np.concatenate([np.ones(ref.size, bool), ls.live])
    cov_live, rank = _covariance(full[np.ix_(live, live)])
    cov = np.full(full.shape, np.nan)
    cov[np.ix_(live, live)] = cov_live
    if ref.size:
        # the non-linear block marginal over background and intensities: the inverse of the
        # projected normal matrix (the intensities solved as in the fit, with its tiny ridge,
        # so that near-coincident reflections that share their intensity do not leave the cell
        # without an esd); equal to the joint block when that is well conditioned
        if a_red is None:
            a_red, _ = fit.reduced(st, jac)
        cov[: ref.size, : ref.size] = _covariance(a_red)[0]
    in_range = model._in_range(ev) & ls.live[nb:]
    n_int = int(rank - ref.size - nb)
    n_ls = int(ref.size + nb)
    stats = statistics(y, calc, w, n_ls + n_int)
    stats.update(
        n_ls_params=n_ls,
        n_intensities=n_int,
        cycles=cycles,
        convergence=last_info,
        converged_by=converged_by,
        gauss_newton_step_esd=float(st.get("gn_step_esd", np.nan)),
    )
    if stats["gof"] > s.max_gof:
        raise FitError(
            f"pattern {name}: Le Bail fit converged to a poor minimum: GoF {stats['gof']:.2f} > "
            f"max_gof {s.max_gof} (Rwp {100 * stats['rwp']:.2f} %); wrong space group, a "
            "missing phase or a starting cell too far from the truth"
        )
    scale = stats["chi2_red"] if s.scale_esd_by_gof else 1.0
    cov = cov * scale
    del in_range
    stats["start_width_scale"] = width_scale
    stats["start_balance"] = balance
    stats["cell_search_moved_pct"] = moved_pct if cell_search else 0.0
    stats["n_excluded"] = n_excluded
    res = _result(model, p, cov, intens, ev, y, e, calc, stats, name, s, phases)
    esd = res.params.stderr.to_numpy()
    flags = _qc_flags(model, p, esd)
    corr = _zero_displacement_corr(model, cov)
    res.stats["corr_zero_displacement"] = corr
    if abs(corr) > ZERO_DISPLACEMENT_CORR_MAX:
        # both refined (neither in fit.fixed): nearly degenerate, their values and esds
        # (and those of the cell) are inflated
        flags.append("correlated:zero,displacement")
        logger.warning(
            "pattern %s: zero and displacement are both refined and correlated (corr %.4f): "
            "fix one of them, e.g. fit: {fixed: [zero]} (or [displacement])",
            name, corr,
        )  # fmt: skip
    ishl = model.idx["SHL"]
    if model.refined[ishl] and (
        p[ishl] >= s.max_shl * (1.0 - 1e-6)
        or (s.soller_rad and p[ishl] > 2.0 * math.tan(s.soller_rad))
    ):
        # SH/L at its bound, or beyond where the Soller slits alone set the asymmetry (SH/L
        # then no longer changes the profile): it trades off against zero, displacement
        # and the cell, which is then not to be trusted
        flags.append("runaway:SHL")
        logger.warning(
            "pattern %s: SH/L ran away to %.3g (max_shl %s, Soller half-acceptance %s rad; "
            "lab instruments have 0.01-0.08): fix SHL at the instrument value (fit.fixed) or "
            "take it from an instrument file; the cell is flagged",
            name, p[ishl], s.max_shl, s.soller_rad,
        )  # fmt: skip
    cell_names = model.names[: model.n_cell]
    bad_cell = [f for f in flags if f.startswith("esd_nan:") and f[8:] in cell_names]
    if bad_cell:
        raise FitError(
            f"pattern {name}: the cell is not determined: {', '.join(bad_cell)} (QC flags "
            f"{';'.join(flags)}); a width collapsed or a parameter is degenerate with the cell: "
            "fix it (fit.fixed) or give better starting values"
        )
    for f in flags:
        logger.warning("pattern %s: QC flag %s", name, f)
    res.stats["qc"] = ";".join(flags)
    return res


def start_widths(fit: _Fit, p: np.ndarray, n_peaks: int = 6, max_iter: int = 3):
    """Starting widths from the data: FWHM of the strongest isolated peaks.

    The half-maximum widths of up to ``n_peaks`` of the strongest peaks of
    ``obs - background`` that have no other peak within four widths are compared with the
    widths of the same peaks in the model at ``p`` (intensities solved, so Ka2 and the
    asymmetry are included in both); the refined width parameters are scaled by the
    median ratio ``f`` (U, V, W by f^2, X, Y and microstrains by f, sizes by 1/f) until
    ``f`` is within 10 %.

    Returns
    -------
    p : ndarray
        Parameters with the rescaled widths.
    scale : float
        Product of the applied ratios (1.0 when nothing was changed or no peak qualified).
    """
    from scipy.signal import find_peaks, peak_widths

    m = fit.model
    ref = m.refined
    groups = {"f2": [], "f": [], "inv": []}
    for j, nm in enumerate(m.names[: m.ib0]):
        base = nm.split(".")[-1]
        if not ref[j]:
            continue
        if base in ("U", "V", "W"):
            groups["f2"].append(j)
        elif base in ("X", "Y", "mustrain", "mustrain_axial"):
            groups["f"].append(j)
        elif base in ("size", "size_axial"):
            groups["inv"].append(j)
    if not any(groups.values()):
        return p, 1.0
    esd = 1.0 / np.sqrt(fit.w)
    total = 1.0
    for _ in range(max_iter):
        st = fit.point(p, derivs=False)
        bkg = st["ev"]["background"]
        net = fit.y - bkg
        calc = st["calc"] - bkg
        pk, prop = find_peaks(net, prominence=10.0 * float(np.median(esd)), width=1.5)
        if pk.size == 0:
            break
        wd = prop["widths"]
        order = np.argsort(net[pk])[::-1]
        ratios = []
        for i in order:
            others = np.delete(pk, i)
            if others.size and np.min(np.abs(others - pk[i])) < 4.0 * wd[i]:
                continue
            r = max(int(np.ceil(wd[i])), 2)
            lo, hi = max(pk[i] - r, 0), min(pk[i] + r + 1, net.size)
            j = lo + int(np.argmax(calc[lo:hi]))
            if calc[j] <= 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a width of 0 is skipped below
                wc = peak_widths(calc, [j], rel_height=0.5)[0][0]
            if wc > 0:
                ratios.append(wd[i] / wc)
            if len(ratios) >= n_peaks:
                break
        if not ratios:
            break
        f = float(np.clip(np.median(ratios), 0.1, 10.0))
        if abs(np.log(f)) < np.log(1.1):
            break
        q = p.copy()
        q[groups["f2"]] *= f * f
        q[groups["f"]] *= f
        q[groups["inv"]] /= f
        q = np.clip(q, m.lower, m.upper)
        try:
            m.check_profile(q)
        except FitError:
            break
        p, total = q, total * f
    return p, total


#: |corr(zero, displacement)| above which both refined is flagged ``correlated``
ZERO_DISPLACEMENT_CORR_MAX = 0.95


def _zero_displacement_corr(model: PatternModel, cov: np.ndarray) -> float:
    """Correlation of the refined zero shift and displacement (NaN unless both refined).

    Parameters
    ----------
    model : PatternModel
        Its ``refined`` mask is the final stage's (everything refined).
    cov : ndarray
        Covariance whose leading block is that of ``model.nl_refined()``.
    """
    ref = list(model.nl_refined())
    iz, idp = model.idx["zero"], model.idx["displacement"]
    if iz not in ref or idp not in ref:
        return math.nan
    i, j = ref.index(iz), ref.index(idp)
    den = math.sqrt(abs(cov[i, i] * cov[j, j]))
    if not den > 0 or not np.isfinite(den):
        return math.nan
    return float(cov[i, j] / den)


def _qc_flags(model: PatternModel, p: np.ndarray, esd: np.ndarray) -> list[str]:
    """QC flags of a converged fit: refined parameters at a bound, collapsed widths
    (|value| < 1e-6) and non-finite esds (``at_bound:<name>``, ``collapsed:<name>``,
    ``esd_nan:<name>``)."""
    flags = []
    for j, nm in enumerate(model.names[: model.ib0]):
        if not model.refined[j]:
            continue
        base = nm.split(".")[-1]
        for b in (model.lower[j], model.upper[j]):
            if np.isfinite(b) and abs(p[j] - b) <= 1e-9 * max(1.0, abs(b)):
                flags.append(f"at_bound:{nm}")
        if base in ("U", "V", "W", "X", "Y") and abs(p[j]) < 1e-6:
            flags.append(f"collapsed:{nm}")
        if not np.isfinite(esd[j]):
            flags.append(f"esd_nan:{nm}")
    return flags


def _in_range(self, ev):
    c = ev["centers"]
    inr = (c > self.x[0]) & (c < self.x[-1])
    return np.bincount(self.refl_of_peak, weights=inr.astype(float), minlength=len(self.hkl)) > 0


PatternModel._in_range = _in_range


def _covariance(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(J^T W J)^-1 with NaN rows/columns for parameters in a (near-)null space.

    Returns
    -------
    cov : ndarray
    rank : int
        Number of independent parameter combinations.
    """
    d = np.sqrt(np.diag(a))
    d[d == 0] = 1.0
    an = a / np.outer(d, d)
    deflated = _pinv_deflated(an) if an.shape[0] >= DEFLATE_MIN else None
    if deflated is not None:
        inv, small_vecs = deflated
        n_good = an.shape[0] - small_vecs.shape[1]
    else:
        vals, vecs = np.linalg.eigh(an)
        good = vals > 1e-10 * max(vals.max(), 1e-300)
        inv = (vecs[:, good] / vals[good]) @ vecs[:, good].T
        small_vecs = vecs[:, ~good]
        n_good = int(np.count_nonzero(good))
    cov = inv / np.outer(d, d)
    if small_vecs.shape[1]:
        bad = np.abs(small_vecs).max(axis=1) > 1e-3
        cov[bad, :] = np.nan
        cov[:, bad] = np.nan
    return cov, n_good


#: size from which :func:`_covariance` finds the null space by a partial eigendecomposition
DEFLATE_MIN = 200


def _pinv_deflated(an: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The pseudo-inverse of :func:`_covariance` (eigenvalues up to 1e-10 of the largest cut)
    without the full eigendecomposition.

    The largest eigenvalue by Lanczos, the eigenpairs below the cut by LAPACK's ``syevr``
    on that range only (one tridiagonal reduction, few vectors); those eigenvalues are moved
    to 1 (``an + V (1 - L) V^T``), the result inverted by Cholesky, and ``V V^T`` taken off
    again: the same matrix as the sum over the eigenpairs above the cut, at a third of the
    cost for a thousand intensities.

    Returns
    -------
    (inv, vecs) or None
        The pseudo-inverse and the eigenvectors cut (columns); None when a step fails (the
        caller then takes the full eigendecomposition).
    """
    import scipy.sparse.linalg

    n = an.shape[0]
    try:
        lam_max = float(
            scipy.sparse.linalg.eigsh(
                an, k=1, which="LA", return_eigenvectors=False, tol=1e-12, v0=np.ones(n)
            )[0]
        )
        if not lam_max > 0:
            return None
        cut = 1e-10 * lam_max
        vals, vecs = scipy.linalg.eigh(
            an, subset_by_value=(-np.inf, cut), driver="evr", check_finite=False
        )
    except (np.linalg.LinAlgError, ValueError, scipy.sparse.linalg.ArpackError):
        return None
    if vals.size > n // 2:
        return None
    shifted = an + (vecs * (1.0 - vals)) @ vecs.T
    c, info = scipy.linalg.lapack.dpotrf(shifted, lower=0)
    if info != 0:
        return None
    inv, info = scipy.linalg.lapack.dpotri(c, lower=0)
    if info != 0:
        return None
    inv = np.triu(inv)
    inv = inv + inv.T
    inv[np.diag_indices_from(inv)] *= 0.5
    inv -= vecs @ vecs.T
    return inv, vecs


def _check_cells(model: PatternModel, p: np.ndarray, name: str, s: Settings) -> None:
    for ph, sl in zip(model.phases, model.cell_slices, strict=True):
        for j in range(sl.start, sl.stop):
            rel = abs(p[j] - model.p0[j]) / abs(model.p0[j])
            if not rel <= s.max_cell_change:
                raise FitError(
                    f"pattern {name}: cell parameter {model.names[j]} of phase {ph.name} "
                    f"diverged from {model.p0[j]:.5f} to {p[j]:.5f} (relative change {rel:.3f} > "
                    f"max_cell_change {s.max_cell_change}); the starting cell or space group "
                    "does not match the pattern"
                )


def _unit(name: str) -> str:
    base = name.split(".")[-1]
    if base.startswith("bkg"):
        return "counts"
    return UNITS.get(base, "")


def _result(model, p, cov, intens, ev, y, e, calc, stats, name, s, phases) -> LeBailResult:
    """Assemble the result; ``cov`` is over (refined non-linear, background, intensities)."""
    ref = model.nl_refined()
    nb = model.bkg_basis.shape[1]
    # parameter order of cov -> index into names
    order = np.concatenate([ref, model.ib0 + np.arange(nb)])
    npar = order.size
    esd = np.full(len(p), np.nan)
    esd[order] = np.sqrt(np.abs(np.diag(cov)[:npar]))
    rows = []
    for j, nm in enumerate(model.names):
        rows.append(
            {
                "parameter": nm,
                "value": float(p[j]),
                "stderr": float(esd[j]) if model.refined[j] else np.nan,
                "unit": _unit(nm),
                "refined": bool(model.refined[j]),
                "scaled_by_gof": bool(s.scale_esd_by_gof and model.refined[j]),
            }
        )
    cov_full = np.full((len(p), len(p)), np.nan)
    cov_full[np.ix_(order, order)] = cov[:npar, :npar]
    cells = {}
    for ph, sg, sl in zip(phases, model.sgs, model.cell_slices, strict=True):
        vals = p[sl]
        cell = full_cell(sg, dict(zip(sg.cell_params, vals, strict=True)))
        # propagate to a, b, c, alpha, beta, gamma and V by finite differences
        jac = np.zeros((7, sl.stop - sl.start))
        base = np.array([*cell, volume(cell)])
        for k in range(sl.stop - sl.start):
            v2 = vals.copy()
            h = 1e-6 * max(abs(v2[k]), 1.0)
            v2[k] += h
            c2 = full_cell(sg, dict(zip(sg.cell_params, v2, strict=True)))
            jac[:, k] = (np.array([*c2, volume(c2)]) - base) / h
        sub = cov_full[sl, sl]
        fixed = ~model.refined[sl]
        sub = np.where(fixed[:, None] | fixed[None, :], 0.0, sub)
        var = np.einsum("ik,kl,il->i", jac, np.nan_to_num(sub), jac)
        if np.any(~np.isfinite(sub)):
            var = np.where(np.abs(jac).sum(axis=1) > 0, np.nan, 0.0)
        keys = ["a", "b", "c", "alpha", "beta", "gamma", "volume"]
        cells[ph.name] = {
            "space_group": ph.space_group,
            **{k: float(base[i]) for i, k in enumerate(keys)},
            **{f"{k}_esd": float(np.sqrt(var[i])) for i, k in enumerate(keys)},
        }
    c1 = ev["centers"][: len(model.hkl)]
    q = model.q(p)
    refl = pd.DataFrame(
        {
            "phase": [phases[i].name for i in model.phase_of],
            "h": model.hkl[:, 0].astype(int),
            "k": model.hkl[:, 1].astype(int),
            "l": model.hkl[:, 2].astype(int),
            "multiplicity": model.mult,
            "d_A": 1.0 / np.sqrt(q),
            "two_theta_deg": c1,
            "intensity": intens,
            "intensity_esd": np.sqrt(np.abs(np.diag(cov)[npar:])),
        }
    )
    inr = model._in_range(ev)
    refl = refl[inr].sort_values(["phase", "two_theta_deg"], ignore_index=True)
    prof_df = pd.DataFrame(
        {
            "two_theta_deg": model.x,
            "obs": y,
            "esd": e,
            "calc": calc,
            "background": ev["background"],
            "diff": y - calc,
        }
    )
    names = [model.names[j] for j in order]
    cov_df = pd.DataFrame(cov[:npar, :npar], index=names, columns=names)
    stats = {**stats, "esd_scaled_by_gof": bool(s.scale_esd_by_gof), "fcj_nodes": ev["n_fcj"]}
    return LeBailResult(
        name=name,
        params=pd.DataFrame(rows),
        stats=stats,
        profile=prof_df,
        reflections=refl,
        cells=cells,
        covariance=cov_df,
        settings=s,
        phases=phases,
    )
