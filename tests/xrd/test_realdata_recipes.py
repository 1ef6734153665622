"""Real lab patterns (../shared/realdata/xrd): the LaB6 recipe with the asymmetry refined,
convergence from a spread of starting widths, kaolinite (triclinic C1 from its CIF)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intercal.io.xrd import read_gsas_prm, read_pattern
from intercal.xrd.cif import read_cif_phase
from intercal.xrd.lebail import Phase, Settings, refine

pytestmark = pytest.mark.realdata

LAB6_A = 4.15689  # NIST SRM 660b certified a (angstrom)
FAP_A, FAP_C = 9.371724, 6.885867  # FAP.EXP (GSAS Rietveld)
#: Bish & Von Dreele (1989), kaolinite.cif
KAOLINITE = {"a": 5.1554, "b": 8.9448, "c": 7.4048, "alpha": 91.700, "beta": 104.862,
             "gamma": 89.822}  # fmt: skip


def lab6_recipe(d, two_theta_range):
    """The documented recipe: SH/L and the specimen displacement refined, zero held at 0
    (see report/xrd/lebail.rst); widths refined from GSAS-II's default starts."""
    at = d.attrs
    return Settings(
        wavelength1_A=at.get("wavelength1_A", 1.540593),
        wavelength2_A=at.get("wavelength2_A", 1.544414),
        ratio=at.get("ratio", 0.5),
        goniometer_radius_mm=at.get("goniometer_radius_mm", 240.0),
        U=2.0, V=-2.0, W=5.0, X=1.0, Y=1.0, SHL=0.03,
        background_terms=8, two_theta_range_deg=two_theta_range, fixed=("zero",),
    )  # fmt: skip


def fap_settings(realdata):
    prm = read_gsas_prm(realdata / "xrd" / "INST_XRY.PRM")
    return Settings(
        wavelength1_A=prm["wavelength1_A"], wavelength2_A=prm["wavelength2_A"],
        ratio=prm["ratio"], background_terms=12, SHL=0.0, fixed=("zero", "SHL"),
    )  # fmt: skip


def kaolinite_settings(d):
    at = d.attrs
    # instrument profile held at GSAS-II's default lab values; the sample broadening
    # (size uniaxial along c*, isotropic microstrain) is refined
    return Settings(
        wavelength1_A=at["wavelength1_A"], wavelength2_A=at["wavelength2_A"], ratio=0.5,
        goniometer_radius_mm=at["goniometer_radius_mm"],
        U=2.0, V=-2.0, W=2.0, X=1.0, Y=1.0, SHL=0.03, background_terms=12,
        two_theta_range_deg=(10.0, 90.0), fixed=("displacement",),
        sample={"kaolinite": {"size_um": 0.1, "size_axial_um": 0.05, "mustrain_ppm": 1000.0,
                              "axis": [0, 0, 1]}},
    )  # fmt: skip


