"""XANES figures: the Cr K-edge panel of Fig. 2c and Fig. S4 (Se K edge).

Drawn only from tables in results/ (normalized spectra in long format, the
edge table), never by re-fitting.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import style

#: plotting order of the Cr K-edge panel (others follow alphabetically)
CR_ORDER = ["CrSe2", "LiCrSe2", "Cr2O3", "CrO2"]


def formula_label(name: str) -> str:
    """Mathtext label with subscripted stoichiometry: ``Li0.6CrSe2`` -> Li$_{0.6}$CrSe$_2$."""
    return re.sub(r"(?<=[A-Za-z)])(\d+(?:\.\d+)?)", r"$_{\1}$", name)


def _color(sample: str, i: int) -> str:
    return style.PHASE_COLORS.get(sample, style.SERIES[i % len(style.SERIES)])


def draw_cr_xanes(ax, spectra: pd.DataFrame, xlim: tuple[float, float] = (5975.0, 6030.0)) -> None:
    """Normalized Cr K-edge XANES of the selenides and oxide references (Fig. 2c).

    Parameters
    ----------
    ax : matplotlib Axes
    spectra : DataFrame
        Long format with columns ``sample``, ``energy_eV``, ``norm`` (``flat``,
        ``derivative`` optional); when an ``element`` column is present only
        rows with element ``Cr`` are drawn.
    xlim : (float, float)
        Energy range (eV).
    """
    df = spectra
    if "element" in df.columns:
        df = df[df.element == "Cr"]
    missing = {"sample", "energy_eV", "norm"} - set(df.columns)
    if missing:
        raise ValueError(f"draw_cr_xanes: spectra table lacks columns {sorted(missing)}")
    samples = list(dict.fromkeys(df["sample"]))
    order = [s for s in CR_ORDER if s in samples] + sorted(s for s in samples if s not in CR_ORDER)
    for i, s in enumerate(order):
        d = df[df["sample"] == s]
        ax.plot(d.energy_eV, d.norm, color=_color(s, i), label=formula_label(s))
    ax.set_xlim(*xlim)
    sel = df[(df.energy_eV >= xlim[0]) & (df.energy_eV <= xlim[1])]
    if len(sel):
        ax.set_ylim(-0.05, float(np.nanmax(sel.norm)) * 1.08)
    ax.set_xlabel(style.LABELS["energy"])
    ax.set_ylabel(style.LABELS["norm_mu"])
    ax.legend(loc="lower right", title="Cr K edge")


def figure_s4(
    spectra: pd.DataFrame,
    edges: pd.DataFrame,
    pdf_path,
    png_path,
    samples: list[str] | None = None,
    xlim: tuple[float, float] = (12630.0, 12700.0),
) -> None:
    """Fig. S4: normalized Se K-edge XANES with pre-edge/edge positions, and dmu/dE.

    Parameters
    ----------
    spectra : DataFrame
        Long table (spectrum, element, sample, energy_eV, norm, derivative).
    edges : DataFrame
        Edge table (spectrum, element, sample, e0_eV, preedge_eV, ...).
    pdf_path, png_path : path-like
        Output files.
    samples : list of str, optional
        Spectrum ids to show (default: every Se spectrum).
    xlim : (float, float)
        Energy range (eV).
    """
    se = spectra[spectra.element == "Se"]
    ids = samples or list(dict.fromkeys(se.spectrum))
    fig, (ax, axd) = style.figure(
        ncols=1,
        nrows=2,
        width="single",
        aspect=0.55,
        sharex=True,
        gridspec_kw={"hspace": 0.05},
    )
    for i, sid in enumerate(ids):
        d = se[se.spectrum == sid]
        if d.empty:
            raise ValueError(f"figure_s4: spectrum {sid!r} is not in the spectra table")
        sample = d["sample"].iloc[0]
        c = _color(sample, i)
        ax.plot(d.energy_eV, d.norm, color=c, label=formula_label(sample))
        axd.plot(d.energy_eV, d.derivative, color=c)
        row = edges[edges.spectrum == sid].iloc[0]
        for a in (ax, axd):
            a.axvline(row.e0_eV, color=c, ls="--", lw=0.7)
        text = f"{formula_label(sample)}\nE0 {row.e0_eV:.1f} eV"
        if np.isfinite(row.preedge_eV):
            for a in (ax, axd):
                a.axvline(row.preedge_eV, color=c, ls=":", lw=0.7)
            text += f"\npre-edge {row.preedge_eV:.1f} eV"
        ax.text(
            0.02,
            0.96 - 0.24 * i,
            text,
            transform=ax.transAxes,
            color=c,
            fontsize=5.5,
            va="top",
            ha="left",
            linespacing=1.1,
        )
    ax.set_xlim(*xlim)
    ax.set_ylabel(style.LABELS["norm_mu"])
    axd.set_ylabel(r"d$\mu$/d$E$ (eV$^{-1}$)")
    axd.set_xlabel(style.LABELS["energy"])
    axd.axhline(0.0, color="0.6", lw=0.5)
    axd.text(
        0.98,
        0.95,
        "dashed: E0 (max d$\\mu$/d$E$)\ndotted: pre-edge peak",
        transform=axd.transAxes,
        color="0.3",
        fontsize=5.5,
        va="top",
        ha="right",
    )
    ax.legend(loc="lower right", title="Se K edge")
    style.panel_label(ax, "a", x=-0.2)
    style.panel_label(axd, "b", x=-0.2)
    style.save(fig, pdf_path, png_path)


def cr_xanes_figure(spectra: pd.DataFrame, pdf_path, png_path) -> None:
    """Stand-alone preview of the Fig. 2c panel (single column)."""
    fig, (ax,) = style.figure(ncols=1, nrows=1, width="single", aspect=0.8)
    draw_cr_xanes(ax, spectra)
    style.save(fig, pdf_path, png_path)
