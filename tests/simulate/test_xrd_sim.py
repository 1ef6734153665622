"""Read the synthetic ex-situ PXRD files back and check them against the truth they encode."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml
from scipy.optimize import curve_fit

from intercal.simulate import xrd_exsitu

SEED = 20260218
NS = {"x": "http://www.xrdml.com/XRDMeasurement/1.5"}
KA1, KA2 = 1.540593, 1.544414


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generate the ex-situ files once into a temporary folder."""
    d = tmp_path_factory.mktemp("xrd")
    truth = xrd_exsitu.generate(d, SEED)
    return d, truth


def _xye(path):
    return np.loadtxt(path, comments="#")


def _xrdml(path):
    root = ET.parse(path).getroot()
    meas = root.find("x:xrdMeasurement", NS)
    wl = meas.find("x:usedWavelength", NS)
    pos = meas.find("x:scan/x:dataPoints/x:positions[@axis='2Theta']", NS)
    start = float(pos.find("x:startPosition", NS).text)
    end = float(pos.find("x:endPosition", NS).text)
    counts = np.array(meas.find("x:scan/x:dataPoints/x:counts", NS).text.split(), dtype=float)
    return {
        "tt": np.linspace(start, end, counts.size),
        "counts": counts,
        "ka1": float(wl.find("x:kAlpha1", NS).text),
        "ka2": float(wl.find("x:kAlpha2", NS).text),
        "ratio": float(wl.find("x:ratioKAlpha2KAlpha1", NS).text),
        "start_time": meas.find("x:scan/x:header/x:startTimeStamp", NS).text,
    }


def _bragg(a, c, hkl, lam):
    h, k, l = hkl
    d = 1.0 / math.sqrt(4.0 / (3 * a * a) * (h * h + h * k + k * k) + l * l / (c * c))
    return 2 * math.degrees(math.asin(lam / (2 * d)))


def _shift(tt, zero, s_mm, radius):
    return zero + math.degrees(-2 * s_mm * math.cos(math.radians(tt / 2)) / radius)


@pytest.mark.parametrize("key", ["CrSe2_graphite", "LiCrSe2"])
def test_xye_and_xrdml_agree(generated, key):
    d, truth = generated
    xye = _xye(d / "xrd" / f"{key}.xye")
    xm = _xrdml(d / "xrd" / f"{key}.xrdml")
    assert xye.shape == (truth["n_points"], 3)
    assert xye[0, 0] == pytest.approx(10.0) and xye[-1, 0] == pytest.approx(80.0, abs=0.01)
    np.testing.assert_allclose(xm["tt"], xye[:, 0], atol=1e-5)
    np.testing.assert_array_equal(xm["counts"], xye[:, 1])
    np.testing.assert_allclose(xye[:, 2], np.sqrt(np.maximum(xye[:, 1], 1)), atol=1e-3)
    assert (xm["ka1"], xm["ka2"], xm["ratio"]) == (KA1, KA2, 0.5)
    assert xm["start_time"].startswith("2025-03-1")
    # realistic counts: strongest peak 5-20k counts
    assert 5000 < xye[:, 1].max() < 20000


@pytest.mark.parametrize("key", ["CrSe2_graphite", "LiCrSe2"])
def test_peaks_at_bragg_angles_of_truth_cell(generated, key):
    d, truth = generated
    s = truth["samples"][key]
    xye = _xye(d / "xrd" / f"{key}.xye")
    tt, y = xye[:, 0], xye[:, 1]
    step = truth["two_theta_step_deg"]
    refl = [r for r in s["reflections_ka1"] if r["phase"] != "graphite"]
    amax = max(r["area_counts_deg"] for r in refl)
    strong = [r for r in refl if r["area_counts_deg"] > 0.1 * amax]
    assert len(strong) >= 5
    ph = next(p for n, p in s["phases"].items() if n != "graphite")
    for r in strong:
        expect = _bragg(ph["a_A"], ph["c_A"], r["hkl"], KA1)
        assert expect == pytest.approx(r["two_theta_bragg_deg"], abs=1e-4)
        expect += _shift(expect, s["zero_shift_deg"], s["displacement_mm"], 240.0)
        win = np.abs(tt - expect) < 0.12
        peak = tt[win][np.argmax(y[win])]
        assert abs(peak - expect) <= 1.5 * step, (key, r["hkl"], peak, expect)


