"""The figure set of rule all: every file present, well formed, with the expected panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from intercal.figures import style

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

#: figure -> number of axes with data (the paper's panels; twin/inset axes counted)
FIGURES = [
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "si/figS4",
    "si/figS7",
    "si/figS8",
    "si/figS10",
    "si/figS13",
    "si/figS14",
    "si/figS15",
    "si/figS18",
]


@pytest.mark.parametrize("name", FIGURES)
def test_figure_files_exist_and_are_well_formed(built, name):
    pdf = built / "results" / "figures" / f"{name}.pdf"
    png = built / "results" / "figures" / f"{name}.png"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 5_000
    img = image.imread(png)
    h, w = img.shape[:2]
    # 300 dpi: a single-column figure (3.35 in) is >= 900 px wide
    assert w >= 900 and h >= 400, (w, h)
    # not blank: some pixels differ from the background
    assert float(np.std(img[..., :3])) > 0.02


@pytest.fixture()
def captured(monkeypatch):
    """Figures passed to style.save, instead of writing files."""
    figs = []

    def fake_save(fig, *args, **kwargs):
        figs.append(fig)

    monkeypatch.setattr(style, "save", fake_save)
    return figs


def _panels(fig):
    """Axes that hold data (visible, with lines, collections, images or patches)."""
    return [
        ax
        for ax in fig.axes
        if ax.get_visible() and (ax.lines or ax.collections or ax.images or ax.patches)
    ]


def test_fig2_has_four_panels_from_the_tables(built, captured):
    import yaml

    from intercal.figures.fig2 import fig2

    res = built / "results"
    cfg = yaml.safe_load((built / "config.yaml").read_text())
    lebail = [
        (
            p,
            pd.read_csv(res / "xrd" / p / "profile.csv"),
            pd.read_csv(res / "xrd" / p / "reflections.csv"),
        )
        for p in cfg["figures"]["fig2_lebail"]
    ]
    spectra = pd.read_csv(res / "tables" / "xas" / "spectra_long.csv")
    nu = pd.read_csv(res / "tables" / "musr" / "nu_vs_temperature.csv")
    fig2(lebail, spectra[spectra.element == "Cr"], nu, "x.pdf", "x.png")
    (fig,) = captured
    assert len(_panels(fig)) == 4
    letters = sorted(t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()[:1] == "(")
    assert letters == ["(a)", "(b)", "(c)", "(d)"]


def test_fig4_and_s18_panels(built, captured):
    from intercal.figures import operando

    res = built / "results" / "operando"
    lattice = pd.read_csv(res / "lattice.csv")
    with np.load(res / "intensity_map.npz") as z:
        imap = {k: z[k] for k in z.files}
    trace = pd.read_csv(res / "cycling_trace.csv")
    patterns = pd.read_csv(res / "simulated_patterns.csv")
    operando.fig4(lattice, imap, trace, patterns, "x.pdf", "x.png")
    fig4 = captured[-1]
    # a: simulated patterns, intensity map (+ its colour bar), voltage; b: a and c; c: volume
    assert len(_panels(fig4)) == 7
    operando.figs18(lattice, imap, trace, "y.pdf", "y.png")
    assert len(_panels(captured[-1])) >= 2


def test_musr_and_xas_si_panels(built, captured):
    from intercal.figures import musr, xas

    t = built / "results" / "tables"
    nu = pd.read_csv(t / "musr" / "nu_vs_temperature.csv")
    musr.figure_s8(nu, pd.read_csv(t / "musr" / "arrhenius_fit.csv"), "a.pdf", "a.png")
    assert len(_panels(captured[-1])) == 1
    curves = pd.read_csv(t / "musr" / "final_curves.csv")
    musr.figure_s7(curves, "b.pdf", "b.png")
    assert len(_panels(captured[-1])) == curves["temperature_K"].nunique()
    xas.figure_s4(
        pd.read_csv(t / "xas" / "spectra_long.csv"),
        pd.read_csv(t / "xas" / "edges.csv"),
        "c.pdf",
        "c.png",
    )
    assert len(_panels(captured[-1])) == 2
