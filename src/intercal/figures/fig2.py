"""Fig. 2 of the paper as one composition: (a, b) Le Bail fits of LiCrSe2 and
CrSe2, (c) normalized Cr K-edge XANES, (d) Li hop rate vs temperature.

Each panel is drawn by its technique's module from result tables only; this
module only lays them out.
"""

from __future__ import annotations

import pandas as pd

from . import style
from .musr import draw_hop_rate
from .xas import draw_cr_xanes, formula_label
from .xrd import draw_lebail


def fig2(
    lebail: list[tuple[str, pd.DataFrame, pd.DataFrame]],
    cr_spectra: pd.DataFrame,
    nu_table: pd.DataFrame,
    pdf_path,
    png_path,
):
    """Draw and save Fig. 2.

    Parameters
    ----------
    lebail : list of (title, profile, reflections)
        The two Le Bail fits in panel order (paper: LiCrSe2 in a, CrSe2 in b);
        tables as written by the ``xrd_lebail`` rule.
    cr_spectra : DataFrame
        Long-format normalized Cr K-edge spectra (``sample``, ``energy_eV``, ``norm``).
    nu_table : DataFrame
        ``temperature_K``, ``nu_MHz``, ``nu_stderr_MHz``.
    pdf_path, png_path : path-like
        Output files.

    Returns
    -------
    matplotlib.figure.Figure
        The (closed) figure, for tests that count its axes.
    """
    if len(lebail) != 2:
        raise ValueError(f"fig2 needs two Le Bail fits (panels a, b), got {len(lebail)}")
    fig, axes = style.figure(ncols=2, nrows=2, width="double", aspect=0.72)
    for ax, letter, (title, profile, refl) in zip(axes[:2], "ab", lebail, strict=True):
        draw_lebail(ax, profile, refl, formula_label(title))
        style.panel_label(ax, letter)
    draw_cr_xanes(axes[2], cr_spectra)
    style.panel_label(axes[2], "c")
    draw_hop_rate(axes[3], nu_table)
    style.panel_label(axes[3], "d")
    fig.tight_layout(h_pad=1.2, w_pad=1.5)
    style.save(fig, pdf_path, png_path)
    return fig
