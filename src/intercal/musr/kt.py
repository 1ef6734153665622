"""Gaussian Kubo-Toyabe relaxation functions (static and dynamic, ZF and LF).

Conventions: time ``t`` in microseconds, field width ``delta`` in us^-1
(Delta = gamma_mu * sqrt(<B_loc^2>/3)), hop rate ``nu`` in MHz (us^-1) and the
longitudinal field ``field_G`` in gauss. All functions return the muon
polarisation G(t) with G(0) = 1.

The dynamic function solves the strong-collision model exactly,

    G(t) = g(t) + nu * integral_0^t g(tau) G(t - tau) dtau,   g(t) = g_static(t) exp(-nu t),

as a Volterra equation of the second kind: trapezoidal convolution weights on a
uniform grid (an exactly lower-triangular Toeplitz system, inverted as a power
series by Newton iteration with FFT products, O(N log N)), Richardson
extrapolation of the grids h and h/2 (error O(h^4)) and 4-point Lagrange
interpolation onto the requested times. The default step keeps the error below
1e-6 (tests compare with converged reference values to 1e-5).
Mantid's DynamicKuboToyabe uses a first-order recursion on its bin width and
differs by ~6e-3 at the default 0.05 us.
"""

from __future__ import annotations

import numpy as np
from scipy.special import dawsn, wofz

from ..errors import InputError

#: muon gyromagnetic ratio gamma_mu (rad us^-1 G^-1) = 2 pi * 0.01355342 MHz/G
GAMMA_MU = 2.0 * np.pi * 0.01355342


def _check(delta: float, nu: float = 0.0) -> None:
    if not np.isfinite(delta) or delta < 0:
        raise InputError(f"Kubo-Toyabe: delta must be finite and >= 0 (us^-1), got {delta!r}")
    if not np.isfinite(nu) or nu < 0:
        raise InputError(f"Kubo-Toyabe: nu must be finite and >= 0 (MHz), got {nu!r}")


def static_kt_zf(t, delta: float) -> np.ndarray:
    """Static Gaussian Kubo-Toyabe function in zero field.

    Parameters
    ----------
    t : array_like
        Time (us).
    delta : float
        Field width (us^-1).

    Returns
    -------
    numpy.ndarray
        G(t) = 1/3 + 2/3 (1 - Delta^2 t^2) exp(-Delta^2 t^2 / 2).
    """
    _check(delta)
    x = (delta * np.asarray(t, dtype=float)) ** 2
    return 1.0 / 3.0 + 2.0 / 3.0 * (1.0 - x) * np.exp(-0.5 * x)


#: below this omega/Delta the LF formula cancels catastrophically; ZF is used
LF_ZERO_FIELD_RATIO = 1e-3


def static_kt_lf(t, delta: float, field_G: float) -> np.ndarray:
    """Static Gaussian Kubo-Toyabe function in a longitudinal field.

    G = 1 - 2D^2/w^2 (1 - exp(-D^2 t^2/2) cos wt) + 2D^4/w^3 int_0^t exp(-D^2 s^2/2) sin ws ds,
    with the integral in closed form through the Faddeeva and Dawson functions
    (no quadrature error).

    Parameters
    ----------
    t : array_like
        Time (us).
    delta : float
        Field width (us^-1).
    field_G : float
        Longitudinal field (G); |B| is used. For omega/Delta below
        :data:`LF_ZERO_FIELD_RATIO` the zero-field function is returned.

    Returns
    -------
    numpy.ndarray
        G(t).
    """
    _check(delta)
    t = np.asarray(t, dtype=float)
    omega = GAMMA_MU * abs(float(field_G))
    if delta == 0:
        return np.ones_like(t)
    if omega <= LF_ZERO_FIELD_RATIO * delta:
        return static_kt_zf(t, delta)
    a = 0.5 * delta**2
    sa = np.sqrt(a)
    x = sa * t
    y = omega / (2.0 * sa)
    # int_0^t exp(-a s^2) sin(w s) ds, exactly
    integral = (
        -np.sqrt(np.pi) / (2.0 * sa) * np.imag(np.exp(-(x**2) + 2j * x * y) * wofz(y + 1j * x))
        + dawsn(y) / sa
    )
    r2 = delta**2 / omega**2
    return (
        1.0
        - 2.0 * r2 * (1.0 - np.exp(-0.5 * (delta * t) ** 2) * np.cos(omega * t))
        + 2.0 * delta**4 / omega**3 * integral
    )


def static_kt(t, delta: float, field_G: float = 0.0) -> np.ndarray:
    """Static Gaussian KT in zero (``field_G == 0``) or longitudinal field."""
    if field_G == 0:
        return static_kt_zf(t, delta)
    return static_kt_lf(t, delta, field_G)


