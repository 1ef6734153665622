"""Hexagonal / trigonal cell from two reflections, with propagated esds.

c = l d(00l); a from d(h0l) (or any hkl with h^2+hk+k^2 > 0) and c through
1/d^2 = 4/(3a^2)(h^2+hk+k^2) + l^2/c^2; V = (sqrt(3)/2) a^2 c. Peak
positions (K-alpha1, deg 2theta) are first corrected for a zero shift and a
sample displacement: 2theta_true = 2theta_obs - zero + 2 s cos(theta) / R.
Esds are propagated to first order from the (independent) esds of the two
peak positions, so the covariance of a and c is included in V; optionally an
error of the 2theta calibration common to both peaks is added (it moves both
positions together, see :mod:`intercal.operando.calibration`) and reported as
its own component (``*_esd_cal``).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .peaks import CU_KA1


def corrected_two_theta(
    two_theta_deg, zero_shift_deg: float = 0.0, displacement_mm: float = 0.0, radius_mm=240.0
):
    """Return 2theta corrected for zero shift and sample displacement (deg).

    Convention: 2theta_obs = 2theta_true + zero - 2 s cos(theta) / R, with the
    displacement s (mm, positive = sample surface below the focusing circle,
    peaks move to lower angle) on a goniometer of radius R (mm).
    """
    tt = np.asarray(two_theta_deg, float) - zero_shift_deg
    if displacement_mm:
        th = np.radians(tt / 2.0)
        tt = tt + np.degrees(2.0 * displacement_mm * np.cos(th) / radius_mm)
    return tt


def d_spacing(two_theta_deg, wavelength: float = CU_KA1):
    """Bragg d (angstrom) for 2theta (deg) at ``wavelength`` (angstrom)."""
    return wavelength / (2.0 * np.sin(np.radians(np.asarray(two_theta_deg, float) / 2.0)))


def hex_cells(tt_00l, tt_00l_esd, l_00l, tt_hkl, tt_hkl_esd, hkl, wavelength, shift_esd):
    """:func:`hex_cell` for arrays of scans (element by element, the same numbers).

    ``hkl`` is an (n, 3) integer array; the other arguments are arrays of length n
    (``shift_esd`` NaN where not propagated). Returns a dict of arrays ``a, a_esd,
    c, c_esd, V, V_esd`` (NaN where :func:`hex_cell` gives NaN).

    Raises
    ------
    InputError
        As :func:`hex_cell`: an hkl with h^2 + hk + k^2 <= 0 or a (00l) with l <= 0.
    """
    t1 = np.asarray(tt_00l, float)
    e1 = np.asarray(tt_00l_esd, float)
    l1 = np.asarray(l_00l, float)
    t2 = np.asarray(tt_hkl, float)
    e2 = np.asarray(tt_hkl_esd, float)
    hkl = np.asarray(hkl, int).reshape(-1, 3)
    lam = np.asarray(wavelength, float)
    sh = np.asarray(shift_esd, float)
    h, k, l = hkl[:, 0], hkl[:, 1], hkl[:, 2]
    m = h * h + h * k + k * k
    if np.any(m <= 0):
        raise InputError(
            f"reflection {tuple(hkl[m <= 0][0])}: h^2+hk+k^2 must be > 0 to determine a"
        )
    if np.any(l1 <= 0):
        raise InputError(f"(00l) reflection needs l > 0, got {int(l1[l1 <= 0][0])}")
    s0 = np.where(np.isfinite(sh), sh, 0.0)
    deg = math.radians(1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        th1 = np.radians(t1 / 2.0)
        d1 = lam / (2.0 * np.sin(th1))
        c = l1 * d1
        dd1 = -d1 / np.tan(th1) / 2.0 * deg
        dc = l1 * dd1
        c_cal = np.abs(dc) * s0
        c_esd = np.where(np.isfinite(e1), np.hypot(np.abs(dc) * e1, c_cal), np.nan)
        th2 = np.radians(t2 / 2.0)
        d2 = lam / (2.0 * np.sin(th2))
        u = 1.0 / d2**2 - l * l / c**2
        ok = np.isfinite(t1) & np.isfinite(t2) & (u > 0)
        u = np.where(ok, u, np.nan)
        a = np.sqrt(4.0 * m / (3.0 * u))
        dd2 = -d2 / np.tan(th2) / 2.0 * deg
        da_du = -a / (2.0 * u)
        da_dt2 = da_du * (-2.0 / d2**3) * dd2
        da_dt1 = da_du * (2.0 * l * l / c**3) * dc
        V = math.sqrt(3.0) / 2.0 * a * a * c
        dV_dt1 = V * (2.0 * da_dt1 / a + dc / c)
        dV_dt2 = V * 2.0 * da_dt2 / a
        a_cal = np.abs(da_dt1 + da_dt2) * s0
        V_cal = np.abs(dV_dt1 + dV_dt2) * s0
        a_esd = np.sqrt((da_dt1 * e1) ** 2 + (da_dt2 * e2) ** 2 + a_cal**2)
        V_esd = np.sqrt((dV_dt1 * e1) ** 2 + (dV_dt2 * e2) ** 2 + V_cal**2)
    bad1 = ~np.isfinite(t1)
    c, c_esd = np.where(bad1, np.nan, c), np.where(bad1, np.nan, c_esd)
    return {"a": a, "a_esd": a_esd, "c": c, "c_esd": c_esd, "V": V, "V_esd": V_esd}


def hex_cell(
    tt_00l: float,
    tt_00l_esd: float,
    l_00l: int,
    tt_hkl: float,
    tt_hkl_esd: float,
    hkl: tuple[int, int, int],
    wavelength: float = CU_KA1,
    shift_esd: float = math.nan,
    shift_weights: tuple[float, float] = (1.0, 1.0),
) -> dict[str, float]:
    """a, c, V and their esds from one (00l) and one general reflection.

    Parameters
    ----------
    tt_00l, tt_00l_esd : float
        Corrected 2theta of the (00l) reflection and its esd (deg).
    l_00l : int
        Its index l.
    tt_hkl, tt_hkl_esd : float
        Corrected 2theta of the general reflection and its esd (deg); NaN when
        it was not measured (then a and V are NaN).
    hkl : tuple of int
        Its Miller indices; h^2 + hk + k^2 must be > 0.
    wavelength : float
        Wavelength of the fitted component (angstrom).
    shift_esd : float
        Esd of the 2theta calibration (deg), common to both peaks; NaN = not
        propagated (the ``*_esd_cal`` components are then NaN).
    shift_weights : (float, float)
        How much the correction at the (00l) and at the general reflection
        moves per unit of calibrated shift (1, 1 for a zero shift; cos ratios
        for a displacement).

    Returns
    -------
    dict
        ``a, a_esd, c, c_esd, V, V_esd`` (angstrom, angstrom^3; esds include the
        calibration part when ``shift_esd`` is finite) and the calibration parts
        ``a_esd_cal, c_esd_cal, V_esd_cal``; NaN when not defined (e.g. d(hkl)
        incompatible with c).
    """
    h, k, l = hkl
    m = h * h + h * k + k * k
    if m <= 0:
        raise InputError(f"reflection {hkl}: h^2+hk+k^2 must be > 0 to determine a")
    if l_00l <= 0:
        raise InputError(f"(00l) reflection needs l > 0, got {l_00l}")
    nan = math.nan
    out = dict(a=nan, a_esd=nan, c=nan, c_esd=nan, V=nan, V_esd=nan)
    out.update(a_esd_cal=nan, c_esd_cal=nan, V_esd_cal=nan)
    s0 = shift_esd if np.isfinite(shift_esd) else 0.0
    w1, w2 = shift_weights
    if not np.isfinite(tt_00l):
        return out
    th1 = math.radians(tt_00l / 2.0)
    d1 = wavelength / (2.0 * math.sin(th1))
    c = l_00l * d1
    # dd/d(2theta) = -d cot(theta) / 2 per radian of 2theta
    dd1 = -d1 / math.tan(th1) / 2.0 * math.radians(1.0)  # per deg 2theta
    dc = l_00l * dd1
    out["c"] = c
    c_cal = abs(dc * w1) * s0
    out["c_esd"] = math.hypot(abs(dc) * tt_00l_esd, c_cal) if np.isfinite(tt_00l_esd) else nan
    out["c_esd_cal"] = c_cal if np.isfinite(shift_esd) else nan
    if not np.isfinite(tt_hkl):
        return out
    th2 = math.radians(tt_hkl / 2.0)
    d2 = wavelength / (2.0 * math.sin(th2))
    u = 1.0 / d2**2 - l * l / c**2
    if u <= 0:
        return out
    a = math.sqrt(4.0 * m / (3.0 * u))
    dd2 = -d2 / math.tan(th2) / 2.0 * math.radians(1.0)
    # a = sqrt(4m/3) u^-1/2 ; da/du = -a/(2u)
    da_du = -a / (2.0 * u)
    du_dd2 = -2.0 / d2**3
    du_dc = 2.0 * l * l / c**3
    da_dt2 = da_du * du_dd2 * dd2
    da_dt1 = da_du * du_dc * dc
    V = math.sqrt(3.0) / 2.0 * a * a * c
    dV_dt1 = V * (2.0 * da_dt1 / a + dc / c)
    dV_dt2 = V * 2.0 * da_dt2 / a
    s1 = tt_00l_esd if np.isfinite(tt_00l_esd) else nan
    s2 = tt_hkl_esd if np.isfinite(tt_hkl_esd) else nan
    # the calibration moves both corrected positions together
    a_cal = abs(da_dt1 * w1 + da_dt2 * w2) * s0
    V_cal = abs(dV_dt1 * w1 + dV_dt2 * w2) * s0
    out["a"] = a
    out["a_esd"] = math.sqrt((da_dt1 * s1) ** 2 + (da_dt2 * s2) ** 2 + a_cal**2)
    out["V"] = V
    out["V_esd"] = math.sqrt((dV_dt1 * s1) ** 2 + (dV_dt2 * s2) ** 2 + V_cal**2)
    if np.isfinite(shift_esd):
        out.update(a_esd_cal=a_cal, V_esd_cal=V_cal)
    return out


def two_theta_hex(a: float, c: float, hkl: tuple[int, int, int], wavelength: float = CU_KA1):
    """2theta (deg) of reflection ``hkl`` of a hexagonal cell (a, c in angstrom)."""
    h, k, l = hkl
    inv_d2 = 4.0 / (3.0 * a * a) * (h * h + h * k + k * k) + l * l / (c * c)
    s = wavelength * math.sqrt(inv_d2) / 2.0
    if s >= 1.0:
        return math.nan
    return 2.0 * math.degrees(math.asin(s))


def cell_volume(a, c):
    """V = (sqrt(3)/2) a^2 c (angstrom^3)."""
    return math.sqrt(3.0) / 2.0 * np.asarray(a) ** 2 * np.asarray(c)
