"""Pre-edge peaks: the window from the data, and a fit result that says when it failed.

:func:`find_preedge_window` locates the pre-edge peak below the edge as the
deepest minimum of the second derivative of the (lightly smoothed) normalized
spectrum, searched between ``search[0]`` eV below E0 and the edge onset, and
returns the window of allowed peak centres between the zero crossings that
flank it. The choice (method, window, curvature) is returned for the record.

:func:`summarize_preedge` turns the pre-edge peaks of an edge fit into what a
Larch/Athena user reports, the centroid (area-weighted mean centre, eV) and
the integrated area (normalized units x eV), each with a standard error from
the fit covariance, plus QC flags:

``preedge_area_insignificant``
    area / stderr below ``min_significance`` (the peak may not be there);
``preedge_at_bound``
    a peak centre within ``bound_tol_eV`` of its window bound (the fit would
    have gone further);
``preedge_esd_nan``
    no finite standard error;
``preedge_not_detected``
    no curvature minimum below the edge (no fit was made).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


def _uniform(energy: np.ndarray, y: np.ndarray, lo: float, hi: float, step: float):
    grid = np.arange(lo, hi + 0.5 * step, step)
    return grid, np.interp(grid, energy, y)


def find_preedge_window(
    energy: np.ndarray,
    norm: np.ndarray,
    e0: float,
    *,
    search: tuple[float, float] = (-25.0, -1.0),
    smooth_eV: float = 0.6,
    onset_level: float = 0.5,
    margin_eV: float = 0.5,
    source: str = "spectrum",
) -> dict:
    """Window of the pre-edge peak centre from the second derivative of the spectrum.

    Parameters
    ----------
    energy, norm : ndarray
        Calibrated energy (eV) and normalized absorption.
    e0 : float
        Edge energy (eV).
    search : (float, float)
        Search range relative to ``e0`` (eV); its upper end is lowered to the
        edge onset (the last energy below ``e0`` where the smoothed normalized
        absorption is below ``onset_level``).
    smooth_eV : float
        Gaussian smoothing sigma (eV) before differentiating.
    onset_level : float
        Normalized absorption that marks the edge onset.
    margin_eV : float
        Added on each side of the zero-crossing interval.
    source : str
        Name for messages.

    Returns
    -------
    dict
        ``found`` (bool), ``center_eV`` (curvature minimum), ``window_eV``
        (absolute [lo, hi]), ``onset_eV``, ``search_eV`` (absolute), ``method``.
    """
    from scipy.ndimage import gaussian_filter1d

    lo_abs, hi_abs = e0 + search[0], e0 + search[1]
    if lo_abs < energy[0] or hi_abs > energy[-1]:
        raise InputError(
            f"{source}: pre-edge search range {lo_abs:.1f}-{hi_abs:.1f} eV is outside the scan "
            f"({energy[0]:.1f}-{energy[-1]:.1f} eV)"
        )
    sel = (energy >= lo_abs - 10) & (energy <= e0 + 5)
    step = max(float(np.median(np.diff(energy[sel]))), 0.05)
    grid, y = _uniform(energy, norm, lo_abs - 10, e0 + 5, step)
    ys = gaussian_filter1d(y, smooth_eV / step, mode="nearest")
    d2 = np.gradient(np.gradient(ys, grid), grid)
    below = np.flatnonzero((grid < e0) & (ys < onset_level))
    onset = float(grid[below[-1]]) if below.size else float(e0)
    hi_eff = min(hi_abs, onset)
    out = {
        "found": False,
        "center_eV": math.nan,
        "window_eV": [math.nan, math.nan],
        "onset_eV": onset,
        "search_eV": [lo_abs, hi_eff],
        "method": "second_derivative",
    }
    idx = np.flatnonzero((grid >= lo_abs) & (grid <= hi_eff))
    if idx.size < 5:
        return out
    # local minima of d2 inside the search range, deepest first
    inner = idx[1:-1]
    mins = inner[(d2[inner] < d2[inner - 1]) & (d2[inner] <= d2[inner + 1]) & (d2[inner] < 0)]
    if mins.size == 0:
        return out
    i = int(mins[np.argmin(d2[mins])])
    left = i
    while left > 0 and d2[left] < 0:
        left -= 1
    right = i
    while right < grid.size - 1 and d2[right] < 0:
        right += 1
    out.update(
        {
            "found": True,
            "center_eV": float(grid[i]),
            "window_eV": [float(grid[left] - margin_eV), float(grid[right] + margin_eV)],
            "curvature": float(d2[i]),
        }
    )
    return out


def summarize_preedge(
    params: dict,
    covar: np.ndarray | None,
    var_names: list[str],
    n_pre: int,
    windows: list[tuple[float, float]],
    *,
    min_significance: float = 3.0,
    bound_tol_eV: float = 0.05,
) -> dict:
    """Centroid and integrated area of the pre-edge peaks, with errors and QC flags.

    Parameters
    ----------
    params : dict
        Name -> (value, stderr) of the edge fit (peaks ``pre1_`` .. ``pre<n>_``
        with ``amplitude`` = area and ``center``).
    covar : ndarray or None
        Covariance matrix of the varied parameters (order ``var_names``).
    var_names : list of str
        Names of the varied parameters.
    n_pre : int
        Number of pre-edge peaks.
    windows : list of (float, float)
        Allowed centre range (eV, absolute) of each peak.
    min_significance : float
        Smallest area / stderr of a clean result.
    bound_tol_eV : float
        A centre closer than this to a bound is flagged.

    Returns
    -------
    dict
        ``centroid_eV``, ``centroid_stderr_eV``, ``area``, ``area_stderr``,
        ``flags`` (list of str).
    """
    flags: list[str] = []
    amps = [f"pre{k + 1}_amplitude" for k in range(n_pre)]
    cens = [f"pre{k + 1}_center" for k in range(n_pre)]
    a = np.array([params[n][0] for n in amps])
    c = np.array([params[n][0] for n in cens])
    area = float(a.sum())
    centroid = float(np.sum(a * c) / area) if area > 0 else math.nan
    # gradients with respect to (amplitudes, centres)
    names = amps + cens
    if covar is not None and all(n in var_names for n in names):
        j = [var_names.index(n) for n in names]
        cov = np.asarray(covar)[np.ix_(j, j)]
        g_area = np.concatenate([np.ones(n_pre), np.zeros(n_pre)])
        if area > 0:
            g_cen = np.concatenate([(c - centroid) / area, a / area])
        else:
            g_cen = np.full(2 * n_pre, np.nan)
        area_err = float(np.sqrt(max(g_area @ cov @ g_area, 0.0)))
        cen_err = float(np.sqrt(g_cen @ cov @ g_cen)) if np.all(np.isfinite(g_cen)) else math.nan
    else:
        area_err = cen_err = math.nan
    if not (np.isfinite(area_err) and np.isfinite(cen_err)):
        flags.append("preedge_esd_nan")
    elif area < min_significance * area_err:
        flags.append("preedge_area_insignificant")
    for k, (lo, hi) in enumerate(windows):
        if min(c[k] - lo, hi - c[k]) <= bound_tol_eV:
            flags.append(f"preedge_at_bound:pre{k + 1}_center")
    return {
        "centroid_eV": centroid,
        "centroid_stderr_eV": cen_err,
        "area": area,
        "area_stderr": area_err,
        "flags": flags,
    }
