"""2theta calibration from an internal standard (graphite 002) on synthetic scans."""

import math

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError, InputError
from intercal.operando import calibration as cal_mod
from intercal.operando.lattice import corrected_two_theta, hex_cell
from intercal.operando.summary import end_state
from intercal.operando.track import PhaseSpec, TrackSettings, fit_batch

from .synth import HKLS, LAM1, LAM2, pv, tt

GRAPHITE = {"space_group": "P6_3/mmc", "cell": {"a": 2.464, "c": 6.711}}
MATERIALS = {"graphite": GRAPHITE}
CFG = {"method": "internal_standard", "phase": "graphite", "hkl": [0, 0, 2],
       "window_deg": [25.8, 27.3]}  # fmt: skip
PHASES = [("CrSe2", 3.452, 5.869), ("LiCrSe2", 3.691, 6.294)]
R_MM = 240.0


def true_shift(tt_deg, zero=-0.008, disp=0.030, radius=R_MM):
    """The simulator's convention: observed - true = zero - 2 s cos(theta) / R (rad)."""
    return zero - math.degrees(2 * disp * math.cos(math.radians(tt_deg / 2)) / radius)


def tt_graphite():
    return 2 * math.degrees(math.asin(LAM1 / (2 * 3.3555)))


def scan(rng, shift, graphite_area=40.0, phases=((3.452, 5.869, 1.0),), x=None):
    """A synth scan whose every line (sample and graphite 002) is moved by ``shift`` (deg)."""
    x = np.arange(12.0, 36.0, 0.02) if x is None else x
    xt = x - shift  # evaluate the unshifted model at x - shift: peaks appear at +shift
    y = 150.0 + 1.5 * (xt - 24.0)
    for a, c, w in phases:  # noiseless model as in synth.pattern, then one Poisson draw
        for hkl, rel in HKLS.items():
            y = y + 400.0 * w * rel * (
                pv(xt, tt(a, c, hkl), 0.12, 0.4) + 0.5 * pv(xt, tt(a, c, hkl, LAM2), 0.12, 0.4)
            )
    t1 = tt_graphite()
    t2 = 2 * math.degrees(math.asin(LAM2 / (2 * 3.3555)))
    y = y + graphite_area * (pv(xt, t1, 0.19, 0.9) + 0.5 * pv(xt, t2, 0.19, 0.9))
    obs = rng.poisson(y).astype(float)
    return x, obs, np.sqrt(np.maximum(obs, 1.0))


def resolved(**kw):
    return cal_mod.resolve({**CFG, **kw}, MATERIALS)


def test_resolve_computes_d_from_materials_and_checks_keys():
    c = resolved()
    assert c["d_A"] == pytest.approx(6.711 / 2, abs=1e-12)
    assert c["scope"] == "batch" and c["apply_as"] == "zero_shift"
    assert resolved(d_A=3.354)["d_A"] == 3.354
    assert cal_mod.resolve(None)["method"] == "none"
    with pytest.raises(InputError, match="method: 'guess'"):
        cal_mod.resolve({"method": "guess"})
    with pytest.raises(InputError, match="needs 'window_deg'"):
        cal_mod.resolve({"method": "internal_standard", "phase": "graphite", "hkl": [0, 0, 2]})
    with pytest.raises(InputError, match="not a key of materials"):
        cal_mod.resolve({**CFG, "phase": "silicon"}, MATERIALS)
    assert cal_mod.standard_d_spacing({"cell": {"a": 5.431}}, (1, 1, 1)) == pytest.approx(
        5.431 / math.sqrt(3)
    )


def test_window_check_refuses_sample_reflections_and_hardware_lines():
    cal_mod.check_window(resolved(), PHASES, hardware_peaks_deg=[[21.2, 22.0], [26.2, 26.9]])
    # LiCrSe2 (1 0 0) moves over 27.9-29.9 deg: allowed (calibrated on free scans), noted
    notes = cal_mod.check_window(resolved(window_deg=[25.8, 27.8]), PHASES)
    assert any("reflection (1 0 0)" in n for n in notes)
    with pytest.raises(InputError, match=r"reflection \(1 0 0\).*overlap: free_scans"):
        cal_mod.check_window(resolved(window_deg=[25.8, 27.8], overlap="refuse"), PHASES)
    # the polyethylene 200 line of the laminate must never enter the calibration
    with pytest.raises(InputError, match="hardware peak range"):
        cal_mod.check_window(
            resolved(window_deg=[23.8, 27.3]), PHASES, hardware_peaks_deg=[[23.6, 24.4]]
        )
    with pytest.raises(InputError, match="does not contain"):
        cal_mod.check_window(resolved(window_deg=[25.0, 26.0]), PHASES)


