"""Le Bail engine: analytic Jacobian against finite differences, and the stopping rule."""

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError
from intercal.xrd.lebail import PatternModel, Phase, Settings, _stalled, refine


def _model():
    # broad peaks (FWHM ~0.3 deg) in a narrow range: the window tails of every
    # reflection reach the taper zone (40-50 FWHM) inside the range, and the widths are
    # evaluated at the observed centre (zero shift included)
    x = np.arange(25.0, 45.0, 0.02)
    st = Settings(
        U=30.0, V=-10.0, W=20.0, X=8.0, Y=4.0, SHL=0.03, soller_rad=0.02,
        zero_deg=-0.03, displacement_um=40.0, background_terms=3,
    )  # fmt: skip
    m = PatternModel(x, [Phase("LaB6", "Pm-3m", {"a": 4.15689})], st, "jac")
    p = m.p0.copy()
    p[m.ib0 : m.ib0 + 3] = [500.0, -100.0, 30.0]
    intens = 300.0 * (1.0 + np.arange(m.nr))
    return m, p, intens


def test_jacobian_matches_finite_differences():
    m, p, intens = _model()
    ev = m.evaluate(p, derivs=True)
    jac = m.jacobian(p, ev, intens)
    nb = m.bkg_basis.shape[1]

    def calc(pp):
        e = m.evaluate(pp)
        return m.bkg_basis @ pp[m.ib0 : m.ib0 + nb] + e["A"] @ intens

    for k, j in enumerate(m.nl_refined()):
        h = 1e-6 * max(abs(p[j]), 1e-2)
        pp, pm = p.copy(), p.copy()
        pp[j] += h
        pm[j] -= h
        fd = (calc(pp) - calc(pm)) / (2 * h)
        err = np.linalg.norm(fd - jac[:, k]) / np.linalg.norm(fd)
        assert err < 1e-4, f"{m.names[j]}: relative error {err:.2e}"


def test_reflections_far_outside_the_range_are_not_listed():
    m, _, _ = _model()
    # LaB6 100 (21.4 deg) lies > 2 deg below the range, 110 (30.4 deg) inside
    hkl = {tuple(int(v) for v in h) for h in m.hkl}
    assert (1, 1, 0) in hkl and (1, 0, 0) not in hkl


def test_stalled_rule_accepts_negligible_predicted_decrease():
    a = np.diag([4.0, 1.0])
    esd = np.sqrt(1.0 / np.diag(a))
    # Gauss-Newton step 0.005 esd: predicted chi^2 decrease 5e-5 << 1e-3 chi^2/dof
    g = a @ (0.005 * esd)
    ok, pred, ratio, _ = _stalled(a, g, esd, chi2_red=1.0, tol=1e-3)
    assert ok and pred == pytest.approx(5e-5)
    assert ratio.max() == pytest.approx(0.005)


def test_stalled_rule_rejects_a_real_step():
    a = np.diag([4.0, 1.0])
    esd = np.sqrt(1.0 / np.diag(a))
    g = a @ np.array([0.0, 0.5])  # half an esd still to go: a genuine failure
    ok, pred, _, k = _stalled(a, g, esd, chi2_red=1.0, tol=1e-3)
    assert not ok and pred == pytest.approx(0.25) and k == 1
    # the threshold scales with chi^2/dof
    assert _stalled(a, g, esd, chi2_red=300.0, tol=1e-3)[0]


def _pattern(seed=3):
    x = np.arange(20.0, 70.0, 0.02)
    truth = Settings(U=3, V=-1, W=4, X=2, Y=3, SHL=0.03, zero_deg=-0.05, background_terms=3)
    m = PatternModel(x, [Phase("LaB6", "Pm-3m", {"a": 4.15689})], truth, "syn")
    p = m.p0.copy()
    p[m.ib0 : m.ib0 + 3] = [500.0, -100.0, 30.0]
    mu = m.calc(m.evaluate(p), 300.0 * np.exp(-np.arange(m.nr) * 0.05) * m.mult)
    y = np.random.default_rng(seed).poisson(mu).astype(float)
    return pd.DataFrame({"two_theta_deg": x, "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})


def test_stall_at_the_minimum_is_recorded_as_convergence():
    # shift and chi^2 rules switched off: the fit can only stop when no step lowers chi^2
    st = Settings(
        U=2, V=-2, W=5, X=1, Y=1, SHL=0.03, background_terms=3,
        fixed=("displacement", "SHL"), shift_tolerance=0.0, tolerance=0.0,
    )  # fmt: skip
    r = refine(_pattern(), [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")
    assert r.stats["converged_by"] == "stalled"
    assert "predicted chi^2 decrease" in r.stats["convergence"]
    assert abs(r.cells["LaB6"]["a"] - 4.15689) < 3 * r.cells["LaB6"]["a_esd"]


def test_stall_far_from_the_minimum_is_an_error():
    st = Settings(
        U=2, V=-2, W=5, X=1, Y=1, SHL=0.03, background_terms=3,
        fixed=("displacement", "SHL"), shift_tolerance=0.0, tolerance=0.0,
        stall_tolerance=-1.0,
    )  # fmt: skip
    with pytest.raises(FitError, match="did not converge.*predicted chi\\^2 decrease"):
        refine(_pattern(), [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")


def test_default_fit_converges_by_shift():
    st = Settings(U=2, V=-2, W=5, X=1, Y=1, SHL=0.03, background_terms=3, fixed=("displacement",))
    r = refine(_pattern(), [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")
    assert r.stats["converged_by"] in ("shift", "chi2")
