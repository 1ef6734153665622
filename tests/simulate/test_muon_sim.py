"""The muSR forward model: file layout like the real ISIS file, truth read back, determinism."""

import h5py
import numpy as np
import pytest

from intercal.io.muon import read_muon
from intercal.simulate import muon as sim


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("mu")
    orig = dict(sim.TRUTH)
    sim.TRUTH["temperatures_K"] = [100, 300]  # small run set for speed
    try:
        truth = sim.generate(out, 7)
        truth2 = sim.generate(out / "again", 7)
    finally:
        sim.TRUTH.clear()
        sim.TRUTH.update(orig)
    return out, truth, truth2


def test_layout_follows_real_emu_v2(generated, realdata):
    out, truth, _ = generated
    with h5py.File(realdata / "muon" / "EMU00005989_v2.nxs") as ref:
        ref_paths = set()
        ref.visit(ref_paths.add)
    with h5py.File(out / "musr" / "EMU00095001.nxs") as f:
        ours = set()
        f.visit(ours.add)
        assert f["raw_data_1/definition"][0] == b"muonTD"
        assert f["raw_data_1/detector_1/counts"].compression == "gzip"
    core = {p for p in ref_paths if "temperature_1_env" not in p and "experiment" not in p}
    missing = core - ours - {"raw_data_1/instrument/source/probe"}
    assert not missing


def test_read_back_truth(generated):
    out, truth, _ = generated
    run = read_muon(out / "musr" / "EMU00095001.nxs")
    assert run.counts.shape == (96, 2000) and run.bin_width_us == pytest.approx(0.016)
    assert run.temperature_K == pytest.approx(100, abs=0.5) and run.field_G == 0.0
    assert run.dead_time_us is not None and run.good_frames > 10000
    assert 8e6 < run.counts.sum() < 14e6
    cal = read_muon(out / "musr" / "EMU00095000.nxs")  # TF: mean polarisation ~ 0
    assert cal.field_G == 20.0
    eff_ratio = cal.counts[:48].sum() / cal.counts[48:].sum()
    assert eff_ratio == pytest.approx(truth["alpha"], rel=0.02)
    assert truth["runs"][0]["kind"] == "TF calibration"


def test_deterministic(generated):
    out, truth, truth2 = generated
    assert truth == truth2
    a = (out / "musr" / "EMU00095004.nxs").read_bytes()
    b = (out / "again" / "musr" / "EMU00095004.nxs").read_bytes()
    assert a == b


def test_hop_rate_truth():
    assert sim.hop_rate(150) == 0.0
    assert sim.hop_rate(300) == pytest.approx(17.5 * np.exp(-74 / (sim.KB_MEV * 300)))