def test_graphite_002_only_in_crse2(generated):
    d, truth = generated
    for key, present in (("CrSe2_graphite", True), ("LiCrSe2", False)):
        xye = _xye(d / "xrd" / f"{key}.xye")
        tt, y = xye[:, 0], xye[:, 1]
        peak = y[(tt > 26.3) & (tt < 26.8)].max()
        side = np.median(y[((tt > 25.0) & (tt < 25.6)) | ((tt > 27.3) & (tt < 27.9))])
        excess = (peak - side) / math.sqrt(side)
        assert bool(excess > 10) is present, (key, excess)
    pos = _bragg(2.464, 6.711, (0, 0, 2), KA1)
    assert pos == pytest.approx(26.54, abs=0.01)


def test_weight_fraction_from_scales(generated):
    """Hill-Howard: w_p = S_p M_p V_p / sum(S M V) recovers the 90:10 weight fractions."""
    _, truth = generated
    ph = truth["samples"]["CrSe2_graphite"]["phases"]
    mass = {"CrSe2": 51.9961 + 2 * 78.971, "graphite": 4 * 12.011}
    smv = {n: ph[n]["scale_counts_deg"] * mass[n] * ph[n]["volume_A3"] for n in mass}
    w = smv["graphite"] / sum(smv.values())
    assert w == pytest.approx(0.10, abs=0.002)


def test_ka2_ratio(generated):
    """An isolated high-angle LiCrSe2 doublet: area(Ka2)/area(Ka1) = 0.5 (LP-corrected)."""
    d, truth = generated
    s = truth["samples"]["LiCrSe2"]
    xye = _xye(d / "xrd" / "LiCrSe2.xye")
    tt, y = xye[:, 0], xye[:, 1]
    allpos = np.array([r["two_theta_obs_deg"] for r in s["reflections_ka1"]])
    refl = [
        r
        for r in s["reflections_ka1"]
        if 45 < r["two_theta_obs_deg"] < 78
        and np.sum(np.abs(allpos - r["two_theta_obs_deg"]) < 0.8) == 1
    ]
    r = max(refl, key=lambda r: r["area_counts_deg"])
    t1 = r["two_theta_obs_deg"]
    t2 = 2 * math.degrees(math.asin(KA2 / (2 * r["d_A"])))
    t2 += t1 - r["two_theta_bragg_deg"]
    sep = t2 - t1
    assert sep > 0.1

    def model(x, a1, a2, x1, w, eta, b):
        def pv(c):
            z = ((x - c) / (w / 2)) ** 2
            return eta / (1 + z) + (1 - eta) * np.exp(-math.log(2) * z)

        return a1 * pv(x1) + a2 * pv(x1 + sep) + b

    win = np.abs(tt - t1 - sep / 2) < 0.6
    p0 = [y[win].max(), y[win].max() / 2, t1, 0.06, 0.5, np.median(y[win])]
    popt, _ = curve_fit(model, tt[win], y[win], p0=p0, sigma=np.sqrt(y[win] + 1))
    lp = [
        (1 + math.cos(math.radians(t)) ** 2)
        / (math.sin(math.radians(t / 2)) ** 2 * math.cos(math.radians(t / 2)))
        for t in (t1, t2)
    ]
    ratio = popt[1] / popt[0] * lp[0] / lp[1]
    assert ratio == pytest.approx(0.5, abs=0.04)


def test_counts_are_poisson(generated):
    d, _ = generated
    expected, *_ = xrd_exsitu.simulate_sample("LiCrSe2")
    y = _xye(d / "xrd" / "LiCrSe2.xye")[:, 1]
    assert np.all(y == np.round(y))
    z = (y - expected) / np.sqrt(expected)
    assert abs(z.mean()) < 0.05
    assert z.std() == pytest.approx(1.0, abs=0.05)


def test_truth_file_and_bytes_reproducible(generated, tmp_path):
    d, truth = generated
    assert yaml.safe_load((d / "xrd" / "ground_truth_xrd.yaml").read_text()) == truth
    xrd_exsitu.generate(tmp_path, SEED)
    for name in sorted(p.name for p in (d / "xrd").iterdir()):
        assert (tmp_path / "xrd" / name).read_bytes() == (d / "xrd" / name).read_bytes(), name
    size = sum(p.stat().st_size for p in (d / "xrd").iterdir())
    assert size < 2e6


def test_bundled_demo_data_is_current(demo_data, tmp_path):
    """data/xrd (if present) is what the generator writes with the default seed."""
    if not (demo_data / "xrd" / "LiCrSe2.xye").exists():
        pytest.skip("data/xrd not generated yet")
    xrd_exsitu.generate(tmp_path, SEED)
    for name in ("CrSe2_graphite.xye", "LiCrSe2.xrdml"):
        assert (tmp_path / "xrd" / name).read_bytes() == (demo_data / "xrd" / name).read_bytes()
