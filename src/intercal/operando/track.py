"""Sequential multi-phase peak tracking of an operando scan series.

For every scan and every phase, the (00l) reflection that gives c, the
general reflection that gives a and optional check reflections are fitted
with K-alpha doublets (:mod:`intercal.operando.peaks`). Reflections of all
phases that lie close together are fitted together in one window (a "cluster")
on one linear background; points inside configured hardware-peak ranges are
removed before fitting.

Presence: in the window of the (00l) reflection, each phase whose peak is not
overwhelmingly strong (``strong_sigma``) or, present in the previous scan, seen
by the ridge pass in this one at twice ``min_sigma`` is tested by model
comparison: the fit with the phase's peak against the fit without it (F-test
p-value below ``p_value``) and its area at least ``min_sigma`` esds. A phase
not present in the previous scan is fitted only where a linear pre-screen
(a peak at the residual's maximum, shape fixed) reaches ``PRESCREEN`` x
``min_sigma``. A phase that fails is reported absent (its
lattice NaN, fraction 0) and removed from every window of that scan.

Sequential seeding and the guard: a phase present in the previous scan starts
from its previous centres with the centre bounded to +-``max_step_deg``; a
phase not present before (or at the first scan of a batch, a cold start) is
searched within +-``search_deg`` of the position predicted from the cell that
the forward ridge pass (:mod:`intercal.operando.ridge`, run by :func:`fit_batch`
over a sample of the earlier scans and through the batch) gives at this scan,
else its last fitted cell, else the configured cell (phases new in a scan are
tested together, the most significant accepted first: the result does not
depend on their order in config), at the maximum of the smoothed residual of the fit without
it. Bounds never cross the midpoint to the neighbouring phase's reflection of
the same hkl, so one phase cannot jump onto the other's peak. A centre that
ends on its bound is flagged (``guard_hit``) and its lattice set to NaN.

QC: every row carries a ``qc`` string: ``at_bound:<phase>``, ``masked:<phase>(hkl)``
(a fitted reflection reaching into a masked range: not used for the cell) and
``lost:<phase>`` (the ridge pass sees the phase, the fit rejects it).

Phase fractions: ``fraction`` = (I_hkl / k_phase) / sum over present phases,
with I_hkl the area of ``reflections.fraction`` (default the (00l) giving c;
``tt_f_deg``, ``area_f``) and ``k_phase`` its intensity per formula unit from the
configured structure (:func:`intercal.operando.structure.intensity_factor`; 1
when not given). A scan in which a present phase lacks that reflection gets no
fractions (NaN).

2theta calibration (:mod:`intercal.operando.calibration`): ``fit_batch``
measures the zero shift on the internal standard's peak (in the sum of the
batch's scans, or per scan) before tracking and applies it to every fitted
position; its esd is propagated into a, c and V (``*_esd_cal_*`` columns) and
the calibration is written into each row (``cal_*`` columns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import FitError, InputError
from .calibration import Calibration, fit_standard, fixed_calibration, shift_derivative
from .calibration import resolve as resolve_calibration
from .lattice import corrected_two_theta, hex_cell, two_theta_hex
from .peaks import (
    CU_KA1,
    CU_KA2,
    PeakSeed,
    check_pattern,
    f_test_pvalue,
    fit_window,
    ka2_center,
    pseudo_voigt,
)

#: a phase not present in the previous scan is fitted (model comparison) only where a
#: peak at the residual maximum, fitted linearly, reaches this share of ``min_sigma``
PRESCREEN = 0.5


@dataclass
class PhaseSpec:
    """A phase to track: name and starting cell (angstrom)."""

    name: str
    a: float
    c: float


@dataclass
class TrackSettings:
    """Settings of the tracker (angles in deg 2theta)."""

    c_hkl: tuple[int, int, int] = (0, 0, 1)
    a_hkl: tuple[int, int, int] = (1, 0, 1)
    check_hkls: tuple[tuple[int, int, int], ...] = ((0, 0, 2), (1, 0, 0))
    c_value_hkl: tuple[int, int, int] | None = None
    fraction_hkl: tuple[int, int, int] | None = None
    window_halfwidth_deg: float = 0.6
    search_deg: float = 0.5
    max_step_deg: float = 0.15
    fwhm_start_deg: float = 0.15
    fwhm_bounds_deg: tuple[float, float] = (0.03, 0.8)
    eta_start: float = 0.5
    p_value: float = 1e-3
    min_sigma: float = 5.0
    strong_sigma: float = 50.0
    scale_esd: bool = True
    wavelengths: tuple[float, float] = (CU_KA1, CU_KA2)
    ka2_ratio: float = 0.5
    zero_shift_deg: float = 0.0
    displacement_mm: float = 0.0
    goniometer_radius_mm: float = 240.0
    shift_esd_deg: float = math.nan
    calibration: Calibration | None = None
    calibration_config: Mapping | None = None
    hardware_peaks_deg: tuple[tuple[float, float], ...] = ()
    intensity_factors: Mapping[str, float] = field(default_factory=dict)

    def apply_calibration(self, cal: Calibration) -> None:
        """Use ``cal``'s zero shift, displacement and shift esd for the next scans."""
        self.calibration = cal
        self.zero_shift_deg = cal.zero_shift_deg
        self.displacement_mm = cal.displacement_mm
        self.goniometer_radius_mm = cal.goniometer_radius_mm
        self.shift_esd_deg = cal.shift_esd_deg

    @classmethod
    def from_config(cls, cfg: Mapping, materials: Mapping | None = None) -> TrackSettings:
        """Build settings from the ``operando`` config section.

        ``calibration`` ``method: fixed`` sets the zero shift and displacement
        here; ``internal_standard`` is measured per batch by :func:`fit_batch`
        (the settings start uncorrected); ``none`` applies nothing.
        """
        if "corrections" in cfg:
            raise InputError(
                "operando.corrections is no longer read: use operando.calibration "
                "({method: internal_standard, ...} or {method: fixed, zero_shift_deg: ..., "
                "displacement_mm: ..., goniometer_radius_mm: ...})"
            )
        fit = dict(cfg.get("fit", {}))
        rad = dict(cfg.get("radiation", {}))
        cal = resolve_calibration(cfg.get("calibration"), materials)
        refl = dict(cfg.get("reflections", {}))
        kw: dict = {}
        if "c" in refl:
            kw["c_hkl"] = tuple(refl["c"])
        if "a" in refl:
            kw["a_hkl"] = tuple(refl["a"])
        if "check" in refl:
            kw["check_hkls"] = tuple(tuple(h) for h in refl["check"])
        if refl.get("c_value"):
            kw["c_value_hkl"] = tuple(refl["c_value"])
        if refl.get("fraction"):
            kw["fraction_hkl"] = tuple(refl["fraction"])
        for key in (
            "window_halfwidth_deg",
            "search_deg",
            "max_step_deg",
            "fwhm_start_deg",
            "eta_start",
            "p_value",
            "min_sigma",
            "strong_sigma",
            "scale_esd",
        ):
            if key in fit:
                kw[key] = fit[key]
        if "fwhm_bounds_deg" in fit:
            kw["fwhm_bounds_deg"] = tuple(fit["fwhm_bounds_deg"])
        if "wavelengths_A" in rad:
            kw["wavelengths"] = tuple(rad["wavelengths_A"])
        if "ka2_ratio" in rad:
            kw["ka2_ratio"] = rad["ka2_ratio"]
        kw["hardware_peaks_deg"] = tuple(tuple(r) for r in cfg.get("hardware_peaks_deg", []))
        out = cls(**kw)
        out.goniometer_radius_mm = cal["goniometer_radius_mm"]
        out.calibration_config = cal
        if cal["method"] in ("fixed", "none"):
            out.apply_calibration(fixed_calibration(cal))
        return out


