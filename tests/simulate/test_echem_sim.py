"""The electrochemistry forward model: files read back (own reader and impedance.py's),
encoded capacities recovered, same-seed regeneration byte-identical."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from intercal.echem import capacity
from intercal.io.echem import read
from intercal.simulate import echem as sim

#: every test regenerates the whole demo data set of this technique (~15-35 s of CPU):
#: opt-in (`pytest -m slow`, run by .ci/run), so that the default `pytest` stays within 5 min
pytestmark = pytest.mark.slow

SEED = 20260218  # intercal.simulate.__main__.DEFAULT_SEED, which wrote data/echem


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("echem_sim")
    truth = sim.generate(out, SEED)
    return out / "echem", truth


def _digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_file_set(generated):
    folder, truth = generated
    names = sorted(_digests(folder))
    assert len([n for n in names if n.startswith("gcpl/")]) == 5 + 4 + 1
    assert len([n for n in names if n.startswith("cv/")]) == 6
    assert len([n for n in names if n.startswith("eis/")]) == len(truth["eis"]) == 7
    assert sum(p.stat().st_size for p in folder.rglob("*.mpt")) < 20e6


def test_same_seed_is_byte_identical(generated, demo_data, tmp_path):
    folder, _ = generated
    committed = demo_data / "echem"
    if committed.is_dir():
        # the committed demo set is exactly what this seed writes
        assert _digests(committed) == _digests(folder)
    else:
        sim.generate(tmp_path, SEED)
        assert _digests(tmp_path / "echem") == _digests(folder)


def test_truth_targets(generated):
    _, truth = generated
    assert truth["theoretical_capacity_mAh_g"] == pytest.approx(127.7, abs=0.05)
    first = truth["first_cycles"]
    assert first["1.00"]["cycles"][0]["discharge_mAh_g"] == pytest.approx(125.3, rel=2e-3)
    assert first["2.00"]["cycles"][0]["discharge_mAh_g"] == pytest.approx(64.87, rel=2e-3)
    assert first["0.75"]["cycles"][0]["discharge_mAh_g"] == pytest.approx(482, rel=2e-3)
    assert first["0.75"]["cycles"][0]["charge_mAh_g"] == pytest.approx(318, rel=2e-3)
    assert first["0.75"]["cycles"][1]["discharge_mAh_g"] == pytest.approx(447, rel=2e-3)
    long = truth["cycling_0.5C"]
    assert long["1.00"]["retention_percent"] == pytest.approx(85, abs=0.5)
    assert long["2.00"]["retention_percent"] == pytest.approx(94, abs=0.5)
    one_c = [s for s in truth["rate"]["steps"] if s["c_rate"] == 1.0][0]
    assert one_c["retention_percent"] == pytest.approx(63, abs=0.5)
    assert truth["cv"]["params"]["d_lith_cm2_s"] == 9.71e-9
    assert truth["cv"]["params"]["d_delith_cm2_s"] == 7.69e-9


def _gcpl_files(truth):
    for key in ("first_cycles", "cycling_0.5C"):
        for entry in truth[key].values():
            yield entry["file"], entry["cycles"]
    yield truth["rate"]["file"], truth["rate"]["cycles"]


def test_encoded_capacities_recovered(generated):
    """Every half cycle of every GCPL file: our reader + cycle table within 0.5 % of the truth."""
    folder, truth = generated
    worst = 0.0
    for name, cycles in _gcpl_files(truth):
        table, meta = read(folder / "gcpl" / name)
        assert meta["technique_code"] == "GCPL"
        assert meta["active_mass_mg"] == pytest.approx(truth["cell"]["active_mass_mg"], rel=1e-6)
        cyc = capacity.cycle_table(table, meta["active_mass_mg"])
        assert len(cyc) == len(cycles), name
        for col in ("discharge_mAh_g", "charge_mAh_g"):
            want = np.array([c[col] for c in cycles])
            rel = np.abs(cyc[col].to_numpy() / want - 1)
            worst = max(worst, float(rel.max()))
            assert rel.max() < 0.005, (name, col, rel.max())
    # the truth is the integral of the written current: agreement is far inside 0.5 %
    assert worst < 1e-3


def test_rate_and_retention_recovered(generated):
    folder, truth = generated
    table, meta = read(folder / "gcpl" / truth["rate"]["file"])
    cyc = capacity.cycle_table(table, meta["active_mass_mg"])
    steps = [{"c_rate": c, "cycles": 5} for c in sim.RATE_STEPS]
    rate = capacity.rate_capability(cyc, steps)
    want = [s["retention_percent"] for s in truth["rate"]["steps"]]
    np.testing.assert_allclose(rate.retention_percent, want, atol=0.1)
    for entry in truth["cycling_0.5C"].values():
        t, m = read(folder / "gcpl" / entry["file"])
        ret = capacity.cycle_table(t, m["active_mass_mg"]).retention_percent.iloc[-1]
        assert ret == pytest.approx(entry["retention_percent"], abs=0.1)


def test_peis_read_by_ours_and_impedance_py(generated):
    from impedance.preprocessing import readFile

    folder, truth = generated
    for entry in truth["eis"]:
        path = folder / "eis" / entry["file"]
        ours, meta = read(path)
        assert meta["technique_code"] == "PEIS"
        f_ref, z_ref = readFile(str(path), instrument="biologic")
        assert len(f_ref) == len(ours) == 71
        np.testing.assert_allclose(ours.freq_Hz, f_ref, rtol=1e-12)
        np.testing.assert_allclose(ours.z_real_ohm, z_ref.real, rtol=1e-12)
        np.testing.assert_allclose(ours.z_imag_ohm, z_ref.imag, rtol=1e-12)
        # the written spectrum is the forward circuit plus 0.4 % noise
        z_true = sim.impedance_truth(f_ref, entry)
        rel = np.abs(z_ref - z_true) / np.abs(z_true)
        assert 0.001 < np.sqrt(np.mean(rel**2)) < 0.008
        assert ours.voltage_V.mean() == pytest.approx(entry["potential_V"], abs=1e-3)


def test_cv_header_and_sweeps(generated):
    folder, truth = generated
    for entry in truth["cv"]["files"]:
        table, meta = read(folder / "cv" / entry["file"])
        assert meta["technique_code"] == "CV"
        assert meta["scan_rate_mV_s"] == pytest.approx(entry["scan_rate_mV_s"])
        assert sorted(table.cycle.unique()) == [1, 2, 3]
        assert table.voltage_V.min() == pytest.approx(1.0, abs=0.01)
        assert table.voltage_V.max() == pytest.approx(3.0, abs=0.01)
