"""Cyclic voltammetry: cycle split, baseline-corrected peaks, Randles-Sevcik diffusion coefficients.

Randles-Sevcik at 25 C: Ip = 2.69e5 n^1.5 A C D^0.5 v^0.5 with Ip in A,
A in cm2, C in mol/cm3, D in cm2/s and v in V/s. The slope of Ip against
v^0.5 (A (V/s)^-0.5) gives D = (slope / (2.69e5 n^1.5 A C))^2 with
esd(D) = 2 D esd(slope)/slope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import FitError, InputError

RS_CONSTANT = 2.69e5  # C mol^-1 V^-0.5 (= 0.4463 F^1.5 (RT)^-0.5 at 298 K)


def sweeps(table: pd.DataFrame) -> pd.DataFrame:
    """Label each row with its sweep direction (-1 cathodic, +1 anodic) and CV cycle.

    The direction is the sign of dE/dt of the working-electrode potential,
    smoothed over neighbouring points; the cycle is the instrument's
    ``cycle`` column.
    """
    if "voltage_V" not in table or "current_mA" not in table:
        raise InputError("CV table needs voltage_V and current_mA columns")
    e = table["voltage_V"].to_numpy(float)
    de = np.gradient(e)
    k = 5
    de_s = np.convolve(de, np.ones(k) / k, mode="same")
    direction = np.where(de_s < 0, -1, 1)
    out = table.copy()
    out["sweep"] = direction
    return out


def _peak(e: np.ndarray, i: np.ndarray, sign: int, half_width_V: float) -> tuple[float, float, int]:
    """Peak of sign*i: the extremum refined by a parabola over +-half_width_V."""
    k = int(np.argmax(sign * i))
    m = np.abs(e - e[k]) <= half_width_V
    if m.sum() < 5:
        return float(e[k]), float(i[k]), k
    c = np.polyfit(e[m] - e[k], sign * i[m], 2)
    if c[0] >= 0:
        return float(e[k]), float(i[k]), k
    x0 = -c[1] / (2 * c[0])
    if abs(x0) > half_width_V:
        return float(e[k]), float(i[k]), k
    return float(e[k] + x0), float(sign * np.polyval(c, x0)), k


def peaks(
    table: pd.DataFrame,
    *,
    cycle: int,
    cathodic_window: tuple[float, float] | None = None,
    anodic_window: tuple[float, float] | None = None,
    cathodic_baseline: tuple[float, float] | None = None,
    anodic_baseline: tuple[float, float] | None = None,
    half_width_V: float = 0.02,
) -> dict[str, float]:
    """Baseline-corrected cathodic and anodic peak of one CV cycle.

    Parameters
    ----------
    table : DataFrame
        Tidy CV table (``voltage_V``, ``current_mA``, ``cycle``).
    cycle : int
        Instrument cycle number to analyse.
    cathodic_window, anodic_window : (float, float), optional
        Potential ranges (V) that contain the peaks (default: the whole sweep).
    cathodic_baseline, anodic_baseline : (float, float), optional
        Potential ranges (V) before each peak (in sweep direction) where the
        current is the background (capacitive + decaying tail of the previous
        sweep); a straight line fitted there is extrapolated under the peak.
        Without one the peak current is taken from zero (``baseline_*`` NaN).
    half_width_V : float
        Half width (V) of the parabola that refines the peak.

    Returns
    -------
    dict
        ``Epc_V``, ``Ipc_mA`` (baseline-corrected, negative), ``Epa_V``,
        ``Ipa_mA`` (positive), and the raw (uncorrected) peak currents.
    """
    sw = sweeps(table)
    sel = sw[sw["cycle"] == cycle]
    if sel.empty:
        raise InputError(f"CV has no cycle {cycle}; cycles present {sorted(sw['cycle'].unique())}")
    out: dict[str, float] = {}
    for name, sign, win, base in (
        ("c", -1, cathodic_window, cathodic_baseline),
        ("a", 1, anodic_window, anodic_baseline),
    ):
        s = sel[sel["sweep"] == sign]
        e = s["voltage_V"].to_numpy()
        i = s["current_mA"].to_numpy()
        if win is None:
            win = (float(e.min()), float(e.max())) if e.size else (0.0, 0.0)
        mw = (e >= min(win)) & (e <= max(win))
        if base is None:
            if mw.sum() < 5:
                raise InputError(f"cycle {cycle}: sweep {sign} has {mw.sum()} points; need >= 5")
            ep, ip, _ = _peak(e[mw], i[mw], sign, half_width_V)
            out[f"Ep{name}_V"] = ep
            out[f"Ip{name}_mA"] = ip
            out[f"Ip{name}_raw_mA"] = ip
            out[f"baseline_{name}_slope_mA_V"] = np.nan
            out[f"baseline_{name}_intercept_mA"] = np.nan
            continue
        mb = (e >= min(base)) & (e <= max(base))
        if mb.sum() < 3 or mw.sum() < 5:
            raise InputError(
                f"cycle {cycle}: the {'cathodic' if sign < 0 else 'anodic'} sweep has "
                f"{mb.sum()} points in the baseline range {base} V and {mw.sum()} in the peak "
                f"window {win} V; need >= 3 and >= 5"
            )
        coef = np.polyfit(e[mb], i[mb], 1)
        corr = i - np.polyval(coef, e)
        ep, ip, _ = _peak(e[mw], corr[mw], sign, half_width_V)
        _, ip_raw, _ = _peak(e[mw], i[mw], sign, half_width_V)
        out[f"Ep{name}_V"] = ep
        out[f"Ip{name}_mA"] = ip
        out[f"Ip{name}_raw_mA"] = ip_raw
        out[f"baseline_{name}_slope_mA_V"] = float(coef[0])
        out[f"baseline_{name}_intercept_mA"] = float(coef[1])
    return out


def linear_fit(x: np.ndarray, y: np.ndarray, through_origin: bool = False) -> dict[str, float]:
    """Least-squares line y = a + b x with standard errors (residual-scaled).

    Returns ``slope``, ``slope_stderr``, ``intercept``, ``intercept_stderr``,
    ``r2``, ``n``, ``scaled_by_redchi`` (always True: the esds are scaled by
    the residual variance, since the points carry no independent errors).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = x.size
    p = 1 if through_origin else 2
    if n <= p:
        raise FitError(f"need more than {p} points for the line fit, got {n}")
    a = x[:, None] if through_origin else np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    s2 = float(resid @ resid) / (n - p)
    cov = s2 * np.linalg.inv(a.T @ a)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(resid @ resid) / ss_tot if ss_tot > 0 else np.nan
    if through_origin:
        return {
            "slope": float(coef[0]),
            "slope_stderr": float(np.sqrt(cov[0, 0])),
            "intercept": 0.0,
            "intercept_stderr": np.nan,
            "r2": r2,
            "n": n,
            "scaled_by_redchi": True,
        }
    return {
        "slope": float(coef[1]),
        "slope_stderr": float(np.sqrt(cov[1, 1])),
        "intercept": float(coef[0]),
        "intercept_stderr": float(np.sqrt(cov[0, 0])),
        "r2": r2,
        "n": n,
        "scaled_by_redchi": True,
    }


