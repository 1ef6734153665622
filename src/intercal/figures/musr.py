"""muSR figures: hop rate vs T (Fig. 2d panel), Arrhenius plot (Fig. S8), spectra (Fig. S7).

Drawn only from the result tables (``{results}/tables/musr/...``), never by re-fitting.
Labels come from the tables (temperatures, fields, fitted values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..reproduction import fmt_value
from ..tables import qc_text
from . import style

KB_MEV = 8.617333262e-2
#: marker styles: points in the Arrhenius fit, static (nu ~ 0), flagged/excluded
_FITTED = {"fmt": "o", "mfc": "white"}
_STATIC = {"fmt": "s", "mfc": "#bfbfbf", "mec": "#595959", "ecolor": "#595959"}
_EXCLUDED = {"fmt": "x", "color": "#c0392b", "ecolor": "#c0392b"}


def _param(record: pd.DataFrame, name: str) -> tuple[float, float]:
    row = record[record["parameter"] == name]
    if row.empty:
        return float("nan"), float("nan")
    return float(row["value"].iloc[0]), float(row["stderr"].iloc[0])


def _groups(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split a nu table into fitted / static / excluded points."""
    used = (
        df["used_in_arrhenius"].astype(bool)
        if "used_in_arrhenius" in df
        else (df["dynamic"].astype(bool) if "dynamic" in df else df["nu_MHz"] > 0)
    )
    flagged = qc_text(df["qc"]) != "" if "qc" in df else pd.Series(False, df.index)
    return {
        "fitted": df[used],
        "static": df[~used & ~flagged],
        "excluded": df[~used & flagged],
    }


def ea_label(record: pd.DataFrame) -> str:
    """``E_a = 73.9(18) meV``: the same digits as the results table."""
    ea, err = _param(record, "activation_energy")
    return rf"$E_a$ = {fmt_value(ea, err)} meV"


def draw_hop_rate(ax, nu_table: pd.DataFrame, record: pd.DataFrame | None = None) -> None:
    """Li hop rate nu(T) with 1-esd error bars (paper Fig. 2d).

    Points in the Arrhenius fit are open circles, static temperatures (below the
    onset) grey squares, flagged fits (runaway, false onset) red crosses. With the
    Arrhenius ``record`` the fitted law and the onset (line and +/- esd band) are drawn.

    Parameters
    ----------
    ax : matplotlib Axes
    nu_table : DataFrame
        Columns ``temperature_K``, ``nu_MHz``, ``nu_stderr_MHz`` and optionally
        ``used_in_arrhenius``, ``qc``.
    record : DataFrame, optional
        Arrhenius fit record (``activation_energy``, ``nu0``, ``onset_temperature``).
    """
    df = nu_table.sort_values("temperature_K")
    color = style.TECHNIQUE_COLORS["musr"]
    g = _groups(df)
    for key, kw, label in (
        ("fitted", {**_FITTED, "color": color}, r"$\nu$ (fitted, in Arrhenius)"),
        ("static", _STATIC, "static (below onset)"),
        ("excluded", _EXCLUDED, "flagged, excluded"),
    ):
        d = g[key]
        if d.empty:
            continue
        ax.errorbar(
            d["temperature_K"],
            d["nu_MHz"],
            yerr=d["nu_stderr_MHz"].where(np.isfinite(d["nu_stderr_MHz"])),
            capsize=2,
            lw=0.8,
            label=label,
            **kw,
        )
    if record is not None:
        ea, _ = _param(record, "activation_energy")
        nu0, _ = _param(record, "nu0")
        onset, onset_err = _param(record, "onset_temperature")
        fit = g["fitted"]
        if np.isfinite(ea) and not fit.empty:
            tt = np.linspace(fit["temperature_K"].min(), df["temperature_K"].max(), 200)
            ax.plot(
                tt, nu0 * np.exp(-ea / (KB_MEV * tt)), color="black", lw=0.9, label=ea_label(record)
            )
        if np.isfinite(onset):
            # the onset marks stop at mid height: the legend sits in the upper left
            if np.isfinite(onset_err):
                ax.axvspan(
                    onset - onset_err, onset + onset_err, ymax=0.5, color="0.9", zorder=0, lw=0
                )
            ax.axvline(
                onset,
                ymax=0.5,
                color="0.4",
                ls="--",
                lw=0.8,
                label=f"onset {fmt_value(onset, onset_err)} K",
            )
    ax.set_xlabel(style.LABELS["temperature"])
    ax.set_ylabel(style.LABELS["hop_rate"])
    lo = (df["nu_MHz"] - df["nu_stderr_MHz"].fillna(0)).min()
    ax.set_ylim(bottom=min(0.0, float(lo)))
    ax.legend(loc="upper left")


