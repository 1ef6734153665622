"""Acceptance on the demo data (data/operando): lattice vs truth, transition, expansions."""

import glob
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from intercal.io.echem import read as read_cycling
from intercal.operando import align, calibration, ridge, summary, track


@pytest.fixture(scope="module")
def demo(demo_data, root):
    d = demo_data / "operando"
    if not (d / "ground_truth_operando.csv").exists():
        pytest.skip("demo data data/operando absent (run python -m intercal.simulate)")
    full = yaml.safe_load((root / "config.yaml").read_text())
    cfg = full["operando"]
    cyc = read_cycling(d / "cell.mpt")
    start = align.parse_acquisition_start(cyc.meta["acquisition_start"])
    times = align.scan_times(
        pd.read_csv(d / "scan_log.csv"), columns=cfg["scan_log_columns"], cell_start=start
    )
    opts = dict(
        active_mass_mg=cyc.meta["active_mass_mg"], host_formula="CrSe2", starting_x=0.0,
        x_reset=cfg["cell"]["x_reset"],
    )  # fmt: skip
    al = align.align_scans(times, cyc.table, **opts)
    st = track.TrackSettings.from_config(cfg, full["materials"])
    # structure.intensity_factor of the config structures at the phases' cells, for the
    # reflections.fraction (002) (what the operando_reference rule writes)
    st.intensity_factors = {"CrSe2": 1197.4, "LiCrSe2": 1063.1}
    files = sorted(glob.glob(str(d / "scans" / "scan_*.xye")))
    size = int(cfg["batch_size"])  # one calibration per batch, as the workflow does
    parts, cals = [], []
    rs = ridge.settings_from_config(cfg)
    for i in range(0, len(files), size):
        r, _, _, c = track.fit_batch(
            files[i : i + size], track.phases_from_config(cfg), st, return_calibration=True,
            seed_files=ridge.sample_earlier(files, files[i], 200), ridge_settings=rs,
        )  # fmt: skip
        parts.append(r)
        cals.append(c)
    rows = pd.concat(parts, ignore_index=True)
    t, _, _, x, cycle, x_off = align.cycling_x(cyc.table, **opts)
    trace = pd.DataFrame({"time_s": t, "x": x, "cycle": cycle})
    lat = summary.assemble_lattice(rows, al, trace=trace, max_cell_esd=cfg["qc"]["max_cell_esd_A"])
    res = summary.summarize(
        lat, trace, cycle=2, window_x=0.1, lithiated_phase="LiCrSe2", x_offset=x_off,
        min_sigma=cfg["fit"]["min_sigma"],
    )  # fmt: skip
    return lat, pd.read_csv(d / "ground_truth_operando.csv"), res, al, pd.concat(cals)


def test_x_and_voltage_per_scan(demo):
    """x reset at the top of charge before cycle 2 matches the true x there; the first
    cycle's irreversible charge (4.5 % of the first discharge) is reported separately."""
    _, truth, res, al, _ = demo
    m = al.merge(truth, on="scan")
    c2 = m[m.cycle_x >= 2]
    # x reset to 0 where the true x is 0.005 (top of the first charge)
    assert np.abs(c2.x_x - c2.x_y).max() < 0.01
    # without the reset cycle 2 would carry the 0.046 of irreversible charge
    assert np.abs(c2.x_counted - c2.x_y).min() > 0.04
    assert res["irreversible_x_before_reset"] == pytest.approx(0.04623 + 0.00539, abs=0.003)
    # scan-averaged voltage vs the truth's mid-scan value: equal except at turning points
    dv = np.abs(m.voltage_V_x - m.voltage_V_y)
    assert np.median(dv) < 0.001 and dv.max() < 0.1


def test_single_phase_cells_within_0p002(demo):
    lat, truth, _, _, _ = demo
    for ph in ("CrSe2", "LiCrSe2"):
        r = lat[lat.phase == ph].merge(truth, on="scan")
        s = r[r[f"fraction_{ph}"] > 0.995]
        assert len(s) > 40 and s.present.all()
        da, dc = (s.a_A - s[f"a_{ph}_A"]).abs(), (s.c_A - s[f"c_{ph}_A"]).abs()
        print(f"{ph}: |a-a_true| max {da.max():.5f} rms {np.sqrt((da**2).mean()):.5f}; "
              f"|c-c_true| max {dc.max():.5f} rms {np.sqrt((dc**2).mean()):.5f}")  # fmt: skip
        assert da.max() < 0.002 and dc.max() < 0.002
        # a few single-phase cells have an esd just above qc.max_cell_esd_A (0.0007 A): the
        # last batch's calibration is the sum of 2 scans only, one (002) fit has a larger
        # reduced chi-square; flagged imprecise, no other flag
        qc = s.qc.fillna("")
        assert qc.isin(["", f"imprecise:{ph}"]).all()
        assert (qc != "").sum() <= 3
        assert (s[qc != ""][["a_esd_A", "c_esd_A"]].max(axis=1) < 0.001).all()
        gone = r[r[f"fraction_{ph}"] < 0.001]
        assert not gone.present.any()  # absent phases are reported absent


