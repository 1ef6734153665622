"""Reduction of muon histograms: dead time, grouping, background, asymmetry, window, rebin.

All functions are pure (numpy in, numpy/pandas out). Variances follow Poisson
statistics of the raw counts propagated through every step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.muon import MuonRun


def dead_time_correct(
    counts: np.ndarray,
    dead_time_us: np.ndarray,
    bin_width_us: float,
    good_frames: int,
    *,
    path: str = "<counts>",
) -> tuple[np.ndarray, np.ndarray]:
    """Non-paralysable dead-time correction N = M / (1 - M tau / (dt * frames)).

    Parameters
    ----------
    counts : ndarray (n_spectra, n_bins)
        Measured counts M.
    dead_time_us : ndarray (n_spectra,)
        Dead time per spectrum (us).
    bin_width_us : float
        Bin width dt (us).
    good_frames : int
        Number of good frames the histograms were summed over.
    path : str
        File name for error messages.

    Returns
    -------
    corrected, variance : ndarray
        Corrected counts and their Poisson variance M / (1 - M tau/(dt F))^4.
    """
    counts = np.asarray(counts, dtype=float)
    if dead_time_us is None:
        raise InputError(f"{path}: field 'dead_time': missing, needed for dead-time correction")
    if good_frames is None or good_frames <= 0:
        raise InputError(
            f"{path}: field 'good_frames': missing or <= 0 ({good_frames!r}), "
            "needed for dead-time correction"
        )
    tau = np.asarray(dead_time_us, dtype=float).reshape(-1, 1)
    if tau.shape[0] != counts.shape[0]:
        raise InputError(
            f"{path}: field 'dead_time': {tau.shape[0]} values for {counts.shape[0]} spectra"
        )
    frac = counts * tau / (bin_width_us * good_frames)
    if np.any(frac >= 1):
        raise InputError(f"{path}: dead-time correction diverges (M tau/(dt F) >= 1)")
    denom = 1.0 - frac
    return counts / denom, counts / denom**4


def detector_indices(spec: Sequence[int] | str, n_spectra: int, *, what: str) -> np.ndarray:
    """0-based indices from 1-based detector numbers or a range string like "1-48, 50"."""
    if isinstance(spec, str):
        out = []
        for part in spec.replace(" ", "").split(","):
            if not part:
                continue
            if "-" in part:
                a, b = part.split("-", 1)
                out.extend(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
        spec = out
    idx = np.asarray(list(spec), dtype=int) - 1
    if idx.size == 0:
        raise InputError(f"grouping {what}: no detectors given")
    if idx.min() < 0 or idx.max() >= n_spectra:
        raise InputError(
            f"grouping {what}: detectors must lie in 1..{n_spectra}, "
            f"got {idx.min() + 1}..{idx.max() + 1}"
        )
    return idx


def groups_from_run(run: MuonRun, forward=None, backward=None) -> tuple[np.ndarray, np.ndarray]:
    """Forward/backward detector indices: explicit lists, or the file's grouping (1 and 2)."""
    if forward is not None and backward is not None:
        return (
            detector_indices(forward, run.n_spectra, what="forward"),
            detector_indices(backward, run.n_spectra, what="backward"),
        )
    if run.grouping is None:
        raise InputError(
            f"{run.path}: field 'grouping': missing in the file and no forward/backward "
            "detectors given in config"
        )
    f = np.flatnonzero(run.grouping == 1)
    b = np.flatnonzero(run.grouping == 2)
    if f.size == 0 or b.size == 0:
        raise InputError(
            f"{run.path}: field 'grouping': expected groups 1 (forward) and 2 (backward), "
            f"found {sorted(set(run.grouping.tolist()))}"
        )
    return f, b


def asymmetry(f, b, var_f, var_b, alpha: float = 1.0):
    """A = (F - alpha B)/(F + alpha B) and its standard error.

    sigma_A = 2 alpha / (F + alpha B)^2 * sqrt(B^2 var_F + F^2 var_B).
    Bins where F + alpha B <= 0 get NaN.
    """
    f = np.asarray(f, dtype=float)
    b = np.asarray(b, dtype=float)
    s = f + alpha * b
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(s > 0, (f - alpha * b) / s, np.nan)
        err = np.where(s > 0, 2.0 * alpha / s**2 * np.sqrt(b**2 * var_f + f**2 * var_b), np.nan)
    return a, err