@dataclass
class _PhaseState:
    present: bool = False
    centers: dict = field(default_factory=dict)  # hkl -> observed centre (deg)
    fwhm: dict = field(default_factory=dict)
    a: float = math.nan
    c: float = math.nan


def _observed_position(a, c, hkl, st: TrackSettings) -> float:
    """Predicted observed 2theta of hkl (inverse of the zero/displacement correction)."""
    tt = two_theta_hex(a, c, hkl, st.wavelengths[0])
    th = math.radians(tt / 2.0)
    return (
        tt
        + st.zero_shift_deg
        - math.degrees(2.0 * st.displacement_mm * math.cos(th) / st.goniometer_radius_mm)
    )


def _hkl_str(hkl) -> str:
    return "".join(str(int(v)) for v in hkl)


def _smooth_argmax(x, r, lo, hi, width=5):
    sel = (x >= lo) & (x <= hi)
    if sel.sum() < 3:
        return 0.5 * (lo + hi)
    k = np.ones(width) / width
    rs = np.convolve(r, k, mode="same")
    idx = np.flatnonzero(sel)
    return float(x[idx[np.argmax(rs[idx])]])


def _separate(seeds: list[PeakSeed]) -> list[PeakSeed]:
    """Clip centre bounds at the midpoints between neighbouring seeds of a window.

    No reflection may wander onto a neighbour's peak (the guard also between
    reflections of one phase, e.g. a weak (100) next to a strong (002)).
    """
    ss = sorted(seeds, key=lambda q: q.center)
    out = []
    for i, q in enumerate(ss):
        lo, hi = q.lo, q.hi
        if i > 0:
            lo = max(lo, 0.5 * (ss[i - 1].center + q.center))
        if i < len(ss) - 1:
            hi = min(hi, 0.5 * (q.center + ss[i + 1].center))
        out.append(PeakSeed(q.name, min(max(q.center, lo), hi), lo, hi, q.fwhm))
    return out


