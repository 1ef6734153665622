"""Sample broadening (GSAS-II size / microstrain) on nanocrystalline, anisotropic patterns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError, InputError
from intercal.simulate import powder
from intercal.simulate import xrd_exsitu as X
from intercal.xrd.lebail import PatternModel, Phase, Settings, refine

#: (size perpendicular to c, size along c) in nm, strain (FWHM of Delta d / d)
CASES = {"aniso_10_30nm": (30.0, 10.0, 1e-3), "iso_15nm": (15.0, 15.0, 1e-3)}


def _settings(**kw) -> Settings:
    ig = X.instrument_gsas2()
    base = dict(
        U=ig["U"], V=ig["V"], W=ig["W"], X=ig["X"], Y=ig["Y"], SHL=ig["SHL"],
        soller_rad=ig["soller_half_acceptance_rad"], background_terms=12,
        two_theta_range_deg=(10.0, 80.0),
    )  # fmt: skip
    return Settings(**{**base, **kw})


def _sample(uniaxial: bool) -> dict:
    spec = {"size_um": 0.1, "mustrain_ppm": 500.0, "axis": [0, 0, 1]}
    if uniaxial:
        spec["size_axial_um"] = 0.1
    return {"LiCoO2": spec}


@pytest.fixture(scope="module", params=list(CASES))
def nano(request):
    ab, c, e = CASES[request.param]
    expected, _, _ = X.simulate_single_phase(
        X.LICOO2, "LiCoO2", powder.SampleBroadening(ab, c, e, e)
    )
    y = np.random.default_rng(11).poisson(expected).astype(float)
    df = pd.DataFrame({"two_theta_deg": X.grid(), "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})
    w = 1.0 / np.maximum(y, 1.0)
    rwp_true = float(np.sqrt(np.sum(w * (y - expected) ** 2) / np.sum(w * y * y)))
    st = _settings(sample=_sample(ab != c))
    r = refine(df, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], st, request.param)
    return request.param, r, rwp_true, df


def test_nanocrystalline_cell_and_rwp(nano):
    name, r, rwp_true, _ = nano
    cell = r.cells["LiCoO2"]
    for k in ("a", "c"):
        assert abs(cell[k] - X.LICOO2[k]) < 2.0 * cell[f"{k}_esd"], (name, k, cell)
    assert r.stats["rwp"] <= 1.02 * rwp_true
    # zero and displacement are both refined here: flagged as correlated, nothing else
    assert r.stats["qc"] == "correlated:zero,displacement"


def test_sizes_and_strain_in_gsas2_units(nano):
    name, r, _, _ = nano
    ab, c, e = CASES[name]
    par = r.params.set_index("parameter")
    # apparent sizes (um) within 5 % and 4 esd; microstrain (ppm, GSAS-II: 2e6 x FWHM of
    # Delta d / d) within 20 %
    assert par.value["LiCoO2.size"] == pytest.approx(ab / 1000.0, rel=0.05)
    assert abs(par.value["LiCoO2.size"] - ab / 1000) < 4 * par.stderr["LiCoO2.size"]
    if ab != c:
        assert par.value["LiCoO2.size_axial"] == pytest.approx(c / 1000.0, rel=0.05)
    assert par.value["LiCoO2.mustrain"] == pytest.approx(2e6 * e, rel=0.2)
    # the instrument profile is held at the instrument's values by default
    assert not par.refined[["U", "V", "W", "X", "Y", "SHL"]].any()
    assert par.unit["LiCoO2.size"] == "um" and par.unit["LiCoO2.mustrain"] == "ppm"


def test_empirical_profile_cannot_fit_anisotropic_broadening(nano):
    # the same pattern with refined U..Y but no sample model: the (00l) lines are far broader
    # than the TCH terms allow, so the fit is visibly worse than with the uniaxial model
    name, r, rwp_true, df = nano
    if name != "aniso_10_30nm":
        pytest.skip("isotropic case: TCH X/Y are exactly size/strain")
    st = _settings(instrument_fixed=False, fixed=("SHL",), max_gof=50.0)
    r2 = refine(df, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], st, "tch")
    assert r2.stats["rwp"] > 1.05 * r.stats["rwp"]


def _jac_model(**kw):
    x = np.arange(15.0, 70.0, 0.02)
    st = _settings(
        zero_deg=-0.03, displacement_um=40.0, background_terms=3, two_theta_range_deg=None,
        sample={"LiCoO2": {"size_um": 0.03, "size_axial_um": 0.012, "mustrain_ppm": 1500.0,
                           "mustrain_axial_ppm": 900.0, "axis": [0, 0, 1], "size_mix": 0.8}},
        **kw,
    )  # fmt: skip
    m = PatternModel(x, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], st, "jac")
    p = m.p0.copy()
    p[m.ib0 : m.ib0 + 3] = [500.0, -100.0, 30.0]
    return m, p, 300.0 * (1.0 + np.arange(m.nr))


def test_sample_jacobian_matches_finite_differences():
    m, p, intens = _jac_model(refine=("instrument",))
    ev = m.evaluate(p, derivs=True)
    jac = m.jacobian(p, ev, intens)
    nb = m.bkg_basis.shape[1]

    def calc(pp):
        return m.bkg_basis @ pp[m.ib0 : m.ib0 + nb] + m.evaluate(pp)["A"] @ intens

    names = [m.names[j] for j in m.nl_refined()]
    assert {"LiCoO2.size_axial", "LiCoO2.mustrain_axial", "U", "LiCoO2.c"} <= set(names)
    for k, j in enumerate(m.nl_refined()):
        h = 1e-6 * max(abs(p[j]), 1e-2)
        pp, pm = p.copy(), p.copy()
        pp[j] += h
        pm[j] -= h
        fd = (calc(pp) - calc(pm)) / (2 * h)
        err = np.linalg.norm(fd - jac[:, k]) / np.linalg.norm(fd)
        assert err < 1e-4, f"{m.names[j]}: relative error {err:.2e}"


def test_uniaxial_size_is_broader_along_the_axis():
    m, p, _ = _jac_model()
    ev = m.evaluate(p)
    hkl = m.hkl[m.refl_of_peak]
    g00l = ev["gam"][(hkl[:, 0] == 0) & (hkl[:, 1] == 0)][0]
    ghk0 = ev["gam"][(hkl[:, 2] == 0)][0]
    assert g00l > 1.5 * ghk0


def test_negative_fwhm2_anywhere_in_range_is_rejected():
    # sigma^2 = 40 t^2 - 40 t + 9.5 is positive at t = 0.2 and 0.8 but negative at t = 0.5
    # (2theta 53 deg), between the peaks of a sparse pattern
    st = replace(_settings(), U=40.0, V=-40.0, W=9.5, two_theta_range_deg=None)
    x = np.arange(20.0, 80.0, 0.02)
    df = pd.DataFrame({"two_theta_deg": x, "intensity": 100.0 + 0 * x, "esd": 10.0 + 0 * x})
    with pytest.raises(InputError, match=r"pattern neg: instrument profile FWHM\^2 not positive"):
        refine(df, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], st, "neg")
    m = PatternModel(x, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], _settings(), "n")
    p = m.p0.copy()
    p[m.idx["W"]] = -1.0
    with pytest.raises(FitError, match="not positive"):
        m.evaluate(p)


def test_sample_settings_are_checked():
    x = np.arange(20.0, 80.0, 0.02)
    ph = [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})]
    with pytest.raises(InputError, match="size_axial_um needs size_um"):
        PatternModel(x, ph, _settings(sample={"LiCoO2": {"size_axial_um": 0.1}}), "s")
    with pytest.raises(InputError, match="not a phase of this pattern"):
        PatternModel(x, ph, _settings(sample={"CoO": {"size_um": 0.1}}), "s")
    with pytest.raises(InputError, match="expected > 0"):
        PatternModel(x, ph, _settings(sample={"LiCoO2": {"size_um": 0.0}}), "s")
    with pytest.raises(InputError, match=r"refine names .LiCoO2.b., which is neither.*nor a group"):
        PatternModel(x, ph, _settings(refine=("LiCoO2.b",)), "s")


def test_refine_flags_and_groups():
    x = np.arange(20.0, 80.0, 0.02)
    ph = [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})]
    m = PatternModel(x, ph, _settings(sample=_sample(True)), "s")
    ref = dict(zip(m.names, m.refined, strict=False))
    assert not any(ref[k] for k in ("U", "V", "W", "X", "Y", "SHL"))
    assert ref["LiCoO2.size"] and ref["LiCoO2.size_axial"] and ref["zero"]
    m = PatternModel(
        x, ph, _settings(sample=_sample(True), refine=("W",), fixed=("LiCoO2.cell",)), "s"
    )
    ref = dict(zip(m.names, m.refined, strict=False))
    assert ref["W"] and not ref["U"] and not ref["LiCoO2.a"] and not ref["LiCoO2.c"]
    # without a sample model the profile is empirical and refined (as for the demo)
    m = PatternModel(x, ph, _settings(), "s")
    assert m.refined[m.idx["U"]] and not m.instrument_fixed
