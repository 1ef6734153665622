"""muSR figures: hop rate vs T (Fig. 2d panel), Arrhenius plot (Fig. S8), spectra (Fig. S7).

Drawn only from the result tables (results/tables/musr/...), never by re-fitting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style

KB_MEV = 8.617333262e-2


def draw_hop_rate(ax, nu_table: pd.DataFrame) -> None:
    """Li hop rate nu(T) with 1-esd error bars (paper Fig. 2d).

    Parameters
    ----------
    ax : matplotlib Axes
    nu_table : DataFrame
        Columns ``temperature_K``, ``nu_MHz``, ``nu_stderr_MHz``.
    """
    df = nu_table.sort_values("temperature_K")
    ax.errorbar(
        df["temperature_K"],
        df["nu_MHz"],
        yerr=df["nu_stderr_MHz"],
        fmt="o",
        color=style.TECHNIQUE_COLORS["musr"],
        mfc="white",
        capsize=2,
        lw=0.8,
    )
    ax.set_xlabel(style.LABELS["temperature"])
    ax.set_ylabel(style.LABELS["hop_rate"])
    ax.set_ylim(bottom=min(0.0, float((df["nu_MHz"] - df["nu_stderr_MHz"]).min())))


def _param(record: pd.DataFrame, name: str) -> tuple[float, float]:
    row = record[record["parameter"] == name]
    return float(row["value"].iloc[0]), float(row["stderr"].iloc[0])


def figure_s8(nu_table: pd.DataFrame, record: pd.DataFrame, pdf, png) -> None:
    """Arrhenius plot: ln nu vs 1000/T with the fit over the dynamic temperatures."""
    fig, (ax,) = style.figure(1, 1, width="single", aspect=0.8)
    df = nu_table.sort_values("temperature_K")
    dyn = df[df["dynamic"]] if "dynamic" in df else df[df["nu_MHz"] > 0]
    x = 1000.0 / dyn["temperature_K"]
    ax.errorbar(
        x,
        dyn["nu_MHz"],
        yerr=dyn["nu_stderr_MHz"],
        fmt="o",
        color=style.TECHNIQUE_COLORS["musr"],
        mfc="white",
        capsize=2,
        lw=0.8,
        label=r"$\nu$ (KT fits)",
    )
    ea, ea_err = _param(record, "activation_energy")
    nu0, _ = _param(record, "nu0")
    tt = np.linspace(dyn["temperature_K"].min() * 0.97, dyn["temperature_K"].max() * 1.03, 100)
    ax.plot(
        1000.0 / tt,
        nu0 * np.exp(-ea / (KB_MEV * tt)),
        color="black",
        lw=1.0,
        label=rf"$E_a$ = {ea:.0f}({ea_err:.0f}) meV",
    )
    ax.set_yscale("log")
    ax.set_xlabel(r"1000/T (K$^{-1}$)")
    ax.set_ylabel(style.LABELS["hop_rate"])
    ax.legend(loc="upper right")
    style.save(fig, pdf, png)


def figure_s7(curves: pd.DataFrame, pdf, png) -> None:
    """Asymmetry spectra (ZF, LF) with the global fits, one panel per temperature."""
    temps = sorted(curves["temperature_K"].unique())
    ncols = 4
    nrows = int(np.ceil(len(temps) / ncols))
    fig, axes = style.figure(ncols, nrows, width="double", aspect=0.8, sharex=True, sharey=True)
    fields = sorted(curves["field_G"].unique())
    colors = {f: style.SERIES[i % len(style.SERIES)] for i, f in enumerate(fields)}
    for ax, temp in zip(axes, temps, strict=False):
        d = curves[curves["temperature_K"] == temp]
        for fld, g in d.groupby("field_G"):
            # thin out points for legibility: average groups of 4 reduced points
            n = (len(g) // 4) * 4
            t = g["time_us"].to_numpy()[:n].reshape(-1, 4).mean(1)
            w = 1.0 / g["asymmetry_err"].to_numpy()[:n] ** 2
            a = (g["asymmetry"].to_numpy()[:n] * w).reshape(-1, 4).sum(1) / w.reshape(-1, 4).sum(1)
            e = 1.0 / np.sqrt(w.reshape(-1, 4).sum(1))
            lab = "ZF" if fld == 0 else f"LF {fld:g} G"
            ax.errorbar(
                t, a, yerr=e, fmt="o", ms=1.2, lw=0.4, color=colors[fld], alpha=0.45, label=lab
            )
            # the fit on top of the data, outlined so that it stays visible
            ax.plot(g["time_us"], g["model"], color="black", lw=1.4, zorder=3)
            ax.plot(g["time_us"], g["model"], color=colors[fld], lw=0.8, zorder=4)
        ax.text(0.95, 0.92, f"{temp:.0f} K", transform=ax.transAxes, ha="right", va="top")
    for ax in axes[len(temps) :]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel(style.LABELS["time_us"])
    for ax in axes[::ncols]:
        ax.set_ylabel(style.LABELS["asymmetry"])
    leg = axes[0].legend(loc="lower left", markerscale=2)
    for h in leg.legend_handles:
        h.set_alpha(1.0)
    style.save(fig, pdf, png)