def test_calibration_recovers_the_true_effective_shift_within_its_esd():
    """zero -0.008 deg, s = 0.030 mm, R = 240 mm -> -0.02194 deg at 26.54 deg."""
    truth = true_shift(tt_graphite())
    assert truth == pytest.approx(-0.02194, abs=1e-5)
    rng = np.random.default_rng(11)
    c = resolved()
    zs = []
    for _ in range(12):
        pats = [scan(rng, truth) for _ in range(10)]  # one batch: the sum of 10 scans
        x, y, e = cal_mod.sum_patterns(pats, c["window_deg"])
        res = cal_mod.fit_standard(x, y, e, c, wavelengths=(LAM1, LAM2))
        zs.append((res.shift_deg - truth) / res.shift_esd_deg)
        assert res.zero_shift_deg == res.shift_deg and res.displacement_mm == 0.0
    zs = np.array(zs)
    assert abs(zs[0]) < 2.5  # one batch: within its esd (2.5 sigma)
    assert np.sqrt(np.mean(zs**2)) < 1.6  # the esd is honest over repeats (rms z ~ 1)
    assert abs(zs.mean()) < 3 / math.sqrt(len(zs))  # and unbiased


def test_apply_as_displacement_reproduces_the_shift_at_the_standard():
    rng = np.random.default_rng(3)
    truth = true_shift(tt_graphite())
    c = resolved(apply_as="displacement")
    x, y, e = cal_mod.sum_patterns([scan(rng, truth) for _ in range(5)], c["window_deg"])
    res = cal_mod.fit_standard(x, y, e, c, wavelengths=(LAM1, LAM2))
    assert res.zero_shift_deg == 0.0
    back = corrected_two_theta(res.center_deg, 0.0, res.displacement_mm, R_MM)
    assert float(back) == pytest.approx(res.two_theta_ref_deg, abs=1e-6)
    # over 12-36 deg a displacement and a zero shift differ by < 5 % of the shift
    ratio = cal_mod.shift_derivative(res, 36.0)
    assert 0.95 < ratio < 1.0 and cal_mod.shift_derivative(res, 12.0) > 1.0


def test_pattern_without_the_standard_raises_a_clear_error():
    rng = np.random.default_rng(5)
    x, y, e = scan(rng, 0.0, graphite_area=0.0)
    with pytest.raises(FitError, match=r"internal standard graphite \(0 0 2\) not found"):
        cal_mod.fit_standard(x, y, e, resolved(), wavelengths=(LAM1, LAM2), source="scan_0007")
    with pytest.raises(InputError, match="calibration window 25.8-27.3"):
        xs = x[x < 26.0]
        cal_mod.fit_standard(xs, y[: xs.size], e[: xs.size], resolved())


def test_hex_cell_propagates_a_common_shift_esd():
    t1, t2, s0 = 30.44, 33.99, 0.002
    base = hex_cell(t1, 0.001, 2, t2, 0.001, (1, 0, 1))
    withc = hex_cell(t1, 0.001, 2, t2, 0.001, (1, 0, 1), shift_esd=s0)
    h = 1e-5  # numerical derivative of a, c, V for both positions moving together
    up = hex_cell(t1 + h, 0, 2, t2 + h, 0, (1, 0, 1))
    for q in ("a", "c", "V"):
        num = abs(up[q] - base[q]) / h * s0
        assert withc[f"{q}_esd_cal"] == pytest.approx(num, rel=1e-3)
        assert withc[f"{q}_esd"] == pytest.approx(math.hypot(base[f"{q}_esd"], num), rel=1e-6)
    assert math.isnan(base["a_esd_cal"])


def test_end_state_does_not_average_down_a_shared_calibration_error():
    rows = pd.DataFrame(
        {"x": np.linspace(0, 0.1, 6), "c_A": 5.869, "c_esd_A": math.hypot(1e-4, 3e-4),
         "c_esd_cal_A": 3e-4, "cal_group": "batch 0000"}
    )  # fmt: skip
    _, e_shared = end_state(rows, "c_A", "c_esd_A", 0.0, cal_col="c_esd_cal_A")
    _, e_indep = end_state(rows, "c_A", "c_esd_A", 0.0)
    assert e_shared >= 3e-4 > e_indep


def test_end_state_equals_the_dense_generalised_least_squares_fit():
    """The grouped (Sherman-Morrison) solve equals GLS with the full covariance inverted."""
    rng = np.random.default_rng(4)
    for n in (1, 2, 5, 40):
        x = rng.uniform(0.0, 0.2, n)
        e = rng.uniform(1e-4, 1e-3, n)
        cal = e * rng.uniform(0.0, 0.9, n)
        grp = rng.integers(0, 3, n)
        v = 5.87 + 0.05 * x + rng.normal(0.0, 1.0, n) * e
        rows = pd.DataFrame({"x": x, "c": v, "ce": e, "cc": cal, "cal_group": grp})
        got = end_state(rows, "c", "ce", 0.1, cal_col="cc")
        stat2 = e**2 - cal**2
        cov_v = np.diag(stat2) + np.outer(cal, cal) * (grp[:, None] == grp[None, :])
        line = n >= 3
        A = np.column_stack([np.ones(n), x - 0.1]) if line else np.ones((n, 1))
        ci = np.linalg.inv(cov_v)
        cov = np.linalg.inv(A.T @ ci @ A)
        beta = cov @ (A.T @ ci @ v)
        r = v - A @ beta
        chi2 = r @ ci @ r / (n - A.shape[1]) if n > A.shape[1] else 1.0
        want_e = math.sqrt(cov[0, 0] * max(1.0, chi2))
        assert got[0] == pytest.approx(beta[0], abs=1e-9 * want_e)
        assert got[1] == pytest.approx(want_e, rel=1e-9)


