"""Electrochemistry figures: drawn from result-shaped tables, panels counted, files written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intercal.echem import capacity, cv
from intercal.echem.cells import cell_tables
from intercal.echem.pipeline import cv_curves, cv_peaks, eis_fit, gcpl_tables
from intercal.figures import echem as fe
from intercal.figures import style
from intercal.tables import fit_record, write_csv

MASS_MG = 3.75 * 0.72  # config.yaml echem.cell
CV_KW = {
    "cycle": 1,
    "cathodic_window": (2.1, 2.6),
    "anodic_window": (2.4, 2.9),
    "cathodic_baseline": (2.8, 2.95),
    "anodic_baseline": (1.8, 2.2),
}
EIS_KW = {
    "circuit": "R0-p(R1,CPE1)-p(R2,CPE2)-W1",
    "initial_guess": [5.0, 10.0, 1.0e-5, 0.85, 100.0, 3.0e-4, 0.8, 30.0],
    "ignore_below_x": True,
}


@pytest.fixture(scope="module")
def tables(demo_data, tmp_path_factory):
    """The result tables the echem rules write, built from the demo data into a tmp folder."""
    echem = demo_data / "echem"
    if not echem.is_dir():
        pytest.skip("data/echem absent (run python -m intercal.simulate)")
    out = tmp_path_factory.mktemp("echem_tables")
    g = echem / "gcpl"
    t = {"first": {}, "long": {}}
    for key in (0.75, 1.0, 1.25, 1.5, 2.0):
        t["first"][key] = gcpl_tables(g / f"CrSe2_cutoff_{key:.2f}V_01_GCPL.mpt", MASS_MG)[1]
    for key in (1.0, 1.25, 1.5, 2.0):
        t["long"][key] = gcpl_tables(g / f"CrSe2_0.5C_cutoff_{key:.2f}V_01_GCPL.mpt", MASS_MG)[0]
    t["rate_cycles"], t["rate_curves"] = gcpl_tables(g / "CrSe2_rate_01_GCPL.mpt", MASS_MG)
    t["rate"] = capacity.rate_capability(
        t["rate_cycles"], [{"c_rate": c, "cycles": 5} for c in (0.1, 0.2, 0.5, 1.0, 2.0, 0.1)]
    )
    cells = {}
    for name in ("cutoff_1.00V", "rate"):
        f = g / ("CrSe2_cutoff_1.00V_01_GCPL.mpt" if name != "rate" else "CrSe2_rate_01_GCPL.mpt")
        cells[name] = cell_tables(name, {"active_mass_mg": MASS_MG}, [str(f)])
    t["cells"] = cells
    files = sorted((echem / "cv").glob("*_CV.mpt"))
    t["cv"] = [cv_curves(f) for f in files]
    t["peaks"] = pd.DataFrame([cv_peaks(f, **CV_KW) for f in files]).sort_values("scan_rate_mV_s")
    rows = []
    for peak, col in (("cathodic", "Ipc_mA"), ("anodic", "Ipa_mA")):
        fit = cv.randles_sevcik(
            t["peaks"].scan_rate_mV_s,
            t["peaks"][col],
            area_cm2=1.131,
            concentration_mol_cm3=0.022843,
        )
        rows.append({"peak": peak, **fit})
    t["rs"] = pd.DataFrame(rows)
    fits, curves, models, rct = [], [], [], []
    for f in sorted((echem / "eis").glob("*_PEIS.mpt")):
        params, stats, curve, model = eis_fit(f, **EIS_KW)
        paths = [out / f"{f.stem}_{k}.csv" for k in ("fit", "curve", "model")]
        write_csv(fit_record(params.to_dict("records"), stats), paths[0])
        write_csv(curve, paths[1])
        write_csv(model, paths[2])
        fits.append(str(paths[0]))
        curves.append(str(paths[1]))
        models.append(str(paths[2]))
        r2 = params.set_index("parameter").loc["R2"]
        rct.append(
            {
                "potential_V": stats["potential_V"],
                "R_ct_ohm": r2.value,
                "R_ct_stderr_ohm": r2.stderr,
                "kk_flagged": bool(stats["kk_flagged"]),
            }
        )
    t["spectra"], t["eis_stats"] = fe.load_spectra(fits, curves, models)
    t["rct"] = pd.DataFrame(rct)
    return t


def _visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _check_saved(fig, tmp_path, name, min_px):
    from PIL import Image

    pdf, png = tmp_path / f"{name}.pdf", tmp_path / f"{name}.png"
    fe.save(fig, pdf, png)
    assert pdf.stat().st_size > 5000 and png.stat().st_size > 20000
    assert pdf.read_bytes()[:5] == b"%PDF-"
    w, h = Image.open(png).size
    assert w >= min_px[0] and h >= min_px[1]  # 300 dpi of a 7.0 in (or 3.35 in) wide figure
    return w, h


def test_figure_3_four_panels(tables, tmp_path):
    fig = fe.figure_3(
        first_cycles=tables["first"],
        gcd=tables["first"][1.0],
        gcd_cycles=[2, 3, 4, 5],
        gcd_label=fe.window_label(tables["first"][1.0], [2, 3, 4, 5]),
        cv_curves=tables["cv"],
        rs=tables["rs"],
        cv_cycle=1,
        spectra=tables["spectra"],
    )
    axes = [ax for ax in fig.axes[:4] if ax.get_visible()]
    assert len(axes) == 4
    a, b, c, d = axes
    assert len(a.get_lines()) == 15  # discharge + end marker + charge at 5 cut-offs
    labels = [t.get_text() for t in a.get_legend().get_texts()]
    assert labels[1] == "1.0 V (1.00-3.00 V)"  # cut-off and window from the data
    assert len(b.get_lines()) == 16  # 4 cycles x 2 half cycles + end markers
    assert len({ln.get_linestyle() for ln in b.get_lines()[::2]}) == 4  # cycles distinguishable
    assert b.get_legend().get_title().get_text() == "1.00-3.00 V"
    # the band above the window holds the legend and zoom: no voltage tick there
    vhi = max(float(ln.get_ydata().max()) for ln in b.get_lines())
    assert max(b.get_yticks()) <= vhi + 0.1 * (vhi - b.get_ylim()[0])
    assert len(c.get_lines()) == 6 + 1  # 6 scan rates + the zero line
    assert len(d.get_lines()) == 14  # 7 spectra: points + fit
    dl = [t.get_text() for t in d.get_legend().get_texts()]
    assert dl[-2:] == ["data", "circuit fit"]
    assert len(d.child_axes) == 1  # high-frequency zoom of the small arcs
    # 1st discharge to 0.75 V reaches the conversion capacity (482 mAh/g)
    x075 = a.get_lines()[0].get_xdata()
    assert np.max(x075) == pytest.approx(482, rel=0.005)
    # D values are written on panel c
    text = " ".join(t.get_text() for t in c.texts)
    assert "lith." in text and "delith." in text and r"10^{-9}" in text and "apparent" in text
    # Nyquist panel at equal scale
    xr, yr = np.diff(d.get_xlim())[0], np.diff(d.get_ylim())[0]
    bb = d.get_window_extent()
    assert yr / xr == pytest.approx(bb.height / bb.width, rel=0.02)
    _check_saved(fig, tmp_path, "fig3", (2000, 1400))


def test_figure_s10_three_panels(tables, tmp_path):
    fig = fe.figure_s10(tables["long"], title="lower cut-off, 0.5 C", retention_cycle=50)
    axes = _visible_axes(fig)
    assert len(axes) == 3
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert labels[0].startswith("1.0 V: 85.") and labels[-1].startswith("2.0 V: 94.")
    # the two series with the same fade differ in marker and line style
    lines = axes[1].get_lines()
    assert lines[0].get_marker() != lines[1].get_marker()
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    _check_saved(fig, tmp_path, "figS10", (2000, 500))


def test_figure_s13_one_panel(tables, tmp_path):
    fig = fe.figure_s13(tables["peaks"], tables["rs"])
    (ax,) = _visible_axes(fig)
    assert len(ax.get_lines()) == 4  # points and line per peak
    # the drawn line is the table's fit: at v = 1 mV/s it gives Ip = intercept + slope sqrt(1e-3)
    r = tables["rs"].set_index("peak").loc["cathodic"]
    line = ax.get_lines()[1]
    y_at_1 = np.interp(1.0, line.get_xdata(), line.get_ydata())
    assert y_at_1 == pytest.approx(1000 * (r.intercept + r.slope * np.sqrt(1e-3)), rel=1e-6)
    _check_saved(fig, tmp_path, "figS13", (900, 700))


def test_figure_s14_two_panels(tables, tmp_path):
    fig = fe.figure_s14(
        tables["rate_cycles"], tables["rate"], tables["rate_curves"], cell="my_rate_cell"
    )
    axes = _visible_axes(fig)
    assert len(axes) == 2
    assert "my_rate_cell" in axes[0].get_title()  # which cell the rate test is
    # panel (b) ends at the data, its legend sits beside the axes (not on the curves)
    qmax = float(tables["rate_curves"]["capacity_mAh_g"].max())
    assert axes[1].get_xlim()[1] == pytest.approx(1.04 * qmax)
    assert axes[1].get_legend().get_bbox_to_anchor().x0 > axes[1].bbox.x1
    labels = " ".join(t.get_text() for t in axes[0].texts)
    assert "1 C\n63 %" in labels
    assert len(axes[1].get_lines()) == 10  # 5 distinct C-rates x 2 half cycles
    # every charge starts near the lower limit, like the 0.1 C one (no jump to the plateau)
    for ln in axes[1].get_lines()[1::2]:
        assert ln.get_ydata()[0] < 2.0
    _check_saved(fig, tmp_path, "figS14", (2000, 600))


def test_figure_s15_panel_per_potential_and_rct(tables, tmp_path):
    fig = fe.figure_s15(tables["spectra"], tables["rct"], tables["eis_stats"])
    axes = _visible_axes(fig)
    assert len(axes) == 7 + 1
    # R_ct panel: smallest in the plateau (2.34 V), largest at 1.0 V
    x, y = axes[-1].get_lines()[0].get_data()
    assert x[np.argmin(y)] == pytest.approx(2.34, abs=0.01)
    assert x[np.argmax(y)] == pytest.approx(1.0, abs=0.01)
    _check_saved(fig, tmp_path, "figS15", (2000, 800))


def test_figure_dqdv(tables, tmp_path):
    c = tables["cells"]
    fig = fe.figure_dqdv(
        {n: v["dqdv"] for n, v in c.items()},
        {n: v["dqdv_peaks"] for n, v in c.items()},
        {n: v["info"].iloc[0].to_dict() for n, v in c.items()},
    )
    panels = [ax for ax in _visible_axes(fig) if ax.get_label() != "<colorbar>"]
    bars = [ax for ax in _visible_axes(fig) if ax.get_label() == "<colorbar>"]
    assert len(panels) == 2 and len(bars) == 2  # cycle number on a colour bar per panel
    assert all(ax.get_legend() is None for ax in panels)  # no legend over curves or labels
    assert bars[0].get_ylabel() == "cycle"
    assert "SG 11 pts, order 3, 5 mV grid" in panels[0].get_title()
    pk = c["cutoff_1.00V"]["dqdv_peaks"]
    d1 = pk[(pk.cycle == 1) & (pk.direction == "discharge")].iloc[0]
    assert 2.55 < d1.voltage_V < 2.65 and 0 < d1.voltage_stderr_V < 0.01
    _check_saved(fig, tmp_path, "dqdv", (2000, 600))


def test_figure_bad_input(tables):
    fig, (ax,) = style.figure(1, 1)
    with pytest.raises(ValueError, match=r"no cycles \[9\]"):
        fe.draw_gcd_cycles(ax, tables["first"][1.0], [2, 9])
    with pytest.raises(ValueError, match="lacks columns"):
        fe.draw_first_cycles(ax, {1.0: pd.DataFrame({"cycle": [1]})})
    with pytest.raises(ValueError, match="no panel"):
        fe.figure_3()
    with pytest.raises(ValueError, match="one curve and one model"):
        fe.load_spectra(["a.csv"], [], [])
    with pytest.raises(ValueError, match="no cycle 7"):
        fe.draw_cv(ax, tables["cv"], tables["rs"], cycle=7)


def test_value_esd_format():
    assert fe.value_esd(9.2266e-9, 3.08e-11, sci=True) == r"9.23(3)$\times10^{-9}$"
    assert fe.value_esd(74.3, 8.1) == "74(8)"
    assert fe.value_esd(2.3602, 0.0012) == "2.3602(12)"
    assert fe.value_esd(1.5, float("nan")) == "1.5"
