"""Fig. 2 as one composition: Le Bail fits, normalized XANES and the hop rate.

Each panel is drawn by its technique's module from result tables only; this
module only lays them out. Panels are built from what the study has: one per
Le Bail pattern chosen in config, then a XANES panel and a hop-rate panel when
those techniques ran (letters a, b, c ... in that order).
"""

from __future__ import annotations

import math

import pandas as pd

from . import style
from .musr import draw_hop_rate
from .xas import draw_xanes_panel
from .xrd import draw_lebail


def fig2(
    lebail: list[tuple[str, pd.DataFrame, pd.DataFrame]],
    spectra: pd.DataFrame | None,
    nu_table: pd.DataFrame | None,
    pdf_path,
    png_path,
    *,
    spectrum_ids: list[str] | None = None,
    arrhenius: pd.DataFrame | None = None,
):
    """Draw and save Fig. 2.

    Parameters
    ----------
    lebail : list of (title, profile, reflections)
        Le Bail fits in panel order; tables as written by the ``xrd_lebail`` rule.
    spectra : DataFrame or None
        Long-format normalized spectra (``spectrum``, ``sample``, ``energy_eV``,
        ``norm``); None leaves the XANES panel out.
    nu_table : DataFrame or None
        ``temperature_K``, ``nu_MHz``, ``nu_stderr_MHz``; None leaves the hop-rate panel out.
    pdf_path, png_path : path-like
        Output files.
    spectrum_ids : list of str, optional
        Spectra of the XANES panel (default: every spectrum of the table's first edge).
    arrhenius : DataFrame, optional
        The Arrhenius fit record, to draw the fit and the onset on the hop-rate panel.

    Returns
    -------
    matplotlib.figure.Figure
        The (closed) figure, for tests that count its axes.
    """
    n = len(lebail) + (spectra is not None) + (nu_table is not None)
    if n == 0:
        raise ValueError("fig2: no panel to draw (no Le Bail fit, spectra or hop rates)")
    ncols = 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width="double", aspect=0.36 * nrows)
    axes = list(getattr(axes, "flat", [axes]))
    letters = iter("abcdefghij")
    k = 0
    for title, profile, refl in lebail:
        draw_lebail(axes[k], profile, refl, style.formula_tex(title))
        style.panel_label(axes[k], next(letters))
        k += 1
    if spectra is not None:
        ids = spectrum_ids
        if not ids and "element" in spectra.columns and len(spectra):
            first = spectra.element.iloc[0]
            col = "spectrum" if "spectrum" in spectra.columns else "sample"
            ids = list(dict.fromkeys(spectra[spectra.element == first][col]))
        draw_xanes_panel(axes[k], spectra, ids or None)
        style.panel_label(axes[k], next(letters))
        k += 1
    if nu_table is not None:
        draw_hop_rate(axes[k], nu_table, arrhenius)
        style.panel_label(axes[k], next(letters))
        k += 1
    for ax in axes[k:]:
        ax.set_visible(False)
    fig.tight_layout(h_pad=1.2, w_pad=1.5)
    style.save(fig, pdf_path, png_path)
    return fig