def test_phase_fractions_in_two_phase_scans(demo):
    """Fractions from the (002) areas and the structures' intensity factors vs the truth at
    mid-scan: within 3 esd (the (001) factors were off by 2x: F(001) hangs on Se z)."""
    lat, truth, _, _, _ = demo
    r = lat[lat.phase == "LiCrSe2"].merge(truth, on="scan")
    m = r[(r.fraction_LiCrSe2 > 0.1) & (r.fraction_LiCrSe2 < 0.9)]
    assert len(m) >= 10
    d = m.fraction - m.fraction_LiCrSe2
    assert d.abs().max() < 0.06 and abs(d.mean()) < 0.025
    assert (d.abs() < 3 * m.fraction_esd).all()


def test_two_phase_cells_above_the_detection_limit(demo):
    """Scans with both phases: every cell not flagged imprecise (esd <= 0.0007 A) is within
    0.002 A of the truth; the flagged ones (minor phases) within 3 esd; every phase
    missed holds less than its detection limit (min_sigma / its lone (001) area/esd) at
    mid-scan, and none is reported where it is absent."""
    lat, truth, res, _, _ = demo
    lim = res["detection_limit_fraction"]
    assert lim["CrSe2"] == pytest.approx(0.10, abs=0.02)
    assert lim["LiCrSe2"] == pytest.approx(0.067, abs=0.015)
    for ph in ("CrSe2", "LiCrSe2"):
        r = lat[lat.phase == ph].merge(truth, on="scan")
        f = r[f"fraction_{ph}"]
        two = r[(f > 0.005) & (f <= 0.995)]
        flagged = two.qc.fillna("").str.contains(f"imprecise:{ph}")
        ok = two[two.present & ~flagged]
        assert len(ok) >= 10
        for q in ("a", "c"):
            assert (ok[f"{q}_A"] - ok[f"{q}_{ph}_A"]).abs().max() < 0.002
            bad = two[two.present & flagged]
            err = (bad[f"{q}_A"] - bad[f"{q}_{ph}_A"]).abs()
            assert (err.isna() | (err < 3 * bad[f"{q}_esd_A"])).all()
        assert (two[~two.present][f"fraction_{ph}"] < lim[ph]).all()
        assert not r[f < 0.001].present.any()
        assert res["n_imprecise_scans"][ph] >= int(flagged.sum()) > 0


def test_transition_expansion_reversibility(demo):
    _, _, res, _, _ = demo
    # truth 0.5: within 0.01 (was 0.481 with (001) fractions)
    assert res["transition_x"] == pytest.approx(0.5, abs=0.01)
    assert res["V_expansion_pct"] == pytest.approx(22.0, abs=1.0)
    for q, v in (("a_delithiated", 3.452), ("c_delithiated", 5.869), ("a_lithiated", 3.691),
                 ("c_lithiated", 6.294)):  # fmt: skip
        assert res[q] == pytest.approx(v, abs=0.002)
    # the truth's own c expansion (6.294 / 5.869 - 1 = 7.24 %), see report
    assert res["c_expansion_pct"] == pytest.approx(7.241, abs=0.2)
    assert res["reversible_within_3esd"]


def test_graphite_calibration_on_demo(demo):
    """The graphite 002 shift per batch vs the simulator's zero and displacement.

    Truth at 26.54 deg: -0.008 - 2 (0.030 mm) cos(13.27 deg) / 240 mm = -0.02194 deg. The
    symmetric pseudo-Voigt puts the centre of the (axial-divergence) asymmetric peak ~0.0035 deg
    low, so the measured shift is ~-0.0255 deg; the same bias largely cancels in the tracked
    reflections (the cells above are within 0.002 angstrom).
    """
    cals = demo[4]
    truth = -0.008 - math.degrees(2 * 0.030 * math.cos(math.radians(26.5426 / 2)) / 240.0)
    assert (cals["method"] == "internal_standard").all() and len(cals) == 7
    assert (cals["shift_deg"] - truth).abs().max() < 0.006
    # esd of one scan ~0.006 deg, of a batch that over sqrt(number of scans)
    assert (cals["shift_esd_deg"] * np.sqrt(cals["n_scans"])).between(0.003, 0.012).all()
    summ = calibration.summarize_calibration(cals)
    assert summ["shift_scatter_redchi"] < 3  # no drift beyond the esds
