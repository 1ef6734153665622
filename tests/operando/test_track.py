"""Sequential two-phase tracking on small synthetic series with known truth."""

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.operando.track import PhaseSpec, Tracker, TrackSettings

from .synth import pattern

PHASES = [PhaseSpec("CrSe2", 3.452, 5.869), PhaseSpec("LiCrSe2", 3.691, 6.294)]
TRUE = {"CrSe2": (3.455, 5.872), "LiCrSe2": (3.688, 6.290)}


@pytest.fixture(scope="module")
def series():
    """Two-phase conversion: CrSe2 -> LiCrSe2 over 11 scans, then solid-solution drift."""
    rng = np.random.default_rng(7)
    fr = np.concatenate([np.zeros(3), np.linspace(0.1, 0.9, 5), np.ones(4)])
    drift = np.concatenate([np.zeros(8), np.linspace(0.0, 0.01, 4)])
    tr = Tracker(PHASES, TrackSettings())
    out = []
    for f, d in zip(fr, drift, strict=True):
        (a1, c1), (a2, c2) = TRUE["CrSe2"], TRUE["LiCrSe2"]
        x, y, s = pattern([(a1, c1, 1 - f), (a2 + d, c2 + d, f)], rng)
        rows = {r["phase"]: r for r in tr.fit_scan(x, y, s)}
        out.append((f, d, rows))
    return out


def test_single_phase_cells_within_0p002_and_esd(series):
    for f, d, rows in series:
        for ph in ("CrSe2", "LiCrSe2"):
            share = 1 - f if ph == "CrSe2" else f
            if share < 0.999:
                continue
            a0, c0 = TRUE[ph]
            if ph == "LiCrSe2":
                a0, c0 = a0 + d, c0 + d
            r = rows[ph]
            assert abs(r["a_A"] - a0) < 0.002 and abs(r["c_A"] - c0) < 0.002
            assert abs(r["a_A"] - a0) < 4 * r["a_esd_A"] + 2e-4
            assert abs(r["c_A"] - c0) < 4 * r["c_esd_A"] + 2e-4


def test_absent_phase_reported_absent_not_fitted(series):
    for f, _, rows in series:
        if f == 0.0:
            assert not rows["LiCrSe2"]["present"]
            assert np.isnan(rows["LiCrSe2"]["c_A"])
            assert rows["LiCrSe2"]["fraction"] == 0.0
        if f == 1.0:
            assert not rows["CrSe2"]["present"]


def test_two_phase_fractions(series):
    # the synthetic generator scales phases by weight only (no structure factors), so with
    # intensity factors of 1 the fraction is the weight
    for f, _, rows in series:
        if 0 < f < 1:
            r = rows["LiCrSe2"]
            assert r["present"] and rows["CrSe2"]["present"]
            assert r["fraction"] == pytest.approx(f, abs=max(0.03, 4 * r["fraction_esd"]))


def test_c_check_from_002_agrees(series):
    for _, _, rows in series:
        for r in rows.values():
            if r["present"] and np.isfinite(r["c_check_A"]):
                assert abs(r["c_check_A"] - r["c_A"]) < 4 * np.hypot(
                    r["c_esd_A"], r["c_check_esd_A"]
                )


def test_hardware_peak_excluded_and_guard():
    rng = np.random.default_rng(11)
    a, c = TRUE["CrSe2"]
    # a sharp hardware peak at 14.6 deg, between the two phases' (001)
    extra = [(14.6, 300.0)]
    st = TrackSettings(hardware_peaks_deg=((14.45, 14.75),))
    tr = Tracker(PHASES, st)
    rows = {r["phase"]: r for r in tr.fit_scan(*pattern([(a, c, 1.0)], rng, extra=extra))}
    assert abs(rows["CrSe2"]["c_A"] - c) < 0.002
    assert not rows["LiCrSe2"]["present"]
    # without the exclusion the hardware peak must not be taken as CrSe2 (001) (guard)
    tr2 = Tracker(PHASES, TrackSettings())
    rows2 = {r["phase"]: r for r in tr2.fit_scan(*pattern([(a, c, 1.0)], rng, extra=extra))}
    assert abs(rows2["CrSe2"]["c_A"] - c) < 0.002


def test_sequential_guard_keeps_the_peak_when_a_stronger_one_appears_nearby():
    rng = np.random.default_rng(5)
    a, c = TRUE["CrSe2"]
    tr = Tracker(PHASES, TrackSettings(max_step_deg=0.1))
    tr.fit_scan(*pattern([(a, c, 1.0)], rng))
    # next scan: an unknown strong peak 0.3 deg above CrSe2 (001)
    tt001 = 15.08
    rows = {
        r["phase"]: r for r in tr.fit_scan(*pattern([(a, c, 1.0)], rng, extra=[(tt001 + 0.3, 900)]))
    }
    assert abs(rows["CrSe2"]["c_A"] - c) < 0.003


def test_bad_settings_raise():
    with pytest.raises(InputError, match="at least one phase"):
        Tracker([], TrackSettings())
    with pytest.raises(InputError, match="reflections.c"):
        Tracker(PHASES, TrackSettings(c_hkl=(1, 0, 1)))
