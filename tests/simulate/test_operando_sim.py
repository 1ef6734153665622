"""Read the synthetic operando XRD series, scan log and cycling file back and check the truth."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from intercal.simulate import operando

#: every test regenerates the whole demo data set of this technique (~15-35 s of CPU):
#: opt-in (`pytest -m slow`, run by .ci/run), so that the default `pytest` stays within 5 min
pytestmark = pytest.mark.slow

SEED = 20260218
KA1 = 1.540593
KA2 = 1.544414


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generate the operando files once into a temporary folder."""
    d = tmp_path_factory.mktemp("op")
    truth = operando.generate(d, SEED)
    return d / "operando", truth


@pytest.fixture(scope="module")
def scans(generated):
    d, truth = generated
    log = pd.read_csv(d / "scan_log.csv")
    data = np.array([np.loadtxt(d / f, comments="#") for f in log["file"]])
    return data


@pytest.fixture(scope="module")
def gt(generated):
    d, _ = generated
    return pd.read_csv(d / "ground_truth_operando.csv")


@pytest.fixture(scope="module")
def mpt(generated):
    """Plain pandas read of the EC-Lab text export (header length from line 2)."""
    d, _ = generated
    lines = (d / "cell.mpt").read_text(encoding="latin-1").splitlines()
    assert lines[0] == "EC-Lab ASCII FILE"
    n = int(lines[1].split(":")[1])
    df = pd.read_csv(d / "cell.mpt", sep="\t", skiprows=n - 1, encoding="latin-1")
    return df.dropna(axis=1, how="all"), "\n".join(lines[: n - 1])


def _two_theta(a, c, hkl, shift, lam=KA1):
    h, k, l = hkl
    d = 1.0 / math.sqrt(4.0 / (3 * a * a) * (h * h + h * k + k * k) + l * l / (c * c))
    tt = 2 * math.degrees(math.asin(lam / (2 * d)))
    zero, s_mm, radius = shift
    return tt + zero + math.degrees(-2 * s_mm * math.cos(math.radians(tt / 2)) / radius)


def _centroid(tt, y, centre, half):
    """Centroid (deg) of the counts above a straight baseline through the window edges."""
    win = np.abs(tt - centre) <= half
    x, v = tt[win], y[win].astype(float)
    base = np.interp(x, [x[0], x[-1]], [v[:3].mean(), v[-3:].mean()])
    net = v - base
    return float(np.sum(x * net) / np.sum(net))


def test_series_log_and_truth_consistent(generated, scans, gt):
    d, truth = generated
    log = pd.read_csv(d / "scan_log.csv")
    assert list(log.columns) == [
        "scan",
        "file",
        "start_time",
        "end_time",
        "start_time_s",
        "end_time_s",
    ]
    n = truth["n_scans"]
    assert 140 <= n <= 160
    assert len(log) == len(gt) == n == len(list((d / "scans").glob("scan_*.xye")))
    assert log["scan"].tolist() == list(range(1, n + 1))
    start = datetime.fromisoformat(truth["cell_start"])
    for col in ("start_time", "end_time"):
        secs = [(datetime.fromisoformat(t) - start).total_seconds() for t in log[col]]
        np.testing.assert_allclose(secs, log[f"{col}_s"], atol=1e-6)
    assert np.all(log["start_time_s"].to_numpy()[1:] >= log["end_time_s"].to_numpy()[:-1])
    tt = scans[0][:, 0]
    assert tt[0] == pytest.approx(12.0) and tt[-1] == pytest.approx(36.0)
    assert scans.shape == (n, 1201, 3)
    np.testing.assert_allclose(scans[:, :, 2], np.sqrt(np.maximum(scans[:, :, 1], 1)), atol=1e-3)
    size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    assert size < 8e6


