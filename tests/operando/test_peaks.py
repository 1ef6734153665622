"""Pseudo-Voigt doublet model and window fits against closed forms and known truth."""

import math

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.operando import peaks


def test_pseudo_voigt_unit_area_and_half_maximum():
    x = np.linspace(-20, 20, 400001)
    for eta in (0.0, 0.3, 1.0):
        p = peaks.pseudo_voigt(x, 0.0, 0.2, eta)
        area = np.trapezoid(p, x)
        # Lorentzian tails beyond +-20 deg hold 2/pi*atan... of the area
        expect = 1.0 - eta * (1 - 2 / math.pi * math.atan(2 * 20 / 0.2))
        assert area == pytest.approx(expect, rel=1e-5)
        peak = peaks.pseudo_voigt(np.array([0.0, 0.1]), 0.0, 0.2, eta)
        assert peak[1] / peak[0] == pytest.approx(0.5, rel=1e-12)


def test_ka2_center_follows_bragg():
    c2 = peaks.ka2_center(30.0)
    th2 = math.asin(peaks.CU_KA2 / peaks.CU_KA1 * math.sin(math.radians(15.0)))
    assert c2 == pytest.approx(2 * math.degrees(th2), abs=1e-12)
    assert c2 - 30.0 == pytest.approx(0.0769, abs=0.001)


def test_analytic_derivatives_match_finite_differences():
    x = np.linspace(13, 16, 301)
    p, dc, dw, de = peaks._pv_derivs(x, 14.3, 0.13, 0.37)
    h = 1e-7
    assert np.allclose(
        dc, (peaks.pseudo_voigt(x, 14.3 + h, 0.13, 0.37) - p) / h, atol=1e-3 * abs(dc).max()
    )
    assert np.allclose(
        dw, (peaks.pseudo_voigt(x, 14.3, 0.13 + h, 0.37) - p) / h, atol=1e-3 * abs(dw).max()
    )
    assert np.allclose(de, (peaks.pseudo_voigt(x, 14.3, 0.13, 0.37 + h) - p) / h, atol=1e-5)


@pytest.fixture(scope="module")
def doublet_data():
    rng = np.random.default_rng(42)
    x = np.arange(13.3, 15.8, 0.01)
    truth = dict(c1=14.10, a1=300.0, c2=14.95, a2=200.0)
    y = 200 + 5 * (x - 14)
    y = y + peaks.doublet(x, truth["c1"], truth["a1"], 0.12, 0.4)
    y = y + peaks.doublet(x, truth["c2"], truth["a2"], 0.10, 0.4)
    return x, y, rng, truth


def test_window_fit_recovers_truth_with_honest_esds(doublet_data):
    x, y, rng, truth = doublet_data
    seeds = [
        peaks.PeakSeed("L", 14.15, 13.9, 14.4, 0.1),
        peaks.PeakSeed("C", 14.9, 14.7, 15.2, 0.1),
    ]
    pulls = []
    for _ in range(40):
        yo = rng.poisson(y).astype(float)
        r = peaks.fit_window(x, yo, np.sqrt(np.maximum(yo, 1)), seeds, scale_esd=False)
        assert r.success
        pulls.append((r.peak("L").center - truth["c1"]) / r.peak("L").center_esd)
        pulls.append((r.peak("C").center - truth["c2"]) / r.peak("C").center_esd)
        assert 0.6 < r.redchi < 1.5
    pulls = np.array(pulls)
    # unbiased and honest: pull mean ~0, pull spread ~1 (not 10x too small)
    assert abs(pulls.mean()) < 0.4
    assert 0.7 < pulls.std() < 1.4


def test_background_only_window_and_f_test(doublet_data):
    x, _, rng, _ = doublet_data
    y = rng.poisson(200 + 5 * (x - 14)).astype(float)
    s = np.sqrt(y)
    r0 = peaks.fit_window(x, y, s, [])
    r1 = peaks.fit_window(x, y, s, [peaks.PeakSeed("noise", 14.5, 14.3, 14.7, 0.1)])
    p = peaks.f_test_pvalue(r0.chi2, r1.chi2, 3, r1.n_points, r1.n_params)
    assert p > 1e-3  # a peak fitted to noise is not significant


def test_bad_pattern_raises():
    x = np.linspace(10, 20, 50)
    with pytest.raises(InputError, match="increase strictly"):
        peaks.check_pattern(x[::-1], x, np.ones(50), "scan_0001.xye")
    with pytest.raises(InputError, match="esd column"):
        peaks.check_pattern(x, x, np.zeros(50), "scan_0001.xye")


def test_levenberg_marquardt_reaches_the_scipy_optimum(doublet_data):
    """The bounded LM of fit_window ends where scipy's trust-region least squares does."""
    from scipy.optimize import least_squares

    x, y, rng, _ = doublet_data
    yo = rng.poisson(y).astype(float)
    s = np.sqrt(np.maximum(yo, 1))
    seeds = [
        peaks.PeakSeed("L", 14.15, 13.9, 14.4, 0.1),
        peaks.PeakSeed("C", 14.9, 14.7, 15.2, 0.1),
    ]
    r = peaks.fit_window(x, yo, s, seeds, scale_esd=False)
    xm = 0.5 * (x[0] + x[-1])

    def resid(p):
        m = p[5] + p[6] * (x - xm)
        m = m + peaks.doublet(x, p[0], p[2], p[3], p[4]) + peaks.doublet(x, p[1], p[7], p[8], p[4])
        return (m - yo) / s

    p0 = [14.15, 14.9, 250.0, 0.1, 0.5, 200.0, 5.0, 150.0, 0.1]
    lo = [13.9, 14.7, 0, 0.02, 0, -np.inf, -np.inf, 0, 0.02]
    hi = [14.4, 15.2, np.inf, 1.0, 1, np.inf, np.inf, np.inf, 1.0]
    ref = least_squares(resid, p0, bounds=(lo, hi), xtol=1e-12, ftol=1e-12, gtol=1e-12)
    assert r.chi2 == pytest.approx(2 * ref.cost, rel=1e-6, abs=1e-3)
    assert r.peak("L").center == pytest.approx(ref.x[0], abs=0.02 * r.peak("L").center_esd)
    assert r.peak("C").center == pytest.approx(ref.x[1], abs=0.02 * r.peak("C").center_esd)
    assert r.eta == pytest.approx(ref.x[4], abs=0.02 * r.eta_esd)
