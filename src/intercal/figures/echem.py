"""Electrochemistry figures: Fig. 3 (a-d) and Figs. S10, S13, S14, S15.

Drawn only from the result tables in ``results/tables/echem/`` (per-file
cycling curves and cycle tables, CV curves and peaks, the Randles-Sevcik
fits, the rate-capability table, EIS data/fit curves and the R_ct table),
never by re-fitting. Every ``figure_*`` function returns the matplotlib
Figure (so tests can count panels); :func:`save` writes PDF and PNG.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.ticker import MaxNLocator, MultipleLocator

from . import style

LABEL_CURRENT_PEAK = r"$|I_\mathrm{p}|$ (mA)"
LABEL_SQRT_RATE = r"$v^{1/2}$ ((mV s$^{-1}$)$^{1/2}$)"
LABEL_CYCLE = "Cycle number"
LABEL_RCT = r"$R_\mathrm{ct}$ ($\Omega$)"


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: table lacks columns {missing}; has {list(df.columns)}")


def value_esd(value: float, esd: float, *, sci: bool = False) -> str:
    """Format ``value`` with its esd in parentheses, e.g. ``9.23(3)`` or ``9.23(3)e-9``.

    The esd keeps one significant digit (two when its first digit is 1); a
    NaN esd gives the value with 3 significant digits and no parentheses.
    With ``sci`` the result is mathtext ``9.23(3)$\\times10^{-9}$``.
    """
    exp = int(math.floor(math.log10(abs(value)))) if sci and value != 0 else 0
    m, e = value / 10**exp, esd / 10**exp
    if not np.isfinite(e) or e <= 0:
        body = f"{m:.3g}"
    else:
        lead = int(math.floor(math.log10(e)))
        digits = 2 if f"{e:e}"[0] == "1" else 1
        dec = max(0, -(lead - digits + 1))
        scaled = round(e * 10**dec)
        body = f"{m:.{dec}f}({scaled})"
    return body + (rf"$\times10^{{{exp}}}$" if sci and exp != 0 else "")


LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "v", "D", "P", "X", "<", ">"]


def _num(v: float) -> str:
    """A voltage or rate as configured: at least one decimal for voltages."""
    return np.format_float_positional(float(v), trim="0")


def _rate(c: float) -> str:
    return np.format_float_positional(float(c), trim="-")


def _half(curves: pd.DataFrame, cycle: int, direction: str) -> pd.DataFrame:
    return curves[(curves["cycle"] == cycle) & (curves["direction"] == direction)]


def window_label(curves: pd.DataFrame, cycles: Sequence[int] | None = None) -> str:
    """Measured voltage window of the drawn cycles, e.g. ``"1.00-3.00 V"`` (from the data)."""
    sel = curves if cycles is None else curves[curves["cycle"].isin(list(cycles))]
    return f"{sel.voltage_V.min():.2f}-{sel.voltage_V.max():.2f} V"


# --------------------------------------------------------------------------- Fig. 3 panels
def draw_first_cycles(
    ax,
    curves_by_cutoff: Mapping[float, pd.DataFrame],
    *,
    title: str = "cut-off",
    note: str = "",
    limit: str = "lower",
) -> None:
    """First discharge (solid) and charge (dashed) of each cell of a cut-off series (Fig. 3a).

    Each cut-off has its own colour, the discharge ends are marked with the
    cut-off's marker, so curves that coincide until one cell stops stay
    distinguishable.

    Parameters
    ----------
    ax : matplotlib Axes
    curves_by_cutoff : mapping
        Cut-off (V) -> GCPL curves table (``cycle``, ``direction``,
        ``capacity_mAh_g``, ``voltage_V``).
    title : str
        Legend title (which cut-off varies).
    note : str
        Extra text (e.g. the C-rate from config).
    limit : {"lower", "upper"}
        The varied cut-off: the end of the discharge (lower) or of the charge
        (upper) is marked.
    """
    keys = sorted(curves_by_cutoff, key=float)
    for i, key in enumerate(keys):
        c = curves_by_cutoff[key]
        _need(c, ["cycle", "direction", "capacity_mAh_g", "voltage_V"], "GCPL curves")
        col = style.SERIES[i % len(style.SERIES)]
        mk = MARKERS[i % len(MARKERS)]
        d = _half(c, 1, "discharge")
        ch = _half(c, 1, "charge")
        lab = f"{_num(key)} V ({window_label(c, [1])})"
        ax.plot(d.capacity_mAh_g, d.voltage_V, color=col, lw=1.0, label=lab, zorder=3 + i)
        ax.plot(ch.capacity_mAh_g, ch.voltage_V, color=col, ls="--", lw=0.9, zorder=3 + i)
        end = d if limit == "lower" else ch
        if len(end):
            ax.plot(end.capacity_mAh_g.iloc[-1], end.voltage_V.iloc[-1], mk, color=col, ms=4)
    ax.set_xlabel(style.LABELS["capacity"])
    ax.set_ylabel(style.LABELS["voltage"])
    ax.set_xlim(left=0)
    head = "1st cycle" + (f", {note}" if note else "") + "; solid: discharge, dashed: charge"
    ax.legend(loc="best", title=f"{head}\n{title}", ncol=1, fontsize=6, title_fontsize=6)


def draw_gcd_cycles(ax, curves: pd.DataFrame, cycles: Sequence[int], label: str = "") -> None:
    """Discharge/charge curves of the selected cycles of one cell (Fig. 3b).

    Cycles get distinct colours and line styles, and the end of each half
    cycle is marked, so nearly coinciding cycles stay distinguishable.
    """
    _need(curves, ["cycle", "direction", "capacity_mAh_g", "voltage_V"], "GCPL curves")
    present = sorted(set(curves["cycle"]))
    missing = [c for c in cycles if c not in present]
    if missing:
        raise ValueError(f"GCPL curves have no cycles {missing}; cycles present {present}")
    cmap = colormaps["viridis"]
    for k, cyc in enumerate(cycles):
        col = cmap(0.85 * k / max(1, len(cycles) - 1))
        ls = LINESTYLES[k % len(LINESTYLES)]
        for direction in ("discharge", "charge"):
            d = _half(curves, cyc, direction)
            ax.plot(
                d.capacity_mAh_g,
                d.voltage_V,
                color=col,
                ls=ls,
                lw=0.9,
                label=f"cycle {cyc}" if direction == "discharge" else None,
            )
            if len(d):
                ax.plot(
                    d.capacity_mAh_g.iloc[-1],
                    d.voltage_V.iloc[-1],
                    MARKERS[k % len(MARKERS)],
                    color=col,
                    ms=3.5,
                    mfc="none",
                )
    ax.set_xlabel(style.LABELS["capacity"])
    ax.set_ylabel(style.LABELS["voltage"])
    ax.set_xlim(left=0)
    sel = curves[curves["cycle"].isin(list(cycles))]
    vlo, vhi = float(sel.voltage_V.min()), float(sel.voltage_V.max())
    ax.set_ylim(vlo - 0.05 * (vhi - vlo), vhi + 0.55 * (vhi - vlo))  # top band: legend, zoom
    # no voltage ticks in the band above the window: the axis must not suggest a higher cut-off
    span = vhi - vlo
    ax.set_yticks([t for t in ax.get_yticks() if vlo - 0.06 * span <= t <= vhi + 0.1 * span])
    ax.legend(loc="upper left", title=label or None, ncol=2, fontsize=6, title_fontsize=6)
    # zoom on the end of discharge, where cycles that coincide elsewhere separate
    ends = [
        _half(curves, c, "discharge").capacity_mAh_g.max()
        for c in cycles
        if len(_half(curves, c, "discharge"))
    ]
    if ends:
        spread = max(float(np.ptp(ends)), 0.002 * float(np.max(ends)))
        x0, x1 = float(np.min(ends)) - 1.5 * spread, float(np.max(ends)) + 0.5 * spread
        ins = ax.inset_axes([0.62, 0.70, 0.35, 0.26])
        ys = []
        for k, cyc in enumerate(cycles):
            d = _half(curves, cyc, "discharge")
            ins.plot(
                d.capacity_mAh_g,
                d.voltage_V,
                color=cmap(0.85 * k / max(1, len(cycles) - 1)),
                ls=LINESTYLES[k % len(LINESTYLES)],
                lw=0.9,
            )
            m = (d.capacity_mAh_g >= x0) & (d.capacity_mAh_g <= x1)
            ys.extend(d.voltage_V[m].tolist())
        ins.set_xlim(x0, x1)
        if ys:
            y0, y1 = min(ys), max(ys)
            pad = 0.1 * max(y1 - y0, 1e-3)
            ins.set_ylim(y0 - pad, y1 + pad)
        ins.tick_params(labelsize=5)
        ins.text(0.04, 0.06, "end of discharge", transform=ins.transAxes, fontsize=5.5)


def draw_cv(ax, cv_curves: Sequence[pd.DataFrame], rs: pd.DataFrame, cycle: int = 1) -> None:
    """CV of one cycle at every scan rate, with D_Li from the Randles-Sevcik fits (Fig. 3c).

    Parameters
    ----------
    cv_curves : sequence of DataFrame
        One table per scan rate (``scan_rate_mV_s``, ``cycle``,
        ``voltage_V``, ``current_mA``).
    rs : DataFrame
        Randles-Sevcik table (``peak`` cathodic/anodic, ``D_cm2_s``,
        ``D_stderr_cm2_s``).
    cycle : int
        CV cycle drawn (the one analysed).
    """
    tables = sorted(cv_curves, key=lambda t: float(t["scan_rate_mV_s"].iloc[0]))
    for i, t in enumerate(tables):
        _need(t, ["scan_rate_mV_s", "cycle", "voltage_V", "current_mA"], "CV curves")
        d = t[t["cycle"] == cycle]
        if d.empty:
            raise ValueError(f"CV curve table has no cycle {cycle}")
        ax.plot(
            d.voltage_V,
            d.current_mA,
            color=style.SERIES[i % len(style.SERIES)],
            label=f"{t['scan_rate_mV_s'].iloc[0]:g} mV s$^{{-1}}$",
        )
    _need(rs, ["peak", "D_cm2_s", "D_stderr_cm2_s"], "Randles-Sevcik table")
    r = rs.set_index("peak")
    lines = []
    for peak, name in (("cathodic", "lith."), ("anodic", "delith.")):
        if peak in r.index:
            v = value_esd(r.loc[peak, "D_cm2_s"], r.loc[peak, "D_stderr_cm2_s"], sci=True)
            lines.append(rf"$D_\mathrm{{app}}$ ({name}) = {v} cm$^2$ s$^{{-1}}$")
    if lines:
        lines.append("apparent: geometric area")
    ax.text(0.03, 0.97, "\n".join(lines), transform=ax.transAxes, va="top", fontsize=6.5)
    ax.axhline(0, color="0.6", lw=0.5, zorder=0)
    ax.set_xlabel(style.LABELS["potential"])
    ax.set_ylabel(style.LABELS["current"])
    ax.legend(loc="lower left", ncol=2, handlelength=1.2, columnspacing=0.8)


def spectrum_label(potential_V: float, name: str = "") -> str:
    """Legend label: ``"OCV (2.85 V)"`` when the file name says OCV, else ``"2.36 V"``."""
    return f"OCV ({potential_V:.2f} V)" if "OCV" in name else f"{potential_V:.2f} V"


def load_spectra(
    fits: Sequence[str], curves: Sequence[str], models: Sequence[str]
) -> tuple[list[tuple[str, float, pd.DataFrame, pd.DataFrame]], list[dict[str, float]]]:
    """Read the per-spectrum EIS tables (fit record, data/fit curve, dense fit).

    Returns
    -------
    (list, list)
        ``(label, potential_V, curve, model)`` per spectrum in the given
        order, and the statistics rows of each fit record as a dict.
    """
    if not len(fits) == len(curves) == len(models):
        raise ValueError(
            f"need one curve and one model per fit table; got {len(fits)}, {len(curves)}, "
            f"{len(models)}"
        )
    spectra, stats = [], []
    for f, c, m in zip(fits, curves, models, strict=True):
        rec = pd.read_csv(f)
        _need(rec, ["parameter", "value"], str(f))
        st = dict(zip(rec["parameter"], rec["value"], strict=True))
        if "potential_V" not in st:
            raise ValueError(f"{f}: fit record has no potential_V row")
        e = float(st["potential_V"])
        name = str(f).rsplit("/", 1)[-1]
        spectra.append((spectrum_label(e, name), e, pd.read_csv(c), pd.read_csv(m)))
        stats.append(st)
    return spectra, stats


def draw_nyquist(
    ax,
    spectra: Sequence[tuple[str, float, pd.DataFrame, pd.DataFrame]],
    *,
    legend: bool = True,
    color_offset: int = 0,
    title: str = "",
) -> tuple[float, float, float, float]:
    """Nyquist plot: measured points and fitted circuit lines (Fig. 3d, Fig. S15).

    Parameters
    ----------
    spectra : sequence of (label, potential_V, curve, model)
        ``curve`` has ``z_real_ohm``, ``z_imag_ohm`` (measured, Im < 0
        capacitive); ``model`` has ``fit_real_ohm``, ``fit_imag_ohm`` on a
        dense frequency grid.

    Returns
    -------
    (float, float, float, float)
        Data extent (min/max Z', min/max -Z'') for :func:`equal_aspect`.
    """
    for i, (label, _, curve, model) in enumerate(spectra):
        _need(curve, ["z_real_ohm", "z_imag_ohm"], "EIS curve")
        _need(model, ["fit_real_ohm", "fit_imag_ohm"], "EIS model")
        col = style.SERIES[(i + color_offset) % len(style.SERIES)]
        ax.plot(
            curve.z_real_ohm,
            -curve.z_imag_ohm,
            "o",
            ms=2.2,
            mfc="none",
            mew=0.6,
            color=col,
            label=label,
        )
        ax.plot(model.fit_real_ohm, -model.fit_imag_ohm, "-", color=col, lw=0.9)
    zr = np.concatenate(
        [np.r_[c.z_real_ohm, m.fit_real_ohm].astype(float) for _, _, c, m in spectra]
    )
    zi = -np.concatenate(
        [np.r_[c.z_imag_ohm, m.fit_imag_ohm].astype(float) for _, _, c, m in spectra]
    )
    extent = (min(0.0, np.nanmin(zr)), np.nanmax(zr), min(0.0, np.nanmin(zi)), np.nanmax(zi))
    ax.set_xlabel(style.LABELS["zre"])
    ax.set_ylabel(style.LABELS["zim"])
    if legend:
        from matplotlib.lines import Line2D

        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], ls="none", marker="o", mfc="none", color="0.3", ms=3),
            Line2D([], [], ls="-", color="0.3"),
        ]
        labels += ["data", "circuit fit"]
        ax.legend(handles, labels, loc="upper left", title=title or None, handletextpad=0.2)
    return extent


def nyquist_inset(ax, spectra, *, fraction: float = 0.2) -> None:
    """Inset zoom on the high-frequency part when the smallest arc is hard to read.

    The inset shows Z' up to the point where the spectrum with the smallest
    impedance reaches ``fraction`` of the largest |Z| in the panel, with equal
    scales; it is drawn only when that spectrum spans less than a quarter of
    the panel.
    """
    zmax = max(float(np.nanmax(np.abs(c.z_real_ohm + 1j * c.z_imag_ohm))) for _, _, c, _ in spectra)
    zr_min = min(float(np.nanmin(c.z_real_ohm)) for _, _, c, _ in spectra)
    small = min(spectra, key=lambda s_: float(np.nanmax(s_[2].z_real_ohm)))
    span = float(np.nanmax(small[2].z_real_ohm)) - zr_min
    if span > 0.25 * zmax:
        return
    ins = ax.inset_axes([0.56, 0.52, 0.41, 0.41])
    x1 = zr_min + max(fraction * zmax, 1.05 * span)
    for i, (_, _, curve, model) in enumerate(spectra):
        col = style.SERIES[i % len(style.SERIES)]
        ins.plot(curve.z_real_ohm, -curve.z_imag_ohm, "o", ms=1.6, mfc="none", mew=0.5, color=col)
        ins.plot(model.fit_real_ohm, -model.fit_imag_ohm, "-", lw=0.7, color=col)
    x0 = zr_min - 0.05 * (x1 - zr_min)
    ins.set_xlim(x0, x1)
    ins.set_ylim(-0.05 * (x1 - x0), 0.95 * (x1 - x0))
    ins.set_aspect("equal", adjustable="box")
    ins.tick_params(labelsize=5)
    ins.set_title("high-frequency zoom", fontsize=5.5, pad=2)


def equal_aspect(ax, extent: tuple[float, float, float, float], top_room: float = 0.0) -> None:
    """Give a Nyquist panel equal x and y scales by widening one axis range (call after layout).

    The panel box keeps its size; the data ``extent`` returned by
    :func:`draw_nyquist` is padded by 4 %, and the shorter range (relative to the box) is extended:
    x to the right, y upward (where the legend sits). ``top_room`` reserves a
    fraction of the height above the data (for labels).
    """
    x0, x1, y0, y1 = extent
    dx, dy = x1 - x0, (y1 - y0) / (1.0 - top_room)
    x0, x1 = x0 - 0.04 * dx, x1 + 0.04 * dx
    y0, y1 = y0 - 0.04 * dy, y0 + 1.04 * dy
    bb = ax.get_window_extent()
    ratio = bb.height / bb.width  # y span per x span at equal scale
    if (y1 - y0) < ratio * (x1 - x0):
        y1 = y0 + ratio * (x1 - x0)
    else:
        x1 = x0 + (y1 - y0) / ratio
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def figure_3(
    *,
    first_cycles: Mapping[float, pd.DataFrame] | None = None,
    first_title: str = "cut-off",
    first_note: str = "",
    first_limit: str = "lower",
    gcd: pd.DataFrame | None = None,
    gcd_cycles: Sequence[int] = (),
    gcd_label: str = "",
    cv_curves: Sequence[pd.DataFrame] = (),
    rs: pd.DataFrame | None = None,
    cv_cycle: int = 1,
    spectra: Sequence[tuple[str, float, pd.DataFrame, pd.DataFrame]] = (),
    eis_title: str = "",
):
    """Fig. 3: (a) 1st cycles per cut-off, (b) GCD of one cell, (c) CV, (d) Nyquist.

    Panels whose data the study lacks are left out (the letters follow the
    panels drawn).
    """
    panels = []
    if first_cycles:
        panels.append("first")
    if gcd is not None and len(gcd_cycles):
        panels.append("gcd")
    if len(cv_curves) and rs is not None:
        panels.append("cv")
    if len(spectra):
        panels.append("eis")
    if not panels:
        raise ValueError("Fig. 3 has no panel to draw (no cut-off series, CV or EIS)")
    ncols = 2 if len(panels) > 1 else 1
    nrows = (len(panels) + 1) // 2
    fig, axes = style.figure(
        ncols=ncols, nrows=nrows, width="double" if ncols == 2 else "single", aspect=0.78
    )
    extent, eis_ax = None, None
    for ax, kind in zip(axes, panels, strict=False):
        if kind == "first":
            draw_first_cycles(
                ax, first_cycles, title=first_title, note=first_note, limit=first_limit
            )
        elif kind == "gcd":
            draw_gcd_cycles(ax, gcd, gcd_cycles, label=gcd_label)
        elif kind == "cv":
            draw_cv(ax, cv_curves, rs, cycle=cv_cycle)
        else:
            extent = draw_nyquist(ax, spectra, title=eis_title)
            eis_ax = ax
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax, letter in zip(axes, "abcd", strict=False):
        if ax.get_visible():
            style.panel_label(ax, letter)
    fig.tight_layout(w_pad=2.0, h_pad=1.5)
    if eis_ax is not None:
        equal_aspect(eis_ax, extent)
        nyquist_inset(eis_ax, spectra)
    return fig


# --------------------------------------------------------------------------- SI figures
def figure_s10(
    long_cycles: Mapping[float, pd.DataFrame],
    *,
    title: str = "cut-off",
    retention_cycle: int | None = None,
):
    """Fig. S10: discharge capacity, retention and coulombic efficiency vs cycle per cut-off.

    Series that coincide (same fade at two cut-offs) stay visible: each has
    its own marker, line style and marker phase.

    Parameters
    ----------
    long_cycles : mapping
        Cut-off (V) -> per-cycle table (``cycle``, ``discharge_mAh_g``,
        ``retention_percent``, ``coulombic_efficiency_percent``).
    title : str
        Legend title (which cut-off varies, C-rate).
    retention_cycle : int, optional
        Cycle whose retention is quoted in the legend (default the last).
    """
    fig, axes = style.figure(ncols=3, nrows=1, width="double", aspect=0.9)
    keys = sorted(long_cycles, key=float)
    ncyc = 1
    for i, key in enumerate(keys):
        t = long_cycles[key]
        t = t[t["cycle"] >= 1]
        _need(
            t,
            ["cycle", "discharge_mAh_g", "retention_percent", "coulombic_efficiency_percent"],
            "cycle table",
        )
        col = style.SERIES[i % len(style.SERIES)]
        every = max(1, len(t) // 12)
        kw = {
            "color": col,
            "marker": MARKERS[i % len(MARKERS)],
            "ms": 3.0,
            "lw": 0.8,
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "mfc": "none",
            "mew": 0.7,
            "markevery": (i * max(1, every // len(keys)) % every, every),
        }
        n = retention_cycle if retention_cycle is not None else int(t.cycle.max())
        ncyc = n
        ret = t.loc[t.cycle == n, "retention_percent"]
        last = float(ret.iloc[0]) if len(ret) else float("nan")
        lab = f"{_num(key)} V"
        axes[0].plot(t.cycle, t.discharge_mAh_g, label=lab, **kw)
        axes[1].plot(t.cycle, t.retention_percent, label=f"{lab}: {last:.1f} %", **kw)
        axes[2].plot(t.cycle, t.coulombic_efficiency_percent, label=lab, **kw)
    axes[0].set_ylabel(r"$Q_\mathrm{discharge}$ (mAh g$^{-1}$)")
    axes[0].set_ylim(bottom=0)
    axes[0].legend(loc="lower left", title=title, ncol=2)
    axes[1].set_ylabel("Capacity retention (%)")
    ret = pd.concat([long_cycles[k]["retention_percent"] for k in keys])
    span = max(100.0 - float(ret.min()), 1.0)
    axes[1].set_ylim(float(ret.min()) - 0.9 * span, 100.0 + 0.08 * span)
    axes[1].legend(loc="lower left", title=f"at cycle {ncyc}")
    ce = pd.concat(
        [
            long_cycles[k].loc[long_cycles[k].cycle >= 1, "coulombic_efficiency_percent"]
            for k in keys
        ]
    )
    lo = min(95.0, float(ce.quantile(0.02)) - 0.5)
    axes[2].set_ylim(lo, max(100.5, float(ce.quantile(0.98)) + 0.5))
    axes[2].set_ylabel("Coulombic efficiency (%)")
    axes[2].legend(loc="lower right", ncol=2)
    for ax, letter in zip(axes, "abc", strict=True):
        ax.set_xlabel(LABEL_CYCLE)
        style.panel_label(ax, letter, x=-0.25)
    fig.tight_layout(w_pad=1.5)
    return fig


def figure_s13(peaks: pd.DataFrame, rs: pd.DataFrame):
    """Fig. S13: baseline-corrected |Ip| vs v^0.5 with the Randles-Sevcik line fits.

    Parameters
    ----------
    peaks : DataFrame
        ``scan_rate_mV_s``, ``Ipc_mA``, ``Ipa_mA``.
    rs : DataFrame
        ``peak``, ``slope`` (A (V/s)^-0.5), ``intercept`` (A), ``D_cm2_s``,
        ``D_stderr_cm2_s``, ``r2``.
    """
    _need(peaks, ["scan_rate_mV_s", "Ipc_mA", "Ipa_mA"], "CV peaks")
    _need(rs, ["peak", "slope", "intercept", "D_cm2_s", "D_stderr_cm2_s", "r2"], "Randles-Sevcik")
    fig, (ax,) = style.figure(1, 1, width="single", aspect=0.85)
    x = np.sqrt(peaks["scan_rate_mV_s"].to_numpy(float))
    xx = np.linspace(0.0, x.max() * 1.05, 50)
    r = rs.set_index("peak")
    for peak, col, name, marker in (
        ("cathodic", style.SERIES[1], "cathodic (lithiation)", "v"),
        ("anodic", style.SERIES[2], "anodic (delithiation)", "^"),
    ):
        y = np.abs(peaks["Ipc_mA" if peak == "cathodic" else "Ipa_mA"].to_numpy(float))
        ax.plot(x, y, marker, color=col, mfc="none", ms=4, label=name)
        row = r.loc[peak]
        # the fit is Ip (A) = intercept + slope (v / (V/s))^0.5; x here is (v / (mV/s))^0.5
        yy = 1000.0 * (row.intercept + row.slope * xx / math.sqrt(1000.0))
        d = value_esd(row.D_cm2_s, row.D_stderr_cm2_s, sci=True)
        ax.plot(
            xx, yy, "-", color=col, lw=0.8, label=rf"$D_\mathrm{{app}}$ = {d} cm$^2$ s$^{{-1}}$"
        )
    ax.set_xlim(0, xx.max())
    ax.set_ylim(bottom=0)
    ax.set_xlabel(LABEL_SQRT_RATE)
    ax.set_ylabel(LABEL_CURRENT_PEAK)
    ax.legend(loc="upper left", title="apparent D (geometric area)")
    fig.tight_layout()
    return fig


def figure_s14(
    rate_cycles: pd.DataFrame,
    rate_table: pd.DataFrame,
    rate_curves: pd.DataFrame,
    cell: str = "",
):
    """Fig. S14: (a) discharge capacity per cycle through the C-rate steps, (b) GCD per rate.

    Parameters
    ----------
    rate_cycles : DataFrame
        Per-cycle table of the rate test (``cycle``, ``discharge_mAh_g``).
    rate_table : DataFrame
        ``step``, ``c_rate``, ``first_cycle``, ``last_cycle``, ``discharge_mAh_g``,
        ``retention_percent`` (the protocol's steps, from the config).
    rate_curves : DataFrame
        GCPL curves of the rate test. Panel (b) draws, per distinct rate, the
        middle cycle of its first step: its discharge from the start of the
        discharge and its charge from the start of that charge, each from 0.
    cell : str
        Name of the rate-test cell, written above panel (a).
    """
    _need(rate_cycles, ["cycle", "discharge_mAh_g"], "rate cycle table")
    _need(
        rate_table,
        ["step", "c_rate", "first_cycle", "last_cycle", "discharge_mAh_g", "retention_percent"],
        "rate table",
    )
    fig, axes = style.figure(ncols=2, nrows=1, width="double", aspect=0.8)
    ax = axes[0]
    for _, s_ in rate_table.iterrows():
        k = int(s_.step) - 1
        sel = rate_cycles[
            (rate_cycles.cycle >= s_.first_cycle) & (rate_cycles.cycle <= s_.last_cycle)
        ]
        col = style.SERIES[k % len(style.SERIES)]
        ax.plot(sel.cycle, sel.discharge_mAh_g, "o", color=col, ms=3.5, mfc="none", mew=0.8)
        ax.text(
            sel.cycle.mean(),
            sel.discharge_mAh_g.max() * 1.03,
            f"{_rate(s_.c_rate)} C\n{s_.retention_percent:.0f} %",
            ha="center",
            va="bottom",
            fontsize=6.5,
            color=col,
        )
    ax.set_xlabel(LABEL_CYCLE)
    ax.set_ylabel(r"Discharge capacity (mAh g$^{-1}$)")
    ax.set_ylim(0, float(rate_cycles.discharge_mAh_g.max()) * 1.3)
    ax.set_xlim(0, int(rate_table.last_cycle.max()) + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if cell:
        ax.set_title(f"rate test: {cell}", fontsize=7)
    ax = axes[1]
    seen = set()
    first = str(rate_cycles["first_half"].iloc[0]) if "first_half" in rate_cycles else "discharge"
    for _, s_ in rate_table.iterrows():
        if s_.c_rate in seen:  # a repeated rate adds no new curve
            continue
        seen.add(s_.c_rate)
        k = int(s_.step) - 1
        cyc = int((s_.first_cycle + s_.last_cycle) // 2)
        col = style.SERIES[k % len(style.SERIES)]
        for direction in ("discharge", "charge"):
            d = _half(rate_curves, cyc, direction)
            ax.plot(
                d.capacity_mAh_g,
                d.voltage_V,
                color=col,
                ls="-" if direction == first else "--",
                label=f"{_rate(s_.c_rate)} C (cycle {cyc})" if direction == "discharge" else None,
            )
    ax.set_xlabel(style.LABELS["capacity"])
    ax.set_ylabel(style.LABELS["voltage"])
    qmax = float(rate_curves["capacity_mAh_g"].max())
    ax.set_xlim(0, 1.04 * qmax)
    # beside the axes: inside, it covers curves wherever they run for another cell
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        title=f"middle cycle of each step\n{window_label(rate_curves)}",
    )
    for ax, letter in zip(axes, "ab", strict=True):
        style.panel_label(ax, letter)
    fig.tight_layout(w_pad=2.0)
    return fig


def figure_s15(
    spectra: Sequence[tuple[str, float, pd.DataFrame, pd.DataFrame]],
    rct: pd.DataFrame,
    fit_stats: Sequence[Mapping[str, float]],
    title: str = "",
):
    """Fig. S15: one Nyquist panel per potential (data + fit), and R_ct vs potential.

    Parameters
    ----------
    spectra : sequence of (label, potential_V, curve, model)
        As for :func:`draw_nyquist`, in measurement order.
    rct : DataFrame
        ``potential_V``, ``R_ct_ohm``, ``R_ct_stderr_ohm`` (and ``kk_flagged``).
    fit_stats : sequence of mapping
        Per spectrum: ``rms_relative_residual``, ``kk_max_residual_percent``,
        ``kk_flagged``.
    """
    _need(rct, ["potential_V", "R_ct_ohm", "R_ct_stderr_ohm"], "R_ct table")
    n = len(spectra)
    ncols = 4
    nrows = math.ceil((n + 1) / ncols)
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width="double", aspect=0.95)
    extents = []
    for i, (spec, stats) in enumerate(zip(spectra, fit_stats, strict=True)):
        ax = axes[i]
        extents.append(draw_nyquist(ax, [spec], legend=False, color_offset=i))
        flag = " (KK flag)" if stats.get("kk_flagged", 0) else ""
        ax.text(
            0.04,
            0.96,
            f"{spec[0]}\nfit rms {100 * stats['rms_relative_residual']:.1f} %\n"
            f"Lin-KK max {stats['kk_max_residual_percent']:.1f} %{flag}",
            transform=ax.transAxes,
            va="top",
            fontsize=6,
        )
        style.panel_label(ax, "abcdefghijklmnop"[i], x=-0.3)
    ax = axes[n]
    order = rct.sort_values("potential_V", ascending=False)
    ax.errorbar(
        order.potential_V,
        order.R_ct_ohm,
        yerr=order.R_ct_stderr_ohm,
        fmt="o-",
        color=style.TECHNIQUE_COLORS["echem"],
        mfc="white",
        ms=3.5,
        lw=0.8,
        capsize=2,
    )
    ax.invert_xaxis()
    ax.xaxis.set_major_locator(MultipleLocator(0.5))
    ax.set_xlabel(style.LABELS["potential"])
    ax.set_ylabel(LABEL_RCT)
    ax.set_ylim(bottom=0)
    if title:
        ax.text(0.04, 0.96, title, transform=ax.transAxes, va="top", fontsize=6)
    style.panel_label(ax, "abcdefghijklmnop"[n], x=-0.3)
    for ax in axes[n + 1 :]:
        ax.set_visible(False)
    fig.tight_layout(w_pad=1.0, h_pad=1.0)
    for ax, extent in zip(axes[:n], extents, strict=True):
        equal_aspect(ax, extent, top_room=0.3)
    return fig


def figure_dqdv(
    dqdv: Mapping[str, pd.DataFrame], peaks: Mapping[str, pd.DataFrame], info: Mapping[str, dict]
):
    """dQ/dV per cycle, one panel per cell, with the peak positions (and esds) of cycle 1.

    Parameters
    ----------
    dqdv : mapping
        Cell -> ``cycle``, ``direction``, ``voltage_V``, ``dqdv_mAh_g_V``.
    peaks : mapping
        Cell -> dQ/dV peak table (``cycle``, ``direction``, ``voltage_V``,
        ``voltage_stderr_V``).
    info : mapping
        Cell -> info row (``dqdv_step_V``, ``dqdv_window_points``,
        ``dqdv_polyorder``) for the smoothing note.
    """
    names = list(dqdv)
    ncols = min(3, max(1, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width="double", aspect=0.8)
    cmap = colormaps["viridis"]
    for ax, name in zip(axes, names, strict=False):
        d = dqdv[name]
        _need(d, ["cycle", "direction", "voltage_V", "dqdv_mAh_g_V"], f"dQ/dV of {name}")
        cycles = sorted(c for c in d["cycle"].unique() if c >= 1)
        show = (
            cycles
            if len(cycles) <= 6
            else sorted({cycles[0], *cycles[:: max(1, len(cycles) // 5)], cycles[-1]})
        )
        # colour = cycle number on a colour bar: a legend of many cycles covers curves or labels
        lo_c, hi_c = (show[0], show[-1]) if show else (1, 2)
        norm = Normalize(lo_c, hi_c if hi_c > lo_c else lo_c + 1)
        for cyc in show:
            col = cmap(0.85 * norm(cyc))
            for direction, sign in (("discharge", -1), ("charge", 1)):
                h = d[(d.cycle == cyc) & (d.direction == direction)]
                ax.plot(h.voltage_V, sign * h.dqdv_mAh_g_V, color=col, lw=0.7)
        sm = ScalarMappable(norm=norm, cmap=ListedColormap(cmap(np.linspace(0, 0.85, 256))))
        cb = fig.colorbar(sm, ax=ax, fraction=0.06, pad=0.02)
        cb.set_label("cycle", fontsize=6)
        cb.set_ticks(show if len(show) <= 7 else show[:: max(1, len(show) // 6)])
        cb.ax.tick_params(labelsize=5)
        pk = peaks[name]
        p1 = pk[pk.cycle == (show[0] if show else 1)]
        for r in p1.itertuples(index=False):
            sign = -1 if r.direction == "discharge" else 1
            ax.annotate(
                f"{value_esd(r.voltage_V, r.voltage_stderr_V)} V",
                (r.voltage_V, sign * r.height_mAh_g_V),
                fontsize=5,
                ha="center",
                va="top" if sign < 0 else "bottom",
            )
        if len(p1):
            ax.text(
                0.98,
                0.03,
                f"labels: cycle {show[0] if show else 1} peaks",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=5,
            )
        ax.axhline(0, color="0.6", lw=0.5, zorder=0)
        # zoom on the voltage range where dQ/dV is not flat (> 2 % of its largest value)
        big = d[(d.cycle >= 1) & (d.dqdv_mAh_g_V > 0.02 * d.dqdv_mAh_g_V.max())]
        if len(big):
            lo, hi = float(big.voltage_V.min()), float(big.voltage_V.max())
            pad = 0.08 * max(hi - lo, 0.05)
            ax.set_xlim(lo - pad, hi + pad)
        ymax = float(d.dqdv_mAh_g_V.max()) if len(d) else 1.0
        ax.set_ylim(-1.35 * ymax, 1.35 * ymax)
        inf = info[name]
        ax.set_title(
            f"{name}: SG {int(inf['dqdv_window_points'])} pts, order {int(inf['dqdv_polyorder'])},"
            f" {1000 * float(inf['dqdv_step_V']):g} mV grid",
            fontsize=6,
        )
        ax.set_xlabel(style.LABELS["voltage"])
        ax.set_ylabel(r"dQ/dV (mAh g$^{-1}$ V$^{-1}$)")
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def figure_drt(drts: Sequence[pd.DataFrame], labels: Sequence[str], title: str = ""):
    """DRT of every spectrum: gamma(tau) on a log time axis, one line per spectrum.

    Parameters
    ----------
    drts : sequence of DataFrame
        ``tau_s``, ``gamma_ohm``, ``drt_lambda``, ``drt_rms_relative_residual``.
    labels : sequence of str
        Legend label of each spectrum.
    """
    fig, (ax,) = style.figure(1, 1, width="double", aspect=0.45)
    for i, (d, lab) in enumerate(zip(drts, labels, strict=True)):
        _need(d, ["tau_s", "gamma_ohm", "drt_lambda"], "DRT table")
        rms = 100 * float(d["drt_rms_relative_residual"].iloc[0])
        ax.semilogx(
            d.tau_s,
            d.gamma_ohm,
            color=style.SERIES[i % len(style.SERIES)],
            lw=0.9,
            ls=LINESTYLES[i % len(LINESTYLES)],
            label=f"{lab} (rms {rms:.1f} %)",
        )
    lam = float(drts[0]["drt_lambda"].iloc[0]) if len(drts) else float("nan")
    ax.set_xlabel(r"$\tau$ (s)")
    ax.set_ylabel(r"$\gamma$ ($\Omega$)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", title=(title + "; " if title else "") + f"ridge NNLS, lambda = {lam:g}")
    fig.tight_layout()
    return fig


def save(fig, pdf, png) -> None:
    """Write ``fig`` as PDF and 300 dpi PNG (atomic, via the style module)."""
    style.save(fig, pdf, png)
