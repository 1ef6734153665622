"""Issue 15: seeding across batches, order-independent detection, masks, logs, x reset."""

import math

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.operando import align, checks, ridge, summary, track

from .synth import pattern


def _write(path, x, y, s):
    np.savetxt(path, np.column_stack([x, y, s]), fmt="%.4f %.1f %.3f")


def test_solid_solution_followed_across_batch_boundaries(tmp_path):
    """c moves by 0.4 A, a by 0.1 A over 40 scans; batches of 10 seeded by the ridge pass."""
    rng = np.random.default_rng(3)
    n = 40
    a_t = 3.45 + np.linspace(0, 0.1, n)
    c_t = 5.87 + np.linspace(0, 0.4, n)
    files = []
    for k in range(n):
        x, y, s = pattern([(a_t[k], c_t[k], 1.0)], rng)
        f = tmp_path / f"scan_{k + 1:04d}.xye"
        _write(f, x, y, s)
        files.append(str(f))
    st = track.TrackSettings()
    phases = [track.PhaseSpec("P", 3.45, 5.87)]
    rows = []
    for i in range(0, n, 10):
        seed = ridge.sample_earlier(files, files[i], 200)
        r, _, _ = track.fit_batch(files[i : i + 10], phases, st, seed_files=seed)
        rows.append(r)
    df = pd.concat(rows, ignore_index=True)
    assert df.present.all() and len(df) == n  # no scan lost
    err_a = np.abs(df.a_A.to_numpy() - a_t)
    err_c = np.abs(df.c_A.to_numpy() - c_t)
    assert err_a.max() < 0.002 and err_c.max() < 0.002
    # without seeding the last batch starts 0.3 A away in c and loses the phase
    r, _, _ = track.fit_batch(files[30:40], phases, st)
    assert not r.present.all()


def test_new_phase_detection_independent_of_config_order():
    rng = np.random.default_rng(5)
    x, y, s = pattern([(3.452, 5.869, 0.8), (3.66, 6.22, 0.2)], rng)
    out = []
    for order in (1, -1):
        ph = [track.PhaseSpec("A", 3.452, 5.869), track.PhaseSpec("B", 3.691, 6.294)][::order]
        rows = {r["phase"]: r for r in track.Tracker(ph).fit_scan(x, y, s)}
        out.append((rows["A"]["present"], rows["B"]["present"], rows["B"]["c_A"]))
    assert out[0][:2] == out[1][:2] == (True, True)
    assert out[0][2] == pytest.approx(out[1][2], abs=1e-6)


def test_reflection_in_masked_range_refused_at_load():
    cfg = {
        "phases": [{"name": "P", "a": 3.452, "c": 5.869}],
        "reflections": {"c": [0, 0, 1], "a": [1, 0, 1], "c_value": [0, 0, 2]},
        "hardware_peaks_deg": [[30.2, 30.7]],
    }
    with pytest.raises(InputError, match=r"reflections.c_value = \[0, 0, 2\].*phase P.*30.4"):
        checks.check_reflections(cfg)
    cfg["hardware_peaks_deg"] = [[21.2, 22.0]]
    checks.check_reflections(cfg)
    assert checks.x_unit({"ion": "Na", "host_formula": "CoO2"}) == "Na per CoO2"


def test_masked_reflection_flagged_at_run_time():
    rng = np.random.default_rng(2)
    x, y, s = pattern([(3.452, 5.869, 1.0)], rng)
    st = track.TrackSettings(c_value_hkl=(0, 0, 2), hardware_peaks_deg=((30.35, 30.5),))
    rows = track.Tracker([track.PhaseSpec("P", 3.452, 5.869)], st).fit_scan(x, y, s)
    assert "masked:P(002)" in rows[0]["qc"]
    assert rows[0]["c_from"] == "001"  # c not taken from the masked (002)


