"""Le Bail on real lab patterns (../shared/realdata/xrd): LaB6 and fluorapatite cells."""

from __future__ import annotations

from intercal.io.xrd import read_gsas_prm, read_pattern
from intercal.xrd.lebail import Phase, Settings, refine

LAB6_A = 4.15689  # NIST SRM 660b certified a (angstrom); 660c gives 4.156826
FAP_A, FAP_C = 9.371724, 6.885867  # FAP.EXP (GSAS Rietveld, zero = 0, no asymmetry term)


def _lab6_settings(d, **kw):
    at = d.attrs
    return Settings(
        wavelength1_A=at.get("wavelength1_A", 1.540593),
        wavelength2_A=at.get("wavelength2_A", 1.544414),
        ratio=at.get("ratio", 0.5),
        goniometer_radius_mm=at.get("goniometer_radius_mm", 240.0),
        U=2.0,
        V=-2.0,
        W=5.0,
        X=1.0,
        Y=1.0,
        SHL=0.03,
        background_terms=8,
        **kw,
    )


def test_lab6_bruker_raw(realdata):
    # 10-70 deg, 9 lines: too few to separate zero and displacement, so the zero is
    # refined (the README: "a zero or displacement term has to be refined")
    d = read_pattern(realdata / "xrd" / "LaB6_Jan2018.raw")
    st = _lab6_settings(d, two_theta_range_deg=(20.0, 70.0), fixed=("displacement",))
    r = refine(d, [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "LaB6_Jan2018")
    a = r.cells["LaB6"]["a"]
    assert abs(a - LAB6_A) < 2e-4
    assert r.stats["gof"] < 3.0


def test_lab6_gsas_wide_range(realdata):
    # peaks sit ~0.07 deg low: the realdata README asks for "a zero or displacement term";
    # the zero is refined. Fitted from 60 deg up, where this instrument's strong
    # axial-divergence asymmetry is small. Refining zero AND displacement together here
    # is ill-conditioned: the exact least-squares minimum (correct derivatives) is
    # a = 4.15604(13), zero -0.126 deg, displacement -144 um, 8.5e-4 A low; from 15 deg the
    # FCJ model leaves a 4-5e-4 A low (see report/xrd/lebail.rst).
    d = read_pattern(realdata / "xrd" / "NIST660CBI.gsas")
    st = _lab6_settings(d, two_theta_range_deg=(60.0, 126.0), fixed=("displacement",))
    r = refine(d, [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "NIST660CBI")
    cell = r.cells["LaB6"]
    assert abs(cell["a"] - LAB6_A) < 2e-4
    par = r.params.set_index("parameter")
    assert -0.12 < par.value["zero"] < -0.03  # the ~0.07 deg offset is found
    assert 0.04 < par.value["SHL"] < 0.1  # GSAS-II tutorial (20 peaks from 20 deg): 0.063


def test_fluorapatite_hexagonal(realdata):
    # the reference refinement's model: instrument file wavelengths, zero fixed at 0,
    # sample displacement refined, no asymmetry term
    d = read_pattern(realdata / "xrd" / "FAP.XRA")
    prm = read_gsas_prm(realdata / "xrd" / "INST_XRY.PRM")
    st = Settings(
        wavelength1_A=prm["wavelength1_A"],
        wavelength2_A=prm["wavelength2_A"],
        ratio=prm["ratio"],
        U=prm["U"],
        V=prm["V"],
        W=prm["W"],
        X=1.0,
        Y=1.0,
        SHL=0.0,
        zero_deg=prm["zero_deg"],
        background_terms=12,
        fixed=("zero", "SHL"),
    )
    r = refine(d, [Phase("FAP", "P6_3/m", {"a": 9.3717, "c": 6.8859})], st, "FAP")
    cell = r.cells["FAP"]
    assert abs(cell["a"] - FAP_A) < 5e-4
    assert abs(cell["c"] - FAP_C) < 5e-4
    assert r.stats["rwp"] < 0.1005  # GSAS Rietveld: Rwp 0.1005
