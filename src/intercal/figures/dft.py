"""Fig. 1 (a, b, c): convex hull, DFT voltage profile and NEB paths.

Drawn only from the DFT result tables (``hull.csv``, ``voltage_profile.csv``,
``neb_paths.csv``, ``neb_barriers.csv`` in the results folder's ``dft/``).
The input tables carry total energies only, so there is no density-of-states
panel; the panels are lettered a-c. Every label (host, working ion, site and
space-group names, NEB path labels) comes from the tables and the config.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from intercal.figures import style

#: marker per site, in order of first appearance (hull site first)
SITE_MARKERS = ["o", "^", "s", "D", "v", "p", "h"]
#: colour per space group, in order of first appearance (hull space group first)
GROUP_COLORS = [style.SERIES[i] for i in (2, 1, 0, 3, 4, 5, 6, 7)]


def _styles(hull: pd.DataFrame) -> tuple[dict, dict]:
    """(marker per site, colour per space group); the hull's own site/group come first."""
    order = pd.concat([hull[hull["stable"]], hull[~hull["stable"]]])
    sites = list(dict.fromkeys(order["site"]))
    groups = list(dict.fromkeys(order["space_group"]))
    markers = {s: SITE_MARKERS[i % len(SITE_MARKERS)] for i, s in enumerate(sites)}
    colors = {g: GROUP_COLORS[i % len(GROUP_COLORS)] for i, g in enumerate(groups)}
    return markers, colors


def _draw_hull(axis, hull: pd.DataFrame, legend: bool) -> None:
    """All configurations (open markers), hull points (filled) and the hull line."""
    markers, colors = _styles(hull)
    stable = hull[hull["stable"]].sort_values("x")
    axis.plot(stable["x"], stable["mixing_energy_meV"], "-", color="black", lw=0.8, zorder=1)
    for (site, sg), grp in hull.groupby(["site", "space_group"], sort=False):
        unstable = grp[~grp["stable"]]
        axis.scatter(
            unstable["x"],
            unstable["mixing_energy_meV"],
            marker=markers[site],
            s=14,
            facecolors="white",
            edgecolors=colors[sg],
            linewidths=0.8,
            zorder=2,
            label=f"{site} {sg}" if legend and len(unstable) else None,
        )
    axis.scatter(
        stable["x"],
        stable["mixing_energy_meV"],
        marker="o",
        s=16,
        color="black",
        zorder=3,
        label="on the hull" if legend else None,
    )
    axis.axhline(0, color="0.6", lw=0.5, ls=":", zorder=0)
    axis.set_xlim(-0.04, 1.04)


def _scale_note(axis, text: str) -> None:
    """Name the y scale of one part of the split axis, outside its right spine."""
    axis.text(
        1.02,
        0.5,
        text,
        transform=axis.transAxes,
        rotation=90,
        ha="left",
        va="center",
        fontsize=6,
        color="0.35",
        style="italic",
    )


def _hull_panel(fig, ax, hull: pd.DataFrame, xlabel: str, label_x: float = -0.2):
    """Mixing energy vs x, on a split axis when some configurations lie far above the hull.

    The lower part is linear and spans the configurations of the (site, space
    group) families that contain hull points; the upper part is logarithmic
    and holds the higher-energy configurations. The two parts share x and
    together cover the whole energy range (no data fall in a gap); each part
    names its scale. Returns the top axis (for the panel letter).
    """
    on_hull = hull[hull["stable"]][["site", "space_group"]].drop_duplicates()
    family = hull.merge(on_hull, on=["site", "space_group"])
    lo, hi = family["mixing_energy_meV"].min(), family["mixing_energy_meV"].max()
    pad = 0.15 * max(hi - lo, 1.0)
    split = hi + pad
    top_max = float(hull["mixing_energy_meV"].max())
    ylabel = r"$E_\mathrm{mix}$ (meV f.u.$^{-1}$)"
    if top_max <= split or top_max <= 0:  # nothing far above the hull: one linear axis
        _draw_hull(ax, hull, legend=True)
        ax.set_ylim(lo - pad, max(split, top_max + pad))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left")
        return ax
    gs = ax.get_subplotspec().subgridspec(2, 1, height_ratios=[1, 1.3], hspace=0.06)
    ax.remove()
    upper = fig.add_subplot(gs[0])
    lower = fig.add_subplot(gs[1], sharex=upper)
    for axis in (upper, lower):
        _draw_hull(axis, hull, legend=axis is upper)
    upper.set_yscale("log")  # high-energy configurations span decades: log spreads them
    bottom = max(split, 1e-3)
    upper.set_ylim(bottom, top_max * 1.6)
    decades = [m * 10.0**k for k in range(-3, 6) for m in (1, 3)]
    upper.yaxis.set_major_locator(FixedLocator([d for d in decades if bottom < d < top_max * 1.6]))
    upper.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    upper.yaxis.set_minor_formatter(NullFormatter())
    lower.set_ylim(lo - pad, split)
    upper.spines["bottom"].set_visible(False)
    lower.spines["top"].set_visible(False)
    upper.tick_params(labelbottom=False, bottom=False)
    lower.tick_params(top=False)
    kw = {
        "marker": [(-1, -0.5), (1, 0.5)],
        "markersize": 6,
        "linestyle": "none",
        "color": "k",
        "mec": "k",
        "mew": 0.7,
        "clip_on": False,
    }
    upper.plot([0, 1], [0, 0], transform=upper.transAxes, **kw)
    lower.plot([0, 1], [1, 1], transform=lower.transAxes, **kw)
    _scale_note(upper, "log scale")
    _scale_note(lower, "linear scale")
    lower.set_xlabel(xlabel)
    lower.set_ylabel(ylabel)
    lower.yaxis.set_label_coords(label_x, 1.0)
    upper.legend(
        loc="lower left",
        bbox_to_anchor=(-0.02, 1.0),
        ncol=2,
        fontsize=6,
        handletextpad=0.05,
        columnspacing=0.5,
        borderaxespad=0.1,
        labelspacing=0.2,
    )
    return upper


