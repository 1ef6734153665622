"""GSAS-II interchange: .instprm round trip, the GSASIIscriptable script (syntax, content),
CIF phases, config precedence, QC in the tables, the figure."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.simulate import xrd_exsitu as X
from intercal.xrd.cif import cif_with_cell, read_cif_phase
from intercal.xrd.config import settings_from_config
from intercal.xrd.gsas2 import gsas2_script, instprm_text, read_instprm
from intercal.xrd.lebail import PatternModel, Phase, Settings, refine
from intercal.xrd.output import fit_record_table, reproduction_part, write_gsas2_export

INSTPRM = """#GSAS-II instrument parameter file; do not add/delete items!
Type:PXC
Bank:1.0
Lam1:1.5405
Lam2:1.5443
Zero:-0.01
Polariz.:0.7
Azimuth:0.0
I(L2)/I(L1):0.5
U:2.0
V:-2.0
W:5.0
X:0.5
Y:1.5
Z:0.0
SH/L:0.002
"""

CIF = """data_test
_cell_length_a 4.1569(2)
_cell_length_b 4.1569
_cell_length_c 4.1569
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_cell_volume 71.83
_symmetry_space_group_name_H-M 'P m -3 m'
loop_
_symmetry_equiv_pos_as_xyz
x,y,z
-x,-y,z
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
La1 0 0 0
"""


def test_read_instprm(tmp_path):
    p = tmp_path / "inst.instprm"
    p.write_text(INSTPRM)
    d = read_instprm(p)
    assert d == {
        "wavelength1_A": 1.5405, "wavelength2_A": 1.5443, "ratio": 0.5, "zero_deg": -0.01,
        "U": 2.0, "V": -2.0, "W": 5.0, "X": 0.5, "Y": 1.5, "SHL": 0.002,
    }  # fmt: skip
    p.write_text(INSTPRM.replace("Z:0.0", "Z:3.0"))
    with pytest.raises(InputError, match=r"inst.instprm: line 15: Z = 3.0"):
        read_instprm(p)
    p.write_text(INSTPRM.replace("Type:PXC", "Type:PNC"))
    with pytest.raises(InputError, match="expected PXC"):
        read_instprm(p)
    p.write_text(INSTPRM.replace("U:2.0", "U:two"))
    with pytest.raises(InputError, match=r"line 10: U = 'two' is not a number"):
        read_instprm(p)


@pytest.fixture(scope="module")
def fitted():
    x = np.arange(15.0, 90.0, 0.02)
    truth = Settings(U=3, V=-1, W=4, X=2, Y=3, SHL=0.03, zero_deg=-0.05, background_terms=3)
    m = PatternModel(x, [Phase("LaB6", "Pm-3m", {"a": 4.15689})], truth, "syn")
    p = m.p0.copy()
    p[m.ib0 : m.ib0 + 3] = [500.0, -100.0, 30.0]
    mu = m.calc(m.evaluate(p), 300.0 * np.exp(-np.arange(m.nr) * 0.05) * m.mult)
    y = np.random.default_rng(5).poisson(mu).astype(float)
    df = pd.DataFrame({"two_theta_deg": x, "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})
    st = Settings(U=2, V=-2, W=5, X=1, Y=1, SHL=0.02, background_terms=3,
                  fixed=("displacement",), exclude_deg=((50.0, 52.0),))  # fmt: skip
    return refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")


def test_excluded_region_is_not_fitted(fitted):
    x = fitted.profile.two_theta_deg
    assert not ((x >= 50.0) & (x <= 52.0)).any()
    assert fitted.stats["n_excluded"] == 100


def test_instprm_round_trip(tmp_path, fitted):
    p = tmp_path / "out.instprm"
    p.write_text(instprm_text(fitted))
    d = read_instprm(p)
    par = fitted.params.set_index("parameter")
    for k in ("U", "V", "W", "X", "Y", "SHL"):
        assert d[k] == pytest.approx(par.value[k], rel=1e-5)
    assert d["zero_deg"] == pytest.approx(par.value["zero"], abs=1e-6)
    assert d["wavelength2_A"] == pytest.approx(fitted.settings.wavelength2_A)


def test_exported_instprm_is_a_usable_instrument_file(tmp_path, fitted):
    # the written .instprm, read back as the pattern's instrument_file, gives the refined
    # instrument (held fixed) and the same cell when the pattern is refined again
    (tmp_path / "syn.instprm").write_text(instprm_text(fitted))
    xrd = {
        "instrument_file": "syn.instprm", "background_terms": 3,
        "fit": {"fixed": ["displacement"]},
        "patterns": {"syn": {"file": "syn.xye", "phases": ["LaB6"], "report_phase": "LaB6",
                             "exclude_deg": [[50.0, 52.0]]}},
    }  # fmt: skip
    st = settings_from_config(xrd, "syn", base=tmp_path)
    par = fitted.params.set_index("parameter")
    for k in ("U", "V", "W", "X", "Y", "SHL"):
        assert getattr(st, k) == pytest.approx(par.value[k], rel=1e-5), k
    assert st.zero_deg == pytest.approx(par.value["zero"], abs=1e-6)
    assert st.instrument_fixed is True
    df = fitted.profile.rename(columns={"obs": "intensity"})[["two_theta_deg", "intensity", "esd"]]
    r = refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")
    c0, c1 = fitted.cells["LaB6"], r.cells["LaB6"]
    assert abs(c1["a"] - c0["a"]) < 0.2 * c0["a_esd"]
    assert not r.params.set_index("parameter").refined[["U", "V", "W", "X", "Y", "SHL"]].any()


def test_gsas2_script_syntax_and_content(fitted):
    text = gsas2_script(fitted, "syn.xye", "syn.instprm", {"LaB6": "LaB6.cif"})
    tree = ast.parse(text)  # valid Python
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)}  # fmt: skip
    assert {"G2Project", "add_powder_histogram", "add_phase", "set_HAP_refinements",
            "do_refinements", "get_cell", "get_wR"} <= calls  # fmt: skip
    assert '"LeBail": True' in text and "'Cell': True" in text
    assert "[50.0, 52.0]" in text  # excluded region
    assert "'SH/L'" in text and "'Zero'" in text  # refined instrument terms
    assert "Bragg-Brentano" in text and "'no. coeffs': 3" in text
    a = fitted.cells["LaB6"]["a"]
    assert repr(a) in text  # the refined cell as the start


def test_gsas2_script_sample_terms(tmp_path):
    x = np.arange(20.0, 60.0, 0.02)
    st = Settings(sample={"P": {"size_um": 0.05, "size_axial_um": 0.02, "mustrain_ppm": 900.0}})
    ph = [Phase("P", "R-3m", {"a": 2.816, "c": 14.05})]
    m = PatternModel(x, ph, st, "s")
    p = m.p0.copy()
    p[m.ib0] = 100.0
    mu = m.calc(m.evaluate(p), 500.0 * m.mult)
    y = np.random.default_rng(2).poisson(mu).astype(float)
    df = pd.DataFrame({"two_theta_deg": x, "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})
    r = refine(df, ph, st, "s")
    text = gsas2_script(r, "s.xye", "s.instprm", {"P": "P.cif"})
    ast.parse(text)
    assert "hap['Size'][0] = 'uniaxial'" in text and "hap['Mustrain'][0] = 'isotropic'" in text
    assert "hap['Size'][3] = [0, 0, 1]" in text
    assert "#P.size_axial (um):" in instprm_text(r)


def test_export_folder(tmp_path, fitted):
    mats = {"LaB6": {"sites": [{"species": "La", "xyz": [0, 0, 0]},
                               {"species": "B", "xyz": [0.1993, 0.5, 0.5]}]}}  # fmt: skip
    wrote = write_gsas2_export(fitted, tmp_path / "g", mats, {})
    assert wrote == ["LaB6"]
    names = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert names == ["LaB6.cif", "syn.instprm", "syn.xye", "syn_gsas2.py"]
    ast.parse((tmp_path / "g" / "syn_gsas2.py").read_text())


def test_cif_phase_and_refined_cif(tmp_path):
    p = tmp_path / "x.cif"
    p.write_text(CIF)
    ph = read_cif_phase(p, "LaB6")
    assert ph.cell["a"] == pytest.approx(4.1569) and ph.symops == ("x,y,z", "-x,-y,z")
    cell = {"a": 4.15689, "b": 4.15689, "c": 4.15689, "alpha": 90.0, "beta": 90.0,
            "gamma": 90.0, "volume": 71.8296, "a_esd": 2.3e-5, "volume_esd": 0.001}  # fmt: skip
    text = cif_with_cell(p, cell)
    assert "_cell_length_a 4.156890(23)" in text and "La1 0 0 0" in text
    p.write_text(CIF.replace("_cell_length_b 4.1569\n", ""))
    with pytest.raises(InputError, match=r"x.cif: CIF lacks _cell_length_b \(phase LaB6\)"):
        read_cif_phase(p, "LaB6")


def test_config_precedence_with_instrument_file(tmp_path):
    (tmp_path / "i.instprm").write_text(INSTPRM)
    xrd = {
        "instrument": {"U": 9.0, "SHL": 0.05},
        "instrument_file": "i.instprm",
        "fit": {"fixed": ["SHL"], "stages": [["cell"], ["zero"]]},
        "patterns": {"p": {"file": "p.xye", "phases": ["A"], "report_phase": "A",
                           "instrument": {"W": 7.0}, "exclude_deg": [[30, 31]]}},
    }  # fmt: skip
    st = settings_from_config(xrd, "p", base=tmp_path)
    # global section < file < pattern's own
    assert st.U == 2.0 and st.SHL == 0.002 and st.W == 7.0 and st.zero_deg == -0.01
    assert st.instrument_fixed is True and st.exclude_deg == ((30, 31),)
    assert st.stages == (("cell",), ("zero",)) and st.fixed == ("SHL",)


def test_qc_flags_reach_fit_record_and_reproduction(fitted):
    fitted.stats["qc"] = "at_bound:SHL;esd_nan:other.c"
    try:
        rec = fit_record_table(fitted).set_index("parameter")
        assert rec.qc["SHL"] == "at_bound:SHL" and rec.qc["LaB6.a"] == ""
        assert rec.qc["qc"] == "at_bound:SHL;esd_nan:other.c"
        summ = {"stats": fitted.stats, "cells": {**fitted.cells, "other": fitted.cells["LaB6"]}}
        part = reproduction_part([summ], [("syn", "LaB6")])
        assert list(part.columns) == ["quantity", "value", "stderr", "unit", "qc"]
        assert list(part.quantity) == ["lebail.LaB6.a", "lebail.LaB6.c"]
        assert (part.qc == "at_bound:SHL").all()  # the other phase's flag is not LaB6's
    finally:
        fitted.stats["qc"] = ""


def test_collapsed_lorentzian_is_flagged():
    # a pure Gaussian pattern: the Lorentzian X, Y go to zero (at_bound is impossible, they
    # are unbounded) and are flagged collapsed, the cell is still determined
    from intercal.xrd.lebail import _qc_flags

    m = PatternModel(np.arange(20.0, 60.0, 0.02), [Phase("A", "Pm-3m", {"a": 4.0})],
                     Settings(), "q")  # fmt: skip
    p = m.p0.copy()
    p[m.idx["X"]] = 1e-81
    esd = np.full(p.size, 0.1)
    esd[m.idx["Y"]] = np.nan
    assert _qc_flags(m, p, esd) == ["collapsed:X", "esd_nan:Y"]


def test_lebail_figure_draws_tick_legend_and_rwp(fitted):
    import matplotlib

    matplotlib.use("Agg")
    from intercal.figures import style
    from intercal.figures.xrd import draw_lebail, rwp_percent, tick_colors

    fig, axes = style.figure(1, 1, width="single", aspect=0.8)
    refl = pd.concat([fitted.reflections, fitted.reflections.assign(phase="Li0.5CoO2")])
    draw_lebail(axes[0], fitted.profile, refl, "t")
    leg = axes[0].get_legend()
    labels = [t.get_text() for t in leg.get_texts()]
    assert "Li$_{0.5}$CoO$_{2}$" in labels or "Li$_{0.5}$CoO$_2$" in labels
    assert leg.get_title().get_text().startswith("$R_{wp}$ = ")
    assert rwp_percent(fitted.profile) == pytest.approx(100 * fitted.stats["rwp"], rel=1e-9)
    cols = tick_colors(["LaB6", "Li0.5CoO2"])
    assert len(set(cols.values())) == 2
    assert len(axes[0].get_yticks()) > 0  # intensity ticks kept


def test_example_truth_and_generator_names():
    assert "LiCoO2" in X.EXAMPLES and X.instrument_gsas2()["SHL"] == pytest.approx(0.024)


def test_staged_order_reaches_the_same_minimum(fitted):
    # GSAS-II style staged order: cell and zero, then widths, then the asymmetry
    from dataclasses import replace

    df = fitted.profile.rename(columns={"obs": "intensity"})[["two_theta_deg", "intensity", "esd"]]
    st = replace(fitted.settings, stages=(("cell", "zero"), ("W", "X", "Y"), ("SHL",)))
    r = refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], st, "syn")
    c0, c1 = fitted.cells["LaB6"], r.cells["LaB6"]
    assert abs(c1["a"] - c0["a"]) < 0.2 * c0["a_esd"]
    assert r.stats["chi2"] == pytest.approx(fitted.stats["chi2"], rel=1e-4)
    with pytest.raises(InputError, match="stages names 'Q'"):
        refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], replace(st, stages=(("Q",),)), "s")


def test_several_patterns_of_one_phase_get_pattern_named_rows():
    """A series of samples of one phase: one row pair per pattern, not a name clash."""

    def summ(a):
        cell = {"a": a, "a_esd": 1e-4, "c": 11.15, "c_esd": 3e-4}
        return {"stats": {"qc": ""}, "cells": {"P2": cell, "NiO": cell}}

    part = reproduction_part(
        [summ(2.889), summ(2.887), summ(4.17)], [("s1", "P2"), ("s2", "P2"), ("s3", "NiO")]
    )
    assert list(part.quantity) == [
        "lebail.s1.P2.a", "lebail.s1.P2.c", "lebail.s2.P2.a", "lebail.s2.P2.c",
        "lebail.NiO.a", "lebail.NiO.c",
    ]  # fmt: skip
    assert part.set_index("quantity").value["lebail.s2.P2.a"] == 2.887