def randles_sevcik(
    scan_rates_mV_s: np.ndarray,
    peak_currents_mA: np.ndarray,
    *,
    area_cm2: float,
    concentration_mol_cm3: float,
    n_electrons: float = 1.0,
    through_origin: bool = False,
) -> dict[str, float]:
    """Diffusion coefficient from Ip vs v^0.5 (Randles-Sevcik).

    Parameters
    ----------
    scan_rates_mV_s : array
        Scan rates (mV/s).
    peak_currents_mA : array
        Baseline-corrected peak currents (mA; the sign is dropped).
    area_cm2, concentration_mol_cm3 : float
        Electrode area (cm2) and Li concentration (mol/cm3).
    n_electrons : float
        Electrons per Li.
    through_origin : bool
        Fit Ip = b v^0.5 (no intercept).

    Returns
    -------
    dict
        Line fit of |Ip| (A) vs v^0.5 ((V/s)^0.5) plus ``D_cm2_s`` and
        ``D_stderr_cm2_s``.
    """
    if area_cm2 <= 0 or concentration_mol_cm3 <= 0:
        raise InputError(
            f"area_cm2 and concentration_mol_cm3 must be > 0; got {area_cm2}, "
            f"{concentration_mol_cm3}"
        )
    v = np.asarray(scan_rates_mV_s, float) / 1000.0
    ip = np.abs(np.asarray(peak_currents_mA, float)) / 1000.0
    fit = linear_fit(np.sqrt(v), ip, through_origin=through_origin)
    k = RS_CONSTANT * n_electrons**1.5 * area_cm2 * concentration_mol_cm3
    d = (fit["slope"] / k) ** 2
    fit["D_cm2_s"] = d
    fit["D_stderr_cm2_s"] = 2 * d * fit["slope_stderr"] / abs(fit["slope"])
    return fit


