"""Edge energies: E0 as the first-derivative maximum, and the half-step energy.

:func:`find_e0` follows larch's ``find_e0`` (the maximum of dmu/dE) and then
refines it below the grid step: a polynomial fitted to mu(E) within
+-``half_width_eV`` of the grid maximum, whose inflection point (p'' = 0 with
p''' < 0) is the derivative maximum.

Model error (bias) of the local polynomial, measured on noise-free forward
models with a known derivative maximum (tests/xas/test_edge.py): degree 5
over +-1.5 eV (the default) reads a sharp, skewed derivative peak off by up
to ~0.02 eV (Co K example: the Co foil 0.016 eV low, the oxides 0.005 eV
high, so calibrated oxide edges ~0.02 eV high, ~3 esd); degree 7 stays
within 0.005 eV but has about twice the noise, and on a real Ni foil whose
derivative is flat-topped over ~1.5 eV it follows the wiggles (calibrated
NiO edges scatter 0.33 eV instead of 0.20 eV). Choose ``degree`` per study
(config ``xas.e0.degree``); the bias is not in the standard error.

The standard error follows from the polynomial covariance (scaled by the
reduced chi-square of that local fit) by the delta method. Optional Gaussian
smoothing (``smooth_eV``, sigma in eV) is applied on a uniform grid before the
search.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def _uniform_smooth(energy: np.ndarray, mu: np.ndarray, sigma_ev: float):
    from scipy.ndimage import gaussian_filter1d

    step = float(np.median(np.diff(energy)))
    grid = np.arange(energy[0], energy[-1] + 0.5 * step, step)
    y = np.interp(grid, energy, mu)
    return grid, gaussian_filter1d(y, sigma_ev / step, mode="nearest")


def find_e0(
    energy: np.ndarray,
    mu: np.ndarray,
    *,
    window: tuple[float, float] | None = None,
    smooth_eV: float = 0.0,
    half_width_eV: float = 1.5,
    degree: int = 5,
    source: str = "spectrum",
) -> tuple[float, float]:
    """Energy of the maximum of dmu/dE, refined below the grid step.

    Parameters
    ----------
    energy, mu : ndarray
        Strictly increasing energy (eV) and absorption.
    window : (float, float), optional
        Search range (eV) for the maximum; default the whole scan.
    smooth_eV : float
        Gaussian smoothing sigma (eV) applied before the search (0: none).
    half_width_eV : float
        Half width (eV) of the local polynomial fit around the grid maximum.
    degree : int
        Degree of the local polynomial (>= 3).
    source : str
        Name used in error messages (file or spectrum).

    Returns
    -------
    e0, e0_stderr : float
        Derivative-maximum energy and its standard error (eV); stderr NaN if
        the local fit has no degrees of freedom.

    Raises
    ------
    InputError
        Empty window, or no inflection point near the derivative maximum.
    """
    energy = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    if smooth_eV > 0:
        energy, mu = _uniform_smooth(energy, mu, smooth_eV)
    d = np.gradient(mu, energy)
    sel = np.ones(energy.size, bool)
    sel[:3] = sel[-3:] = False
    if window is not None:
        sel &= (energy >= window[0]) & (energy <= window[1])
    if sel.sum() < 5:
        raise InputError(f"{source}: E0 search window {window} holds fewer than 5 points")
    idx = np.flatnonzero(sel)
    i = idx[np.argmax(d[idx])]
    ec = energy[i]
    hw = half_width_eV
    for _ in range(4):
        m = np.abs(energy - ec) <= hw
        if m.sum() >= degree + 4:
            break
        hw *= 1.5
    if m.sum() < degree + 2:
        return float(ec), float("nan")
    x = energy[m] - ec
    y = mu[m]
    coef, cov = np.polyfit(x, y, degree, cov=True)
    p = np.poly1d(coef)
    p2, p3 = p.deriv(2), p.deriv(3)
    roots = [r.real for r in p2.roots if abs(r.imag) < 1e-9 and abs(r.real) <= hw]
    roots = [r for r in roots if p3(r) < 0]
    if not roots:
        raise InputError(
            f"{source}: no inflection point of mu(E) within {hw:.2f} eV of the derivative "
            f"maximum at {ec:.2f} eV (no clear absorption edge?)"
        )
    r = min(roots, key=lambda t: -p.deriv(1)(t))  # the steepest inflection
    # delta method: x* solves sum_j c_j * dj(x*) = 0 with dj = d2/dx2 x^j
    powers = np.arange(degree, -1, -1)
    g = np.array([k * (k - 1) * r ** (k - 2) if k >= 2 else 0.0 for k in powers])
    grad = -g / p3(r)
    var = float(grad @ cov @ grad)
    return float(ec + r), float(np.sqrt(var)) if var >= 0 else float("nan")


def half_step_energy(
    energy: np.ndarray, norm: np.ndarray, e0: float, noise: float = float("nan")
) -> tuple[float, float]:
    """Energy (eV) where the normalized absorption crosses 0.5 nearest to ``e0``.

    Linear interpolation between the bracketing points; the standard error is
    ``noise / slope`` with ``noise`` the standard deviation of one normalized
    point (NaN if unknown).
    """
    up = np.flatnonzero((norm[:-1] < 0.5) & (norm[1:] >= 0.5))
    if up.size == 0:
        raise InputError(f"normalized spectrum never crosses 0.5 (E0 {e0:.2f} eV)")
    j = up[np.argmin(np.abs(energy[up] - e0))]
    e1, e2, y1, y2 = energy[j], energy[j + 1], norm[j], norm[j + 1]
    slope = (y2 - y1) / (e2 - e1)
    e_half = e1 + (0.5 - y1) / slope
    return float(e_half), float(noise / slope) if np.isfinite(noise) else float("nan")


def point_noise(y: np.ndarray, width: int = 51) -> np.ndarray:
    """Standard deviation of one point of ``y``, from its fourth differences.

    For white noise of standard deviation s, the fourth difference
    ``d4 = y[i-2] - 4 y[i-1] + 6 y[i] - 4 y[i+1] + y[i+2]`` has variance
    ``70 s^2``, while a smooth signal (edge, peaks broader than a few grid
    steps) nearly cancels. The local variance is the running mean of ``d4^2``
    over ``width`` points, after dropping the few values beyond 4 robust
    standard deviations (a sharp edge; the robust scale is the running median
    of ``|d4|``), corrected for the truncation of a Gaussian at 4 sigma.
    Windows at the ends of the scan are mirrored, so the first and last points
    are not dominated by one repeated value (the running median with
    nearest-value padding used before over-estimated the rms noise of the
    pre-edge and the end of the scan by ~20 %, which inflated the
    normalization and LCF errors).

    Parameters
    ----------
    y : ndarray
        Signal on its measured grid.
    width : int
        Running window (points).

    Returns
    -------
    ndarray
        Noise per point (same length as ``y``; on white noise its root mean
        square is within ~1 % of the true standard deviation).
    """
    from scipy.ndimage import median_filter, uniform_filter1d

    y = np.asarray(y, float)
    d4 = y[:-4] - 4 * y[1:-3] + 6 * y[2:-2] - 4 * y[3:-1] + y[4:]
    w = min(width, d4.size)
    # median |N(0, 70 s^2)| = 0.6745 sqrt(70) s
    robust = median_filter(np.abs(d4), size=w, mode="mirror") / (0.6745 * np.sqrt(70.0))
    ok = np.abs(d4) <= 4.0 * np.sqrt(70.0) * robust
    num = uniform_filter1d(np.where(ok, d4**2, 0.0), size=w, mode="mirror")
    den = uniform_filter1d(ok.astype(float), size=w, mode="mirror")
    # variance of a Gaussian truncated at +-4 sigma: 0.99893 of the full variance
    s = np.sqrt(num / np.maximum(den, 1e-12) / (70.0 * 0.99893))
    return np.concatenate([s[:1], s[:1], s, s[-1:], s[-1:]])


def smooth_noise(sem: np.ndarray, width: int = 31) -> np.ndarray:
    """Running root-mean-square of a per-point standard error (scan-to-scan scatter).

    With few repeats the per-point standard error of the mean is itself very
    noisy (2 degrees of freedom for 3 scans); averaging the variance over
    ``width`` neighbouring points keeps its energy dependence and removes
    that scatter.
    """
    from scipy.ndimage import uniform_filter1d

    var = uniform_filter1d(np.asarray(sem, float) ** 2, size=min(width, sem.size), mode="nearest")
    return np.sqrt(var)


def e0_monte_carlo(
    energy: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    *,
    n_draws: int = 200,
    seed: int = 0,
    noise_matrix: np.ndarray | None = None,
    **kwargs,
) -> tuple[float, int]:
    """Standard error of :func:`find_e0` by redrawing the noise of ``mu``.

    Each draw adds Gaussian noise of standard deviation ``sigma`` (per point)
    to ``mu`` and repeats the whole E0 search (grid maximum and local
    polynomial), so a maximum that jumps between two near-equal derivative
    peaks shows up in the spread, which the polynomial covariance cannot see.

    Parameters
    ----------
    energy, mu : ndarray
        Energy (eV) and absorption (the best estimate, e.g. a merge).
    sigma : ndarray or float
        Noise of one point of ``mu``.
    n_draws : int
        Number of draws.
    seed : int
        Seed of the draws (results are reproducible).
    noise_matrix : ndarray, optional
        Linear map from independent unit draws to the noise of ``mu`` (e.g.
        a merge's ``noise_matrix``); when given, each draw adds
        ``noise_matrix @ z`` (correlated noise) instead of white noise of
        ``sigma``. The E0 search responds to the curvature, i.e. the high
        frequencies, which white noise of the same per-point variance
        over-states for a merge of interpolated repeats (its scatter over noise
        realisations was ~0.75 of that esd on the fluorescence example).
    **kwargs
        Passed to :func:`find_e0` (window, half_width_eV, degree, smooth_eV).

    Returns
    -------
    stderr : float
        Standard deviation (eV) of E0 over the draws (NaN if fewer than half
        succeed).
    n_failed : int
        Draws in which no edge was found.
    """
    rng = np.random.default_rng(seed)
    vals = []
    failed = 0
    for _ in range(n_draws):
        if noise_matrix is not None:
            y = mu + noise_matrix @ rng.normal(0.0, 1.0, noise_matrix.shape[1])
        else:
            y = mu + rng.normal(0.0, 1.0, mu.size) * sigma
        try:
            vals.append(find_e0(energy, y, **kwargs)[0])
        except InputError:
            failed += 1
    if len(vals) < max(2, n_draws // 2):
        return float("nan"), failed
    return float(np.std(vals, ddof=1)), failed