def _rconv(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` coefficients of the linear convolution of a and b (FFT)."""
    m = len(a) + len(b) - 1
    size = 1 << (m - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)
    return out[:n]


def _series_inverse(a: np.ndarray, n: int) -> np.ndarray:
    """Power-series reciprocal of ``a`` modulo z^n (Newton iteration, a[0] != 0)."""
    q = np.array([1.0 / a[0]])
    m = 1
    while m < n:
        m2 = min(2 * m, n)
        e = -_rconv(a[:m2], q, m2)
        e[0] += 2.0
        q = _rconv(q, e, m2)
        m = m2
    return q


def _volterra_trapezoid(f: np.ndarray, nu: float, h: float) -> np.ndarray:
    """Solve G = f + nu f*G on the grid t_j = j h with trapezoidal weights."""
    n = len(f) - 1
    out = np.empty_like(f)
    out[0] = f[0]
    if n == 0:
        return out
    c = f[:n].copy()
    c[0] *= 0.5
    a = -nu * h * c
    a[0] += 1.0
    b = f[1:] * (1.0 + 0.5 * nu * h * f[0])
    out[1:] = _rconv(b, _series_inverse(a, n), n)
    return out


def _lagrange4(grid_h: float, values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cubic (4-point) Lagrange interpolation on a uniform grid starting at 0."""
    n = len(values)
    u = t / grid_h
    i = np.clip(np.floor(u).astype(int) - 1, 0, n - 4)
    s = u - i
    v0, v1, v2, v3 = values[i], values[i + 1], values[i + 2], values[i + 3]
    return (
        -v0 * (s - 1) * (s - 2) * (s - 3) / 6
        + v1 * s * (s - 2) * (s - 3) / 2
        - v2 * s * (s - 1) * (s - 3) / 2
        + v3 * s * (s - 1) * (s - 2) / 6
    )


def default_step(delta: float, nu: float, field_G: float = 0.0) -> float:
    """Coarse grid step (us) for :func:`dynamic_kt`: 0.04 / max(Delta, nu, omega), <= 0.02."""
    rate = max(delta, nu, GAMMA_MU * abs(field_G), 1e-6)
    return min(0.02, 0.04 / rate)


def dynamic_kt(t, delta: float, nu: float, field_G: float = 0.0, step: float | None = None):
    """Dynamic Gaussian Kubo-Toyabe function (strong collision), ZF or LF, solved exactly.

    Parameters
    ----------
    t : array_like
        Times (us), >= 0.
    delta : float
        Field width (us^-1).
    nu : float
        Hop (fluctuation) rate (MHz).
    field_G : float
        Longitudinal field (G); 0 for zero field.
    step : float, optional
        Coarse grid step (us); default :func:`default_step`. The solution on
        ``step`` and ``step/2`` is Richardson-extrapolated.

    Returns
    -------
    numpy.ndarray
        G(t).
    """
    _check(delta, nu)
    t = np.asarray(t, dtype=float)
    if t.size and np.nanmin(t) < 0:
        raise InputError("dynamic_kt: times must be >= 0 us")
    if nu == 0 or delta == 0:
        return static_kt(t, delta, field_G)
    h = default_step(delta, nu, field_G) if step is None else float(step)
    tmax = float(np.max(t)) if t.size else 0.0
    n = max(int(np.ceil(tmax / h)) + 3, 4)
    fine = np.arange(2 * n + 1) * (0.5 * h)
    f = static_kt(fine, delta, field_G) * np.exp(-nu * fine)
    g_fine = _volterra_trapezoid(f, nu, 0.5 * h)
    g_coarse = _volterra_trapezoid(f[::2], nu, h)
    g = (4.0 * g_fine[::2] - g_coarse) / 3.0
    return _lagrange4(h, g, t)


def keren(t, delta: float, nu: float, field_G: float = 0.0) -> np.ndarray:
    """Keren's analytic approximation to the dynamic Gaussian KT in LF (PRB 50, 10039).

    Valid for nu not small compared with Delta (motional narrowing); offered
    as an option, not the default.
    """
    _check(delta, nu)
    t = np.asarray(t, dtype=float)
    w = GAMMA_MU * abs(field_G)
    s = w**2 + nu**2
    if s == 0:
        return static_kt_zf(t, delta)
    gamma_t = (
        2.0
        * delta**2
        / s**2
        * (
            s * nu * t
            + (w**2 - nu**2) * (1.0 - np.exp(-nu * t) * np.cos(w * t))
            - 2.0 * nu * w * np.exp(-nu * t) * np.sin(w * t)
        )
    )
    return np.exp(-gamma_t)


def kubo_toyabe(t, delta: float, nu: float = 0.0, field_G: float = 0.0, method: str = "exact"):
    """Gaussian KT polarisation: ``method`` "exact" (Volterra) or "keren"."""
    if method == "exact":
        return dynamic_kt(t, delta, nu, field_G)
    if method == "keren":
        return keren(t, delta, nu, field_G)
    raise InputError(f"kubo_toyabe: method must be 'exact' or 'keren', got {method!r}")
