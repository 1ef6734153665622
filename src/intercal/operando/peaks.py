"""Pseudo-Voigt K-alpha1/K-alpha2 doublets on a local linear background.

A window of a powder pattern is modelled as a sum of reflections, each an
area-normalised pseudo-Voigt for K-alpha1 plus a K-alpha2 copy at the
position given by the wavelength ratio and with ``ka2_ratio`` times its area,
on a linear background. Per window the free parameters are, per peak, the
K-alpha1 centre (deg), the FWHM (deg) and the integrated K-alpha1 area
(counts deg); a mixing parameter eta shared by all peaks of the window; and
the background intercept and slope. Fits are weighted least squares
(a small bounded Levenberg-Marquardt with an analytic, vectorised Jacobian;
bounds on centres and widths); the covariance is (J^T W J)^-1 at the optimum, optionally scaled by
the reduced chi-square (recorded in the result).

Pure numpy (and scipy.special for the F-test): a batch job imports it fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import FitError, InputError

#: Cu K-alpha1, K-alpha2 wavelengths (angstrom), Hoelzer et al. (1997)
CU_KA1 = 1.540593
CU_KA2 = 1.544427

_LN2 = math.log(2.0)
_G = 2.0 * math.sqrt(_LN2 / math.pi)


def pseudo_voigt(x: np.ndarray, center: float, fwhm: float, eta: float) -> np.ndarray:
    """Area-normalised pseudo-Voigt profile.

    Parameters
    ----------
    x : ndarray
        Abscissa (deg 2theta).
    center, fwhm : float
        Centre and full width at half maximum (deg).
    eta : float
        Lorentzian fraction, 0 (Gauss) ... 1 (Lorentz).

    Returns
    -------
    ndarray
        Profile with unit integral (1/deg).
    """
    dx = (x - center) / fwhm
    gauss = (_G / fwhm) * np.exp(-4.0 * _LN2 * dx * dx)
    lorentz = (2.0 / (math.pi * fwhm)) / (1.0 + 4.0 * dx * dx)
    return (1.0 - eta) * gauss + eta * lorentz


def _pv_derivs(x, center, fwhm, eta):
    """Pseudo-Voigt and its derivatives with respect to centre, FWHM and eta."""
    dx = (x - center) / fwhm
    e = np.exp(-4.0 * _LN2 * dx * dx)
    gauss = (_G / fwhm) * e
    den = 1.0 + 4.0 * dx * dx
    lorentz = (2.0 / (math.pi * fwhm)) / den
    prof = (1.0 - eta) * gauss + eta * lorentz
    dg_dc = gauss * 8.0 * _LN2 * dx / fwhm
    dl_dc = lorentz * 8.0 * dx / (fwhm * den)
    dg_dw = gauss * (-1.0 + 8.0 * _LN2 * dx * dx) / fwhm
    dl_dw = lorentz * (-1.0 + 8.0 * dx * dx / den) / fwhm
    return (
        prof,
        (1.0 - eta) * dg_dc + eta * dl_dc,
        (1.0 - eta) * dg_dw + eta * dl_dw,
        lorentz - gauss,
    )


_pv_block = pseudo_voigt  # broadcasts: x of shape (m, 1), centres of shape (n,) -> (m, n)


@dataclass
class _Solution:
    x: np.ndarray
    fun: np.ndarray
    jac: np.ndarray
    success: bool
    message: str
    nfev: int


def _levenberg_marquardt(resid, jac, p0, lower, upper, scale, max_nfev, dchi2=1e-4, xtol=1e-6):
    """Bounded Levenberg-Marquardt (Marquardt's diagonal scaling, projected steps).

    Parameters at a bound whose gradient points out of the box are held there
    for the step (active set); every trial point is clipped into the box. Stops
    when an accepted step lowers chi-square by less than ``dchi2`` (absolute: the
    parameters are then within ~sqrt(dchi2) esd of the optimum) or moves no
    parameter by more than ``xtol`` times its ``scale``. Small dense
    problems (a few peaks): one residual and one Jacobian evaluation per
    iteration, a dense solve of at most ~20 unknowns.

    Returns
    -------
    _Solution
        Optimum ``x``, weighted residuals ``fun`` and Jacobian ``jac`` there,
        ``success`` (converged before ``max_nfev`` evaluations) and a message.
    """
    p = np.clip(np.asarray(p0, float), lower, upper)
    r = resid(p)
    chi2 = float(r @ r)
    nfev = 1
    if not np.isfinite(chi2):
        return _Solution(p, r, jac(p), False, "non-finite residuals at the start", nfev)
    J = jac(p)
    lam = 1e-3
    success, message = False, "maximum number of evaluations reached"
    while nfev < max_nfev:
        g = J.T @ r
        A = J.T @ J
        d = np.maximum(np.diag(A).copy(), 1e-12 * max(float(np.max(np.diag(A))), 1e-300))
        free = ~(((p <= lower) & (g > 0)) | ((p >= upper) & (g < 0)))
        if not free.any():
            success, message = True, "all parameters held at bounds"
            break
        Af, gf, df = A[np.ix_(free, free)], g[free], d[free]
        accepted = False
        while nfev < max_nfev:
            M = Af + lam * np.diag(df)
            try:
                step = -np.linalg.solve(M, gf)
            except np.linalg.LinAlgError:
                lam *= 10.0
                if lam > 1e12:
                    break
                continue
            pn = p.copy()
            pn[free] += step
            pn = np.clip(pn, lower, upper)
            rn = resid(pn)
            nfev += 1
            chi2n = float(rn @ rn)
            if np.isfinite(chi2n) and chi2n <= chi2:
                accepted = True
                break
            lam *= 10.0
            if lam > 1e12:
                break
        if not accepted:
            if nfev < max_nfev:
                success, message = True, "no further decrease of chi-square"
            break
        dchi = chi2 - chi2n
        moved = np.max(np.abs(pn - p) / scale)
        p, r, chi2 = pn, rn, chi2n
        J = jac(p)
        lam = max(lam / 10.0, 1e-12)
        if dchi <= dchi2 or moved <= xtol:
            success, message = True, "converged"
            break
    return _Solution(p, r, J, success, message, nfev)


def ka2_center(center_ka1: np.ndarray | float, lam1: float = CU_KA1, lam2: float = CU_KA2):
    """2theta of K-alpha2 for a reflection whose K-alpha1 is at ``center_ka1`` (deg)."""
    th1 = np.radians(np.asarray(center_ka1) / 2.0)
    return 2.0 * np.degrees(np.arcsin(np.clip(lam2 / lam1 * np.sin(th1), -1.0, 1.0)))


def doublet(
    x: np.ndarray,
    center: float,
    area: float,
    fwhm: float,
    eta: float,
    ka2_ratio: float = 0.5,
    lam1: float = CU_KA1,
    lam2: float = CU_KA2,
) -> np.ndarray:
    """K-alpha1 + K-alpha2 pseudo-Voigt doublet (counts) of K-alpha1 area ``area``."""
    c2 = float(ka2_center(center, lam1, lam2))
    return area * (pseudo_voigt(x, center, fwhm, eta) + ka2_ratio * pseudo_voigt(x, c2, fwhm, eta))


@dataclass
class PeakSeed:
    """Start and bounds of one reflection in a window fit.

    Attributes
    ----------
    name : str
        Label, e.g. ``"<phase>|001"``.
    center : float
        Start K-alpha1 centre (deg).
    lo, hi : float
        Bounds of the centre (deg): the guard against jumping to another peak.
    fwhm : float
        Start FWHM (deg).
    """

    name: str
    center: float
    lo: float
    hi: float
    fwhm: float = 0.15


@dataclass
class PeakResult:
    """Fitted reflection: values and esds (deg, counts deg); ``at_bound`` flags the guard."""

    name: str
    center: float
    center_esd: float
    fwhm: float
    fwhm_esd: float
    area: float
    area_esd: float
    at_bound: bool = False


@dataclass
class WindowFit:
    """Result of one window fit.

    ``chi2`` is the weighted sum of squares, ``redchi`` = chi2 / (n - p);
    ``esd_scaled`` tells whether the esds were multiplied by sqrt(redchi).
    """

    peaks: list[PeakResult]
    eta: float
    eta_esd: float
    background: tuple[float, float]
    chi2: float
    redchi: float
    n_points: int
    n_params: int
    esd_scaled: bool
    success: bool
    message: str = ""
    extra: dict = field(default_factory=dict)

    def peak(self, name: str) -> PeakResult:
        """The fitted peak called ``name`` (KeyError if absent)."""
        for p in self.peaks:
            if p.name == name:
                return p
        raise KeyError(name)


def _design(x, centers, fwhms, eta, ka2_ratio, lam1, lam2, xmid):
    """Columns: one unit-area doublet per peak, then background 1 and (x - xmid)."""
    cols = np.empty((x.size, len(centers) + 2))
    c2 = ka2_center(np.asarray(centers), lam1, lam2)
    for k, (c, w) in enumerate(zip(centers, fwhms, strict=True)):
        cols[:, k] = pseudo_voigt(x, c, w, eta) + ka2_ratio * pseudo_voigt(x, c2[k], w, eta)
    cols[:, -2] = 1.0
    cols[:, -1] = x - xmid
    return cols


def check_pattern(x: np.ndarray, y: np.ndarray, sigma: np.ndarray, source: str = "pattern"):
    """Check a pattern's arrays; raise :class:`InputError` naming ``source`` and the fault."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    sigma = np.asarray(sigma, float)
    if not (x.shape == y.shape == sigma.shape) or x.ndim != 1:
        raise InputError(
            f"{source}: two_theta, intensity and esd must be 1-D of equal length, got shapes "
            f"{x.shape}, {y.shape}, {sigma.shape}"
        )
    if x.size < 10:
        raise InputError(f"{source}: {x.size} points, expected at least 10")
    if not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        raise InputError(f"{source}: non-finite two_theta or intensity values")
    if np.any(np.diff(x) <= 0):
        i = int(np.argmax(np.diff(x) <= 0))
        raise InputError(
            f"{source}: two_theta must increase strictly; point {i + 1} ({x[i + 1]:.4f} deg) "
            f"follows {x[i]:.4f} deg"
        )
    if np.any(~np.isfinite(sigma)) or np.any(sigma <= 0):
        raise InputError(f"{source}: esd column must be finite and > 0")
    return x, y, sigma


def fit_window(
    x: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    seeds: list[PeakSeed],
    *,
    eta: float = 0.5,
    fwhm_bounds: tuple[float, float] = (0.02, 1.0),
    ka2_ratio: float = 0.5,
    lam1: float = CU_KA1,
    lam2: float = CU_KA2,
    scale_esd: bool = True,
    max_nfev: int = 200,
) -> WindowFit:
    """Fit doublets on a linear background to one window of a pattern.

    Parameters
    ----------
    x, y, sigma : ndarray
        2theta (deg), counts and their esds, already cut to the window
        (hardware peaks removed).
    seeds : list of PeakSeed
        Reflections to fit, with start centres and centre bounds (deg). May be
        empty (background only).
    eta : float
        Start value of the shared Lorentzian fraction.
    fwhm_bounds : (float, float)
        Bounds of every FWHM (deg).
    ka2_ratio, lam1, lam2 : float
        K-alpha2/K-alpha1 intensity ratio and the two wavelengths (angstrom).
    scale_esd : bool
        Multiply esds by sqrt(reduced chi-square) when it exceeds 1.
    max_nfev : int
        Maximum function evaluations.

    Returns
    -------
    WindowFit

    Raises
    ------
    FitError
        If the optimiser fails or the window has fewer points than parameters.
    """
    n = len(seeds)
    xmid = 0.5 * (x[0] + x[-1])
    w = 1.0 / sigma
    lo_w, hi_w = fwhm_bounds
    if n == 0:
        cols = _design(x, [], [], eta, ka2_ratio, lam1, lam2, xmid)
        coef, *_ = np.linalg.lstsq(cols * w[:, None], y * w, rcond=None)
        r = (y - cols @ coef) * w
        chi2 = float(r @ r)
        return WindowFit(
            [], math.nan, math.nan, (float(coef[0]), float(coef[1])), chi2,
            chi2 / max(x.size - 2, 1), x.size, 2, False, True, "background only",
            {"model": cols @ coef},
        )  # fmt: skip
    # linear start values for the given start centres and widths
    c0 = np.array([min(max(s.center, s.lo), s.hi) for s in seeds])
    f0 = np.array([min(max(s.fwhm, lo_w * 1.01), hi_w * 0.99) for s in seeds])
    cols = _design(x, c0, f0, eta, ka2_ratio, lam1, lam2, xmid)
    lin, *_ = np.linalg.lstsq(cols * w[:, None], y * w, rcond=None)
    area0 = np.maximum(lin[:n], 1e-6 * (np.abs(y).max() + 1.0))
    p0 = np.concatenate([c0, f0, area0, [eta], lin[n:]])
    lower = np.concatenate(
        [[s.lo for s in seeds], np.full(n, lo_w), np.zeros(n), [0.0], [-np.inf, -np.inf]]
    )
    upper = np.concatenate(
        [[s.hi for s in seeds], np.full(n, hi_w), np.full(n, np.inf), [1.0], [np.inf, np.inf]]
    )
    npar = p0.size
    if x.size <= npar:
        raise FitError(f"window {x[0]:.2f}-{x[-1]:.2f} deg: {x.size} points for {npar} parameters")

    c2fac = lam2 / lam1
    xc = x[:, None]

    def parts(p):
        cen = p[:n]
        fw = p[n : 2 * n]
        th = np.radians(cen / 2.0)
        s2 = np.minimum(c2fac * np.sin(th), 1.0 - 1e-12)
        cen2 = 2.0 * np.degrees(np.arcsin(s2))
        dc2 = c2fac * np.cos(th) / np.sqrt(1.0 - s2 * s2)
        return cen, fw, cen2, dc2

    def model(p):
        cen, fw, cen2, _ = parts(p)
        et = p[3 * n]
        prof = _pv_block(xc, cen, fw, et) + ka2_ratio * _pv_block(xc, cen2, fw, et)
        return p[3 * n + 1] + p[3 * n + 2] * (x - xmid) + prof @ p[2 * n : 3 * n]

    def resid(p):
        return (model(p) - y) * w

    def jac(p):
        cen, fw, cen2, dc2 = parts(p)
        ar = p[2 * n : 3 * n]
        et = p[3 * n]
        p1, dc1, dw1, de1 = _pv_derivs(xc, cen, fw, et)
        p2, dcb, dw2, de2 = _pv_derivs(xc, cen2, fw, et)
        J = np.empty((x.size, npar))
        J[:, :n] = ar * (dc1 + ka2_ratio * dcb * dc2)
        J[:, n : 2 * n] = ar * (dw1 + ka2_ratio * dw2)
        J[:, 2 * n : 3 * n] = p1 + ka2_ratio * p2
        J[:, 3 * n] = (de1 + ka2_ratio * de2) @ ar
        J[:, 3 * n + 1] = 1.0
        J[:, 3 * n + 2] = x - xmid
        return J * w[:, None]

    x_scale = np.concatenate(
        [np.full(n, 0.01), np.full(n, 0.01), np.maximum(area0, 1.0), [0.1], [10.0, 10.0]]
    )
    sol = _levenberg_marquardt(resid, jac, p0, lower, upper, x_scale, max_nfev)
    if not np.all(np.isfinite(sol.fun)):
        raise FitError(f"window {x[0]:.2f}-{x[-1]:.2f} deg: non-finite residuals")
    p = sol.x
    r = sol.fun
    chi2 = float(r @ r)
    dof = max(x.size - npar, 1)
    redchi = chi2 / dof
    J = sol.jac
    try:
        cov = np.linalg.pinv(J.T @ J)
    except np.linalg.LinAlgError:
        cov = np.full((npar, npar), np.nan)
    scaled = bool(scale_esd and redchi > 1.0)
    if scaled:
        cov = cov * redchi
    esd = np.sqrt(np.clip(np.diag(cov), 0, None))
    esd[esd == 0] = np.nan
    peaks = []
    for k, s in enumerate(seeds):
        span = s.hi - s.lo
        at_bound = bool(min(p[k] - s.lo, s.hi - p[k]) < 1e-3 * max(span, 1e-6))
        peaks.append(
            PeakResult(
                s.name,
                float(p[k]),
                float(esd[k]),
                float(p[n + k]),
                float(esd[n + k]),
                float(p[2 * n + k]),
                float(esd[2 * n + k]),
                at_bound,
            )
        )
    return WindowFit(
        peaks,
        float(p[3 * n]),
        float(esd[3 * n]),
        (float(p[3 * n + 1]), float(p[3 * n + 2])),
        chi2,
        redchi,
        int(x.size),
        int(npar),
        scaled,
        bool(sol.success),
        str(sol.message),
        {"model": model(p)},
    )


def f_test_pvalue(chi2_without: float, chi2_with: float, dp: int, n: int, p_with: int) -> float:
    """P-value of the F-test that ``dp`` extra parameters improve chi-square by chance.

    Parameters
    ----------
    chi2_without, chi2_with : float
        Chi-square of the nested (smaller) and full model.
    dp : int
        Extra parameters of the full model.
    n, p_with : int
        Points and parameters of the full model.
    """
    from scipy.special import fdtrc  # F survival function (scipy.stats is slow to import)

    dof = n - p_with
    if dof <= 0 or dp <= 0:
        return math.nan
    if chi2_with <= 0:
        return 0.0
    fval = ((chi2_without - chi2_with) / dp) / (chi2_with / dof)
    if fval <= 0:
        return 1.0
    return float(fdtrc(dp, dof, fval))