def test_scan_log_keyed_by_file_name_and_iso_times():
    log = pd.DataFrame(
        {
            "file": ["scans/run_0002.xye", "scans/run_0001.xye"],
            "t0": ["2026-01-01T10:10:00", "2026-01-01T10:00:00"],
            "t1": ["2026-01-01T10:19:00", "2026-01-01T10:09:00"],
        }
    )
    start = align.parse_acquisition_start("01/01/2026 09:59:00.000")
    out = align.scan_times(
        log,
        columns={"file": "file", "start": "t0", "end": "t1"},
        cell_start=start,
        clock_offset_s=5.0,
    )
    assert out.scan.tolist() == [1, 2]
    assert out.start_s.tolist() == [65.0, 665.0]
    with pytest.raises(InputError, match="scan_log_columns.file"):
        align.scan_times(log.rename(columns={"file": "scan"}), columns={"start": "t0", "end": "t1"},
                         cell_start=start)  # fmt: skip


def test_nan_current_names_the_rows():
    cyc = pd.DataFrame(
        {"time_s": [0.0, 10, 20, 30], "voltage_V": [2.0] * 4, "current_mA": [-1, np.nan, -1, -1]}
    )
    scans = pd.DataFrame({"scan": [1], "start_s": [0.0], "end_s": [30.0]})
    with pytest.raises(
        InputError, match=r"current_mA is missing or not a number in 1 data row\(s\) \(2"
    ):
        align.align_scans(scans, cyc, active_mass_mg=1.0, host_formula="CrSe2", starting_x=0.0)


def test_x_reset_removes_the_first_cycle_irreversible_charge():
    """First lithiation 1.0 x, first charge only 0.9 back: cycle 2 starts at x = 0.1 counted."""
    cap = align.theoretical_capacity_mAh_g("CrSe2") * 2.0 / 1000.0
    i = cap / 10.0
    t = np.arange(0.0, 4 * 36000.0 + 1, 60.0)
    seg = np.select(
        [t < 36000, t < 36000 + 0.9 * 36000, t < 2 * 36000 + 0.9 * 36000],
        [-i, i, -i],
        i,
    )
    cyc = pd.DataFrame({"time_s": t, "voltage_V": 2.0, "current_mA": seg})
    t, v, cur, x, cycle, off = align.cycling_x(
        cyc,
        active_mass_mg=2.0,
        host_formula="CrSe2",
        starting_x=0.0,
        x_reset={"cycle": 2, "x": 0.0},
    )
    assert off == pytest.approx(0.1, abs=2e-3)
    j = np.flatnonzero(cycle == 2)[0]
    assert x[j] == pytest.approx(0.0, abs=1e-9)
    assert x[cycle == 2].max() == pytest.approx(1.0, abs=3e-3)


def test_solid_solution_summary_has_slopes_and_no_transition():
    """One phase, x 0 -> 1 -> 0 (cycle 1); a, c linear in x; no coexistence."""
    n = 41
    x = np.concatenate([np.linspace(0, 1, n), np.linspace(1, 0, n)[1:]])
    t = np.arange(x.size) * 100.0 + 50.0
    a = 3.45 + 0.2 * x
    c = 5.87 + 0.4 * x
    lat = pd.DataFrame(
        {
            "scan": np.arange(1, x.size + 1),
            "time_s": t,
            "time_h": t / 3600,
            "voltage_V": 2.0,
            "x": x,
            "direction": ["lithiation"] * n + ["delithiation"] * (n - 1),
            "cycle": 1,
            "phase": "P",
            "present": True,
            "fraction": 1.0,
            "fraction_esd": np.nan,
            "a_A": a,
            "a_esd_A": 1e-4,
            "c_A": c,
            "c_esd_A": 2e-4,
            "V_A3": math.sqrt(3) / 2 * a * a * c,
            "V_esd_A3": 0.01,
            "qc": "",
        }
    )
    trace = pd.DataFrame({"time_s": np.linspace(0, t[-1] + 50, 500)})
    trace["x"] = np.interp(trace.time_s, t, x)
    res = summary.summarize(lat, trace, cycle=1, window_x=0.1, lithiated_phase="P")
    assert res["mode"] == "solid_solution"
    assert (
        math.isnan(res["transition_x"]) and "solid solution" in res["null_reasons"]["transition_x"]
    )
    assert res["slopes"]["P"]["a"][0] == pytest.approx(0.2, abs=1e-3)
    assert res["slopes"]["P"]["c"][0] == pytest.approx(0.4, abs=1e-3)
    assert res["c_lithiated"] == pytest.approx(6.27, abs=1e-3)
    assert res["reversible_within_3esd"]
    rows = summary.reproduction_rows(res, "Li per X")
    tx = next(r for r in rows if r["quantity"] == "operando.transition_x")
    assert tx["unit"] == "Li per X" and "no_transition" in tx["qc"]
    assert any(r["quantity"] == "operando.P.c_slope" for r in rows)