class Tracker:
    """Sequential tracker of several phases through a scan series.

    Parameters
    ----------
    phases : sequence of PhaseSpec
        Phases to track with their starting cells.
    settings : TrackSettings
    """

    def __init__(self, phases: Sequence[PhaseSpec], settings: TrackSettings | None = None):
        if not phases:
            raise InputError("operando.phases: at least one phase is needed")
        self.phases = list(phases)
        self.st = settings or TrackSettings()
        if self.st.c_hkl[0] or self.st.c_hkl[1] or self.st.c_hkl[2] <= 0:
            raise InputError(f"operando.reflections.c must be (0, 0, l>0), got {self.st.c_hkl}")
        self.state = {p.name: _PhaseState() for p in self.phases}
        cv = self.st.c_value_hkl
        if cv is not None and (cv[0] or cv[1] or cv[2] <= 0 or cv not in self.st.check_hkls):
            raise InputError(
                f"operando.reflections.c_value must be a (0, 0, l) listed in reflections.check, "
                f"got {cv}"
            )
        self.hkls = [self.st.c_hkl, self.st.a_hkl, *self.st.check_hkls]
        self.f_hkl = tuple(self.st.fraction_hkl or self.st.c_hkl)
        if self.f_hkl not in self.hkls:
            raise InputError(
                f"operando.reflections.fraction must be the c or a reflection or one listed in "
                f"reflections.check, got {list(self.f_hkl)}"
            )
        self._hints: dict = {}
        self._eta: dict = {}

    # ------------------------------------------------------------------ seeds
    def _last_cell(self, name):
        """Cell around which a phase not present in the previous scan is searched.

        Priority: the ridge pass's cell at this scan where it sees the phase; the
        phase's last fitted cell; the ridge's last known cell; the configured cell.
        """
        ps = self.state[name]
        spec = next(p for p in self.phases if p.name == name)
        hint = self._hints.get(name)
        if hint is not None and hint[2] and np.isfinite(hint[0]) and np.isfinite(hint[1]):
            return hint[0], hint[1]
        if np.isfinite(ps.a) and np.isfinite(ps.c):
            return ps.a, ps.c
        if hint is not None and np.isfinite(hint[0]) and np.isfinite(hint[1]):
            return hint[0], hint[1]
        return spec.a, spec.c

    def _seed(self, name, hkl, established):
        ps = self.state[name]
        st = self.st
        if established and hkl in ps.centers:
            cen = ps.centers[hkl]
            return cen, cen - st.max_step_deg, cen + st.max_step_deg, ps.fwhm.get(hkl)
        a, c = self._last_cell(name)
        cen = _observed_position(a, c, hkl, st)
        return cen, cen - st.search_deg, cen + st.search_deg, None

    def _seeds_for(self, hkl, names, established):
        """Seeds of reflection hkl for the given phases, bounds kept apart by midpoints."""
        raw = []
        for nm in names:
            cen, lo, hi, fw = self._seed(nm, hkl, established.get(nm, False))
            raw.append([nm, cen, lo, hi, fw])
        raw.sort(key=lambda r: r[1])
        for i in range(len(raw) - 1):
            mid = 0.5 * (raw[i][1] + raw[i + 1][1])
            raw[i][3] = min(raw[i][3], mid)
            raw[i + 1][2] = max(raw[i + 1][2], mid)
        out = []
        for nm, cen, lo, hi, fw in raw:
            out.append(
                PeakSeed(
                    f"{nm}|{hkl[0]}{hkl[1]}{hkl[2]}",
                    min(max(cen, lo), hi),
                    lo,
                    hi,
                    fw if fw else self.st.fwhm_start_deg,
                )
            )
        return out

    def _linear_sigma(self, x, y, s, resid, center, fwhm, eta):
        """Area/esd of a doublet at ``center`` fitted linearly (with a linear background)
        to the residual of the current model: a cheap upper estimate of a new peak's
        significance (shape fixed, so its esd is not inflated by free centre/width)."""
        st = self.st
        eta = eta if np.isfinite(eta) else st.eta_start
        prof = pseudo_voigt(x, center, fwhm, eta) + st.ka2_ratio * pseudo_voigt(
            x, float(ka2_center(center, *st.wavelengths)), fwhm, eta
        )
        cols = np.column_stack([prof, np.ones_like(x), x - 0.5 * (x[0] + x[-1])]) / s[:, None]
        coef, *_ = np.linalg.lstsq(cols, resid / s, rcond=None)
        try:
            var = np.linalg.inv(cols.T @ cols)[0, 0]
        except np.linalg.LinAlgError:
            return math.inf
        r = resid / s - cols @ coef
        scale = max(float(r @ r) / max(x.size - 3, 1), 1.0) if st.scale_esd else 1.0
        return float(coef[0] / math.sqrt(var * scale)) if var > 0 else math.inf

    # ------------------------------------------------------------------ windows
    def _mask(self, x):
        keep = np.ones(x.size, bool)
        for lo, hi in self.st.hardware_peaks_deg:
            keep &= ~((x >= lo) & (x <= hi))
        return keep

    def _masked(self, center: float, fwhm: float) -> bool:
        """True when a fitted reflection (centre +- FWHM/2) reaches into a masked range."""
        if not np.isfinite(center):
            return False
        half = 0.5 * fwhm if np.isfinite(fwhm) else 0.0
        return any(
            center + half >= lo and center - half <= hi for lo, hi in self.st.hardware_peaks_deg
        )

    def _clusters(self, seeds: list[PeakSeed]):
        """Group seeds whose windows overlap; return list of (lo, hi, seeds)."""
        hw = self.st.window_halfwidth_deg
        ss = sorted(seeds, key=lambda s: s.center)
        groups: list[list] = []
        for s in ss:
            lo, hi = s.lo - hw, s.hi + hw
            if groups and lo <= groups[-1][1]:
                groups[-1][1] = max(groups[-1][1], hi)
                groups[-1][2].append(s)
            else:
                groups.append([lo, hi, [s]])
        return groups

    def _fit(self, x, y, s, lo, hi, seeds):
        sel = (x >= lo) & (x <= hi) & self._keep
        if sel.sum() < 3 * len(seeds) + 6:
            raise FitError(f"window {lo:.2f}-{hi:.2f} deg: only {sel.sum()} usable points")
        st = self.st
        # start eta where the same set of reflections ended in the previous scan
        key = tuple(sorted(q.name for q in seeds))
        wf = fit_window(
            x[sel],
            y[sel],
            s[sel],
            seeds,
            eta=self._eta.get(key, st.eta_start),
            fwhm_bounds=st.fwhm_bounds_deg,
            ka2_ratio=st.ka2_ratio,
            lam1=st.wavelengths[0],
            lam2=st.wavelengths[1],
            scale_esd=st.scale_esd,
        )
        if seeds and np.isfinite(wf.eta):
            self._eta[key] = min(max(wf.eta, 0.02), 0.98)
        return wf, sel

    # ------------------------------------------------------------------ one scan
    def fit_scan(
        self,
        two_theta,
        counts,
        esd,
        source: str = "scan",
        cold: bool = False,
        hints: Mapping[str, tuple[float, float, bool]] | None = None,
    ) -> list:
        """Fit one scan; update the sequential state; return one dict per phase.

        Parameters
        ----------
        two_theta, counts, esd : ndarray
            The pattern (deg, counts, counts).
        source : str
            Name used in messages (file name).
        cold : bool
            Forget the previous scan (cold start).
        hints : mapping, optional
            Phase -> (a, c, seen) from the ridge pass at this scan
            (:mod:`intercal.operando.ridge`): where a phase not present in the
            previous scan is searched.

        Returns
        -------
        list of dict
            One row per phase (see :data:`ROW_COLUMNS`).
        """
        x, y, s = check_pattern(two_theta, counts, esd, source)
        self._keep = self._mask(x)
        self._hints = dict(hints or {})
        if cold:
            self.state = {p.name: _PhaseState() for p in self.phases}
            self._eta = {}
        st = self.st
        names = [p.name for p in self.phases]
        established = {nm: self.state[nm].present for nm in names}
        c_hkl = st.c_hkl
        # --- presence test in the (00l) window(s)
        present = {nm: False for nm in names}
        pvals = {nm: math.nan for nm in names}
        sig = {nm: math.nan for nm in names}
        est = [nm for nm in names if established[nm]]
        new = [nm for nm in names if not established[nm]]
        seeds_all = self._seeds_for(c_hkl, names, established)
        lo_w = min(sd.lo for sd in seeds_all) - st.window_halfwidth_deg
        hi_w = max(sd.hi for sd in seeds_all) + st.window_halfwidth_deg
        by_name = {sd.name.split("|")[0]: sd for sd in seeds_all}
        base_seeds = [by_name[nm] for nm in est]
        base, sel = self._fit(x, y, s, lo_w, hi_w, base_seeds)
        xs, ys, _ss = x[sel], y[sel], s[sel]
        resid = ys - base.extra["model"]
        cur_seeds = list(base_seeds)
        cur = base
        # try phases not present in the previous scan: every candidate against the
        # current model, the most significant accepted first, then the others again
        # (the result does not depend on the order of the phases in config)
        todo = list(new)
        while todo:
            best = None
            for nm in todo:
                sd = by_name[nm]
                cen = _smooth_argmax(xs, resid, sd.lo, sd.hi)
                z_lin = self._linear_sigma(xs, ys, _ss, resid, cen, sd.fwhm, cur.eta)
                if z_lin < PRESCREEN * st.min_sigma:
                    # clearly absent: a peak at the residual's maximum would not reach
                    # PRESCREEN x min_sigma even with every other parameter fixed
                    pvals[nm], sig[nm] = math.nan, z_lin
                    continue
                trial_seeds = [*cur_seeds, PeakSeed(sd.name, cen, sd.lo, sd.hi, sd.fwhm)]
                trial, _ = self._fit(x, y, s, lo_w, hi_w, trial_seeds)
                pk = trial.peak(sd.name)
                p = f_test_pvalue(cur.chi2, trial.chi2, 3, trial.n_points, trial.n_params)
                z = pk.area / pk.area_esd if pk.area_esd > 0 else math.nan
                pvals[nm], sig[nm] = p, z
                if p < st.p_value and z >= st.min_sigma and not pk.at_bound:
                    gain = cur.chi2 - trial.chi2
                    if best is None or gain > best[0]:
                        best = (gain, nm, trial_seeds, trial)
            if best is None:
                break
            _, nm, cur_seeds, cur = best
            present[nm] = True
            todo.remove(nm)
            resid = ys - cur.extra["model"]
        for nm in est:  # re-test established phases unless clearly present
            pk = cur.peak(by_name[nm].name)
            z = pk.area / pk.area_esd if pk.area_esd > 0 else math.nan
            sig[nm] = z
            # clearly present: overwhelmingly strong, or seen by the ridge pass in this scan
            # and at twice the presence threshold (no model comparison needed: p NaN)
            seen = bool(self._hints.get(nm, (0, 0, False))[2])
            if np.isfinite(z) and not pk.at_bound:
                if z >= st.strong_sigma or (seen and z >= 2.0 * st.min_sigma):
                    present[nm] = True
                    pvals[nm] = 0.0 if z >= st.strong_sigma else math.nan
                    continue
            red_seeds = [q for q in cur_seeds if q.name != by_name[nm].name]
            red, _ = self._fit(x, y, s, lo_w, hi_w, red_seeds)
            p = f_test_pvalue(red.chi2, cur.chi2, 3, cur.n_points, cur.n_params)
            pvals[nm] = p
            if p < st.p_value and z >= st.min_sigma and not pk.at_bound:
                present[nm] = True
            else:
                cur_seeds, cur = red_seeds, red
        c_fit = cur
        on = [nm for nm in names if present[nm]]
        # --- all reflections of the present phases, clustered into windows
        results = {}
        for pk in c_fit.peaks:
            results[pk.name] = (pk, c_fit)
        if on:
            # seeds for the other reflections; phases new in this scan get predictions
            # from their fitted c and last a
            for nm in on:
                if not established[nm]:
                    pk = c_fit.peak(f"{nm}|{c_hkl[0]}{c_hkl[1]}{c_hkl[2]}")
                    tt = corrected_two_theta(
                        pk.center, st.zero_shift_deg, st.displacement_mm, st.goniometer_radius_mm
                    )
                    c_new = c_hkl[2] * st.wavelengths[0] / (2 * math.sin(math.radians(tt / 2)))
                    self.state[nm].c = float(c_new)
            other = []
            for hkl in self.hkls[1:]:
                other.extend(self._seeds_for(hkl, on, established))
            for lo, hi, seeds in self._clusters(other):
                seeds = _separate(seeds)
                try:
                    wf, sel2 = self._fit(x, y, s, lo, hi, seeds)
                except FitError:
                    continue
                # a new phase that landed on its bound: reseed at the residual maximum
                redo = False
                for i, sd in enumerate(seeds):
                    nm = sd.name.split("|")[0]
                    if not established[nm] and wf.peak(sd.name).at_bound:
                        others = [q for q in seeds if q.name != sd.name]
                        if others:
                            wo, _ = self._fit(x, y, s, lo, hi, others)
                            r = y[sel2] - wo.extra["model"]
                        else:
                            r = y[sel2] - np.median(y[sel2])
                        seeds[i] = PeakSeed(
                            sd.name, _smooth_argmax(x[sel2], r, sd.lo, sd.hi), sd.lo, sd.hi
                        )
                        redo = True
                if redo:
                    wf, _ = self._fit(x, y, s, lo, hi, seeds)
                for pk in wf.peaks:
                    results[pk.name] = (pk, wf)
        # --- rows and state update
        rows = []
        areas = {}
        key_f = _hkl_str(self.f_hkl)
        for nm in names:
            if present[nm] and f"{nm}|{key_f}" in results:
                areas[nm] = results[f"{nm}|{key_f}"][0]
        tot = 0.0
        amounts = {}
        if len(areas) < sum(present.values()):
            areas = {}  # a present phase without its fraction reflection: no fractions
        for nm, pk in areas.items():
            k = float(st.intensity_factors.get(nm, 1.0))
            amounts[nm] = (pk.area / k, pk.area_esd / k)
            tot += pk.area / k
        for nm in names:
            row = self._row(nm, present[nm], pvals[nm], sig[nm], results, amounts, tot)
            rows.append(row)
            ps = self.state[nm]
            if present[nm] and not row["guard_hit"]:
                ps.present = True
                for hkl in self.hkls:
                    key = f"{nm}|{hkl[0]}{hkl[1]}{hkl[2]}"
                    if key in results:
                        pk = results[key][0]
                        if not pk.at_bound and np.isfinite(pk.center_esd):
                            ps.centers[hkl] = pk.center
                            ps.fwhm[hkl] = pk.fwhm
                            continue
                    # lost this reflection: next scan searches it again around the
                    # position predicted from the phase's latest cell
                    ps.centers.pop(hkl, None)
                if np.isfinite(row["c_A"]):
                    ps.c = row["c_A"]
                if np.isfinite(row["a_A"]):
                    ps.a = row["a_A"]
            else:
                ps.present = False
                ps.centers.clear()
        return rows

    def _row(self, nm, present, pval, sig, results, amounts, tot):
        st = self.st
        lab = {hkl: f"{nm}|{_hkl_str(hkl)}" for hkl in self.hkls}
        nan = math.nan
        row = {
            "phase": nm,
            "present": bool(present),
            "presence_p": pval,
            "presence_sigma": sig,
            "fraction": 0.0 if not present else nan,
            "fraction_esd": nan,
            "tt_c_deg": nan,
            "tt_c_esd_deg": nan,
            "tt_f_deg": nan,
            "area_f": nan,
            "area_f_esd": nan,
            "tt_a_deg": nan,
            "tt_a_esd_deg": nan,
            "fwhm_c_deg": nan,
            "area_c": nan,
            "area_c_esd": nan,
            "a_A": nan,
            "a_esd_A": nan,
            "c_A": nan,
            "c_esd_A": nan,
            "V_A3": nan,
            "V_esd_A3": nan,
            "a_esd_cal_A": nan,
            "c_esd_cal_A": nan,
            "V_esd_cal_A3": nan,
            "c_check_A": nan,
            "c_check_esd_A": nan,
            "redchi_c": nan,
            "redchi_a": nan,
            "esd_scaled": False,
            "guard_hit": False,
            "c_from": "",
            "tt_cval_deg": nan,
            "tt_cval_esd_deg": nan,
            "l_cval": 0,
            "tt_a_used": False,
            "qc": "",
        }
        if not present:
            return row
        if nm in amounts and tot > 0:
            f = amounts[nm][0] / tot
            # esd of f = A_i / sum A_j from independent esds
            var = 0.0
            for other, (_am, ae) in amounts.items():
                dfd = (1.0 - f) / tot if other == nm else -f / tot
                var += (dfd * ae) ** 2
            row["fraction"] = f
            # a lone phase has fraction 1 by construction: no esd (NaN, not 0)
            row["fraction_esd"] = math.sqrt(var) if len(amounts) > 1 else nan
        if lab[self.f_hkl] in results:
            pf = results[lab[self.f_hkl]][0]
            row.update(tt_f_deg=pf.center, area_f=pf.area, area_f_esd=pf.area_esd)
        pc, wc = results[lab[st.c_hkl]]
        pa_w = results.get(lab[st.a_hkl])
        row.update(
            tt_c_deg=pc.center,
            tt_c_esd_deg=pc.center_esd,
            fwhm_c_deg=pc.fwhm,
            area_c=pc.area,
            area_c_esd=pc.area_esd,
            redchi_c=wc.redchi,
            esd_scaled=wc.esd_scaled,
        )
        guard = pc.at_bound
        tt_a, tt_a_esd = nan, nan
        if pa_w is not None:
            pa, wa = pa_w
            row.update(tt_a_deg=pa.center, tt_a_esd_deg=pa.center_esd, redchi_a=wa.redchi)
            row["esd_scaled"] = bool(row["esd_scaled"] or wa.esd_scaled)
            z = pa.area / pa.area_esd if pa.area_esd > 0 else 0.0
            if pa.at_bound:
                guard = True
            elif z >= st.min_sigma and not self._masked(pa.center, pa.fwhm):
                tt_a, tt_a_esd = pa.center, pa.center_esd
        flags = []
        if self._masked(pc.center, pc.fwhm):
            flags.append(f"masked:{nm}({_hkl_str(st.c_hkl)})")
            guard = True
        if pa_w is not None and self._masked(pa_w[0].center, pa_w[0].fwhm):
            flags.append(f"masked:{nm}({_hkl_str(st.a_hkl)})")
        if guard and not any(f.startswith("masked") for f in flags):
            flags.append(f"at_bound:{nm}")
        row["guard_hit"] = bool(guard)
        row["tt_a_used"] = bool(np.isfinite(tt_a))
        row["qc"] = ";".join(flags)
        if guard:
            return row
        corr = dict(
            zero_shift_deg=st.zero_shift_deg,
            displacement_mm=st.displacement_mm,
            radius_mm=st.goniometer_radius_mm,
        )
        cal = st.calibration

        def weights(t1, t2):
            if cal is None:
                return (1.0, 1.0)
            w2 = shift_derivative(cal, t2) if np.isfinite(t2) else 1.0
            return (shift_derivative(cal, t1), w2)

        # c from the (00l) chosen for the value (higher angle: less sensitive to
        # zero/displacement/asymmetry errors), else from the presence reflection
        tt_c, tt_c_esd, l_c, c_from = pc.center, pc.center_esd, st.c_hkl[2], st.c_hkl
        cv = st.c_value_hkl
        if cv is not None and lab[cv] in results:
            pv = results[lab[cv]][0]
            zv = pv.area / pv.area_esd if pv.area_esd > 0 else 0.0
            masked = self._masked(pv.center, pv.fwhm)
            if masked:
                row["qc"] = ";".join(f for f in (row["qc"], f"masked:{nm}({_hkl_str(cv)})") if f)
            if not pv.at_bound and not masked and zv >= st.min_sigma and np.isfinite(pv.center_esd):
                tt_c, tt_c_esd, l_c, c_from = pv.center, pv.center_esd, cv[2], cv
        row["c_from"] = "".join(str(v) for v in c_from)
        row["tt_cval_deg"] = tt_c
        row["tt_cval_esd_deg"] = tt_c_esd
        row["l_cval"] = int(l_c)
        cell = hex_cell(
            float(corrected_two_theta(tt_c, **corr)),
            tt_c_esd,
            l_c,
            float(corrected_two_theta(tt_a, **corr)) if np.isfinite(tt_a) else nan,
            tt_a_esd,
            st.a_hkl,
            st.wavelengths[0],
            shift_esd=st.shift_esd_deg,
            shift_weights=weights(tt_c, tt_a),
        )
        row.update(
            a_A=cell["a"],
            a_esd_A=cell["a_esd"],
            c_A=cell["c"],
            c_esd_A=cell["c_esd"],
            V_A3=cell["V"],
            V_esd_A3=cell["V_esd"],
            a_esd_cal_A=cell["a_esd_cal"],
            c_esd_cal_A=cell["c_esd_cal"],
            V_esd_cal_A3=cell["V_esd_cal"],
        )
        # check: c from the first other (00l') reflection
        for hkl in (st.c_hkl, *st.check_hkls):
            if hkl == c_from:
                continue
            if hkl[0] == 0 and hkl[1] == 0 and lab[hkl] in results:
                pk = results[lab[hkl]][0]
                z = pk.area / pk.area_esd if pk.area_esd > 0 else 0.0
                if pk.at_bound or z < st.min_sigma:
                    break
                chk = hex_cell(
                    float(corrected_two_theta(pk.center, **corr)),
                    pk.center_esd,
                    hkl[2],
                    nan,
                    nan,
                    st.a_hkl,
                    st.wavelengths[0],
                    shift_esd=st.shift_esd_deg,
                    shift_weights=weights(pk.center, nan),
                )
                row["c_check_A"] = chk["c"]
                row["c_check_esd_A"] = chk["c_esd"]
                break
        return row


