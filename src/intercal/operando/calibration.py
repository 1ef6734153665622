"""2theta calibration of operando scans from an internal standard (or given values).

Why: a zero-point error and a specimen displacement move every reflection;
both must be removed before d-spacings give a and c to 0.002 angstrom. An
operando cell's sample height is not known a priori, so the correction is
*measured* on a reflection of an inert phase mixed into the electrode (the
internal standard: a basal reflection of a conductive additive, or a line of
a standard powder mixed in, with its d-spacing from ``materials``). It sits at the
sample position, so it sees the same zero shift and displacement as the
tracked phases. Lines of the cell hardware (window, laminate, current
collector) sit at another height and must never be used.

Model: 2theta_obs = 2theta_true + zero - 2 s cos(theta) / R (rad). One
reflection measures only the sum delta = 2theta_obs - 2theta_ref at its own
angle. Zero and displacement are nearly degenerate over a 12-36 deg scan:
cos(theta) falls from 0.995 (12 deg) to 0.951 (36 deg), so converting delta
into a pure zero shift or into a pure displacement changes the correction at
another angle by at most 4.4 % of the displacement part (for the demo's
s = 0.03 mm, R = 240 mm: <= 0.0006 deg 2theta, i.e. < 2e-4 angstrom in c).
``apply_as: zero_shift`` (default) applies delta at every angle;
``apply_as: displacement`` converts it into s = -delta R / (2 cos theta_obs),
exact when the sample height dominates (the usual case in a cell that swells).

Scope: the standard's peak does not move, so its position is fitted in the
*sum* of the scans of a calibration group: ``scope: batch`` (one group per
fitting job; a new scan reruns only its batch) or ``scope: scan`` (each scan
alone: follows drift, but is ~sqrt(batch size) less precise). On the demo
data (a standard peak of ~8 esd per 15-min scan) the shift esd is 0.006 deg per
scan, which moves c by up to ~0.004 angstrom (beyond a 0.002 angstrom
target), and 0.0012 deg per batch of 25 scans (< 3e-4 angstrom). The esd of
delta is propagated into a, c and V as an error common to all reflections of
a scan (:func:`intercal.operando.lattice.hex_cell`).

Caveats: the accuracy is that of the standard's d-spacing (0.001 angstrom in
d ~ 3.36 angstrom is 0.008 deg at 26.5 deg with Cu Ka) and of the peak shape: a
symmetric pseudo-Voigt fitted to a peak made asymmetric by axial divergence
returns a centre biased to low angle; that bias enters delta, and largely
cancels in the tracked reflections, which are fitted with the same model at
similar angles.

Pure numpy/scipy (no pymatgen).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import FitError, InputError

#: Cu K-alpha1, K-alpha2 (angstrom), as in :mod:`intercal.operando.peaks` (not imported
#: here: resolving and checking the config at workflow parse time stays free of scipy)
CU_KA1 = 1.540593
CU_KA2 = 1.544427

METHODS = ("internal_standard", "fixed", "none")
SCOPES = ("batch", "scan")
APPLY_AS = ("zero_shift", "displacement")

#: columns of the per-group calibration table (results/operando/calibration.csv)
CAL_COLUMNS = [
    "group", "method", "scope", "apply_as", "n_scans", "first_scan", "last_scan",
    "standard", "hkl", "d_A", "two_theta_ref_deg", "center_deg", "center_esd_deg",
    "shift_deg", "shift_esd_deg", "zero_shift_deg", "displacement_mm",
    "goniometer_radius_mm", "fwhm_deg", "eta", "area", "area_sigma", "presence_p",
    "redchi", "esd_scaled", "basis",
]  # fmt: skip


def _crystal_family(space_group: str) -> str:
    """'hexagonal' (3- or 6-fold principal axis), 'tetragonal' or '' from a H-M symbol."""
    sym = space_group.replace(" ", "")
    body = sym[1:] if sym[:1] in "PABCFIR" else sym
    if sym[:1] == "R" or body.startswith(("6", "-6", "3", "-3")):
        return "hexagonal"
    if body.startswith(("4", "-4")):
        return "tetragonal"
    return ""


def standard_d_spacing(material: Mapping, hkl: Sequence[int], name: str = "standard") -> float:
    """d (angstrom) of reflection ``hkl`` of a ``materials`` entry (cubic, tetragonal, hexagonal).

    Parameters
    ----------
    material : mapping
        A ``materials`` entry: ``cell`` ({a} for cubic, {a, c} for hexagonal/trigonal or
        tetragonal, told apart by ``space_group``).
    hkl : sequence of int
        Miller indices (hexagonal: three-index h, k, l).
    name : str
        Used in messages.

    Raises
    ------
    InputError
        If the cell is missing or the crystal system is not one of the above
        (give ``calibration.d_A`` explicitly then).
    """
    cell = dict(material.get("cell", {}))
    h, k, l = (int(v) for v in hkl)
    if not (h or k or l):
        raise InputError(f"operando.calibration.hkl: (0, 0, 0) is not a reflection of {name}")
    if "a" not in cell:
        raise InputError(f"materials.{name}.cell: no 'a'; give operando.calibration.d_A instead")
    a = float(cell["a"])
    keys = set(cell) - {"a"}
    if not keys:  # cubic
        return a / math.sqrt(h * h + k * k + l * l)
    fam = _crystal_family(str(material.get("space_group", "")))
    if keys == {"c"} and fam == "hexagonal":
        c = float(cell["c"])
        return 1.0 / math.sqrt(4.0 / (3.0 * a * a) * (h * h + h * k + k * k) + l * l / (c * c))
    if keys == {"c"} and fam == "tetragonal":
        c = float(cell["c"])
        return 1.0 / math.sqrt((h * h + k * k) / (a * a) + l * l / (c * c))
    raise InputError(
        f"materials.{name}: cannot compute d{tuple(hkl)} from cell {cell} and space group "
        f"{material.get('space_group')!r}; give operando.calibration.d_A explicitly"
    )


def resolve(cal: Mapping | None, materials: Mapping | None = None) -> dict:
    """Check ``operando.calibration`` and fill in defaults (and d_A from ``materials``).

    Parameters
    ----------
    cal : mapping or None
        The config block. None or {} means ``method: none``.
    materials : mapping, optional
        The top-level ``materials`` section (for d_A of the standard when not given).

    Returns
    -------
    dict
        Plain dict with every key the other functions need.

    Raises
    ------
    InputError
        Unknown method/scope/apply_as, missing keys, a bad window.
    """
    cal = dict(cal or {"method": "none"})
    method = cal.get("method", "none")
    if method not in METHODS:
        raise InputError(f"operando.calibration.method: {method!r}, expected one of {METHODS}")
    radius = float(cal.get("goniometer_radius_mm", 240.0))
    if radius <= 0:
        raise InputError(f"operando.calibration.goniometer_radius_mm must be > 0, got {radius}")
    out: dict = {"method": method, "goniometer_radius_mm": radius}
    if method == "none":
        return out
    if method == "fixed":
        out["zero_shift_deg"] = float(cal.get("zero_shift_deg", 0.0))
        out["displacement_mm"] = float(cal.get("displacement_mm", 0.0))
        esd = cal.get("shift_esd_deg")
        out["shift_esd_deg"] = math.nan if esd is None else float(esd)
        return out
    for key in ("phase", "hkl", "window_deg"):
        if key not in cal:
            raise InputError(f"operando.calibration: method internal_standard needs '{key}'")
    hkl = [int(v) for v in cal["hkl"]]
    if len(hkl) != 3:
        raise InputError(f"operando.calibration.hkl: expected 3 integers, got {cal['hkl']}")
    lo, hi = (float(v) for v in cal["window_deg"])
    if not hi > lo:
        raise InputError(f"operando.calibration.window_deg: [{lo}, {hi}] must increase")
    phase = str(cal["phase"])
    if cal.get("d_A") is not None:
        d = float(cal["d_A"])
    else:
        if not materials or phase not in materials:
            raise InputError(
                f"operando.calibration.phase {phase!r} is not a key of materials; "
                "add it there or give operando.calibration.d_A"
            )
        d = standard_d_spacing(materials[phase], hkl, phase)
    if d <= 0:
        raise InputError(f"operando.calibration.d_A must be > 0, got {d}")
    scope = cal.get("scope", "batch")
    if scope not in SCOPES:
        raise InputError(f"operando.calibration.scope: {scope!r}, expected one of {SCOPES}")
    apply_as = cal.get("apply_as", "zero_shift")
    if apply_as not in APPLY_AS:
        raise InputError(f"operando.calibration.apply_as: {apply_as!r}, expected one of {APPLY_AS}")
    out.update(
        phase=phase,
        hkl=hkl,
        d_A=d,
        window_deg=[lo, hi],
        scope=scope,
        apply_as=apply_as,
        search_deg=float(cal.get("search_deg", 0.3)),
        overlap=str(cal.get("overlap", "free_scans")),
        min_sigma=float(cal.get("min_sigma", 3.0)),
        p_value=float(cal.get("p_value", 1e-6)),
    )
    return out


def check_window(
    cal: Mapping,
    phases: Sequence[tuple[str, float, float]],
    *,
    hardware_peaks_deg: Sequence[Sequence[float]] = (),
    wavelength: float = CU_KA1,
    margin_deg: float = 0.3,
    hmax: int = 2,
) -> list[str]:
    """Check a calibration window that another reflection could enter.

    The tracked phases move between their configured cells during cycling, so
    each reflection (h, k, l <= ``hmax``) may lie anywhere between its 2theta
    at (min a, min c) and at (max a, max c) over the phases; that range widened
    by ``margin_deg`` must stay out of the window. Hardware-peak ranges may not
    overlap the window unless they contain the standard's own peak (the range
    that masks it from the tracker).

    With ``overlap: free_scans`` (default) a sample reflection that may move
    through the window is allowed: each batch then fits the standard only in the
    scans where it stands free (:func:`intercal.operando.track.calibrate`); the
    reflections are returned (to be logged). With ``overlap: refuse`` it is an error.

    Returns
    -------
    list of str
        Reflections of the tracked phases that may enter the window.

    Raises
    ------
    InputError
        Naming the reflection or range that overlaps and the window.
    """
    notes: list[str] = []
    if cal.get("method") != "internal_standard" or not phases:
        return notes
    lo, hi = cal["window_deg"]
    tt_ref = bragg_two_theta(cal["d_A"], wavelength)
    if not lo < tt_ref < hi:
        raise InputError(
            f"operando.calibration.window_deg [{lo}, {hi}] does not contain the standard's "
            f"{cal['phase']} {tuple(cal['hkl'])} at {tt_ref:.3f} deg"
        )
    a_lo, a_hi = min(p[1] for p in phases), max(p[1] for p in phases)
    c_lo, c_hi = min(p[2] for p in phases), max(p[2] for p in phases)
    for h in range(hmax + 1):
        for k in range(h + 1):
            for l in range(hmax + 1):
                if not (h or k or l):
                    continue
                ends = []
                for a, c in ((a_lo, c_lo), (a_hi, c_hi)):
                    s = wavelength * math.sqrt(
                        4.0 / (3.0 * a * a) * (h * h + h * k + k * k) + l * l / (c * c)
                    ) / 2.0  # fmt: skip
                    ends.append(2.0 * math.degrees(math.asin(s)) if s < 1 else math.nan)
                t0, t1 = min(ends), max(ends)
                if t1 + margin_deg > lo and t0 - margin_deg < hi:
                    msg = (
                        f"operando.calibration.window_deg [{lo}, {hi}]: reflection ({h} {k} {l}) "
                        f"of the tracked phases moves over {t0:.2f}-{t1:.2f} deg, within "
                        f"{margin_deg} deg of the window"
                    )
                    if cal.get("overlap", "free_scans") == "refuse":
                        raise InputError(
                            msg + "; set operando.calibration.overlap: free_scans to calibrate "
                            "on the scans where the standard stands free"
                        )
                    notes.append(msg)
    for rng in hardware_peaks_deg:
        r0, r1 = float(rng[0]), float(rng[1])
        if r1 > lo and r0 < hi and not r0 <= tt_ref <= r1:
            raise InputError(
                f"operando.calibration.window_deg [{lo}, {hi}] overlaps the hardware peak range "
                f"[{r0}, {r1}]: hardware lines sit at another height and must not enter the "
                "calibration"
            )
    return notes


def bragg_two_theta(d_A: float, wavelength: float = CU_KA1) -> float:
    """2theta (deg) of spacing ``d_A`` at ``wavelength`` (angstrom)."""
    s = wavelength / (2.0 * d_A)
    if not 0 < s < 1:
        raise InputError(f"d = {d_A} angstrom is not reachable at {wavelength} angstrom")
    return 2.0 * math.degrees(math.asin(s))


@dataclass
class Calibration:
    """The correction applied to one scan or group of scans, and how it was obtained.

    ``zero_shift_deg``/``displacement_mm`` enter
    :func:`intercal.operando.lattice.corrected_two_theta`; ``shift_deg`` is the
    total shift at ``two_theta_ref_deg`` (observed - true) and ``shift_esd_deg``
    its esd (NaN when unknown: then it is not propagated).
    """

    method: str
    zero_shift_deg: float = 0.0
    displacement_mm: float = 0.0
    goniometer_radius_mm: float = 240.0
    shift_deg: float = 0.0
    shift_esd_deg: float = math.nan
    two_theta_ref_deg: float = math.nan
    scope: str = ""
    apply_as: str = ""
    group: str = ""
    n_scans: int = 0
    first_scan: int = -1
    last_scan: int = -1
    standard: str = ""
    hkl: str = ""
    d_A: float = math.nan
    center_deg: float = math.nan
    center_esd_deg: float = math.nan
    fwhm_deg: float = math.nan
    eta: float = math.nan
    area: float = math.nan
    area_sigma: float = math.nan
    presence_p: float = math.nan
    redchi: float = math.nan
    esd_scaled: bool = False
    basis: str = ""

    def row(self) -> dict:
        """One row of the calibration table (:data:`CAL_COLUMNS`)."""
        d = asdict(self)
        return {k: d[k] for k in CAL_COLUMNS}


def fixed_calibration(cal: Mapping) -> Calibration:
    """Calibration for ``method: fixed`` or ``none`` (nothing is fitted)."""
    r = float(cal.get("goniometer_radius_mm", 240.0))
    if cal["method"] == "none":
        return Calibration("none", goniometer_radius_mm=r, shift_esd_deg=math.nan)
    if cal["method"] != "fixed":
        raise InputError(f"fixed_calibration: method {cal['method']!r} is fitted, not fixed")
    z, s = float(cal["zero_shift_deg"]), float(cal["displacement_mm"])
    return Calibration(
        "fixed",
        zero_shift_deg=z,
        displacement_mm=s,
        goniometer_radius_mm=r,
        shift_deg=z,  # at 2theta -> 0; the displacement part varies as cos(theta)
        shift_esd_deg=float(cal.get("shift_esd_deg", math.nan)),
    )


def sum_patterns(patterns: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], window_deg):
    """Sum counts (and variances) of several patterns over ``window_deg``.

    Patterns on the same 2theta grid are added point by point; a pattern on
    another grid is linearly interpolated onto the first one's grid (its
    variance too: the esds of the sum are then approximate).

    Returns
    -------
    x, y, sigma : ndarray
        The summed window (deg, counts, counts).
    """
    if not patterns:
        raise InputError("calibration: no patterns to sum")
    lo, hi = window_deg
    x0 = np.asarray(patterns[0][0], float)
    sel = (x0 >= lo) & (x0 <= hi)
    gx = x0[sel]
    y = np.zeros(gx.size)
    var = np.zeros(gx.size)
    for x, yy, ss in patterns:
        x = np.asarray(x, float)
        if x.shape == x0.shape and np.allclose(x, x0, rtol=0, atol=1e-6):
            y += np.asarray(yy, float)[sel]
            var += np.asarray(ss, float)[sel] ** 2
        else:
            step = float(np.median(np.diff(x)))
            if x[0] > lo + 1.5 * step or x[-1] < hi - 1.5 * step:
                raise InputError(
                    f"calibration: a pattern covers {x[0]:.2f}-{x[-1]:.2f} deg, "
                    f"not the window {lo}-{hi} deg"
                )
            y += np.interp(gx, x, yy)
            var += np.interp(gx, x, np.asarray(ss, float) ** 2)
    return gx, y, np.sqrt(var)


def fit_standard(
    x: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    cal: Mapping,
    *,
    wavelengths: tuple[float, float] = (CU_KA1, CU_KA2),
    ka2_ratio: float = 0.5,
    fwhm_start_deg: float = 0.15,
    fwhm_bounds_deg: tuple[float, float] = (0.03, 0.8),
    eta_start: float = 0.5,
    scale_esd: bool = True,
    source: str = "pattern",
) -> Calibration:
    """Fit the internal standard's peak in one (possibly summed) pattern; derive the shift.

    The window ``cal['window_deg']`` is fitted with one pseudo-Voigt K-alpha
    doublet on a linear background (:func:`intercal.operando.peaks.fit_window`),
    its centre bounded to +-``search_deg`` around the standard's reference
    position 2theta_ref (from d_A). The peak must be significant (F-test
    p-value against the background-only fit below ``p_value`` and area/esd
    >= ``min_sigma``) and may not end on its bound.

    Returns
    -------
    Calibration
        ``shift_deg`` = centre - 2theta_ref and its esd (the centre's esd);
        converted into ``zero_shift_deg`` or ``displacement_mm`` per ``apply_as``.

    Raises
    ------
    FitError
        If the standard's peak is absent, too weak or outside the search range,
        naming ``source``, the standard and what was found.
    InputError
        If the pattern does not cover the window.
    """
    from .peaks import PeakSeed, check_pattern, f_test_pvalue, fit_window

    if cal.get("method") != "internal_standard":
        raise InputError(f"fit_standard: calibration method is {cal.get('method')!r}")
    x, y, sigma = (np.asarray(v, float) for v in (x, y, sigma))
    lo, hi = cal["window_deg"]
    sel = (x >= lo) & (x <= hi)
    name = f"{cal['phase']} ({' '.join(str(v) for v in cal['hkl'])})"
    step = float(np.median(np.diff(x))) if x.size > 1 else 0.0
    if sel.sum() < 10 or x.min() > lo + 1.5 * step or x.max() < hi - 1.5 * step:
        raise InputError(
            f"{source}: covers {x.min():.2f}-{x.max():.2f} deg with {int(sel.sum())} points in "
            f"the calibration window {lo}-{hi} deg of {name}; expected the whole window"
        )
    xs, ys, ss = check_pattern(x[sel], y[sel], sigma[sel], source)
    tt_ref = bragg_two_theta(cal["d_A"], wavelengths[0])
    sd = float(cal.get("search_deg", 0.3))
    kw = dict(
        eta=eta_start,
        fwhm_bounds=tuple(fwhm_bounds_deg),
        ka2_ratio=ka2_ratio,
        lam1=wavelengths[0],
        lam2=wavelengths[1],
        scale_esd=scale_esd,
    )
    base = fit_window(xs, ys, ss, [], **kw)
    # start at the maximum of the smoothed background-subtracted counts in the search range
    r = np.convolve(ys - base.extra["model"], np.ones(5) / 5, mode="same")
    srch = np.flatnonzero((xs >= tt_ref - sd) & (xs <= tt_ref + sd))
    start = float(xs[srch[np.argmax(r[srch])]]) if srch.size else tt_ref
    seed = PeakSeed(name, start, tt_ref - sd, tt_ref + sd, fwhm_start_deg)
    wf = fit_window(xs, ys, ss, [seed], **kw)
    pk = wf.peak(name)
    p = f_test_pvalue(base.chi2, wf.chi2, 3, wf.n_points, wf.n_params)
    z = pk.area / pk.area_esd if np.isfinite(pk.area_esd) and pk.area_esd > 0 else math.nan
    found = f"area/esd = {z:.1f}, F-test p = {p:.2g}, centre {pk.center:.3f} deg"
    if not (np.isfinite(z) and z >= cal.get("min_sigma", 3.0) and p < cal.get("p_value", 1e-6)):
        raise FitError(
            f"{source}: internal standard {name} not found near {tt_ref:.3f} deg "
            f"({found}); expected a peak with area/esd >= {cal.get('min_sigma', 3.0)}. Is the "
            "standard in the electrode? Otherwise use operando.calibration.method fixed or none"
        )
    if pk.at_bound or not np.isfinite(pk.center_esd):
        raise FitError(
            f"{source}: internal standard {name} fitted at {pk.center:.3f} deg, on the edge of "
            f"its search range {tt_ref - sd:.3f}-{tt_ref + sd:.3f} deg (or without an esd); "
            "check d_A, the wavelength and window_deg"
        )
    shift = pk.center - tt_ref
    radius = float(cal.get("goniometer_radius_mm", 240.0))
    out = Calibration(
        "internal_standard",
        goniometer_radius_mm=radius,
        shift_deg=float(shift),
        shift_esd_deg=float(pk.center_esd),
        two_theta_ref_deg=float(tt_ref),
        scope=str(cal.get("scope", "batch")),
        apply_as=str(cal.get("apply_as", "zero_shift")),
        standard=str(cal["phase"]),
        hkl=" ".join(str(v) for v in cal["hkl"]),
        d_A=float(cal["d_A"]),
        center_deg=float(pk.center),
        center_esd_deg=float(pk.center_esd),
        fwhm_deg=float(pk.fwhm),
        eta=float(wf.eta),
        area=float(pk.area),
        area_sigma=float(z),
        presence_p=float(p),
        redchi=float(wf.redchi),
        esd_scaled=bool(wf.esd_scaled),
    )
    if out.apply_as == "displacement":
        # corrected_two_theta evaluates cos(theta) at the observed angle
        cos_t = math.cos(math.radians(pk.center / 2.0))
        out.displacement_mm = float(-math.radians(shift) * radius / (2.0 * cos_t))
    else:
        out.zero_shift_deg = float(shift)
    return out


def shift_derivative(cal: Calibration, two_theta_deg: float) -> float:
    """d(shift at ``two_theta_deg``)/d(measured shift): 1 for a zero shift, cos ratio otherwise."""
    if cal.apply_as == "displacement" and np.isfinite(cal.two_theta_ref_deg):
        return math.cos(math.radians(two_theta_deg / 2.0)) / math.cos(
            math.radians(cal.two_theta_ref_deg / 2.0)
        )
    return 1.0


def summarize_calibration(table) -> dict:
    """Run-level summary of a calibration table (one row per group).

    Returns the method, the weighted mean shift and its esd, the scatter of the
    groups (chi-square per degree of freedom: >> 1 means the shift drifts or
    its esds are too small), and the range of the group shifts.
    """
    if table is None or len(table) == 0:
        return {"method": "none"}
    t = table
    method = str(t["method"].iloc[0])
    out = {
        "method": method,
        "n_groups": int(len(t)),
        "scope": str(t["scope"].iloc[0]) if "scope" in t else "",
        "apply_as": str(t["apply_as"].iloc[0]) if "apply_as" in t else "",
        "standard": str(t["standard"].iloc[0]) if "standard" in t else "",
        "hkl": str(t["hkl"].iloc[0]) if "hkl" in t else "",
        "d_A": float(t["d_A"].iloc[0]) if "d_A" in t else math.nan,
        "two_theta_ref_deg": float(t["two_theta_ref_deg"].iloc[0]),
        "zero_shift_deg": float(t["zero_shift_deg"].mean()),
        "displacement_mm": float(t["displacement_mm"].mean()),
        "goniometer_radius_mm": float(t["goniometer_radius_mm"].iloc[0]),
    }
    v = t["shift_deg"].to_numpy(float)
    e = t["shift_esd_deg"].to_numpy(float)
    ok = np.isfinite(v) & np.isfinite(e) & (e > 0)
    if ok.any():
        w = 1.0 / e[ok] ** 2
        m = float(np.sum(w * v[ok]) / np.sum(w))
        out["shift_deg"] = m
        out["shift_deg_esd"] = float(1.0 / math.sqrt(np.sum(w)))
        n = int(ok.sum())
        out["shift_scatter_redchi"] = (
            float(np.sum(w * (v[ok] - m) ** 2) / (n - 1)) if n > 1 else math.nan
        )
        out["shift_min_deg"] = float(v[ok].min())
        out["shift_max_deg"] = float(v[ok].max())
    else:
        out["shift_deg"] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
        out["shift_deg_esd"] = math.nan
    return out
