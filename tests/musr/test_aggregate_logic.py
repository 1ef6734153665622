"""Onset, Arrhenius error convention, runaway and grouping checks on constructed inputs."""

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError, InputError
from intercal.musr.arrhenius import (
    KB_MEV,
    classify_dynamic,
    detect_onset,
    first_point_z,
    fit_arrhenius,
)
from intercal.musr.pipeline import aggregate
from intercal.tables import fit_record

T = np.array([100.0, 125.0, 150.0, 165.0, 180.0, 210.0, 240.0, 270.0, 300.0])


def law(t, ea=74.0, nu0=17.5):
    return nu0 * np.exp(-ea / (KB_MEV * np.asarray(t)))


def table(nu, err):
    return pd.DataFrame({"temperature_K": T, "nu_MHz": nu, "nu_stderr_MHz": err})


def test_nan_stderr_is_never_dynamic():
    assert not classify_dynamic([0.5], [np.nan])[0]
    assert classify_dynamic([0.5], [0.1])[0]


def test_onset_between_last_static_and_first_dynamic():
    nu = np.where(T > 158, law(T), 0.0)
    onset, err, first, flags = detect_onset(table(nu, np.full(T.size, 0.005)))
    assert (onset, err, first) == (157.5, 7.5, 165.0)
    assert flags == []


def test_onset_nan_stderr_in_static_region_does_not_move_onset():
    # issue 16: a missing stderr stored as 0 made a static point "dynamic"
    nu = np.where(T > 158, law(T), 0.0)
    err = np.full(T.size, 0.005)
    nu[1], err[1] = 0.03, np.nan
    onset, _, _, _ = detect_onset(table(nu, err))
    assert onset == 157.5


def test_single_point_onset_flagged():
    nu = np.where(T > 158, law(T), 0.0)
    err = np.full(T.size, 0.005)
    err[3] = nu[3] / 2.5  # first dynamic point only 2.5 esd above zero
    _, _, _, flags = detect_onset(table(nu, err))
    assert "single_point_onset" in flags


def test_top_not_dynamic_is_fit_error_with_values():
    nu = np.where(T > 158, law(T), 0.0)
    err = np.full(T.size, 0.005)
    err[-1] = 6028.0
    with pytest.raises(FitError, match=r"300 K is not dynamic .*onset_K"):
        detect_onset(table(nu, err))


def test_arrhenius_errors_not_scaled_down_when_redchi_below_one():
    t = T[3:]
    nu = law(t)
    err = 0.05 * nu
    rng = np.random.default_rng(3)
    noisy = nu + 0.2 * err * rng.standard_normal(t.size)  # redchi ~ 0.04
    rec, v = fit_arrhenius(t, noisy, err)
    _, v_exact = fit_arrhenius(t, nu, err)
    assert v["redchi"] < 1 and v["errors_scaled_by_redchi"] == 0
    assert v["Ea_stderr_meV"] == pytest.approx(v_exact["Ea_stderr_meV"], rel=0.05)
    big = nu + 3.0 * err * rng.standard_normal(t.size)
    _, vb = fit_arrhenius(t, big, err)
    assert vb["redchi"] > 1 and vb["errors_scaled_by_redchi"] == 1
    assert vb["Ea_stderr_meV"] > v_exact["Ea_stderr_meV"]


def test_arrhenius_covariance_enters_esd():
    t = T[3:]
    nu = law(t)
    err = 0.03 * nu
    _, v_diag = fit_arrhenius(t, nu, covariance=np.diag(err**2))
    # a common (fully correlated) scale error of 3 % adds to the nu0 error, not to Ea
    corr = np.outer(0.03 * nu, 0.03 * nu)
    _, v_corr = fit_arrhenius(t, nu, covariance=np.diag(err**2) + corr)
    rel = np.hypot(v_diag["nu0_stderr_MHz"] / v_diag["nu0_MHz"], 0.03)
    assert v_corr["nu0_stderr_MHz"] == pytest.approx(rel * v_corr["nu0_MHz"], rel=0.02)
    assert v_corr["Ea_stderr_meV"] == pytest.approx(v_diag["Ea_stderr_meV"], rel=0.02)
    assert v_diag["Ea_meV"] == pytest.approx(74.0, abs=1e-3)


def _stage1(temp, at_bound=False):
    note = "at bound (0.0, 0.5)" if at_bound else ""
    return fit_record(
        [
            {"parameter": "temperature", "value": temp, "stderr": 0.01, "unit": "K"},
            {"parameter": "delta", "value": 0.36, "stderr": 0.01, "unit": "us^-1"},
            {"parameter": "nu", "value": 0.1, "stderr": 0.01, "unit": "MHz"},
            {"parameter": "a0", "value": 0.0, "stderr": np.nan, "unit": "", "note": note},
        ]
    )


def test_all_fits_at_bounds_names_the_grouping():
    recs = [_stage1(t, at_bound=True) for t in (100.0, 200.0, 300.0)]
    with pytest.raises(InputError, match=r"musr.grouping: .*forward '49-96' / backward '1-48'"):
        aggregate(recs, [pd.DataFrame()] * 3, grouping={"forward": "49-96", "backward": "1-48"})


def test_false_onset_point_is_far_from_the_law():
    t = np.array([150.0, 180.0, 210.0, 240.0, 270.0, 300.0])
    err = 0.04 * law(t)
    cov = np.diag(err**2)
    assert abs(first_point_z(t, law(t), cov)) < 0.5
    nu = law(t)
    nu[0] = 0.02  # a static point lifted above 2 esd by a fluctuation (law: 0.057 MHz)
    cov[0, 0] = 0.008**2
    assert first_point_z(t, nu, cov) < -3