def track_series(
    patterns: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    phases: Sequence[PhaseSpec],
    settings: TrackSettings,
) -> list[dict]:
    """Track a series; the first pattern is a cold start.

    Parameters
    ----------
    patterns : iterable of (scan_id, two_theta, counts, esd)
    phases : sequence of PhaseSpec
    settings : TrackSettings

    Returns
    -------
    list of dict
        One row per scan and phase, with ``scan`` as first key.
    """
    tr = Tracker(phases, settings)
    rows = []
    for scan_id, x, y, s in patterns:
        for r in tr.fit_scan(x, y, s, source=str(scan_id)):
            rows.append({"scan": scan_id, **r})
    return rows


def phases_from_config(cfg: Mapping) -> list[PhaseSpec]:
    """PhaseSpec list from ``operando.phases`` (name, a, c)."""
    return [PhaseSpec(str(p["name"]), float(p["a"]), float(p["c"])) for p in cfg["phases"]]


def calibrate(
    patterns: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
    cal: Mapping,
    settings: TrackSettings,
    group: str = "",
    source: str = "batch",
    overlaps: Mapping[int, str] | None = None,
    earlier: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = (),
    earlier_overlaps: Mapping[int, str] | None = None,
) -> list[tuple[list[int], Calibration]]:
    """Calibrations of a batch: one for all its scans (``scope: batch``) or one per scan.

    A sample reflection inside the standard's window biases its centre. Scans
    in ``overlaps`` (from the ridge pass, :func:`overlapping_scans`) are left out
    of the standard's fit: with ``scope: batch`` the standard is fitted in the
    sum of the batch's free scans; when none is free, in the sum of the latest
    free scans before the batch (``earlier``), and that shift is carried to the
    batch. With ``scope: scan`` an overlapped scan takes the calibration of the
    nearest free scan of the batch (or of the earlier free scans). The
    ``basis`` column of the calibration table says which.

    Parameters
    ----------
    patterns : sequence of (scan, two_theta, counts, esd)
    cal : mapping
        Resolved ``operando.calibration`` (:func:`intercal.operando.calibration.resolve`).
    settings : TrackSettings
        Wavelengths, K-alpha2 ratio and the peak-fit starts/bounds.
    group : str
        Label of the batch (recorded in the table).
    source : str
        Used in error messages.
    overlaps : mapping, optional
        Scan -> the sample reflection inside the window (scans not listed are free).
    earlier : sequence of (scan, two_theta, counts, esd)
        Scans before the batch (the ridge pass's sample), for a carried shift.
    earlier_overlaps : mapping, optional
        As ``overlaps`` for ``earlier``.

    Returns
    -------
    list of (scan numbers, Calibration)

    Raises
    ------
    FitError
        If the standard is overlapped in every scan of the batch and before it.
    """
    scans = [int(p[0]) for p in patterns]
    if cal["method"] != "internal_standard":
        c = fixed_calibration(cal)
        c.group, c.n_scans = group, len(scans)
        c.first_scan, c.last_scan = (min(scans), max(scans)) if scans else (-1, -1)
        return [(scans, c)]
    from .calibration import sum_patterns

    overlaps = dict(overlaps or {})
    earlier_overlaps = dict(earlier_overlaps or {})
    refuse = cal.get("overlap", "free_scans") == "refuse"
    st = settings
    kw = dict(
        wavelengths=tuple(st.wavelengths),
        ka2_ratio=st.ka2_ratio,
        fwhm_start_deg=st.fwhm_start_deg,
        fwhm_bounds_deg=st.fwhm_bounds_deg,
        eta_start=st.eta_start,
        scale_esd=st.scale_esd,
    )
    if refuse:
        overlaps, earlier_overlaps = {}, {}
    free = [p for p in patterns if int(p[0]) not in overlaps]
    free_before = [p for p in earlier if int(p[0]) not in earlier_overlaps]
    carry = list(free_before[-max(len(patterns), 1) :])

    def fit(pats, label):
        sc = [int(p[0]) for p in pats]
        x, y, e = sum_patterns([p[1:] for p in pats], cal["window_deg"])
        what = f"{source}: sum of {len(sc)} scans ({min(sc)}-{max(sc)})" if len(sc) > 1 else (
            f"{source}: scan {sc[0]}"
        )  # fmt: skip
        c = fit_standard(x, y, e, cal, source=what, **kw)
        c.group, c.n_scans, c.first_scan, c.last_scan = label, len(sc), min(sc), max(sc)
        return c

    def no_free():
        first = next(iter(overlaps.values()), "")
        return FitError(
            f"{source}: the internal standard's window {cal['window_deg']} deg is overlapped "
            f"in every scan of the batch and in the scans before it (e.g. {first}); use "
            "operando.calibration.method fixed, or another standard reflection"
        )

    out = []
    if cal["scope"] == "scan":
        done = {}
        for p in free:
            done[int(p[0])] = fit([p], f"scan {int(p[0])}")
            done[int(p[0])].basis = "free"
        carried = None
        for n in scans:
            if n in done:
                out.append(([n], done[n]))
                continue
            if done:
                k = min(done, key=lambda m: abs(m - n))
                c = _copy_cal(done[k], f"scan {n}", n, f"carried from scan {k} ({overlaps[n]})")
            else:
                if carried is None:
                    if not carry:
                        raise no_free()
                    carried = fit(carry, f"scan {n}")
                c = _copy_cal(
                    carried,
                    f"scan {n}",
                    n,
                    f"carried from scans {carried.first_scan}-{carried.last_scan} ({overlaps[n]})",
                )
            out.append(([n], c))
        return out
    if free:
        c = fit(free, group or source)
        c.basis = "all" if len(free) == len(patterns) else (
            f"free scans only ({len(free)} of {len(patterns)}; overlapped: "
            f"{next(iter(overlaps.values()))})"
        )  # fmt: skip
    else:
        if not carry:
            raise no_free()
        c = fit(carry, group or source)
        c.basis = (
            f"carried from free scans {c.first_scan}-{c.last_scan} before the batch "
            f"(overlapped: {next(iter(overlaps.values()))})"
        )
    c.n_scans, c.first_scan, c.last_scan = len(scans), min(scans), max(scans)
    out.append((scans, c))
    return out


