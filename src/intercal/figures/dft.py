"""Fig. 1 (b, c, d): convex hull, DFT voltage profile and NEB paths.

Drawn only from the tables in results/dft/ (``hull.csv``,
``voltage_profile.csv``, ``neb_paths.csv``, ``neb_barriers.csv``). Panel a of
the paper (density of states) is not reproduced.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from intercal.figures import style

#: marker per (site, space group); unknown combinations fall back to "x"
MARKERS = {
    ("octahedral", "P-3m1"): "o",
    ("octahedral", "R-3m"): "s",
    ("octahedral", "C2/m"): "D",
    ("tetrahedral", "P-3m1"): "^",
}
OCT_COLOR = style.PHASE_COLORS["CrSe2"]
TET_COLOR = style.SERIES[1]
OTHER_COLOR = style.SERIES[2]


def _draw_hull(axis, hull: pd.DataFrame, legend: bool) -> None:
    """All configurations (open markers), hull points (filled) and the hull line."""
    stable = hull[hull["stable"]].sort_values("x")
    axis.plot(stable["x"], stable["mixing_energy_meV"], "-", color="black", lw=0.8, zorder=1)
    for (site, sg), grp in hull.groupby(["site", "space_group"], sort=False):
        color = TET_COLOR if site == "tetrahedral" else OCT_COLOR if sg == "P-3m1" else OTHER_COLOR
        unstable = grp[~grp["stable"]]
        axis.scatter(
            unstable["x"],
            unstable["mixing_energy_meV"],
            marker=MARKERS.get((site, sg), "x"),
            s=14,
            facecolors="white",
            edgecolors=color,
            linewidths=0.8,
            zorder=2,
            label=f"{site[:3]}. {sg}" if legend else None,
        )
    axis.scatter(
        stable["x"],
        stable["mixing_energy_meV"],
        marker="o",
        s=16,
        color="black",
        zorder=3,
        label="hull" if legend else None,
    )
    axis.axhline(0, color="0.6", lw=0.5, ls=":", zorder=0)
    axis.set_xlim(-0.04, 1.04)


def _hull_panel(fig, ax, hull: pd.DataFrame):
    """Mixing energy vs x on a split axis: hull region below, high-energy configurations above.

    The two parts share x and together cover the whole energy range (no data
    fall in a gap); the lower part is linear and scaled to the octahedral
    P-3m1 points, the upper part logarithmic.
    Returns the upper axis (for the panel letter).
    """
    oct_p = hull[(hull["site"] == "octahedral") & (hull["space_group"] == "P-3m1")]
    lo, hi = oct_p["mixing_energy_meV"].min(), oct_p["mixing_energy_meV"].max()
    pad = 0.15 * (hi - lo)
    split = hi + pad
    top_max = float(hull["mixing_energy_meV"].max())
    if top_max <= split:  # nothing above the hull region: one plain axis
        _draw_hull(ax, hull, legend=True)
        ax.set_ylim(lo - pad, split)
        ax.set_xlabel(style.LABELS["x_li"])
        ax.set_ylabel(r"$E_\mathrm{mix}$ (meV f.u.$^{-1}$)")
        ax.legend(loc="upper left")
        return ax
    gs = ax.get_subplotspec().subgridspec(2, 1, height_ratios=[1, 1.3], hspace=0.06)
    ax.remove()
    upper = fig.add_subplot(gs[0])
    lower = fig.add_subplot(gs[1], sharex=upper)
    for axis in (upper, lower):
        _draw_hull(axis, hull, legend=axis is upper)
    upper.set_yscale("log")  # tetrahedral energies span 30-600 meV: log spreads them
    upper.set_ylim(split, top_max * 1.6)
    decades = [m * 10.0**k for k in range(0, 6) for m in (1, 3)]
    upper.yaxis.set_major_locator(FixedLocator([d for d in decades if split < d < top_max * 1.6]))
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
    lower.set_xlabel(style.LABELS["x_li"])
    lower.set_ylabel(r"$E_\mathrm{mix}$ (meV f.u.$^{-1}$)")
    lower.yaxis.set_label_coords(-0.2, 1.0)
    upper.legend(
        loc="lower left",
        bbox_to_anchor=(-0.02, 1.0),
        ncol=3,
        fontsize=6,
        handletextpad=0.05,
        columnspacing=0.5,
        borderaxespad=0.1,
        labelspacing=0.2,
    )
    return upper


def _voltage_panel(ax, profile: pd.DataFrame) -> None:
    """Step voltage profile vs x, average voltage, capacity on the top axis."""
    prof = profile.sort_values("x_start")
    xs = np.column_stack([prof["x_start"], prof["x_end"]]).ravel()
    vs = np.repeat(prof["voltage_V"].to_numpy(), 2)
    ax.plot(xs, vs, "-", color=style.PHASE_COLORS["LiCrSe2"], lw=1.2, label="DFT (stable phases)")
    width = prof["x_end"] - prof["x_start"]
    v_avg = float((prof["voltage_V"] * width).sum() / width.sum())
    ax.axhline(v_avg, color="0.4", ls="--", lw=0.7, label=f"average {v_avg:.3f} V")
    ax.set_xlabel(style.LABELS["x_li"])
    ax.set_ylabel(style.LABELS["voltage"])
    ax.set_xlim(0, float(prof["x_end"].max()))
    vmin, vmax = float(prof["voltage_V"].min()), float(prof["voltage_V"].max())
    ax.set_ylim(min(vmin - 0.4, 2.0), max(vmax + 0.4, 3.0))
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
    ax.set_xlabel("Reaction coordinate (oct. → tet.)")
    ax.set_ylabel("Relative energy (eV)")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.05, float(paths["energy_rel_eV"].max()) * 1.25)
    ax.legend(loc="lower right")


def fig1(
    hull: pd.DataFrame,
    profile: pd.DataFrame,
    neb_paths: pd.DataFrame,
    neb_barriers: pd.DataFrame,
    pdf: str | os.PathLike,
    png: str | os.PathLike | None = None,
):
    """Draw Fig. 1 b-d (three panels in a row, double column) and save it.

    Parameters
    ----------
    hull : pandas.DataFrame
        ``results/dft/hull.csv`` (x, site, space_group, mixing_energy_meV, stable).
    profile : pandas.DataFrame
        ``results/dft/voltage_profile.csv`` (x_start, x_end, voltage_V, capacities).
    neb_paths, neb_barriers : pandas.DataFrame
        ``results/dft/neb_paths.csv`` and ``results/dft/neb_barriers.csv``.
    pdf, png : path
        Output files (vector PDF, 300 dpi PNG).

    Returns
    -------
    matplotlib.figure.Figure
        The (closed) figure, for inspection in tests.
    """
    fig, axes = style.figure(ncols=3, nrows=1, width="double", aspect=0.95)
    _voltage_panel(axes[1], profile)
    _neb_panel(axes[2], neb_paths, neb_barriers)
    fig.tight_layout(w_pad=1.5)  # before the split: tight_layout ignores sub-gridspecs
    hull_ax = _hull_panel(fig, axes[0], hull)
    style.panel_label(hull_ax, "b", x=-0.25, y=1.35 if hull_ax is not axes[0] else 1.02)
    for ax, letter in zip(axes[1:], "cd", strict=True):
        style.panel_label(ax, letter, x=-0.25, y=1.02)
    style.save(fig, pdf, png)
    return fig
