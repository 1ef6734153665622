"""Fig. 4 (operando XRD) and SI S18, drawn from the tables in results/operando/.

Fig. 4a: intensity map (2theta vs time, square root of the counts, with its
colour bar) with the tracked phases' simulated stick patterns on top, the
masked hardware/standard lines marked and labelled, and beside it the cell
voltage and the ion content x vs time; 4b: a and c of each present phase vs
time; 4c: unit-cell volume vs time. Phase names, the x unit and the hardware
labels come from the config; colours from :func:`intercal.figures.style.phase_color`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..operando import maps
from . import style

#: series with more points per phase are drawn rasterized
MAX_VECTOR_POINTS = 2000


def _points_with_esd(ax, t, y, esd, color, label):
    """Points with vertical esd bars; a long series is drawn rasterized as two lines.

    Up to ``MAX_VECTOR_POINTS`` points this is ``errorbar`` (vector). Above, the bars
    are one NaN-separated line and the points one marker line, both rasterized: the
    same picture, without matplotlib building one segment object per bar (seconds
    for a 10,000-scan series).
    """
    if t.size <= MAX_VECTOR_POINTS:
        ax.errorbar(
            t, y, yerr=esd, fmt="o", ms=2.0, mew=0, elinewidth=0.6, color=color, label=label
        )
        return
    bars_t = np.column_stack([t, t, np.full_like(t, np.nan)]).ravel()
    bars_y = np.column_stack([y - esd, y + esd, np.full_like(y, np.nan)]).ravel()
    ax.plot(bars_t, bars_y, "-", lw=0.6, color=color, rasterized=True)
    ax.plot(t, y, "o", ms=2.0, mew=0, color=color, label=label, rasterized=True)


#: the last square-root map in time order (Fig. 4 and S18 draw the same map)
_SQRT_MAP: dict = {}


def _sqrt_map(imap: Mapping, t_scan_h: np.ndarray):
    """Square root of the counts in time order, averaged (:func:`maps.display_map`).

    Taken from the map file when the lattice job stored it there (``display_time_h``,
    ``display_sqrt``), else computed once per map.
    """
    if "display_sqrt" in imap and "display_time_h" in imap:
        return np.asarray(imap["display_time_h"], float), np.asarray(imap["display_sqrt"], float)
    inten = imap["intensity"]
    key = (id(inten), np.shape(inten), t_scan_h.tobytes())
    if _SQRT_MAP.get("key") != key:
        _SQRT_MAP.update(key=key, value=maps.display_map(inten, t_scan_h))
    return _SQRT_MAP["value"]


def _map_panel(ax, imap: Mapping, t_scan_h: np.ndarray, vmax_pct: float = 99.5):
    grid = np.asarray(imap["two_theta_deg"], float)
    t, z = _sqrt_map(imap, t_scan_h)
    # cell edges in time from the scan mid-times
    if t.size > 1:
        mid = 0.5 * (t[1:] + t[:-1])
        edges = np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])
    else:
        edges = np.array([t[0] - 0.5, t[0] + 0.5])
    gstep = grid[1] - grid[0]
    gedges = np.concatenate([grid - gstep / 2, [grid[-1] + gstep / 2]])
    vmin, vmax = np.nanpercentile(z, [1, vmax_pct])
    # rectilinear cells drawn as one image (pcolorfast), not 10^6 quadrilaterals
    mesh = ax.pcolorfast(gedges, edges, z, cmap="viridis", vmin=vmin, vmax=vmax)
    mesh.set_rasterized(True)
    ax.set_xlabel(style.LABELS["two_theta"])
    ax.set_ylabel(style.LABELS["time_h"])
    return mesh


def fig4(
    lattice: pd.DataFrame,
    imap: Mapping,
    trace: pd.DataFrame,
    patterns: pd.DataFrame,
    pdf: str,
    png: str | None = None,
    two_theta_range: tuple[float, float] | None = None,
    x_unit: str = "x",
    hardware: list[tuple[float, float, str]] | None = None,
) -> None:
    """Draw Fig. 4 (see module docstring) and save it as PDF and PNG.

    Parameters
    ----------
    lattice : DataFrame
        results/operando/lattice.csv.
    imap : mapping
        ``scan, two_theta_deg, intensity`` (results/operando/intensity_map.npz).
    trace : DataFrame
        Cycling trace ``time_h, voltage_V`` (results/operando/cycling_trace.csv).
    patterns : DataFrame
        Simulated stick patterns ``phase, two_theta_deg, intensity``.
    pdf, png : str
        Output paths.
    two_theta_range : (float, float), optional
        2theta range shown (deg); default the map's grid.
    x_unit : str
        Unit of x from the config (``"<ion> per <host formula>"``): the x axis label.
    hardware : list of (lo, hi, label), optional
        Masked 2theta ranges (hardware lines, internal standard) marked on the map.
    """
    import matplotlib.gridspec as gridspec

    fig, axes = style.figure(1, 1, width="double", aspect=0.66)
    fig.clf()
    gs = gridspec.GridSpec(
        2, 3, figure=fig, width_ratios=[2.3, 0.7, 2.0], height_ratios=[0.6, 3.0],
        wspace=0.08, hspace=0.05,
    )  # fmt: skip
    ax_sim = fig.add_subplot(gs[0, 0])
    ax_map = fig.add_subplot(gs[1, 0], sharex=ax_sim)
    ax_v = fig.add_subplot(gs[1, 1], sharey=ax_map)
    right = gridspec.GridSpecFromSubplotSpec(3, 1, subplot_spec=gs[:, 2], hspace=0.25)
    ax_a = fig.add_subplot(right[0])
    ax_c = fig.add_subplot(right[1], sharex=ax_a)
    ax_vol = fig.add_subplot(right[2], sharex=ax_a)

    t_scan = maps.row_times_h(lattice, imap["scan"])
    mesh = _map_panel(ax_map, imap, t_scan)
    # colour bar inside the map's upper right corner (white ticks on the dark map)
    cax = ax_map.inset_axes([0.58, 0.955, 0.38, 0.022], transform=ax_map.transAxes)
    cb = fig.colorbar(mesh, cax=cax, orientation="horizontal")
    cb.set_label(r"$\sqrt{\mathrm{counts}}$", fontsize=6, labelpad=1, color="w")
    cb.ax.tick_params(labelsize=5, length=1.5, pad=1, colors="w")
    cb.outline.set_edgecolor("w")
    grid = np.asarray(imap["two_theta_deg"], float)
    lo, hi = two_theta_range or (grid[0], grid[-1])
    ax_map.set_xlim(lo, hi)
    # simulated patterns on top
    n_ph = max(patterns.phase.nunique(), 1)
    for k, (ph, grp) in enumerate(patterns.groupby("phase", sort=False)):
        col = style.phase_color(ph)
        base = k * 110.0
        ax_sim.vlines(grp.two_theta_deg, base, base + grp.intensity, color=col, lw=1.0)
        ax_sim.text(
            lo + 0.3, base + 55, style.formula_tex(ph), color=col, ha="left", va="center",
            fontsize=6.5,
        )  # fmt: skip
    # masked hardware / standard lines: shaded on the sticks, dashed on the map, labelled
    for h_lo, h_hi, label in hardware or []:
        ax_sim.axvspan(h_lo, h_hi, color=style.HARDWARE_COLOR, alpha=0.25, lw=0)
        for xv in (h_lo, h_hi):
            ax_map.axvline(xv, color="w", lw=0.4, ls=":", alpha=0.8)
        if label:
            ax_sim.text(
                h_hi + 0.1, 110.0 * n_ph, label, rotation=90, fontsize=4.5,
                color=style.HARDWARE_COLOR, ha="left", va="top",
            )  # fmt: skip
    ax_sim.set_yticks([])
    ax_sim.set_ylim(0, 110.0 * n_ph + 5)
    ax_sim.tick_params(labelbottom=False)
    ax_sim.set_ylabel("Sim.", fontsize=7)
    style.panel_label(ax_sim, "a", x=-0.2, y=0.9)
    # cell voltage and x beside the map, on the map's time axis
    ax_v.plot(trace.voltage_V, trace.time_h, color="k", lw=0.8)
    ax_v.set_xlabel("Cell voltage (V)")
    ax_v.tick_params(labelleft=False)
    tmin, tmax = np.nanmin(t_scan), np.nanmax(t_scan)
    ax_map.set_ylim(tmin, tmax)
    ax_v.set_xlim(trace.voltage_V.min() - 0.2, trace.voltage_V.max() + 0.2)
    if "x" in trace.columns:
        ax_x = ax_v.twiny()
        ax_x.plot(trace.x, trace.time_h, color=style.SERIES[1], lw=0.8, ls="--")
        ax_x.set_xlabel(f"x ({x_unit})", color=style.SERIES[1], fontsize=7)
        ax_x.tick_params(axis="x", colors=style.SERIES[1], labelsize=6)
    # lattice vs time
    pres = lattice[lattice.present.astype(bool)]
    for ph, grp in pres.groupby("phase", sort=False):
        col = style.phase_color(ph)
        for ax, q, e in (
            (ax_a, "a_A", "a_esd_A"),
            (ax_c, "c_A", "c_esd_A"),
            (ax_vol, "V_A3", "V_esd_A3"),
        ):
            ok = np.isfinite(grp[q])
            _points_with_esd(
                ax, grp.time_h[ok].to_numpy(float), grp[q][ok].to_numpy(float),
                grp[e][ok].fillna(0).to_numpy(float), col, style.formula_tex(ph),
            )  # fmt: skip
    ax_a.set_ylabel(r"$a$ ($\AA$)")
    ax_c.set_ylabel(r"$c$ ($\AA$)")
    ax_vol.set_ylabel(r"Cell volume ($\AA^3$)")
    ax_vol.set_xlabel(style.LABELS["time_h"])
    for ax in (ax_a, ax_c, ax_vol):
        ax.yaxis.set_label_position("right")
        ax.yaxis.tick_right()
    ax_a.tick_params(labelbottom=False)
    ax_c.tick_params(labelbottom=False)
    ax_a.legend(loc="center right", handletextpad=0.2)
    style.panel_label(ax_a, "b", x=0.01, y=1.02)
    style.panel_label(ax_vol, "c", x=0.01, y=1.02)
    style.save(fig, pdf, png)


def figs18(lattice: pd.DataFrame, imap: Mapping, trace: pd.DataFrame, pdf: str, png=None):
    """SI S18: contour map of all scans (both cycles) beside the voltage."""
    import matplotlib.gridspec as gridspec

    fig, _ = style.figure(1, 1, width="double", aspect=0.55)
    fig.clf()
    gs = gridspec.GridSpec(1, 2, figure=fig, width_ratios=[3.0, 0.8], wspace=0.06)
    ax = fig.add_subplot(gs[0])
    ax_v = fig.add_subplot(gs[1], sharey=ax)
    t_scan = maps.row_times_h(lattice, imap["scan"])
    t_map, z_map = _sqrt_map(imap, t_scan)
    cs = ax.contourf(imap["two_theta_deg"], t_map, z_map, levels=30, cmap="viridis")
    # the filled contours of a long series are ~10^5 path vertices: an image in the PDF
    cs.set_rasterized(True)
    cb = fig.colorbar(cs, ax=ax, pad=0.01, fraction=0.04, location="left")
    cb.set_label(r"$\sqrt{\mathrm{counts}}$", fontsize=7)
    ax.set_xlabel(style.LABELS["two_theta"])
    ax.set_ylabel(style.LABELS["time_h"])
    ax_v.plot(trace.voltage_V, trace.time_h, color="k", lw=0.8)
    ax_v.set_xlabel("Cell voltage (V)")
    ax_v.tick_params(labelleft=False)
    ax.set_ylim(np.nanmin(t_scan), np.nanmax(t_scan))
    style.save(fig, pdf, png)