CASES = {
    "LaB6_Jan2018": ("LaB6_Jan2018.raw", (20.0, 70.0)),
    "NIST660CBI": ("NIST660CBI.gsas", (15.0, 126.0)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_lab6_recipe_with_asymmetry_refined(realdata, name):
    fn, rng = CASES[name]
    d = read_pattern(realdata / "xrd" / fn)
    r = refine(d, [Phase("LaB6", "Pm-3m", {"a": 4.157})], lab6_recipe(d, rng), name)
    par = r.params.set_index("parameter")
    assert par.refined["SHL"] and par.refined["displacement"] and not par.refined["zero"]
    assert 0.02 < par.value["SHL"] < 0.08
    assert abs(r.cells["LaB6"]["a"] - LAB6_A) < 3e-4
    assert r.stats["qc"] == ""


def _spread(st: Settings, f: float) -> Settings:
    return replace(st, U=st.U * f * f, V=st.V * f * f, W=st.W * f * f, X=st.X * f, Y=st.Y * f)


def _same_minimum(r0, r1, phase):
    # the same minimum within the fit's resolution: on real data the correlated widths
    # (U, V, W with the displacement) lie in a valley so flat that chi^2 changes by < 1e-5
    # per cycle, so starts far apart stop up to ~0.6 esd apart in a cell parameter
    c0, c1 = r0.cells[phase], r1.cells[phase]
    for k in ("a", "c"):
        assert abs(c1[k] - c0[k]) < 0.6 * c0[f"{k}_esd"], (k, c0[k], c1[k])
    assert r1.stats["chi2"] == pytest.approx(r0.stats["chi2"], rel=3e-3)
    assert r1.stats["qc"] == ""


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("f", [0.3, 3.0])
def test_lab6_converges_from_a_spread_of_start_widths(realdata, name, f):
    fn, rng = CASES[name]
    d = read_pattern(realdata / "xrd" / fn)
    ph = [Phase("LaB6", "Pm-3m", {"a": 4.157})]
    st = lab6_recipe(d, rng)
    _same_minimum(refine(d, ph, st, name), refine(d, ph, _spread(st, f), name), "LaB6")


@pytest.mark.slow
@pytest.mark.parametrize("f", [0.3, 3.0])
def test_fap_converges_from_default_and_spread_starts(realdata, f):
    # Settings' default widths (U 2, V -2, W 5, X 1, Y 1), then 0.3x and 3x: no collapsed
    # Lorentzian, the reference cell, the same minimum
    d = read_pattern(realdata / "xrd" / "FAP.XRA")
    ph = [Phase("FAP", "P6_3/m", {"a": 9.3717, "c": 6.8859})]
    st = fap_settings(realdata)
    r0 = refine(d, ph, st, "FAP")
    assert r0.stats["qc"] == "" and r0.stats["gof"] < 1.6
    assert abs(r0.cells["FAP"]["a"] - FAP_A) < 5e-4 and abs(r0.cells["FAP"]["c"] - FAP_C) < 5e-4
    par = r0.params.set_index("parameter")
    assert par.value["X"] > 0.5 and par.value["Y"] > 0.5  # the Lorentzian did not collapse
    _same_minimum(r0, refine(d, ph, _spread(st, f), "FAP"), "FAP")


@pytest.fixture(scope="module")
def kaolinite(realdata):
    d = read_pattern(realdata / "xrd" / "Keokuk kaolinite.RAW")
    ph = [read_cif_phase(realdata / "xrd" / "kaolinite.cif", "kaolinite")]
    return d, ph, refine(d, ph, kaolinite_settings(d), "kaolinite")


@pytest.mark.slow
def test_kaolinite_cell_close_to_published(kaolinite):
    _, _, r = kaolinite
    c = r.cells["kaolinite"]
    # this pattern's cell is ~0.08 % larger than the published one on every length (a
    # uniform scale: wavelength / instrument calibration, not refinable here); angles agree
    for k in ("a", "b", "c"):
        assert abs(c[k] / KAOLINITE[k] - 1.0) < 1.5e-3, (k, c[k])
    for k in ("alpha", "beta", "gamma"):
        assert abs(c[k] - KAOLINITE[k]) < 0.02, (k, c[k])
    assert r.stats["qc"] == "" and r.stats["gof"] < 2.0
    # C-centring from the CIF's operations: no h + k odd reflection is listed
    assert ((r.reflections.h + r.reflections.k) % 2 == 0).all()


@pytest.mark.slow
@pytest.mark.parametrize("f", [0.5, 2.0])
def test_kaolinite_converges_from_a_spread_of_start_sizes(kaolinite, f):
    # kaolinite's stacking-fault broadening is only approximated by the uniaxial size model:
    # starts at 0.5x / 2x the sizes end in different local minima of the sample terms (chi^2
    # up to 6 % apart, measured), and the cell moves by up to ~4 esd there, but stays within
    # 0.03 % / 0.05 deg of the default start's, far inside the agreement with the published
    # cell (weak point: no multi-start is made)
    d, ph, r0 = kaolinite
    st = kaolinite_settings(d)
    smp = {k: dict(v) for k, v in st.sample.items()}
    smp["kaolinite"]["size_um"] *= f
    smp["kaolinite"]["size_axial_um"] *= f
    smp["kaolinite"]["mustrain_ppm"] /= f
    r1 = refine(d, ph, replace(st, sample=smp), "kaolinite")
    c0, c1 = r0.cells["kaolinite"], r1.cells["kaolinite"]
    for k in ("a", "b", "c"):
        assert abs(c1[k] / c0[k] - 1.0) < 3e-4, (k, c0[k], c1[k])
    for k in ("alpha", "beta", "gamma"):
        assert abs(c1[k] - c0[k]) < 0.05, (k, c0[k], c1[k])
    assert r1.stats["qc"] == ""
