"""End states, expansions, transition x and reversibility on a synthetic lattice table."""

import math

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.operando import summary

A0, C0, A1, C1 = 3.452, 5.869, 3.691, 6.294


def _series():
    """Two cycles; x 0->1->0 per cycle; two-phase at x=0.5; lithiated phase linear in x."""
    th = 36000.0
    t = np.arange(0, 4 * th + 1, 60.0)
    ph = (t // th) % 2
    frac = (t % th) / th
    x = np.where(ph == 0, frac, 1 - frac)
    trace = pd.DataFrame({"time_s": t, "x": x})
    scans = np.arange(450, 4 * th, 900.0)
    xs = np.interp(scans, t, x)
    cyc = (scans // (2 * th)).astype(int) + 1
    dirn = np.where(((scans // th) % 2) == 0, "lithiation", "delithiation")
    rows = []
    rng = np.random.default_rng(1)
    for k, (tm, xv) in enumerate(zip(scans, xs, strict=True)):
        f = 0.5 * (1 + math.tanh((xv - 0.5) / 0.03))
        u = max(0.0, (xv - 0.5) / 0.5)
        a1 = A0 + (0.75 + 0.25 * u) * (A1 - A0)
        c1 = C0 + (0.75 + 0.25 * u) * (C1 - C0)
        for name, fr, a, c in (("CrSe2", 1 - f, A0, C0), ("LiCrSe2", f, a1, c1)):
            present = fr > 0.01
            e = 2e-4
            rows.append(
                dict(scan=k + 1, time_s=tm, x=xv, cycle=cyc[k], direction=dirn[k], phase=name,
                     present=present, fraction=fr if present else 0.0, fraction_esd=0.01,
                     a_A=a + rng.normal(0, e) if present else np.nan, a_esd_A=e,
                     c_A=c + rng.normal(0, e) if present else np.nan, c_esd_A=e,
                     V_A3=math.sqrt(3) / 2 * a * a * c if present else np.nan, V_esd_A3=0.01)
            )  # fmt: skip
    return pd.DataFrame(rows), trace


def test_summary_recovers_states_expansions_and_transition():
    lat, trace = _series()
    res = summary.summarize(lat, trace, cycle=2, window_x=0.1, lithiated_phase="LiCrSe2")
    assert res["a_delithiated"] == pytest.approx(A0, abs=5e-4)
    assert res["c_lithiated"] == pytest.approx(C1, abs=1e-3)
    assert res["a_lithiated"] == pytest.approx(A1, abs=1e-3)
    assert res["c_expansion_pct"] == pytest.approx(100 * (C1 / C0 - 1), abs=0.03)
    v = lambda a, c: math.sqrt(3) / 2 * a * a * c  # noqa: E731
    assert res["V_expansion_pct"] == pytest.approx(100 * (v(A1, C1) / v(A0, C0) - 1), abs=0.1)
    assert res["transition_x"] == pytest.approx(0.5, abs=0.02)
    assert res["reversible_within_3esd"]
    rows = summary.reproduction_rows(res, "Li per CrSe2")
    names = [r["quantity"] for r in rows]
    assert names[6] == "operando.transition_x" and rows[6]["unit"] == "Li per CrSe2"
    assert all(r["qc"] == "" for r in rows[:7])


def test_irreversible_series_is_flagged():
    lat, trace = _series()
    late = (lat.time_s > 3.5 * 36000) & (lat.phase == "CrSe2")
    lat.loc[late, "c_A"] += 0.01
    res = summary.summarize(lat, trace, cycle=2, window_x=0.1, lithiated_phase="LiCrSe2")
    assert not res["reversible_within_3esd"]
    assert res["c_return_z"] > 3


def test_missing_cycle_and_columns_raise():
    lat, trace = _series()
    with pytest.raises(InputError, match="cycle = 5"):
        summary.summarize(lat, trace, cycle=5, window_x=0.1, lithiated_phase="LiCrSe2")
    with pytest.raises(InputError, match="missing columns"):
        summary.majority_cell(lat.drop(columns=["fraction"]))


def test_lost_phase_streak_is_flagged_in_the_headline_numbers():
    import pandas as pd

    lat = pd.DataFrame(
        {"scan": range(1, 9), "phase": "P",
         "qc": ["", "lost:P", "lost:P", "lost:P", "", "lost:P", "", ""]}
    )  # fmt: skip
    assert summary.lost_streaks(lat, 2) == {"P": 3}
    assert summary.lost_streaks(lat, 3) == {}


def test_flag_imprecise_and_detection_limits():
    lat = pd.DataFrame(
        {
            "scan": [1, 1, 2, 2, 3, 3],
            "phase": ["A", "B"] * 3,
            "present": [True, False, True, True, False, True],
            "a_esd_A": [0.0002, np.nan, 0.0003, 0.0012, np.nan, 0.0002],
            "c_esd_A": [0.0004, np.nan, 0.0009, 0.0005, np.nan, 0.0003],
            "presence_sigma": [50.0, 1.0, 20.0, 8.0, 2.0, 80.0],
            "qc": ["", "", "", "lost:A", "", ""],
        }
    )
    out = summary.flag_imprecise(lat, 0.0007)
    assert list(out.qc) == ["", "", "imprecise:A", "lost:A;imprecise:B", "", ""]
    lim = summary.detection_limits(lat, 5.0)
    # lone scans: A in scan 1 (50 sigma), B in scan 3 (80 sigma)
    assert lim == {"A": pytest.approx(0.1), "B": pytest.approx(5.0 / 80.0)}


def test_long_series_map_is_averaged_in_time_order():
    from intercal.operando.maps import time_ordered_map as _time_ordered_map

    t = np.arange(1300.0)[::-1]
    z = np.tile(t[:, None], (1, 3))
    tm, zm = _time_ordered_map(z, t, max_rows=600)
    # 1300 rows -> groups of 3 (433 full groups + 1 row)
    assert len(tm) == 434 and zm.shape == (434, 3)
    assert np.all(np.diff(tm) > 0)
    assert tm[0] == pytest.approx(1.0) and zm[0, 0] == pytest.approx(1.0)
    assert tm[-1] == pytest.approx(1299.0)
    short, zs = _time_ordered_map(z[:10], t[:10], max_rows=600)
    assert len(short) == 10 and np.array_equal(zs[:, 0], np.sort(t[:10]))


def test_imprecise_scans_do_not_flag_a_number_built_from_many():
    rows = pd.DataFrame({"qc": ["", "imprecise:A", "lost:A;imprecise:A", None]})
    assert summary._flags(rows) == ["lost:A"]