def _write(path, x, y, e):
    np.savetxt(path, np.column_stack([x, y, e]), fmt="%.5f", header="2theta counts esd")


def test_fit_batch_calibrates_and_recovers_the_cell(tmp_path):
    """A batch of shifted scans: the graphite calibration removes the shift from a and c."""
    rng = np.random.default_rng(21)
    a0, c0 = 3.455, 5.872
    shift = true_shift(tt_graphite())
    files = []
    for i in range(1, 9):
        f = tmp_path / f"scan_{i:04d}.xye"
        _write(f, *scan(rng, shift, phases=((a0, c0, 1.0),)))
        files.append(str(f))
    st = TrackSettings(wavelengths=(LAM1, LAM2), hardware_peaks_deg=((26.2, 26.9),))
    rows, _, _, cal = fit_batch(
        files, [PhaseSpec("CrSe2", 3.452, 5.869)], st, calibration=resolved(), group="b0",
        return_calibration=True,
    )  # fmt: skip
    assert len(cal) == 1 and cal.n_scans.iloc[0] == 8
    assert abs(cal.shift_deg.iloc[0] - shift) < 3 * cal.shift_esd_deg.iloc[0]
    r = rows[rows.phase == "CrSe2"]
    assert (r.cal_group == "b0").all() and (r.c_esd_cal_A > 0).all()
    assert (r.a_A - a0).abs().max() < 0.002 and (r.c_A - c0).abs().max() < 0.002
    # without the calibration the same scans are off by the shift
    raw, _, _ = fit_batch(
        files, [PhaseSpec("CrSe2", 3.452, 5.869)], st, calibration=cal_mod.resolve(None)
    )
    assert (raw[raw.phase == "CrSe2"].c_A - c0).mean() > 0.003
    per_scan, _, _, cal2 = fit_batch(
        files, [PhaseSpec("CrSe2", 3.452, 5.869)], st, calibration=resolved(scope="scan"),
        return_calibration=True,
    )  # fmt: skip
    assert len(cal2) == 8 and (cal2.shift_esd_deg > cal.shift_esd_deg.iloc[0]).all()


def test_legacy_corrections_key_is_refused():
    with pytest.raises(InputError, match="operando.corrections is no longer read"):
        TrackSettings.from_config({"phases": [], "corrections": {"zero_shift_deg": 0.0}})
    st = TrackSettings.from_config(
        {"calibration": {"method": "fixed", "zero_shift_deg": -0.01, "displacement_mm": 0.02}}
    )
    assert st.zero_shift_deg == -0.01 and st.displacement_mm == 0.02
    assert math.isnan(st.shift_esd_deg)


def test_standard_overlapped_by_a_moving_sample_line_uses_the_free_scans():
    """A sample (100) sweeps through the graphite 002 window in mid-batch (of 10 scans).

    Fitting the sum of all scans biases the shift; the free scans (found from the cells)
    recover it within 3 esd, and a batch overlapped throughout carries the shift of the
    free scans before it (calibration basis says which)."""
    from intercal.operando import track

    truth = true_shift(tt_graphite())
    rng = np.random.default_rng(4)
    a_s = np.linspace(3.55, 4.25, 10)  # (100) from 29.0 to 24.2 deg
    pats, rows = [], []
    for k, a in enumerate(a_s):
        x, y, e = scan(rng, truth, phases=((3.452, 5.869, 1.0), (a, 6.3, 1.0)))
        pats.append((k + 1, x, y, e))
        rows.append({"scan": k + 1, "phase": "S", "present": True, "a_A": a, "c_A": 6.3})
    c = resolved()
    over = track.overlapping_scans(rows, c)
    assert 1 not in over and 10 not in over and "S(100)" in over[5]
    n_free = 10 - len(over)
    st = track.TrackSettings()
    ((_, naive),) = track.calibrate(pats, c, st)
    ((_, free),) = track.calibrate(pats, c, st, overlaps=over)
    assert free.basis.startswith(f"free scans only ({n_free} of 10")
    assert abs(free.shift_deg - truth) < 3 * free.shift_esd_deg
    assert abs(naive.shift_deg - truth) > 3 * naive.shift_esd_deg
    # every scan of the batch overlapped: the shift of the free scans before it is carried
    inside = [p for p in pats if p[0] in over]
    outside = [p for p in pats if p[0] not in over]
    ((_, carried),) = track.calibrate(
        inside, c, st, overlaps=over, earlier=outside, earlier_overlaps={}
    )
    assert carried.basis.startswith("carried from free scans")
    assert abs(carried.shift_deg - truth) < 3 * carried.shift_esd_deg
    with pytest.raises(FitError, match="overlapped in every scan"):
        track.calibrate(inside, c, st, overlaps=over)