def rebin_sum(x: np.ndarray, factor: int, axis: int = -1) -> np.ndarray:
    """Sum groups of ``factor`` consecutive bins (an incomplete last group is dropped)."""
    if factor == 1:
        return x
    x = np.moveaxis(np.asarray(x), axis, -1)
    n = (x.shape[-1] // factor) * factor
    out = x[..., :n].reshape(*x.shape[:-1], n // factor, factor).sum(axis=-1)
    return np.moveaxis(out, -1, axis)


def grouped_counts(
    run: MuonRun,
    forward=None,
    backward=None,
    *,
    dead_time: bool = True,
    background_window_us: Sequence[float] | None = None,
):
    """Forward and backward group counts with variances (dead time and background corrected).

    Returns
    -------
    dict
        ``time_us``, ``F``, ``B``, ``var_F``, ``var_B`` (full histogram length)
        and the background per bin that was subtracted from each group.
    """
    fi, bi = groups_from_run(run, forward, backward)
    if dead_time:
        c, v = dead_time_correct(
            run.counts, run.dead_time_us, run.bin_width_us, run.good_frames, path=run.path
        )
    else:
        c = run.counts.astype(float)
        v = c.copy()
    F, B = c[fi].sum(axis=0), c[bi].sum(axis=0)
    vF, vB = v[fi].sum(axis=0), v[bi].sum(axis=0)
    t = run.time_us
    bg = {"F": 0.0, "B": 0.0}
    if background_window_us is not None:
        lo, hi = background_window_us
        m = (t >= lo) & (t <= hi)
        if m.sum() < 10:
            raise InputError(
                f"{run.path}: background window {lo}-{hi} us holds {m.sum()} bins (need >= 10)"
            )
        for key, arr, var in (("F", F, vF), ("B", B, vB)):
            level = arr[m].mean()
            bg[key] = level
            var += var[m].sum() / m.sum() ** 2
            arr -= level
    return {"time_us": t, "F": F, "B": B, "var_F": vF, "var_B": vB, "background": bg}


def reduce_run(
    run: MuonRun,
    *,
    forward=None,
    backward=None,
    alpha: float = 1.0,
    dead_time: bool = True,
    t_min_us: float | None = None,
    t_max_us: float = 10.0,
    rebin: int = 1,
    background_window_us: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Asymmetry of one run: table time_us, asymmetry, asymmetry_err, forward, backward.

    Parameters
    ----------
    run : MuonRun
        From :func:`intercal.io.muon.read_muon`.
    forward, backward : sequence of int or str, optional
        1-based detector numbers (default: the file's grouping 1 and 2).
    alpha : float
        Bank efficiency ratio (from :func:`intercal.musr.fit.fit_alpha`).
    dead_time : bool
        Apply the dead-time correction (needs dead times and good frames).
    t_min_us : float, optional
        Start of the window (us); default: first good bin.
    t_max_us : float
        End of the window (us).
    rebin : int
        Sum this many raw bins (before forming the asymmetry).
    background_window_us : (float, float), optional
        Late-time window whose mean count level is subtracted from each group.
    """
    if rebin < 1:
        raise InputError(f"rebin must be >= 1, got {rebin}")
    g = grouped_counts(
        run, forward, backward, dead_time=dead_time, background_window_us=background_window_us
    )
    t_first = (run.first_good_bin + 0.5) * run.bin_width_us - run.t0_us
    lo = t_first if t_min_us is None else max(t_min_us, t_first)
    keep = (g["time_us"] >= lo - 1e-9) & (g["time_us"] <= t_max_us + 1e-9)
    if keep.sum() < rebin * 5:
        raise InputError(f"{run.path}: time window {lo:.3f}-{t_max_us} us holds too few bins")
    idx = np.flatnonzero(keep)
    sl = slice(idx[0], idx[-1] + 1)
    t = g["time_us"][sl]
    F, B, vF, vB = (g[k][sl] for k in ("F", "B", "var_F", "var_B"))
    if rebin > 1:
        t = rebin_sum(t, rebin) / rebin
        F, B, vF, vB = (rebin_sum(x, rebin) for x in (F, B, vF, vB))
    a, err = asymmetry(F, B, vF, vB, alpha)
    df = pd.DataFrame(
        {
            "time_us": t,
            "asymmetry": a,
            "asymmetry_err": err,
            "forward": F,
            "backward": B,
            "forward_var": vF,
            "backward_var": vB,
        }
    )
    return df[np.isfinite(df["asymmetry"]) & (df["asymmetry_err"] > 0)].reset_index(drop=True)
