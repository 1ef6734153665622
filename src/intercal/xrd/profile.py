"""Peak profile: Thompson-Cox-Hastings pseudo-Voigt with Finger-Cox-Jephcoat asymmetry.

Conventions (those of GSAS-II, so that values can be compared side by side):

- Gaussian variance ``sigma^2 = U tan^2(theta) + V tan(theta) + W`` in centideg^2,
  Gaussian FWHM ``Gamma_G = sqrt(8 ln 2 sigma^2)``;
- Lorentzian FWHM ``Gamma_L = X / cos(theta) + Y tan(theta)`` in centideg;
- TCH combination of the two FWHMs into a pseudo-Voigt FWHM ``Gamma`` and mixing
  ``eta`` (Thompson, Cox & Hastings, J. Appl. Cryst. 20, 79 (1987));
- axial divergence: Finger, Cox & Jephcoat, J. Appl. Cryst. 27, 892 (1994), with
  equal sample and detector heights (one parameter ``SH/L = (S + H)/L``), integrated
  by Gauss-Legendre quadrature in ``u`` with ``delta = delta_max u^2``, which removes
  the integrable 1/sqrt singularity at the peak position.

All profiles are normalised to unit area in 2theta (deg^-1).
"""

from __future__ import annotations

import functools

import numpy as np

LN2 = np.log(2.0)
_TCH = (1.0, 2.69269, 2.42843, 4.47163, 0.07842, 1.0)


