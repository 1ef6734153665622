"""XANES figures for any edge, drawn only from result tables (never by re-fitting).

Inputs are the long spectra table (``spectrum, element, sample, energy_eV,
norm, flat, derivative``) and the edge table (``spectrum, e0_eV, preedge_eV,
...``) written by the ``xas_aggregate`` rule. Which spectra share a panel is
chosen in config (``xas.figures``); labels come from the sample names, the
legend title from the edge name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style

#: kept under its old name for callers and tests: the label of a sample's formula
formula_label = style.formula_tex


def _colors(samples: list[str]) -> dict[str, str]:
    """One colour per sample: its study colour (``style.phase_color``) unless another sample
    on the same panel already has it, then the next free colour of ``style.SERIES``."""
    out: dict[str, str] = {}
    for s in samples:
        c = style.phase_color(s)
        if c in out.values():
            c = next((x for x in style.SERIES if x not in out.values()), c)
        out[s] = c
    return out


def _ids(spectra: pd.DataFrame, ids: list[str] | None) -> list[str]:
    col = "spectrum" if "spectrum" in spectra.columns else "sample"
    have = list(dict.fromkeys(spectra[col]))
    if not ids:
        return have
    missing = [s for s in ids if s not in have]
    if missing:
        raise ValueError(
            f"spectra {missing} are not in the spectra table (it has {have}); "
            "check xas.figures against xas.spectra"
        )
    return list(ids)


def _e0_guess(d: pd.DataFrame) -> float:
    if "derivative" in d.columns and d.derivative.notna().any():
        return float(d.energy_eV.iloc[int(np.nanargmax(d.derivative.to_numpy()))])
    return float(d.energy_eV.iloc[int(np.argmin(np.abs(d.norm.to_numpy() - 0.5)))])


def default_xlim(spectra: pd.DataFrame, ids: list[str] | None = None) -> tuple[float, float]:
    """E0 - 25 .. E0 + 40 eV around the spectra's derivative maxima."""
    col = "spectrum" if "spectrum" in spectra.columns else "sample"
    e0s = [_e0_guess(spectra[spectra[col] == s]) for s in _ids(spectra, ids)]
    return min(e0s) - 25.0, max(e0s) + 40.0


def draw_xanes_panel(
    ax,
    spectra: pd.DataFrame,
    ids: list[str] | None = None,
    *,
    xlim: tuple[float, float] | None = None,
    title: str | None = None,
) -> list[str]:
    """Normalized XANES of the chosen spectra on one axis.

    Parameters
    ----------
    ax : matplotlib Axes
    spectra : DataFrame
        Long table with ``energy_eV``, ``norm``, ``sample`` and (preferably)
        ``spectrum`` and ``element`` columns.
    ids : list of str, optional
        Spectrum ids in plotting order (default every spectrum in the table).
    xlim : (float, float), optional
        Energy range (eV); default :func:`default_xlim`.
    title : str, optional
        Legend title; default the edge name (``element`` column) when unique.

    Returns
    -------
    list of str
        The spectrum ids drawn.
    """
    missing = {"sample", "energy_eV", "norm"} - set(spectra.columns)
    if missing:
        raise ValueError(f"draw_xanes_panel: spectra table lacks columns {sorted(missing)}")
    col = "spectrum" if "spectrum" in spectra.columns else "sample"
    order = _ids(spectra, ids)
    names = [str(spectra[spectra[col] == sid]["sample"].iloc[0]) for sid in order]
    colors = _colors(names)
    for sid, sample in zip(order, names, strict=True):
        d = spectra[spectra[col] == sid]
        ax.plot(d.energy_eV, d.norm, color=colors[sample], label=formula_label(sample))
    xlim = tuple(xlim) if xlim else default_xlim(spectra, order)
    ax.set_xlim(*xlim)
    sel = spectra[
        spectra[col].isin(order) & (spectra.energy_eV >= xlim[0]) & (spectra.energy_eV <= xlim[1])
    ]
    if len(sel):
        ax.set_ylim(
            min(-0.05, float(np.nanmin(sel.norm)) - 0.05), float(np.nanmax(sel.norm)) * 1.08
        )
    ax.set_xlabel(style.LABELS["energy"])
    ax.set_ylabel(style.LABELS["norm_mu"])
    if title is None and "element" in spectra.columns:
        edges = sorted(set(spectra[spectra[col].isin(order)].element))
        title = f"{edges[0]} edge" if len(edges) == 1 else None
    ax.legend(loc="lower right", title=title)
    return order