def _voltage_panel(ax, profile: pd.DataFrame, xlabel: str, ylabel: str) -> None:
    """Step voltage profile vs x, average voltage, capacity on the top axis."""
    prof = profile.sort_values("x_start")
    xs = np.column_stack([prof["x_start"], prof["x_end"]]).ravel()
    vs = np.repeat(prof["voltage_V"].to_numpy(), 2)
    ax.plot(xs, vs, "-", color="black", lw=1.2, label="DFT, between hull points")
    width = prof["x_end"] - prof["x_start"]
    v_avg = float((prof["voltage_V"] * width).sum() / width.sum())
    ax.axhline(v_avg, color="0.4", ls="--", lw=0.7, label=f"average {v_avg:.3f} V")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, float(prof["x_end"].max()))
    vmin, vmax = float(prof["voltage_V"].min()), float(prof["voltage_V"].max())
    ax.set_ylim(vmin - 0.4, vmax + 0.4)
    ax.legend(loc="lower left")
    # top axis: capacity per gram of host (linear in x)
    cap_per_x = float(
        (prof["capacity_end_mAh_g"] / prof["x_end"]).replace([np.inf], np.nan).dropna().iloc[0]
    )
    top = ax.secondary_xaxis("top", functions=(lambda x: x * cap_per_x, lambda c: c / cap_per_x))
    top.set_xlabel(style.LABELS["capacity"], fontsize=7)
    top.tick_params(labelsize=6, direction="in")
    ax.tick_params(top=False)


def _neb_panel(ax, paths: pd.DataFrame, barriers: pd.DataFrame) -> None:
    """Energy along each NEB path (relative to the initial image), barrier in the legend."""
    for i, (label, grp) in enumerate(paths.groupby("label", sort=False)):
        grp = grp.sort_values("image")
        color = style.SERIES[(2 * i) % len(style.SERIES)]
        s = grp["reaction_coordinate_angstrom"].to_numpy()
        s = s / s[-1]
        e = grp["energy_rel_eV"].to_numpy()
        row = barriers[barriers["label"] == label].iloc[0]
        ax.plot(s, e, "-o", color=color, ms=3, label=f"{label}: {row['barrier_eV']:.2f} eV")
    ax.set_xlabel("Reaction coordinate (normalized)")
    ax.set_ylabel("Relative energy (eV)")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.05, float(paths["energy_rel_eV"].max()) * 1.25)
    ax.legend(loc="lower right")


def fig1(
    hull: pd.DataFrame,
    profile: pd.DataFrame,
    neb_paths: pd.DataFrame | None,
    neb_barriers: pd.DataFrame | None,
    pdf: str | os.PathLike,
    png: str | os.PathLike | None = None,
    *,
    host: str,
    ion: str,
):
    """Draw Fig. 1 a-c (three panels in a row, double column; a-b without NEB) and save it.

    Parameters
    ----------
    hull : pandas.DataFrame
        ``dft/hull.csv`` (x, site, space_group, mixing_energy_meV, stable).
    profile : pandas.DataFrame
        ``dft/voltage_profile.csv`` (x_start, x_end, voltage_V, capacities).
    neb_paths, neb_barriers : pandas.DataFrame or None
        ``dft/neb_paths.csv`` and ``dft/neb_barriers.csv``; None (config without
        ``dft.neb``): no NEB panel.
    pdf, png : path
        Output files (vector PDF, 300 dpi PNG).
    host, ion : str
        Host formula and working-ion element (config ``dft.host``,
        ``dft.working_ion``), for the x axis label.

    Returns
    -------
    matplotlib.figure.Figure
        The (closed) figure, for inspection in tests.
    """
    xlabel = style.content_label(host, ion)
    neb = neb_paths is not None and neb_barriers is not None and len(neb_paths) > 0
    ncols = 3 if neb else 2
    # same height either way: three panels of 7/3 in, or two of 3.5 in
    fig, axes = style.figure(ncols=ncols, nrows=1, width="double", aspect=0.95 * ncols / 3)
    _voltage_panel(axes[1], profile, xlabel, rf"Voltage (V vs {ion}$^+$/{ion})")
    if neb:
        _neb_panel(axes[2], neb_paths, neb_barriers)
    fig.tight_layout(w_pad=1.5)  # before the split: tight_layout ignores sub-gridspecs
    shrink = ncols / 3  # offsets in axes fractions, tuned for the three-panel width
    hull_ax = _hull_panel(fig, axes[0], hull, xlabel, label_x=-0.2 * shrink)
    letter_x = -0.25 * shrink
    style.panel_label(hull_ax, "a", x=letter_x, y=1.35 if hull_ax is not axes[0] else 1.02)
    for ax, letter in zip(axes[1:], "bc", strict=False):
        style.panel_label(ax, letter, x=letter_x, y=1.02)
    style.save(fig, pdf, png)
    return fig
