"""Electrochemistry: readers on real files, analysis on the demo data and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intercal.echem import capacity, cv, eis
from intercal.errors import InputError
from intercal.io.echem import read, read_eis_csv, read_mpt
from intercal.simulate.biologic import write_mpt


def test_theoretical_capacity_crse2():
    assert capacity.theoretical_capacity("CrSe2", 1) == pytest.approx(127.7, abs=0.05)
    with pytest.raises(InputError, match="formula"):
        capacity.theoretical_capacity("Xx9Q", 1)


def test_randles_sevcik_closed_form():
    # synthetic Ip exactly from the formula recovers D
    v = np.array([0.1, 0.2, 0.4, 0.8])
    d, a, c = 9.71e-9, 1.131, 0.0228
    ip = 2.69e5 * a * c * np.sqrt(d) * np.sqrt(v / 1000) * 1000
    fit = cv.randles_sevcik(v, ip, area_cm2=a, concentration_mol_cm3=c)
    assert fit["D_cm2_s"] == pytest.approx(d, rel=1e-9)
    with pytest.raises(InputError, match="area_cm2"):
        cv.randles_sevcik(v, ip, area_cm2=0, concentration_mol_cm3=c)


def test_mpt_roundtrip_decimal_comma(tmp_path):
    t = pd.DataFrame({"time/s": [0.0, 1.5], "Ewe/V": [2.5, 2.4], "I/mA": [-0.1, -0.1]})
    write_mpt(tmp_path / "a.mpt", t, {"active_mass_mg": 2.7, "area_cm2": 1.131}, "GCPL")
    write_mpt(tmp_path / "b.mpt", t, {}, "GCPL", decimal_comma=True)
    a, b = read_mpt(tmp_path / "a.mpt"), read_mpt(tmp_path / "b.mpt")
    assert a.meta["active_mass_mg"] == 2.7 and a.meta["area_cm2"] == 1.131
    assert b.meta["decimal_comma"] and np.allclose(a.table.voltage_V, b.table.voltage_V)


def test_bad_mpt_raises(tmp_path):
    p = tmp_path / "bad.mpt"
    p.write_text("not an export\n")
    with pytest.raises(InputError, match="EC-Lab ASCII FILE"):
        read_mpt(p)


@pytest.mark.realdata
def test_gcpl_mpr_and_mpt_capacities(realdata):
    base = realdata / "echem" / "biologic"
    for name in ("gcpl.pr_182.1.mpr", "gcpl.pr_182.1.mpt"):
        table, _ = read(base / name)
        cyc = capacity.cycle_table(table, mass_mg=1.0)
        assert cyc.discharge_mAh.iloc[0] == pytest.approx(3.252, abs=0.0005)
        assert cyc.charge_mAh.iloc[0] == pytest.approx(2.616, abs=0.0005)


@pytest.mark.realdata
def test_impedance_example_fit(realdata):
    t, _ = read_eis_csv(realdata / "echem" / "eis" / "exampleData.csv")
    z = t.z_real_ohm.to_numpy() + 1j * t.z_imag_ohm.to_numpy()
    p, _, _ = eis.fit_circuit(
        t.freq_Hz.to_numpy(),
        z,
        circuit="R0-p(R1,C1)-p(R2-Wo1,C2)",
        initial_guess=[0.01, 0.01, 100, 0.01, 0.05, 100, 1],
        ignore_below_x=True,
        weighting="unit",  # the notebook's unweighted fit
    )
    ref = [0.0165, 0.00868, 3.32, 0.00539, 0.0631, 233, 0.220]
    assert np.allclose(p.value.to_numpy(), ref, rtol=0.01)


@pytest.mark.realdata
def test_neware_matches_reference(realdata):
    from intercal.io.echem import read_neware_raw

    raw = read_neware_raw(realdata / "echem" / "neware" / "TestFile.nda")
    ref = pd.read_feather(realdata / "echem" / "neware" / "TestFile.ftr")
    for col in ref.select_dtypes("number").columns:
        assert np.allclose(raw[col].to_numpy(float), ref[col].to_numpy(float), equal_nan=True), col


def test_demo_capacities_and_cv(demo_data):
    if not (demo_data / "echem").is_dir():
        pytest.skip("data/echem absent (run python -m intercal.simulate)")
    g = demo_data / "echem" / "gcpl"
    t, meta = read(g / "CrSe2_cutoff_1.00V_01_GCPL.mpt")
    cyc = capacity.cycle_table(t, meta["active_mass_mg"])
    assert cyc.discharge_mAh_g.iloc[0] == pytest.approx(125.3, rel=0.005)
    peaks = []
    for f in sorted((demo_data / "echem" / "cv").glob("*_CV.mpt")):
        t, m = read(f)
        p = cv.peaks(
            t,
            cycle=1,
            cathodic_window=(2.1, 2.6),
            anodic_window=(2.4, 2.9),
            cathodic_baseline=(2.8, 2.95),
            anodic_baseline=(1.8, 2.2),
        )
        peaks.append((m["scan_rate_mV_s"], p["Ipc_mA"], p["Ipa_mA"], p["Epc_V"], p["Epa_V"]))
    arr = np.array(sorted(peaks))
    assert arr[0, 3] == pytest.approx(2.36, abs=0.01) and arr[0, 4] == pytest.approx(2.62, abs=0.01)
    c = 0.022843  # config.yaml echem.cv.li_concentration_mol_cm3
    for col, d in ((1, 9.71e-9), (2, 7.69e-9)):
        fit = cv.randles_sevcik(arr[:, 0], arr[:, col], area_cm2=1.131, concentration_mol_cm3=c)
        assert fit["D_cm2_s"] == pytest.approx(d, rel=0.10)


# --------------------------------------------------------------------------- real data (added)
@pytest.mark.realdata
def test_gcpl_mpr_equals_mpt_every_half_cycle(realdata):
    base = realdata / "echem" / "biologic"
    a, _ = read(base / "gcpl.pr_182.1.mpr")
    b, _ = read(base / "gcpl.pr_182.1.mpt")
    assert len(a) == len(b) == 2533
    ca, cb = capacity.cycle_table(a, mass_mg=1.0), capacity.cycle_table(b, mass_mg=1.0)
    assert len(ca) == len(cb) == 4
    for col in ("discharge_mAh", "charge_mAh"):
        np.testing.assert_allclose(ca[col], cb[col], rtol=1e-9, atol=1e-12)
    # README self-check: later half cycles, galvani values
    np.testing.assert_allclose(ca.discharge_mAh[1:], [2.252, 2.120, 2.088], atol=5e-4)
    np.testing.assert_allclose(ca.charge_mAh[1:], [2.093, 1.988, 1.979], atol=5e-4)
    assert ca.coulombic_efficiency_percent.iloc[0] == pytest.approx(80.4, abs=0.05)


@pytest.mark.realdata
def test_arbin_res_matches_cellpy_summary(realdata):
    import shutil

    if shutil.which("mdb-export") is None:
        pytest.skip("mdb-export (Debian package mdbtools) is not installed: cannot read Arbin .res")
    base = realdata / "echem" / "arbin"
    table, meta = read(base / "20160805_test001_45_cc_01.res")
    assert meta["format"] == "arbin-res" and len(table) == 10261
    ref = pd.read_parquet(base / "pipeline_smoke_summary.parquet")
    cyc = capacity.cycle_table(table, mass_mg=1.0)
    assert len(cyc) == len(ref) == 18
    # cellpy: mAh with its placeholder 1 mg mass ("_absolute" columns); the last
    # cycle is an unfinished discharge (cellpy charge 0, ours NaN)
    np.testing.assert_allclose(cyc.discharge_mAh, ref.discharge_capacity_absolute, rtol=1e-7)
    np.testing.assert_allclose(cyc.charge_mAh[:-1], ref.charge_capacity_absolute[:-1], rtol=1e-7)
    np.testing.assert_allclose(cyc.discharge_mAh[:3], [1.7551, 1.5675, 1.5857], atol=5e-5)
    np.testing.assert_allclose(cyc.charge_mAh[:3], [1.6254, 1.6996, 1.7315], atol=5e-5)
    np.testing.assert_allclose(
        cyc.coulombic_efficiency_percent[:3], ref.coulombic_efficiency[:3], rtol=1e-6
    )
    assert np.isnan(cyc.charge_mAh.iloc[-1])
    # end potentials of the golden summary: the limits reached in each full half cycle
    seg = capacity.segments(table)
    seg = seg[seg.capacity_mAh > 1e-3]
    v = table.voltage_V.to_numpy()
    lo = [v[r.start : r.stop].min() for r in seg.itertuples() if r.direction == "discharge"]
    hi = [v[r.start : r.stop].max() for r in seg.itertuples() if r.direction == "charge"]
    assert np.median(lo) == pytest.approx(0.0499, abs=1e-4)
    assert np.median(hi) == pytest.approx(1.0001, abs=1e-4)


def test_arbin_without_mdbtools_names_the_fix(tmp_path, monkeypatch):
    import intercal.io.echem as io_echem

    monkeypatch.setattr(io_echem.shutil, "which", lambda name: None)
    p = tmp_path / "x.res"
    p.write_bytes(b"\x00")
    with pytest.raises(InputError, match="mdbtools"):
        read(p)


def test_unknown_extension_and_csv_without_map(tmp_path):
    with pytest.raises(InputError, match="unknown extension '.xyz'"):
        read(tmp_path / "a.xyz")
    with pytest.raises(InputError, match="column map"):
        read(tmp_path / "a.csv")


@pytest.mark.realdata
def test_impedance_example_linkk_and_biologic_peis(realdata):
    t, _ = read_eis_csv(realdata / "echem" / "eis" / "exampleData.csv")
    z = t.z_real_ohm.to_numpy() + 1j * t.z_imag_ohm.to_numpy()
    stats, resid = eis.linkk(t.freq_Hz.to_numpy(), z)
    # a commercial cell measured well: KK residuals at the noise level
    assert stats["kk_max_residual_percent"] < 1.0
    assert stats["kk_rms_residual_percent"] < 0.5
    assert len(resid) == len(t)
    # EC-Lab PEIS text export (LSC thin film): our reader agrees with impedance.py's
    from impedance.preprocessing import readFile

    path = realdata / "echem" / "eis" / "exampleDataBioLogic.mpt"
    ours, meta = read(path)
    f_ref, z_ref = readFile(str(path), instrument="biologic")
    np.testing.assert_allclose(ours.freq_Hz, f_ref, rtol=1e-12)
    np.testing.assert_allclose(ours.z_real_ohm, z_ref.real, rtol=1e-12)
    np.testing.assert_allclose(ours.z_imag_ohm, z_ref.imag, rtol=1e-12)
    assert meta["technique_code"] == "PEIS"


# --------------------------------------------------------------------------- Lin-KK
def _randles(f, r0=5.0, rct=100.0, cdl=1e-4, aw=0.0):
    w = 2 * np.pi * f
    zf = rct + (aw / np.sqrt(1j * w) if aw else 0.0)
    return r0 + 1.0 / (1.0 / zf + 1j * w * cdl)


def test_linkk_valid_circuit_at_noise_level():
    f = np.logspace(5, -2, 71)
    rng = np.random.default_rng(3)
    for z in (_randles(f), _randles(f, aw=30.0)):
        zn = z + 0.003 * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
        stats, resid = eis.linkk(f, zn)
        # 0.3 % noise per component: the largest of 142 residuals stays near 3 sigma
        assert stats["kk_max_residual_percent"] < 1.3
        assert stats["kk_rms_residual_percent"] == pytest.approx(0.3 * np.sqrt(2), rel=0.35)
        assert stats["kk_M"] >= 21  # 3 per decade over 7 decades
        assert list(resid.columns) == ["freq_Hz", "kk_res_real_percent", "kk_res_imag_percent"]


def test_linkk_minimum_m_guards_against_early_mu_stop():
    f = np.logspace(5, -2, 71)
    z = _randles(f)
    early, _ = eis.linkk(f, z, min_M_per_decade=0)
    guarded, _ = eis.linkk(f, z)
    # the bare mu criterion stops at M = 4 on one ideal RC arc and misfits it badly
    assert early["kk_M"] == 4 and early["kk_M_from_mu"] == 1.0
    assert early["kk_max_residual_percent"] > 50
    assert guarded["kk_M"] == 21 and guarded["kk_M_from_mu"] == 0.0
    assert guarded["kk_max_residual_percent"] < 0.5


def test_linkk_detects_drift():
    # a real part that drifts by 20 % over the measurement (low frequencies last)
    # is not Kramers-Kronig consistent
    f = np.logspace(5, -2, 71)
    z = _randles(f, aw=30.0)
    drift = z.real * (1 + 0.2 * np.linspace(0, 1, f.size)) + 1j * z.imag
    ok, _ = eis.linkk(f, z)
    bad, _ = eis.linkk(f, drift)
    assert bad["kk_max_residual_percent"] > 2.0 > ok["kk_max_residual_percent"]


def test_linkk_bad_input():
    f = np.logspace(3, 0, 10)
    z = _randles(f)
    with pytest.raises(InputError, match="freq_Hz > 0"):
        eis.linkk(np.r_[f[:-1], 0.0], z)
    with pytest.raises(InputError, match="same length"):
        eis.linkk(f[:-1], z)
    with pytest.raises(InputError, match="fit_type"):
        eis.linkk(f, z, fit_type="both")
    with pytest.raises(InputError, match="min_M_per_decade"):
        eis.linkk(f, z, min_M_per_decade=-1)


def test_eis_fit_flags_but_keeps_spectrum(demo_data):
    from intercal.echem.pipeline import eis_fit

    path = demo_data / "echem" / "eis" / "CrSe2_EIS_02_2.36V_PEIS.mpt"
    if not path.exists():
        pytest.skip("data/echem absent (run python -m intercal.simulate)")
    kw = {
        "circuit": "R0-p(R1,CPE1)-p(R2,CPE2)-W1",
        "initial_guess": [5.0, 10.0, 1.0e-5, 0.85, 100.0, 3.0e-4, 0.8, 30.0],
        "ignore_below_x": True,
    }
    params, stats, curve, model = eis_fit(path, **kw)
    assert stats["kk_flagged"] == 0.0 and stats["kk_max_residual_percent"] < 2.0
    assert stats["potential_V"] == pytest.approx(2.36, abs=1e-3)
    r2 = params.set_index("parameter").loc["R2"]
    assert r2.value == pytest.approx(48.0, rel=0.05)  # truth R_ct = 48 Ohm
    assert len(curve) == 71 and {"kk_res_real_percent", "fit_imag_ohm"} <= set(curve.columns)
    assert len(model) == 281 and model.freq_Hz.iloc[0] == pytest.approx(1e5)
    # a threshold below the noise flags the spectrum, and the fit is still returned
    p2, s2, _, _ = eis_fit(path, **kw, kk_threshold_percent=0.1)
    assert s2["kk_flagged"] == 1.0 and s2["kk_threshold_percent"] == 0.1
    np.testing.assert_allclose(p2.value, params.value)
    with pytest.raises(InputError, match="kk_threshold_percent"):
        eis_fit(path, **kw, kk_threshold_percent=0)


def test_cv_curves_table(demo_data):
    from intercal.echem.pipeline import cv_curves

    path = demo_data / "echem" / "cv" / "CrSe2_CV_0.1mVs_01_CV.mpt"
    if not path.exists():
        pytest.skip("data/echem absent (run python -m intercal.simulate)")
    t = cv_curves(path)
    assert list(t.columns) == [
        "scan_rate_mV_s",
        "cycle",
        "sweep",
        "time_s",
        "voltage_V",
        "current_mA",
    ]
    assert set(t.cycle) == {1, 2, 3} and set(t.sweep) == {-1, 1}
    assert t.scan_rate_mV_s.iloc[0] == 0.1
    c1 = t[t.cycle == 1]
    assert c1.voltage_V.max() == pytest.approx(3.0, abs=0.01)
    assert c1.voltage_V.min() == pytest.approx(1.0, abs=0.01)
    # the cathodic sweep holds the reduction peak (I < 0), the anodic the oxidation peak
    assert c1[c1.sweep == -1].current_mA.min() < -6 and c1[c1.sweep == 1].current_mA.max() > 5


def test_end_of_discharge_spectrum_needs_and_gets_the_extra_arc(demo_data, root):
    """At 1.0 V the demo spectrum has a second low-frequency arc (truth R_ct = 262 Ohm):
    the default circuit misses it (rms misfit far above the 0.4 % noise), the config
    override adds an R-CPE and fits to the noise with R_ct close to the truth."""
    import yaml

    from intercal.echem.pipeline import eis_fit

    eis_cfg = yaml.safe_load((root / "config.yaml").read_text())["echem"]["eis"]
    f = demo_data / "echem" / "eis" / "CrSe2_EIS_07_1.0V_PEIS.mpt"
    override = next(o for o in eis_cfg["overrides"] if o["match"] in f.stem)
    default = eis_fit(f, eis_cfg["circuit"], eis_cfg["initial_guess"], ignore_below_x=True)
    fitted = eis_fit(f, override["circuit"], override["initial_guess"], ignore_below_x=True)
    assert default[1]["rms_relative_residual"] > 0.02
    assert fitted[1]["rms_relative_residual"] < 0.008
    r_ct = fitted[0].set_index("parameter").loc["R2"]
    # the fit circuit is simpler than the forward model (finite vs semi-infinite Warburg,
    # nesting), so allow a 5 % model bias rather than the 0.2 % esd
    assert abs(r_ct["value"] - 262.0) / 262.0 < 0.05