#: kept for rules/figures.smk and figures/fig2.py (Fig. 2c), which call it by this name
draw_cr_xanes = draw_xanes_panel


def xanes_figure(
    spectra: pd.DataFrame,
    edges: pd.DataFrame | None,
    pdf_path,
    png_path,
    ids: list[str] | None = None,
    *,
    derivative: bool = False,
    xlim: tuple[float, float] | None = None,
    title: str | None = None,
) -> None:
    """One XANES figure: normalized spectra, optionally with dmu/dE and E0/pre-edge marks.

    Parameters
    ----------
    spectra : DataFrame
        Long spectra table.
    edges : DataFrame or None
        Edge table (``spectrum``, ``e0_eV``, ``preedge_eV``); needed for the
        marks of the derivative figure.
    pdf_path, png_path : path-like
        Output files.
    ids : list of str, optional
        Spectrum ids (default all in the table).
    derivative : bool
        Add a dmu/dE panel with dashed E0 and dotted pre-edge marks.
    xlim : (float, float), optional
        Energy range (eV).
    title : str, optional
        Legend title.
    """
    if not derivative:
        fig, (ax,) = style.figure(ncols=1, nrows=1, width="single", aspect=0.8)
        draw_xanes_panel(ax, spectra, ids, xlim=xlim, title=title)
        style.save(fig, pdf_path, png_path)
        return
    fig, (ax, axd) = style.figure(
        ncols=1, nrows=2, width="single", aspect=0.55, sharex=True, gridspec_kw={"hspace": 0.05}
    )
    order = draw_xanes_panel(ax, spectra, ids, xlim=xlim, title=title)
    ax.set_xlabel("")
    col = "spectrum" if "spectrum" in spectra.columns else "sample"
    colors = _colors([str(spectra[spectra[col] == sid]["sample"].iloc[0]) for sid in order])
    for i, sid in enumerate(order):
        d = spectra[spectra[col] == sid]
        sample = str(d["sample"].iloc[0])
        c = colors[sample]
        axd.plot(d.energy_eV, d.derivative, color=c)
        if edges is None or "spectrum" not in edges.columns:
            continue
        row = edges[edges.spectrum == sid]
        if row.empty:
            raise ValueError(f"spectrum {sid!r} is not in the edge table")
        row = row.iloc[0]
        for a in (ax, axd):
            a.axvline(row.e0_eV, color=c, ls="--", lw=0.7)
        text = f"{formula_label(sample)}\nE0 {row.e0_eV:.1f} eV"
        if np.isfinite(row.get("preedge_eV", np.nan)):
            for a in (ax, axd):
                a.axvline(row.preedge_eV, color=c, ls=":", lw=0.7)
            flagged = "preedge" in str(row.get("qc", "") or "")
            text += f"\npre-edge {row.preedge_eV:.1f} eV" + (" (QC flag)" if flagged else "")
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
    axd.set_ylabel(r"d$\mu$/d$E$ (eV$^{-1}$)")
    axd.set_xlabel(style.LABELS["energy"])
    axd.axhline(0.0, color="0.6", lw=0.5)
    axd.text(
        0.98,
        0.95,
        "dashed: E0 (max d$\\mu$/d$E$)\ndotted: pre-edge centroid",
        transform=axd.transAxes,
        color="0.3",
        fontsize=5.5,
        va="top",
        ha="right",
    )
    style.panel_label(ax, "a", x=-0.2)
    style.panel_label(axd, "b", x=-0.2)
    style.save(fig, pdf_path, png_path)


def figure_s4(spectra, edges, pdf_path, png_path, samples=None, xlim=None) -> None:
    """Normalized XANES with dmu/dE of the chosen spectra (kept name of the demo's Fig. S4)."""
    xanes_figure(spectra, edges, pdf_path, png_path, samples, derivative=True, xlim=xlim)