def test_uncalibrated_cells_are_marked():
    n = 21
    x = np.concatenate([np.linspace(0, 1, n), np.linspace(1, 0, n)[1:]])
    t = np.arange(x.size) * 100.0 + 50.0
    lat = pd.DataFrame(
        {
            "scan": np.arange(1, x.size + 1), "time_s": t, "x": x, "cycle": 1,
            "direction": ["lithiation"] * n + ["delithiation"] * (n - 1), "phase": "P",
            "present": True, "fraction": 1.0, "fraction_esd": np.nan, "a_A": 3.45, "a_esd_A": 1e-4,
            "c_A": 5.87, "c_esd_A": 2e-4, "V_A3": 60.5, "V_esd_A3": 0.01, "qc": "",
        }
    )  # fmt: skip
    trace = pd.DataFrame({"time_s": t, "x": x})
    res = summary.summarize(
        lat, trace, cycle=1, window_x=0.1, lithiated_phase=None, calibration_method="none"
    )
    rows = {r["quantity"]: r for r in summary.reproduction_rows(res, "Li per X")}
    assert "uncalibrated" in rows["operando.c_lithiated"]["qc"]
    assert "no operando.transition.phase" in res["null_reasons"]["transition_x"]


def test_seed_sample_never_holds_later_scans():
    files = [f"s_{k:04d}.xye" for k in range(1, 1001)]
    assert ridge.sample_earlier(files, files[0], 200) == []
    s = ridge.sample_earlier(files, files[500], 200)
    assert s[-1] == files[499] and len(s) <= 200 and all(f < files[500] for f in s)
    assert ridge.sample_earlier(files, files[10], 200) == files[:10]


def test_seed_stride_is_one_spacing_for_the_series():
    """The workflow's seed sample: one spacing for every batch, the last scan before the
    batch always in it, at most max_scans; the spacing holds while scans are added."""
    files = [f"s_{k:05d}.xye" for k in range(1, 10001)]
    k = ridge.seed_stride(len(files), 200)
    assert k == 64 and k * 200 >= len(files) > k * 100
    assert ridge.seed_stride(len(files) + 250, 200) == k  # a new batch: same spacing
    assert ridge.seed_stride(50, 200) == 1 and ridge.seed_stride(201, 200) == 2
    early = ridge.sample_earlier(files, files[250], 200, stride=k)
    late = ridge.sample_earlier(files, files[9750], 200, stride=k)
    assert early[-1] == files[249] and late[-1] == files[9749]
    assert len(early) == 4 and len(late) == 153  # ceil(250 / 64), ceil(9750 / 64)
    idx = [files.index(f) for f in late]
    assert set(np.diff(idx)) == {k}
    # capped at max_scans even when the stride would allow more
    assert len(ridge.sample_earlier(files, files[9750], 100, stride=k)) == 100