def sweep_charges(table: pd.DataFrame, *, cycle: int) -> dict[str, float]:
    """Charge passed (mAh, positive) in the cathodic and the anodic sweep of one CV cycle.

    The current of the sweep's own sign (reduction in the cathodic sweep,
    oxidation in the anodic one) is integrated over time (trapezoid rule),
    faradaic and capacitive parts together. Compare it with the electrode's
    capacity: a sweep that passes a sizeable fraction of it (or more) is not
    the semi-infinite diffusion that Randles-Sevcik assumes.

    Returns
    -------
    dict
        ``charge_cathodic_mAh``, ``charge_anodic_mAh``.
    """
    if "time_s" not in table:
        raise InputError("CV table needs a time_s column to integrate the current")
    sw = sweeps(table)
    sel = sw[sw["cycle"] == cycle]
    if sel.empty:
        raise InputError(f"CV has no cycle {cycle}; cycles present {sorted(sw['cycle'].unique())}")
    out = {}
    for name, sign in (("cathodic", -1), ("anodic", 1)):
        s = sel[sel["sweep"] == sign]
        t = s["time_s"].to_numpy(float)
        i = s["current_mA"].to_numpy(float)
        # integrate only within contiguous runs of this sweep (a gap is the other sweep)
        gap = np.r_[False, np.diff(s.index.to_numpy()) > 1]
        # the sweep's own direction: reduction charge in the cathodic sweep, oxidation in the
        # anodic one (the tail of the previous sweep's reaction is not counted)
        own = np.clip(sign * i, 0.0, None)
        q = 0.0
        for run in np.split(np.arange(t.size), np.flatnonzero(gap)):
            if run.size > 1:
                q += float(np.trapezoid(own[run], t[run]))
        out[f"charge_{name}_mAh"] = q / 3600.0
    return out


def b_value(scan_rates_mV_s: np.ndarray, peak_currents_mA: np.ndarray) -> dict[str, float]:
    """Power-law exponent b of |Ip| = a v^b (log-log line fit, residual-scaled esd).

    b = 0.5 for semi-infinite diffusion control, 1 for surface (capacitive or
    thin-film) control.

    Returns
    -------
    dict
        ``b``, ``b_stderr``, ``b_r2``, ``b_n``.
    """
    v = np.asarray(scan_rates_mV_s, float)
    ip = np.abs(np.asarray(peak_currents_mA, float))
    if np.any(v <= 0) or np.any(ip <= 0):
        raise InputError("b-value needs positive scan rates and non-zero peak currents")
    fit = linear_fit(np.log10(v), np.log10(ip))
    return {"b": fit["slope"], "b_stderr": fit["slope_stderr"], "b_r2": fit["r2"], "b_n": fit["n"]}