def _copy_cal(c: Calibration, group: str, scan: int, basis: str) -> Calibration:
    import dataclasses

    out = dataclasses.replace(c)
    out.group, out.n_scans, out.first_scan, out.last_scan, out.basis = group, 1, scan, scan, basis
    return out


def overlapping_scans(
    ridge_rows: Sequence[Mapping],
    cal: Mapping,
    hkls: Sequence[tuple[int, int, int]] | None = None,
    wavelength: float = CU_KA1,
    margin_deg: float = 0.2,
) -> dict[int, str]:
    """Scans in which a reflection of a present phase stands in the standard's window.

    Parameters
    ----------
    ridge_rows : sequence of mapping
        Rows of the ridge pass (``scan, phase, present, a_A, c_A``).
    cal : mapping
        Resolved calibration (``window_deg``).
    hkls : sequence of hkl, optional
        Reflections considered (default: h, k, l <= 2).
    margin_deg : float
        Distance (deg) from the window within which a reflection counts as overlapping.

    Returns
    -------
    dict
        Scan -> description of the first overlapping reflection (scans not listed are free).
    """
    if cal.get("method") != "internal_standard":
        return {}
    lo, hi = cal["window_deg"]
    if hkls is None:
        hkls = [(h, k, l) for h in range(3) for k in range(h + 1) for l in range(3) if h or k or l]
    out: dict[int, str] = {}
    for r in ridge_rows:
        if not r.get("present") or int(r["scan"]) in out:
            continue
        a, c = float(r["a_A"]), float(r["c_A"])
        if not (np.isfinite(a) and np.isfinite(c)):
            continue
        for hkl in hkls:
            tt = two_theta_hex(a, c, hkl, wavelength)
            if np.isfinite(tt) and lo - margin_deg <= tt <= hi + margin_deg:
                out[int(r["scan"])] = f"{r['phase']}({_hkl_str(hkl)}) at {tt:.2f} deg"
                break
    return out