def test_cycling_file_on_same_clock(generated, mpt, gt):
    d, truth = generated
    df, comments = mpt
    text = comments
    assert "Acquisition started on : 03/03/2025 09:30:00.000" in text
    assert "Mass of active material : 4.500 mg" in text
    t = df["time/s"].to_numpy()
    assert np.all(np.diff(t) >= 0)
    v = df["Ewe/V"].to_numpy()
    assert v.min() == pytest.approx(1.0, abs=0.01) and v.max() == pytest.approx(3.0, abs=0.05)
    log = pd.read_csv(d / "scan_log.csv")
    assert t[-1] >= log["end_time_s"].iloc[-1]
    # x from the charge passed, at each scan's mid time, against the counted truth; the
    # true x falls behind it by the first discharge's irreversible loss (4.5 %)
    dx_per_mAh = (51.9961 + 2 * 78.971) / (26801.4 * 4.5e-3)
    x = -df["(Q-Qo)/mA.h"].to_numpy() * dx_per_mAh
    xm = np.interp(gt["mid_time_s"], t, x)
    np.testing.assert_allclose(xm, gt["x_counted"], atol=0.003)
    late = gt["cycle"] == 2
    np.testing.assert_allclose(
        (gt["x_counted"] - gt["x"])[late], truth["irreversible_x_first_cycle"], atol=0.003
    )
    vm = np.interp(gt["mid_time_s"], t, v)
    np.testing.assert_allclose(vm, gt["voltage_V"], atol=0.01)
    # plateau ~2.6 V for x < 0.5 and a slope below, about half the capacity each
    dis = (gt["step"] == "discharge") & (gt["cycle"] == 2)
    plateau = gt[dis & (gt["x"] > 0.1) & (gt["x"] < 0.4)]["voltage_V"]
    assert plateau.between(2.5, 2.7).all()
    assert gt[dis & (gt["x"] > 0.7)]["voltage_V"].max() < 2.2
    assert truth["x_lithiated"] == pytest.approx(125.3 / 127.7, abs=1e-4)


def test_lattice_truth_summary(generated, gt):
    _, truth = generated
    assert truth["transition_x"] == 0.5
    v_d = math.sqrt(3) / 2 * 3.452**2 * 5.869
    v_l = math.sqrt(3) / 2 * 3.691**2 * 6.294
    assert truth["volume_expansion_percent"] == pytest.approx(100 * (v_l / v_d - 1), abs=1e-3)
    assert 21 < truth["volume_expansion_percent"] < 23
    plateau = gt[gt["x"] < 0.4]
    assert plateau["fraction_CrSe2"].min() > 0.98
    np.testing.assert_allclose(plateau["c_CrSe2_A"], 5.869)
    end = gt.loc[gt["x"].idxmax()]
    assert end["a_LiCrSe2_A"] == pytest.approx(3.691, abs=0.003)
    assert end["c_LiCrSe2_A"] == pytest.approx(6.294, abs=0.003)
    two = gt[(gt["fraction_CrSe2"] > 0.2) & (gt["fraction_LiCrSe2"] > 0.2)]
    assert len(two) >= 4 and two["x"].between(0.4, 0.6).all()
    # reversible: charge follows the same lattice path in x
    for step in ("discharge", "charge"):
        sub = gt[(gt["step"] == step) & (gt["fraction_LiCrSe2"] > 0.99)].sort_values("x")
        c_path = np.interp(sub["x"], [0.5, truth["x_lithiated"]], [6.18775, 6.294])
        np.testing.assert_allclose(sub["c_LiCrSe2_A"], c_path, atol=2e-4)


def _peak(tt, y, centre, half=0.25):
    win = np.abs(tt - centre) < half
    return tt[win][np.argmax(y[win])], y[win].max()


