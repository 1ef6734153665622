"""Pre-edge peaks: window from the data, centroid/area with errors, flags instead of collapse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from intercal.xas.pipeline import process_spectrum
from intercal.xas.preedge import find_preedge_window, summarize_preedge

from .conftest import COLUMNS

CO = {
    "element": "Co",
    "reference_e0": 7709.0,
    "e0_window": [7712.0, 7732.0],
    "normalization": {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 300.0, "nnorm": 2},
    "columns": COLUMNS,
    "n_mc": 60,
}


def _co(folder, sample, fit, **kw):
    files = sorted(str(p) for p in folder.glob(f"CoK_{sample}_*.dat"))
    return process_spectrum(files, name=f"Co_{sample}", sample=sample, fit=fit, **{**CO, **kw})


@pytest.fixture(scope="module")
def co_auto(co_sim):
    folder, _ = co_sim
    fit = {"fit_range": [-20.0, 10.0], "n_pre": 1, "n_edge": 1}
    return {s: _co(folder, s, fit) for s in ("LiCoO2", "Li0.5CoO2")}


def test_window_from_second_derivative_holds_the_peak(co_auto, co_sim):
    _, truth = co_sim
    for sample, res in co_auto.items():
        s = res["summary"]
        win = s["preedge_window"]
        assert win["method"] == "second_derivative" and win["found"]
        true = truth["preedge_eV"]["Co"][sample]
        lo, hi = win["window_eV"]
        assert lo < true < hi
        assert hi < win["onset_eV"] + 1.0  # below the edge onset


def test_centroid_and_area_recovered_with_errors(co_auto, co_sim):
    _, truth = co_sim
    for sample, res in co_auto.items():
        s = res["summary"]
        true = truth["preedge_eV"]["Co"][sample]
        err = s["preedge_stderr_eV"]
        assert np.isfinite(err) and 0 < err < 0.3
        # model error (pseudo-Voigt on an arctangent vs Lorentzian on broadened steps) is
        # part of the check: within 3 esd or 0.15 eV
        assert abs(s["preedge_eV"] - true) < max(3 * err, 0.15), sample
        assert s["preedge_area"] > 3 * s["preedge_area_stderr"] > 0
        assert s["qc"]["preedge"] == []
        rec = res["record"].set_index("parameter")
        assert rec.loc["preedge_centroid", "unit"] == "eV"
        assert rec.loc["preedge_area", "stderr"] > 0
    # the delithiated sample has the larger pre-edge (more 3d holes)
    assert (
        co_auto["Li0.5CoO2"]["summary"]["preedge_area"]
        > co_auto["LiCoO2"]["summary"]["preedge_area"]
    )


def test_fixed_window_is_recorded(co_sim):
    folder, _ = co_sim
    res = _co(folder, "LiCoO2", {"fit_range": [-20.0, 10.0], "pre_window": [-13.0, -10.0]})
    win = res["summary"]["preedge_window"]
    assert win["method"] == "fixed (config pre_window)"
    e0 = res["summary"]["e0_eV"]
    assert win["window_eV"] == pytest.approx([e0 - 13.0, e0 - 10.0])


def test_window_without_a_peak_flags_instead_of_collapsing(co_sim, caplog):
    """A window on the featureless pre-edge: no significant area, or the centre at a bound."""
    folder, _ = co_sim
    with caplog.at_level("WARNING"):
        res = _co(folder, "LiCoO2", {"fit_range": [-30.0, 10.0], "pre_window": [-28.0, -20.0]})
    flags = res["summary"]["qc"]["preedge"]
    assert flags, "a fit with no peak in its window must be flagged"
    assert any(
        f.startswith(("preedge_area_insignificant", "preedge_at_bound", "preedge_esd"))
        for f in flags
    )
    assert "pre-edge fit flagged" in caplog.text
    from intercal.xas.pipeline import reproduction

    rows = reproduction([res["summary"]]).set_index("quantity")
    assert rows.loc["xas.Co.LiCoO2.preedge", "qc"] != ""
    assert rows.loc["xas.Co.LiCoO2.edge", "qc"] == ""


def test_no_peak_found_gives_flag_and_nan(co_sim):
    """A smooth arctangent edge has no curvature minimum below the onset."""
    e = np.arange(7600.0, 7800.0, 0.25)
    norm = 0.5 + np.arctan((e - 7720.0) / 2.0) / np.pi
    found = find_preedge_window(e, norm, 7720.0)
    assert not found["found"] and found["method"] == "second_derivative"


def test_summary_flags_nan_esd_and_bounds():
    params = {"pre1_amplitude": (0.1, math.nan), "pre1_center": (7710.0, math.nan)}
    out = summarize_preedge(params, None, [], 1, [(7708.0, 7710.02)])
    assert "preedge_esd_nan" in out["flags"]
    assert "preedge_at_bound:pre1_center" in out["flags"]
    cov = np.diag([0.01**2, 0.02**2])
    out = summarize_preedge(
        {"pre1_amplitude": (0.02, 0.01), "pre1_center": (7709.0, 0.02)},
        cov,
        ["pre1_amplitude", "pre1_center"],
        1,
        [(7708.0, 7710.0)],
    )
    assert out["flags"] == ["preedge_area_insignificant"]
    assert out["area_stderr"] == pytest.approx(0.01)
    assert out["centroid_stderr_eV"] == pytest.approx(0.02)


def test_two_peak_centroid_propagation():
    names = ["pre1_amplitude", "pre2_amplitude", "pre1_center", "pre2_center"]
    params = {
        "pre1_amplitude": (0.1, 0.01),
        "pre2_amplitude": (0.3, 0.01),
        "pre1_center": (7709.0, 0.05),
        "pre2_center": (7711.0, 0.05),
    }
    cov = np.diag([0.01**2, 0.01**2, 0.05**2, 0.05**2])
    out = summarize_preedge(params, cov, names, 2, [(7707, 7712), (7707, 7712)])
    assert out["centroid_eV"] == pytest.approx((0.1 * 7709 + 0.3 * 7711) / 0.4)
    assert out["area"] == pytest.approx(0.4)
    # numeric check of the propagated centroid error
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal([0.1, 0.3, 7709.0, 7711.0], cov, 20000)
    cen = (draws[:, 0] * draws[:, 2] + draws[:, 1] * draws[:, 3]) / (draws[:, 0] + draws[:, 1])
    assert out["centroid_stderr_eV"] == pytest.approx(cen.std(), rel=0.05)