def gauss_lorentz_fwhm(
    tth_deg: np.ndarray, U: float, V: float, W: float, X: float, Y: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian and Lorentzian FWHM (deg) at peak positions.

    Parameters
    ----------
    tth_deg : ndarray
        Peak positions 2theta (deg).
    U, V, W : float
        Gaussian variance coefficients (centideg^2).
    X, Y : float
        Lorentzian coefficients (centideg).

    Returns
    -------
    gam_g, gam_l : ndarray
        FWHMs (deg); the Gaussian one is NaN where sigma^2 <= 0.
    sig2 : ndarray
        Gaussian variance (centideg^2).
    """
    th = np.radians(tth_deg) / 2.0
    t = np.tan(th)
    sig2 = U * t * t + V * t + W
    with np.errstate(invalid="ignore"):
        gam_g = np.sqrt(8.0 * LN2 * sig2) / 100.0
    gam_l = (X / np.cos(th) + Y * t) / 100.0
    return gam_g, gam_l, sig2


def tch(gam_g: np.ndarray, gam_l: np.ndarray):
    """TCH pseudo-Voigt FWHM and mixing, with derivatives.

    Returns
    -------
    gam, eta : ndarray
        Total FWHM (deg) and Lorentzian fraction.
    dgam_dg, dgam_dl, deta_dg, deta_dl : ndarray
        Partial derivatives with respect to the Gaussian and Lorentzian FWHMs.
    """
    g, l = gam_g, gam_l
    c = _TCH
    p5 = c[0] * g**5 + c[1] * g**4 * l + c[2] * g**3 * l**2 + c[3] * g**2 * l**3
    p5 = p5 + c[4] * g * l**4 + c[5] * l**5
    dp_dg = 5 * c[0] * g**4 + 4 * c[1] * g**3 * l + 3 * c[2] * g**2 * l**2
    dp_dg = dp_dg + 2 * c[3] * g * l**3 + c[4] * l**4
    dp_dl = c[1] * g**4 + 2 * c[2] * g**3 * l + 3 * c[3] * g**2 * l**2
    dp_dl = dp_dl + 4 * c[4] * g * l**3 + 5 * c[5] * l**4
    gam = p5**0.2
    dgam_dg = dp_dg / (5 * gam**4)
    dgam_dl = dp_dl / (5 * gam**4)
    q = l / gam
    eta = 1.36603 * q - 0.47719 * q * q + 0.11116 * q**3
    deta_dq = 1.36603 - 2 * 0.47719 * q + 3 * 0.11116 * q * q
    deta_dg = deta_dq * (-l / gam**2 * dgam_dg)
    deta_dl = deta_dq * (1.0 / gam - l / gam**2 * dgam_dl)
    return gam, eta, dgam_dg, dgam_dl, deta_dg, deta_dl


def pseudo_voigt(dx: np.ndarray, gam: np.ndarray, eta: np.ndarray, derivs: bool = False):
    """Unit-area pseudo-Voigt at offsets ``dx`` (deg) from its centre.

    Parameters
    ----------
    dx : ndarray
        2theta - centre (deg).
    gam : ndarray
        FWHM (deg), broadcastable to ``dx``.
    eta : ndarray
        Lorentzian fraction, broadcastable to ``dx``.
    derivs : bool
        Also return d/d(dx), d/d(gam) and d/d(eta).

    Returns
    -------
    val : ndarray
        Profile (deg^-1); with ``derivs`` a tuple (val, d_dx, d_dgam, d_deta).
    """
    ig = 1.0 / gam
    z = dx * ig
    u = 4.0 * z * z
    r = 1.0 / (1.0 + u)
    lor = (2.0 / np.pi) * ig * r
    gau = (2.0 * np.sqrt(LN2 / np.pi)) * ig * np.exp(-LN2 * u)
    dlg = lor - gau
    val = gau + eta * dlg
    if not derivs:
        return val
    # d/d(dx): lor' = -8 dx/gam^2 lor r, gau' = -8 ln2 dx/gam^2 gau
    s8 = 8.0 * z * ig
    lr = lor * r
    d_dx = -s8 * (eta * lr + (1.0 - eta) * LN2 * gau)
    # d/d(gam): lor' = lor (2u r - 1)/gam, gau' = gau (2 ln2 u - 1)/gam
    d_dgam = (eta * (2.0 * u * lr - lor) + (1.0 - eta) * gau * (2.0 * LN2 * u - 1.0)) * ig
    return val, d_dx, d_dgam, dlg


def lorentz_tail(dx: np.ndarray, gam: np.ndarray, eta: np.ndarray, derivs: bool = False):
    """The Lorentzian part ``eta L(dx)`` of the unit-area pseudo-Voigt, for its far tails.

    Beyond 8 FWHM from the centre the Gaussian part is below ``exp(-256 ln 2)`` of its
    peak, so there :func:`pseudo_voigt` equals this to rounding.

    Returns
    -------
    val : ndarray
        Profile (deg^-1); with ``derivs`` a tuple (val, d_dx, d_dgam, d_deta) as
        :func:`pseudo_voigt`.
    """
    ig = 1.0 / gam
    z = dx * ig
    u = 4.0 * z * z
    r = 1.0 / (1.0 + u)
    lor = (2.0 / np.pi) * ig * r
    val = eta * lor
    if not derivs:
        return val
    lr = lor * r
    d_dx = -8.0 * z * ig * eta * lr
    d_dgam = eta * (2.0 * u * lr - lor) * ig
    return val, d_dx, d_dgam, lor


@functools.lru_cache(maxsize=64)
def _leggauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (cached; read-only arrays)."""
    xg, wg = np.polynomial.legendre.leggauss(n)
    xg.flags.writeable = False
    wg.flags.writeable = False
    return xg, wg


def fcj_nodes(
    tth_deg: np.ndarray, shl: float, n: int, soller_rad: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature of the Finger-Cox-Jephcoat axial-divergence distribution.

    The observed peak is the pseudo-Voigt averaged over apparent centres
    ``2theta - delta_j`` with weights ``w_j`` (sum 1).

    A ray leaving the sample at height ``z_s`` and reaching the receiving slit at
    height ``z_d`` has the axial angle ``tan(beta) = (z_d - z_s) / L`` and is seen at
    ``cos(2phi) = cos(2theta) / cos(beta)``. With equal sample and slit half-heights
    (``S = H``, ``SH/L = (S + H)/L``) the density of ``tan(beta)`` is triangular, which is
    FCJ's ``W(2phi) = (S + H) - h``. Soller slits of half-acceptance ``soller_rad``
    multiply it by their triangular transmission ``max(1 - |beta| / soller_rad, 0)``
    (GSAS-II has no Soller term; without it the asymmetry of an instrument with Soller
    slits is mis-modelled and the zero / displacement / cell absorb the difference).

    Parameters
    ----------
    tth_deg : ndarray, shape (K,)
        Peak positions (deg).
    shl : float
        (S + H) / L, sample plus detector half-height over goniometer radius.
    n : int
        Number of Gauss-Legendre nodes (1 gives no asymmetry).
    soller_rad : float, optional
        Half-acceptance (rad) of the Soller slits; None or 0 for none.

    Returns
    -------
    delta : ndarray, shape (K, n)
        Shifts of the apparent centre (deg), positive towards low angle below
        90 deg and negative above.
    weight : ndarray, shape (K, n)
        Normalised weights.
    """
    tth = np.asarray(tth_deg, dtype=float)
    k = tth.size
    if n <= 1:
        return np.zeros((k, 1)), np.ones((k, 1))
    if shl <= 0:
        # the limit shl -> 0: every node at the Bragg position (same shape as for shl > 0,
        # so that finite differences in shl are possible)
        return np.zeros((k, n)), np.full((k, n), 1.0 / n)
    t = np.radians(tth)
    sign = np.where(t > np.pi / 2, -1.0, 1.0)
    t = np.where(t > np.pi / 2, np.pi - t, t)  # FCJ is mirror-symmetric about 90 deg
    ct = np.cos(t)
    hmax = shl if not soller_rad else min(shl, float(np.tan(soller_rad)))
    cmin = np.minimum(ct * np.sqrt(1.0 + hmax * hmax), 1.0)
    dmax = t - np.arccos(cmin)  # rad, >= 0
    xg, wg = _leggauss(n)
    u = 0.5 * (xg + 1.0)
    wu = 0.5 * wg
    delta = dmax[:, None] * u[None, :] ** 2
    phi2 = t[:, None] - delta
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.sqrt(np.maximum(np.cos(phi2) ** 2 / ct[:, None] ** 2 - 1.0, 0.0))
        wfun = np.maximum(shl - h, 0.0)
        if soller_rad:
            wfun = wfun * np.maximum(1.0 - np.arctan(h) / soller_rad, 0.0)
        dens = wfun / (h * np.abs(np.cos(phi2))) * (2.0 * dmax[:, None] * u[None, :])
    dens = np.where(np.isfinite(dens), dens, 0.0) * wu[None, :]
    tot = dens.sum(axis=1, keepdims=True)
    ok = (tot[:, 0] > 0) & (dmax > 1e-9)
    weight = np.where(ok[:, None], dens / np.where(tot > 0, tot, 1.0), 0.0)
    weight[~ok, 0] = 1.0
    delta = np.where(ok[:, None], delta, 0.0)
    return np.degrees(delta) * sign[:, None], weight


def windows(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ragged index arrays of the points of sorted ``x`` inside [lo_k, hi_k].

    Returns
    -------
    ii : ndarray of int
        Point indices, concatenated over peaks.
    pk : ndarray of int
        Peak index of each entry.
    """
    i0 = np.searchsorted(x, lo, side="left")
    i1 = np.searchsorted(x, hi, side="right")
    ln = np.maximum(i1 - i0, 0)
    pk = np.repeat(np.arange(lo.size), ln)
    start = np.cumsum(ln) - ln
    ii = np.arange(pk.size) - np.repeat(start - i0, ln)
    return ii, pk
