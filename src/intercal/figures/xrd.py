"""Le Bail plots in the style of the paper's Fig. 2a, b (drawn from result tables only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .style import LABELS, LEBAIL_COLORS


def draw_lebail(ax, profile: pd.DataFrame, reflections: pd.DataFrame, title: str) -> None:
    """Draw observed, calculated, difference and Bragg ticks of one Le Bail fit.

    Parameters
    ----------
    ax : matplotlib Axes
    profile : DataFrame
        Columns two_theta_deg, obs, calc, background, diff (counts).
    reflections : DataFrame
        Columns phase, h, k, l, two_theta_deg (one row per reflection).
    title : str
        Panel title (e.g. the sample name).
    """
    x = profile["two_theta_deg"].to_numpy()
    obs, calc, diff = (profile[c].to_numpy() for c in ("obs", "calc", "diff"))
    top = float(np.nanmax(np.maximum(obs, calc)))
    span = top - float(np.nanmin(obs))
    ax.plot(x, obs, "x", color=LEBAIL_COLORS["obs"], ms=2.0, mew=0.4, label="obs", zorder=2)
    ax.plot(x, calc, "-", color=LEBAIL_COLORS["calc"], lw=0.7, label="calc", zorder=3)
    phases = list(dict.fromkeys(reflections["phase"]))
    tick_h = 0.04 * span
    base = float(np.nanmin(obs)) - 0.03 * span
    for i, ph in enumerate(phases):
        t = reflections.loc[reflections["phase"] == ph, "two_theta_deg"].to_numpy()
        t = t[(t >= x[0]) & (t <= x[-1])]
        y0 = base - (i + 1) * 1.3 * tick_h
        ax.vlines(t, y0, y0 + tick_h, color=LEBAIL_COLORS["ticks"], lw=0.6)
        ax.text(
            x[-1],
            y0 + 0.5 * tick_h,
            f" {ph}",
            va="center",
            ha="left",
            fontsize=6,
            color=LEBAIL_COLORS["ticks"],
        )
    dbase = base - (len(phases) + 1) * 1.3 * tick_h - 0.6 * float(np.nanmax(diff))
    ax.plot(x, diff + dbase, "-", color=LEBAIL_COLORS["diff"], lw=0.5, label="obs - calc")
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel(LABELS["two_theta"])
    ax.set_ylabel(LABELS["intensity"])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(loc="upper right", handlelength=1.2)
