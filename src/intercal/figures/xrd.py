"""Le Bail plots in the style of the paper's Fig. 2a, b (drawn from result tables only).

Phase tick rows carry the phase name as a formula with subscripts (``style.formula_tex``),
one colour per phase (``style.phase_color``, made distinct within a panel), shown in the
legend inside the axes beside obs / calc / difference; the intensity axis keeps its ticks and
Rwp (from the profile table's obs, calc and esd) heads the legend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .style import LABELS, LEBAIL_COLORS


def tick_colors(phases: list[str]) -> dict[str, str]:
    """One colour per phase: its study colour unless another phase of the panel has it
    already, then the next free colour of ``style.SERIES``."""
    out: dict[str, str] = {}
    for ph in phases:
        c = style.phase_color(ph)
        if c in out.values() or c in (LEBAIL_COLORS["obs"], LEBAIL_COLORS["calc"]):
            c = next((x for x in style.SERIES if x not in out.values()), c)
        out[ph] = c
    return out


def rwp_percent(profile: pd.DataFrame) -> float:
    """Weighted profile R (%) from the profile table: sqrt(sum w (obs-calc)^2 / sum w obs^2),
    w = 1/esd^2 (the fit's own statistic)."""
    w = 1.0 / profile["esd"].to_numpy(float) ** 2
    obs, calc = profile["obs"].to_numpy(float), profile["calc"].to_numpy(float)
    return 100.0 * float(np.sqrt(np.sum(w * (obs - calc) ** 2) / np.sum(w * obs * obs)))


def draw_lebail(ax, profile: pd.DataFrame, reflections: pd.DataFrame, title: str) -> None:
    """Draw observed, calculated, difference and Bragg ticks of one Le Bail fit.

    Parameters
    ----------
    ax : matplotlib Axes
    profile : DataFrame
        Columns two_theta_deg, obs, calc, diff (counts) and esd (for Rwp, optional).
    reflections : DataFrame
        Columns phase, h, k, l, two_theta_deg (one row per reflection).
    title : str
        Panel title (e.g. the sample name, already formatted).
    """
    x = profile["two_theta_deg"].to_numpy()
    obs, calc, diff = (profile[c].to_numpy() for c in ("obs", "calc", "diff"))
    top = float(np.nanmax(np.maximum(obs, calc)))
    low = float(np.nanmin(obs))
    span = top - low
    # excluded regions leave gaps: break the lines there instead of bridging them
    step = np.median(np.diff(x)) if x.size > 1 else 1.0
    gaps = np.flatnonzero(np.diff(x) > 5 * step)

    def broken(v):
        xs, vs = np.insert(x, gaps + 1, np.nan), np.insert(v.astype(float), gaps + 1, np.nan)
        return xs, vs

    ax.plot(x, obs, "x", color=LEBAIL_COLORS["obs"], ms=2.0, mew=0.4, label="obs", zorder=2)
    ax.plot(*broken(calc), "-", color=LEBAIL_COLORS["calc"], lw=0.7, label="calc", zorder=3)
    phases = list(dict.fromkeys(reflections["phase"]))
    colors = tick_colors(phases)
    tick_h = 0.05 * span
    base = low - 0.04 * span
    for i, ph in enumerate(phases):
        t = reflections.loc[reflections["phase"] == ph, "two_theta_deg"].to_numpy()
        t = t[(t >= x[0]) & (t <= x[-1])]
        y0 = base - (i + 1) * 1.4 * tick_h
        ax.vlines(t, y0, y0 + tick_h, color=colors[ph], lw=0.7)
        # the tick row's legend entry: a tick in the phase colour, the formula subscripted
        ax.plot([], [], ls="none", marker="|", ms=7, mew=1.0, color=colors[ph],
                label=style.formula_tex(ph))  # fmt: skip
    dmax = float(np.nanmax(np.abs(diff))) if diff.size else 0.0
    dbase = base - (len(phases) + 1) * 1.4 * tick_h - 0.6 * dmax
    ax.plot(*broken(diff + dbase), "-", color=LEBAIL_COLORS["diff"], lw=0.5, label="obs - calc")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(dbase - 0.7 * dmax, top + 0.08 * span)
    ax.set_xlabel(LABELS["two_theta"])
    ax.set_ylabel(LABELS["intensity"])
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
    ax.set_title(title)
    title = f"$R_{{wp}}$ = {rwp_percent(profile):.2f} %" if "esd" in profile.columns else None
    leg = ax.legend(
        loc="upper right", handlelength=1.2, fontsize=6.5, title=title, title_fontsize=6.5
    )
    leg.get_title().set_ha("right")