def test_peak_positions_follow_truth(generated, scans, gt):
    _, truth = generated
    ins = truth["instrument"]
    shift = (ins["zero_shift_deg"], ins["displacement_mm"], ins["goniometer_radius_mm"])
    tt = scans[0][:, 0]
    checked = 0
    for i, row in gt.iterrows():
        y = scans[i][:, 1]
        for p in ("CrSe2", "LiCrSe2"):
            if row[f"fraction_{p}"] < 0.98:
                continue
            for hkl in ((0, 0, 1), (1, 0, 1)):
                t1 = _two_theta(row[f"a_{p}_A"], row[f"c_{p}_A"], hkl, shift)
                t2 = _two_theta(row[f"a_{p}_A"], row[f"c_{p}_A"], hkl, shift, KA2)
                exp = t1 + (t2 - t1) / 3.0  # Ka1 + Ka2 (ratio 0.5) centroid
                pos = _centroid(tt, y, exp, 0.3)
                assert abs(pos - exp) <= 0.02, (row["scan"], p, hkl, pos, exp)
                checked += 1
    assert checked > 200


def test_two_phase_scans_show_both_phases(generated, scans, gt):
    tt = scans[0][:, 0]
    two = gt[(gt["fraction_CrSe2"] > 0.3) & (gt["fraction_LiCrSe2"] > 0.3)]
    assert len(two) >= 2
    for i, row in two.iterrows():
        y = scans[i][:, 1]
        base = np.median(y[(tt > 16) & (tt < 18)])
        for c in (row["c_CrSe2_A"], row["c_LiCrSe2_A"]):
            exp = 2 * math.degrees(math.asin(KA1 / (2 * c)))
            _, height = _peak(tt, y, exp, 0.15)
            assert height - base > 8 * math.sqrt(base)


def test_fixed_reflections_do_not_move(generated, scans):
    _, truth = generated
    tt = scans[0][:, 0]
    total = scans[:, :, 1].sum(axis=0)
    first = scans[: len(scans) // 3, :, 1].sum(axis=0)
    last = scans[-len(scans) // 3 :, :, 1].sum(axis=0)
    for fr in truth["fixed_reflections"]:
        t0 = fr["two_theta_ka1_deg"]
        assert 12 < t0 < 36
        p_all = _centroid(tt, total, t0, 0.6)
        p1 = _centroid(tt, first, t0, 0.6)
        p2 = _centroid(tt, last, t0, 0.6)
        assert abs(p1 - p2) <= 0.02 and abs(p_all - t0) <= 0.06, (fr, p1, p2, p_all)


def test_counts_are_poisson(scans):
    """Scan-to-scan differences in a flat region scatter as the difference of two Poissons."""
    tt = scans[0][:, 0]
    reg = (tt > 17.0) & (tt < 19.0)
    a, b = scans[1][reg, 1], scans[2][reg, 1]
    z = (a - b) / np.sqrt(a + b)
    assert z.std() == pytest.approx(1.0, abs=0.12)


def test_bytes_reproducible(generated, tmp_path, demo_data):
    """Same seed, same bytes; the bundled data/operando (if present) is current."""
    d, _ = generated
    operando.generate(tmp_path, SEED)
    new = tmp_path / "operando"
    names = ["scan_log.csv", "cell.mpt", "ground_truth_operando.csv"]
    names += [f"scans/{p.name}" for p in sorted((d / "scans").iterdir())[::10]]
    for name in names:
        assert (new / name).read_bytes() == (d / name).read_bytes(), name
    bundled = demo_data / "operando"
    if (bundled / "scan_log.csv").exists():
        for name in names:
            assert (bundled / name).read_bytes() == (d / name).read_bytes(), name


def test_project_echem_reader_reads_cell_file(generated):
    """The project's .mpt reader (validated on real EC-Lab exports) reads the cycling file."""
    from intercal.io.echem import read_mpt

    d, _ = generated
    data = read_mpt(d / "cell.mpt")
    assert data.meta["active_mass_mg"] == pytest.approx(4.5)
    assert data.meta["acquisition_start"] == "03/03/2025 09:30:00.000"
    tab = data.table
    assert tab["voltage_V"].min() == pytest.approx(1.0, abs=0.01)
    assert tab["time_s"].iloc[-1] >= pd.read_csv(d / "scan_log.csv")["end_time_s"].iloc[-1]
    i_dis = tab.loc[tab["current_mA"] < 0, "current_mA"]
    assert i_dis.mean() == pytest.approx(-0.1 * 127.7 * 4.5e-3, rel=1e-3)
