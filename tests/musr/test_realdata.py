"""Readers and reductions against the real files in ../shared/realdata/muon."""

import h5py
import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.muon import read_muon
from intercal.musr.fit import KTDataset, fit_alpha_tf, fit_kt_global
from intercal.musr.reduce import asymmetry, dead_time_correct, grouped_counts, reduce_run

pytestmark = pytest.mark.realdata


def test_emu_hdf4_asymmetry_equals_mantid(realdata):
    run = read_muon(realdata / "muon" / "emu00031895.nxs")
    assert run.n_spectra == 96 and run.t0_us == pytest.approx(0.18) and run.good_frames == 6501
    df = reduce_run(
        run,
        forward="1-48",
        backward="49-96",
        alpha=1.0,
        dead_time=False,
        t_min_us=0.11 + run.bin_width_us / 2,
        t_max_us=10.0,
    )
    with h5py.File(realdata / "muon" / "reference" / "EMUAnalysis.nxs") as f:
        x = f["mantid_workspace_1/workspace/axis1"][()]
        y = f["mantid_workspace_1/workspace/values"][0]
    assert len(df) == len(x) == 617
    np.testing.assert_allclose(df["time_us"], x, atol=1e-6)
    np.testing.assert_allclose(df["asymmetry"], y, atol=1e-6)


def test_emu_period_2_and_errors(realdata):
    run2 = read_muon(realdata / "muon" / "emu00031895.nxs", period=2)
    run1 = read_muon(realdata / "muon" / "emu00031895.nxs", period=1)
    assert not np.array_equal(run1.counts, run2.counts)
    with pytest.raises(InputError, match="period 3"):
        read_muon(realdata / "muon" / "emu00031895.nxs", period=3)


def test_tf_fit_32482_field(realdata):
    run = read_muon(realdata / "muon" / "32482.NXS")
    g = grouped_counts(run, "1-16", "17-32", dead_time=False)
    res = fit_alpha_tf(
        g["time_us"],
        g["F"],
        g["B"],
        g["var_F"],
        g["var_B"],
        field_guess_G=20.0,
        t_min_us=0.2,
        t_max_us=20.0,
        damping="exponential",
    )
    assert abs(res.field_G - 20.179) < 2 * 0.028
    assert abs(res.record.set_index("parameter").loc["a1", "value"] - 0.1877) < 0.005


def test_psi_bin_lf_kt_fit_bab6(realdata):
    run = read_muon(realdata / "muon" / "deltat_tdc_dolly_1020.bin")
    assert run.extra["labels"][:2] == ["Forw", "Back"] and run.temperature_K == pytest.approx(
        20, abs=0.1
    )
    c = run.counts.astype(float)
    # musrfit test-asy-LF-BaB6.msr: forward = histo 2, backward = histo 1, t0 160/161
    f_bg, b_bg = c[1, 15:147], c[0, 13:149]
    F, B = c[1] - f_bg.mean(), c[0] - b_bg.mean()
    vF, vB = c[1] + f_bg.sum() / f_bg.size**2, c[0] + b_bg.sum() / b_bg.size**2
    i = np.arange(170, 9110)
    t = (i - 160) * run.bin_width_us
    # musrfit's alpha = 0.7 multiplies the forward histogram: ours (F - a B) uses a = 1/0.7
    a, e = asymmetry(F[i], B[i + 1], vF[i], vB[i + 1], alpha=1 / 0.7)
    res = fit_kt_global(
        [KTDataset(t, a, e, 2.127, "LF")],
        fixed={"a_bg": 0.0, "lam": 0.0},
        start={"delta": 0.5, "nu": 0.1, "a0": 0.2},
        t_min_us=0.25,
        t_max_us=10,
    )
    assert abs(res.values["delta"] - 0.5387) < 2 * 0.0055
    assert abs(res.values["nu"] - 0.119) < 2 * 0.014
    assert abs(res.values["a0"] - 0.2091) < 2 * 0.0013


def test_v2_hdf5_files_and_missing_fields(realdata, tmp_path):
    hifi = read_muon(realdata / "muon" / "HIFI00180594.nxs")
    assert hifi.counts.shape == (64, 2048) and hifi.good_frames == 10109
    assert hifi.dead_time_us is not None and set(hifi.grouping) == {1, 2}
    emu = read_muon(realdata / "muon" / "EMU00005989_v2.nxs")
    assert emu.field_G == 69.0 and emu.good_frames is None
    with pytest.raises(InputError, match="good_frames"):
        dead_time_correct(
            emu.counts, np.zeros(emu.n_spectra), emu.bin_width_us, emu.good_frames, path=emu.path
        )
    bad = tmp_path / "bad.nxs"
    with h5py.File(realdata / "muon" / "EMU00005989_v2.nxs") as src, h5py.File(bad, "w") as dst:
        src.copy("raw_data_1", dst)
        del dst["raw_data_1/sample/temperature_1"]
    with pytest.raises(InputError, match=r"bad.nxs: field 'raw_data_1/sample/temperature'"):
        read_muon(bad)