def fit_batch(
    files: Sequence[str],
    phases: Sequence[PhaseSpec],
    settings: TrackSettings,
    grid: tuple[float, float, float] | None = None,
    calibration: Mapping | None = None,
    group: str = "",
    return_calibration: bool = False,
    seed_files: Sequence[str] = (),
    ridge_settings=None,
):
    """Read, calibrate and track one batch of scan files (the first one a cold start).

    Seeding: a cheap forward ridge pass (:mod:`intercal.operando.ridge`) runs over
    ``seed_files`` (a sample of the scans before the batch) and on through the
    batch; at every scan it tells the tracker where a phase not present in the
    previous scan is to be searched (at the batch's first scan: every phase), so
    a batch starts from where the series is, not from the configured cells. Its
    presence per scan is kept (``ridge_present``): a phase the ridge sees but the
    fit rejects is flagged ``lost``.

    Parameters
    ----------
    files : sequence of str
        Scan files ordered by scan number.
    phases : sequence of PhaseSpec
    settings : TrackSettings
        Its zero shift/displacement are used as they are when ``calibration``
        is None (or ``method`` fixed/none); with ``method: internal_standard``
        they are replaced by the measured calibration.
    grid : (start, stop, step), optional
        2theta grid (deg) onto which each pattern is interpolated for the
        intensity map of the figure.
    calibration : mapping, optional
        Resolved ``operando.calibration`` (:func:`intercal.operando.calibration.resolve`);
        default ``settings.calibration_config`` (set by :meth:`TrackSettings.from_config`).
    group : str
        Label of the batch in the calibration table.
    return_calibration : bool
        Also return the calibration table (one row per calibration group).

    Returns
    -------
    rows : pandas.DataFrame
        One row per scan and phase (``scan, file, phase, present, ...``, ``cal_*``).
    intensity_map : ndarray or None
        float32 array (n_scans, n_grid), NaN outside each scan's range.
    grid : ndarray or None
    calibration_table : pandas.DataFrame
        Only with ``return_calibration``.

    Other Parameters
    ----------------
    seed_files : sequence of str
        Earlier scan files for the ridge pass (ordered; may be empty: the ridge
        then starts from the configured cells at the batch's first scan).
    ridge_settings : RidgeSettings, optional
        Default: from the tracker settings.

    Raises
    ------
    FitError
        If the internal standard's peak is not found (names the scans).
    """
    import dataclasses

    import pandas as pd

    from .calibration import CAL_COLUMNS
    from .ridge import RidgePass, RidgeSettings
    from .scans import read_scan, scan_number

    st = dataclasses.replace(settings)
    pats = []
    for f in files:
        x, y, s = read_scan(f)
        pats.append((scan_number(f), x, y, s))
    # --- forward ridge pass: earlier (sampled) scans, then the batch's own
    rs = ridge_settings or RidgeSettings(
        c_hkl=st.c_hkl,
        a_hkl=st.a_hkl,
        wavelength=st.wavelengths[0],
        step_deg=st.max_step_deg,
        search_deg=st.search_deg,
        masks=st.hardware_peaks_deg,
    )
    rp = RidgePass([(p.name, p.a, p.c) for p in phases], dataclasses.replace(rs))
    seed_pats = []
    if seed_files:
        nums = [scan_number(f) for f in seed_files]
        gaps = np.diff(nums + [pats[0][0]]) if pats else np.array([1])
        stride = max(1, int(np.max(gaps)))
        # sampled scans are further apart: allow the ridge to move further per step
        rp.st.step_deg = min(rs.step_deg * stride, max(rs.search_deg, rs.step_deg))
        seed_rows = []
        for f, n in zip(seed_files, nums, strict=True):
            x, y, s = read_scan(f)
            seed_pats.append((n, x, y, s))
            for nm, r in rp.step(x, y).items():
                seed_rows.append({"scan": n, "phase": nm, **r})
        rp.st.step_deg = rs.step_deg
    else:
        seed_rows = []
    ridge = {}
    ridge_rows = []
    for n, x, y, _s in pats:
        ridge[n] = rp.step(x, y)
        ridge_rows.extend({"scan": n, "phase": nm, **r} for nm, r in ridge[n].items())
    if calibration is None:
        calibration = st.calibration_config
    if calibration is not None:
        lam = st.wavelengths[0]
        cals = calibrate(
            pats,
            calibration,
            st,
            group=group,
            source=group or "batch",
            overlaps=overlapping_scans(ridge_rows, calibration, wavelength=lam),
            earlier=seed_pats,
            earlier_overlaps=overlapping_scans(seed_rows, calibration, wavelength=lam),
        )
    else:
        c = st.calibration or Calibration(
            "given",
            zero_shift_deg=st.zero_shift_deg,
            displacement_mm=st.displacement_mm,
            goniometer_radius_mm=st.goniometer_radius_mm,
            shift_esd_deg=st.shift_esd_deg,
        )
        cals = [([p[0] for p in pats], c)]
    cal_of = {n: c for sc, c in cals for n in sc}
    tr = Tracker(phases, st)
    rows = []
    gx = np.arange(grid[0], grid[1] + 0.5 * grid[2], grid[2]) if grid else None
    maps = []
    for f, (n, x, y, s) in zip(files, pats, strict=True):
        c = cal_of[n]
        st.apply_calibration(c)
        cal_cols = {
            "cal_method": c.method,
            "cal_group": c.group,
            "cal_shift_deg": c.shift_deg,
            "cal_shift_esd_deg": c.shift_esd_deg,
            "cal_zero_shift_deg": c.zero_shift_deg,
            "cal_displacement_mm": c.displacement_mm,
            "cal_radius_mm": c.goniometer_radius_mm,
        }
        hints = {nm: (r["a_A"], r["c_A"], r["present"]) for nm, r in ridge[n].items()}
        for r in tr.fit_scan(x, y, s, source=str(f), hints=hints):
            rd = ridge[n][r["phase"]]
            qc = r["qc"]
            if rd["present"] and not r["present"]:
                qc = ";".join(q for q in (qc, f"lost:{r['phase']}") if q)
            rows.append(
                {
                    "scan": n,
                    "file": str(f),
                    "tt_first_deg": x[0],
                    "tt_last_deg": x[-1],
                    **r,
                    "qc": qc,
                    "ridge_present": bool(rd["present"]),
                    "ridge_tt_c_deg": rd["tt_c_deg"],
                    "wavelength_A": st.wavelengths[0],
                    "a_hkl": " ".join(str(v) for v in st.a_hkl),
                    **cal_cols,
                }
            )
        if gx is not None:
            maps.append(np.interp(gx, x, y, left=np.nan, right=np.nan).astype(np.float32))
    df = pd.DataFrame(rows)
    out = (df, (np.vstack(maps) if maps else None), gx)
    if return_calibration:
        out = (*out, pd.DataFrame([c.row() for _, c in cals], columns=CAL_COLUMNS))
    return out