def figure_s8(nu_table: pd.DataFrame, record: pd.DataFrame, pdf, png) -> None:
    """Arrhenius plot: nu (log) vs 1000/T, the fit over the points it used, flagged points."""
    fig, (ax,) = style.figure(1, 1, width="single", aspect=0.8)
    df = nu_table.sort_values("temperature_K")
    g = _groups(df)
    color = style.TECHNIQUE_COLORS["musr"]
    fit = g["fitted"]
    ax.errorbar(
        1000.0 / fit["temperature_K"],
        fit["nu_MHz"],
        yerr=fit["nu_stderr_MHz"],
        capsize=2,
        lw=0.8,
        color=color,
        label=r"$\nu$ (global KT fit)",
        **_FITTED,
    )
    bad = g["excluded"][g["excluded"]["nu_MHz"] > 0]
    if not bad.empty:
        ax.errorbar(
            1000.0 / bad["temperature_K"],
            bad["nu_MHz"],
            yerr=bad["nu_stderr_MHz"].where(bad["nu_stderr_MHz"] < bad["nu_MHz"]),
            capsize=2,
            lw=0.8,
            label="flagged, excluded",
            **_EXCLUDED,
        )
    ea, _ = _param(record, "activation_energy")
    nu0, _ = _param(record, "nu0")
    tt = np.linspace(fit["temperature_K"].min() * 0.97, fit["temperature_K"].max() * 1.03, 100)
    ax.plot(
        1000.0 / tt,
        nu0 * np.exp(-ea / (KB_MEV * tt)),
        color="black",
        lw=1.0,
        label=ea_label(record),
    )
    ax.set_yscale("log")
    ax.set_xlabel(r"1000/T (K$^{-1}$)")
    ax.set_ylabel(style.LABELS["hop_rate"])
    # data run from upper left to lower right: the lower left corner is free
    ax.legend(loc="lower left")
    style.save(fig, pdf, png)


def figure_s7(curves: pd.DataFrame, pdf, png) -> None:
    """Asymmetry spectra (ZF, LF) with the global fit, one panel per temperature.

    The legend (data markers per field and the fit line) sits above the panels,
    outside the data.
    """
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
            ax.errorbar(t, a, yerr=e, fmt="o", ms=1.2, lw=0.4, color=colors[fld], alpha=0.45)
            # the fit on top of the data, outlined so that it stays visible
            ax.plot(g["time_us"], g["model"], color="black", lw=1.4, zorder=3)
            ax.plot(g["time_us"], g["model"], color=colors[fld], lw=0.8, zorder=4)
        ax.set_title(f"{temp:.0f} K", pad=2)
    for ax in axes[len(temps) :]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel(style.LABELS["time_us"])
    for ax in axes[::ncols]:
        ax.set_ylabel(style.LABELS["asymmetry"])
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="none",
            ms=3,
            color=colors[f],
            label="ZF data" if f == 0 else f"LF {f:g} G data",
        )
        for f in fields
    ] + [
        Line2D(
            [],
            [],
            color=colors[f],
            lw=0.8,
            path_effects=None,
            label="ZF fit" if f == 0 else f"LF {f:g} G fit",
        )
        for f in fields
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    fig.tight_layout()
    style.save(fig, pdf, png)
