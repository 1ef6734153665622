"""Cheap ridge pass over a scan series: where each phase's reflections are, scan by scan.

The full tracker (:mod:`intercal.operando.track`) fits every scan of a batch
sequentially; at a batch's first scan it needs to know where each phase's
reflections are. Starting from the configured cell fails for a cell that
moves continuously (a solid solution is far from its start cell by batch 2).
This module follows the ridges of the 2theta-time intensity map instead: for
every phase and each of its two cell reflections (the (00l) giving c and the
general one giving a), scan by scan,

* the counts are smoothed (5-point boxcar) and points inside masked ranges
  (hardware lines, the internal standard) are ignored;
* a present ridge is searched within +-``step_deg`` of its previous position,
  an absent one within +-``search_deg`` of its last known position (or of the
  configured cell), never within ``min_separation_deg`` of the same reflection
  of another present phase;
* the ridge is present where the maximum stands ``min_sigma`` Poisson esds of
  the smoothed counts above the local background (the lowest smoothed count
  within +-``background_deg``); its position is refined by a parabola through
  the maximum and its neighbours.

The cell (a, c) at each scan follows from the two ridge positions (K-alpha1
Bragg law, no calibration: a seed, not a result). It is a forward pass, so
the seed of a batch depends only on earlier scans: appending a scan changes
nothing upstream of its batch.

Pure numpy: no fitting, ~1 ms per scan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .lattice import two_theta_hex


@dataclass
class RidgeSettings:
    """Settings of the ridge pass (deg 2theta)."""

    c_hkl: tuple[int, int, int] = (0, 0, 1)
    a_hkl: tuple[int, int, int] = (1, 0, 1)
    wavelength: float = 1.540593
    step_deg: float = 0.15
    search_deg: float = 0.5
    min_sigma: float = 6.0
    background_deg: float = 0.6
    min_separation_deg: float = 0.25
    masks: tuple[tuple[float, float], ...] = ()


def _d(tt: float, lam: float) -> float:
    return lam / (2.0 * math.sin(math.radians(tt / 2.0)))


def cell_from_positions(tt_c, tt_a, c_hkl, a_hkl, lam) -> tuple[float, float]:
    """(a, c) in angstrom from the K-alpha1 positions of the (00l) and the general reflection."""
    if not np.isfinite(tt_c):
        return math.nan, math.nan
    c = c_hkl[2] * _d(tt_c, lam)
    if not np.isfinite(tt_a):
        return math.nan, c
    h, k, l = a_hkl
    u = 1.0 / _d(tt_a, lam) ** 2 - l * l / c**2
    if u <= 0:
        return math.nan, c
    return math.sqrt(4.0 * (h * h + h * k + k * k) / (3.0 * u)), c


class RidgePass:
    """Forward ridge pass over a scan series (see module docstring).

    Parameters
    ----------
    phases : sequence of (name, a, c)
        Phases with their configured (starting) cells (angstrom).
    settings : RidgeSettings
    """

    def __init__(self, phases: Sequence[tuple[str, float, float]], settings: RidgeSettings):
        self.st = settings
        self.names = [p[0] for p in phases]
        self.pos: dict[tuple[str, str], float] = {}
        self.present: dict[tuple[str, str], bool] = {}
        self.cell: dict[str, tuple[float, float]] = {}
        for name, a, c in phases:
            self.cell[name] = (float(a), float(c))
            for role, hkl in (("c", settings.c_hkl), ("a", settings.a_hkl)):
                self.pos[(name, role)] = two_theta_hex(float(a), float(c), hkl, settings.wavelength)
                self.present[(name, role)] = False

    def _find(self, x, ys, noise, keep, center, half, avoid):
        st = self.st
        sel = keep & (x >= center - half) & (x <= center + half)
        for other in avoid:
            sel &= np.abs(x - other) >= st.min_separation_deg
        idx = np.flatnonzero(sel)
        if idx.size < 3:
            return math.nan, 0.0
        i = idx[np.argmax(ys[idx])]
        # a maximum on the edge of the search range is the tail of a peak outside it
        if i in (idx[0], idx[-1]) or not (sel[i - 1] and sel[i + 1]):
            return math.nan, 0.0
        # prominence: above the higher of the lowest points on either side
        left = keep & (x >= x[i] - st.background_deg) & (x <= x[i])
        right = keep & (x >= x[i]) & (x <= x[i] + st.background_deg)
        if not left.any() or not right.any():
            return math.nan, 0.0
        bg = max(float(np.min(ys[left])), float(np.min(ys[right])))
        z = (ys[i] - bg) / noise[i]
        # parabolic refinement through the maximum and its neighbours
        pos = float(x[i])
        if 0 < i < x.size - 1 and keep[i - 1] and keep[i + 1]:
            y0, y1, y2 = ys[i - 1], ys[i], ys[i + 1]
            den = y0 - 2.0 * y1 + y2
            if den < 0:
                pos += 0.5 * (y0 - y2) / den * (x[i + 1] - x[i])
        return pos, float(z)

    def step(self, x: np.ndarray, y: np.ndarray) -> dict[str, dict]:
        """Advance the ridges by one scan; return per phase its positions, presence and cell."""
        st = self.st
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        keep = np.isfinite(y)
        for lo, hi in st.masks:
            keep &= ~((x >= lo) & (x <= hi))
        ys = np.convolve(np.where(keep, y, 0.0), np.ones(5) / 5.0, mode="same")
        # Poisson esd of a 5-point mean (counts >= 1)
        noise = np.sqrt(np.maximum(ys, 1.0) / 5.0)
        out = {}
        for role in ("c", "a"):
            # present ridges first (strongest claim on their peak), then absent ones
            order = sorted(self.names, key=lambda n: not self.present[(n, role)])
            claimed: list[float] = []
            for name in order:
                key = (name, role)
                was = self.present[key]
                half = st.step_deg if was else st.search_deg
                pos, z = self._find(x, ys, noise, keep, self.pos[key], half, claimed)
                ok = np.isfinite(pos) and z >= st.min_sigma
                if ok:
                    self.pos[key] = pos
                    claimed.append(pos)
                self.present[key] = bool(ok)
                out.setdefault(name, {})[f"tt_{role}_deg"] = self.pos[key]
                out[name][f"z_{role}"] = z
                out[name][f"present_{role}"] = bool(ok)
        for name in self.names:
            r = out[name]
            a, c = cell_from_positions(
                r["tt_c_deg"] if r["present_c"] else math.nan,
                r["tt_a_deg"] if r["present_a"] else math.nan,
                st.c_hkl,
                st.a_hkl,
                st.wavelength,
            )
            a0, c0 = self.cell[name]
            if np.isfinite(c):
                c0 = c
            if np.isfinite(a):
                a0 = a
            if r["present_c"]:
                self.cell[name] = (a0, c0)
                if not r["present_a"]:
                    # follow the general reflection with the new c and the last a
                    self.pos[(name, "a")] = two_theta_hex(a0, c0, st.a_hkl, st.wavelength)
            r["a_A"], r["c_A"] = self.cell[name]
            r["present"] = r["present_c"]
        return out


def ridge_series(
    patterns: Iterable[tuple[int, np.ndarray, np.ndarray]],
    phases: Sequence[tuple[str, float, float]],
    settings: RidgeSettings,
) -> list[dict]:
    """Run the ridge pass; one row per scan and phase (``scan, phase, present, a_A, c_A, ...``)."""
    rp = RidgePass(phases, settings)
    rows = []
    for scan, x, y in patterns:
        for name, r in rp.step(x, y).items():
            rows.append({"scan": int(scan), "phase": name, **r})
    return rows


def settings_from_config(cfg: Mapping) -> RidgeSettings:
    """Ridge settings from the ``operando`` section (reflections, radiation, fit, seeding)."""
    refl = dict(cfg.get("reflections", {}))
    fit = dict(cfg.get("fit", {}))
    seed = dict(cfg.get("seeding", {}))
    lam = float(dict(cfg.get("radiation", {})).get("wavelengths_A", [1.540593])[0])
    return RidgeSettings(
        c_hkl=tuple(refl.get("c", (0, 0, 1))),
        a_hkl=tuple(refl.get("a", (1, 0, 1))),
        wavelength=lam,
        step_deg=float(seed.get("step_deg", fit.get("max_step_deg", 0.15))),
        search_deg=float(seed.get("search_deg", fit.get("search_deg", 0.5))),
        min_sigma=float(seed.get("min_sigma", 6.0)),
        background_deg=float(seed.get("background_deg", 0.6)),
        min_separation_deg=float(seed.get("min_separation_deg", 0.25)),
        masks=tuple(tuple(float(v) for v in r) for r in cfg.get("hardware_peaks_deg", [])),
    )


def seed_stride(n_scans: int, max_scans: int) -> int:
    """Series-wide spacing of the seed samples: smallest power of 2 with stride * max_scans >= n.

    One spacing for every batch (the last batch's, the largest): each batch reads
    at most ``max_scans`` and on average half as many earlier scans, which halves
    the inputs a workflow must check, and the spacing stays the same while scans
    are added, until the series doubles.
    """
    k = 1
    while max_scans > 0 and n_scans > k * max_scans:
        k *= 2
    return k


def sample_earlier(
    ordered_files: Sequence[str], first_of_batch: str, max_scans: int, stride: int | None = None
) -> list[str]:
    """Every k-th file before ``first_of_batch`` (at most ``max_scans``; the last one included).

    ``k`` is ``stride`` (:func:`seed_stride`, the same for all batches of a series) or,
    without it, the smallest spacing that keeps the sample within ``max_scans``. The
    batch's own seed pass reads these (a forward pass: later scans never enter an
    earlier batch's inputs).
    """
    i = list(ordered_files).index(first_of_batch)
    if i == 0 or max_scans <= 0:
        return []
    k = max(1, math.ceil(i / max_scans), int(stride or 1))
    # count back from the scan before the batch so that it is always included
    return list(ordered_files[i - 1 :: -k][:max_scans][::-1])
