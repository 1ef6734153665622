"""Energy calibration by the reference channel and merging of repeated scans.

Each scan carries a reference (foil or powder) measured after the sample. Its
E0 (first-derivative maximum, :func:`intercal.xas.edge.find_e0`) is shifted to
the tabulated value; the same shift is applied to the sample energy axis. The
shift of every scan is recorded. Calibrated scans of one sample are merged on
the energy grid of the first scan (cubic-spline interpolation of the others,
overlap range only) after checking that they agree: sample E0 within
``e0_tolerance_eV`` of the median, and normalized spectra within
``norm_tolerance`` (rms) of the median spectrum.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .edge import e0_monte_carlo, find_e0, point_noise


@dataclass
class CalibratedScan:
    """A scan on the calibrated energy axis.

    Attributes
    ----------
    path : str
    energy : ndarray
        Calibrated energy (eV) = recorded energy + ``shift``.
    mu, mu_ref : ndarray
        Sample and reference absorption.
    ref_e0_measured, ref_e0_stderr : float
        Reference E0 on the recorded axis (eV) and its standard error.
    shift : float
        Calibration shift (eV) = tabulated - measured reference E0.
    """

    path: str
    energy: np.ndarray
    mu: np.ndarray
    mu_ref: np.ndarray | None
    ref_e0_measured: float
    ref_e0_stderr: float
    shift: float
    extra: dict = field(default_factory=dict)


def check_reference_edge(
    path: str, energy: np.ndarray, mu_ref: np.ndarray, min_snr: float = 20.0
) -> float:
    """Signal-to-noise of the reference edge; InputError when there is no edge.

    The peak of dmu_ref/dE is compared with the robust noise (1.4826 x median
    absolute deviation) of the point-to-point differences of mu_ref divided by
    the local energy step.
    """
    d = np.gradient(mu_ref, energy)
    dd = np.diff(mu_ref) / np.diff(energy)
    noise = 1.4826 * np.median(np.abs(dd - np.median(dd))) + 1e-12
    snr = float(np.max(np.abs(d)) / noise)
    span = float(np.percentile(mu_ref, 95) - np.percentile(mu_ref, 5))
    if snr < min_snr or span <= 0:
        raise InputError(
            f"{path}: the reference channel shows no absorption edge (derivative peak / noise "
            f"= {snr:.1f}, expected >= {min_snr}); check the Iref column or the reference foil"
        )
    return snr


def calibrate_scan(
    path: str,
    energy: np.ndarray,
    mu: np.ndarray,
    mu_ref: np.ndarray | None,
    *,
    reference_e0: float,
    max_shift_eV: float = 20.0,
    smooth_eV: float = 0.0,
    half_width_eV: float = 1.5,
    degree: int = 5,
    min_snr: float = 20.0,
    n_mc: int = 200,
) -> CalibratedScan:
    """Calibrate one scan by its reference channel.

    Parameters
    ----------
    path : str
        File name (for messages and the record).
    energy, mu, mu_ref : ndarray
        Recorded energy (eV), sample and reference absorption.
    reference_e0 : float
        Tabulated E0 (eV) of the reference (e.g. the K edge of a metal foil).
    max_shift_eV : float
        Largest plausible |shift| (eV); larger means the wrong edge or reference.
    smooth_eV, half_width_eV, degree
        E0 settings passed to :func:`~intercal.xas.edge.find_e0`.
    min_snr : float
        Minimum derivative signal-to-noise of the reference edge.
    n_mc : int
        Monte-Carlo draws for the reference E0 standard error (noise per point
        from fourth differences of the reference, :func:`point_noise`); 0 keeps
        the local-polynomial error.

    Returns
    -------
    CalibratedScan

    Raises
    ------
    InputError
        No reference channel, no edge in it, or an implausible shift.
    """
    if mu_ref is None:
        raise InputError(f"{path}: no reference channel (Iref) to calibrate the energy with")
    check_reference_edge(path, energy, mu_ref, min_snr=min_snr)
    window = (reference_e0 - max_shift_eV, reference_e0 + max_shift_eV)
    e_ref, e_ref_err = find_e0(
        energy,
        mu_ref,
        window=window,
        smooth_eV=smooth_eV,
        half_width_eV=half_width_eV,
        degree=degree,
        source=f"{path} (reference channel)",
    )
    shift = reference_e0 - e_ref
    extra = {"ref_e0_stderr_polynomial": e_ref_err, "ref_e0_stderr_method": "local polynomial"}
    if n_mc > 0:
        mc, _ = e0_monte_carlo(
            energy,
            mu_ref,
            point_noise(mu_ref),
            n_draws=n_mc,
            window=window,
            smooth_eV=smooth_eV,
            half_width_eV=half_width_eV,
            degree=degree,
        )
        if np.isfinite(mc):
            e_ref_err = mc
            extra["ref_e0_stderr_method"] = f"monte_carlo({n_mc}), point noise from 4th differences"
    if abs(shift) > max_shift_eV:
        raise InputError(
            f"{path}: reference E0 found at {e_ref:.2f} eV, {shift:+.2f} eV from the tabulated "
            f"{reference_e0:.2f} eV (more than max_shift_eV = {max_shift_eV})"
        )
    return CalibratedScan(
        path=path,
        energy=energy + shift,
        mu=mu,
        mu_ref=mu_ref,
        ref_e0_measured=e_ref,
        ref_e0_stderr=e_ref_err,
        shift=shift,
        extra=extra,
    )


def merge_scans(
    scans: list[CalibratedScan],
    *,
    e0_window: tuple[float, float] | None = None,
    e0_tolerance_eV: float = 0.3,
    norm_tolerance: float = 0.05,
    normalize_kw: dict | None = None,
    half_width_eV: float = 1.5,
    degree: int = 5,
    mode: str = "transmission",
) -> dict:
    """Merge calibrated repeats of one sample after checking that they agree.

    Parameters
    ----------
    scans : list of CalibratedScan
    e0_window : (float, float), optional
        Search window (eV, calibrated) of the sample E0.
    e0_tolerance_eV : float
        Largest allowed |E0_scan - median E0| (eV).
    norm_tolerance : float
        Largest allowed rms difference of a scan's normalized spectrum from the
        median normalized spectrum within E0-20 .. E0+50 eV.
    normalize_kw : dict, optional
        Settings for :func:`intercal.xas.normalize.normalize` used by the check.
    half_width_eV, degree
        E0 settings.
    mode : str
        Absorption mode of the scans (named in the messages).

    Returns
    -------
    dict
        ``energy``, ``mu`` (mean), ``mu_sem`` (standard error of the mean per
        point, NaN for one scan), ``mu_noise`` (noise of one point of the mean
        from the scans' point-to-point noise and the interpolation weights),
        ``noise_matrix`` (grid points x raw points of all scans: the merge's
        noise is ``noise_matrix @ z`` for independent unit normal ``z``, so a
        draw has the correlation between neighbouring merged points),
        ``scan_e0`` (list), ``rms`` (list).

    Raises
    ------
    InputError
        No scans, no common energy range, or scans that disagree (names the file).
    """
    from scipy.interpolate import CubicSpline

    from .normalize import normalize, normalize_fixed

    if not scans:
        raise InputError("merge_scans: no scans given")
    lo = max(s.energy[0] for s in scans)
    hi = min(s.energy[-1] for s in scans)
    grid = scans[0].energy[(scans[0].energy >= lo) & (scans[0].energy <= hi)]
    if grid.size < 20:
        raise InputError(
            f"scans {[s.path for s in scans]} share fewer than 20 points of energy range"
        )
    stack = np.vstack([CubicSpline(s.energy, s.mu)(grid) for s in scans])
    e0s, e0_errs = [], []
    for s, mu in zip(scans, stack, strict=True):
        try:
            e0, _ = find_e0(
                grid,
                mu,
                window=e0_window,
                half_width_eV=half_width_eV,
                degree=degree,
                source=s.path,
            )
        except InputError as err:
            # a single noisy scan (fluorescence of a dilute sample) may show no clean
            # inflection; its agreement is then judged by the spectrum check below only
            logging.getLogger(__name__).warning("%s: no single-scan E0 (%s)", s.path, err)
            e0s.append(float("nan"))
            e0_errs.append(float("nan"))
            continue
        e0s.append(e0)
        # a single scan's own E0 error (noise from its 4th differences), so that noisy
        # scans (fluorescence, broad mixed edges) are judged against their noise
        err, _ = e0_monte_carlo(
            grid,
            mu,
            point_noise(mu),
            n_draws=40,
            window=e0_window,
            half_width_eV=half_width_eV,
            degree=degree,
        )
        e0_errs.append(err)
    finite = [e for e in e0s if np.isfinite(e)]
    if not finite:
        raise InputError(
            f"scans {[s.path for s in scans]}: no scan shows an absorption edge in the window "
            f"{e0_window} (mode {mode})"
        )
    med = float(np.median(finite))
    for s, e0, err in zip(scans, e0s, e0_errs, strict=True):
        if not np.isfinite(e0):
            continue
        allowed = max(e0_tolerance_eV, 4.0 * err) if np.isfinite(err) else e0_tolerance_eV
        if abs(e0 - med) > allowed:
            raise InputError(
                f"{s.path}: after calibration its edge is at {e0:.2f} eV, {e0 - med:+.2f} eV from "
                f"the median {med:.2f} eV of the repeats (tolerance max({e0_tolerance_eV} eV, "
                f"4 x its own E0 error {err:.2f} eV)) in mode {mode}; the scans disagree and "
                "will not be merged (a scan measured in another mode or of another sample "
                "needs its own spectrum entry)"
            )
    kw = dict(normalize_kw or {})
    first = normalize(grid, stack[0], e0=med, **kw)
    settled = {k: first[k] for k in ("pre1", "pre2", "norm1", "norm2", "nnorm", "nvict")}
    norms = np.vstack([normalize_fixed(grid, mu, e0=med, **settled) for mu in stack])
    ref = np.median(norms, axis=0)
    m = (grid >= med - 20) & (grid <= med + 50)
    rms = [float(np.sqrt(np.mean((n[m] - ref[m]) ** 2))) for n in norms]
    if len(scans) > 1:
        for s, r in zip(scans, rms, strict=True):
            if r > norm_tolerance:
                raise InputError(
                    f"{s.path}: normalized spectrum differs from the median of the repeats by "
                    f"{r:.3f} rms (tolerance {norm_tolerance}) in mode {mode}; the scans "
                    "disagree and will not be merged (a scan measured in another mode or of "
                    "another sample needs its own spectrum entry)"
                )
    mean = stack.mean(axis=0)
    # noise of one point of the mean: each scan's point-to-point noise, interpolated onto
    # the grid by the same cubic spline (variance factor sum_j w_j^2 of its weights)
    # The same weights give the merge's noise as a linear map of independent unit draws
    # (one per raw point): neighbouring merged points share the interpolation of the same raw
    # points, so their noise is correlated (smoother than white noise of the same variance)
    blocks = []
    for s in scans:
        pn = point_noise(s.mu)
        w = CubicSpline(s.energy, np.eye(s.energy.size))(grid)
        blocks.append(w * pn[None, :] / len(scans))
    noise_matrix = np.hstack(blocks)
    mu_noise = np.sqrt(np.sum(noise_matrix**2, axis=1))
    if len(scans) > 1:
        sem = stack.std(axis=0, ddof=1) / np.sqrt(len(scans))
    else:
        sem = np.full(grid.size, np.nan)
    return {
        "energy": grid,
        "mu": mean,
        "mu_sem": sem,
        "mu_noise": mu_noise,
        "noise_matrix": noise_matrix,
        "scan_e0": e0s,
        "rms": rms,
    }
