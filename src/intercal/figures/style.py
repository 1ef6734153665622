"""Shared matplotlib style for every figure of the pipeline.

Sizes follow a two-column journal: a single column is 3.35 in wide, a full
page 7.0 in. Colours are fixed per phase (:func:`phase_color`) and per technique, so
that a phase has the same colour in the Le Bail, operando and XANES panels.

Use::

    from intercal.figures import style
    fig, axes = style.figure(ncols=2, nrows=1, width="double")
    style.panel_label(axes[0], "a")
    style.save(fig, "results/figures/fig2.pdf", "results/figures/fig2.png")
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib

from intercal.tables import atomic_write

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SINGLE_COLUMN_IN = 3.35
DOUBLE_COLUMN_IN = 7.0

#: palette for phases: a phase keeps its colour in every figure of a run
PHASE_PALETTE = [
    "#1f5fa8",  # blue
    "#c0392b",  # red
    "#2e8b57",  # green
    "#8e44ad",  # purple
    "#d35400",  # orange
    "#16a085",  # teal
    "#7f7f7f",  # grey
    "#b8860b",  # dark yellow
]
#: colour of instrument / cell hardware lines (not a phase)
HARDWARE_COLOR = "#b8860b"

_PHASE_ORDER: list[str] = []


def set_phase_order(names) -> None:
    """Fix the phase -> colour assignment from the study's materials, in config order.

    Figure scripts call it with ``list(config["materials"])`` so that a phase has
    the same colour in the Le Bail, operando, XANES and echem figures of a study.
    """
    _PHASE_ORDER.clear()
    _PHASE_ORDER.extend(str(n) for n in names)


def phase_color(name: str) -> str:
    """The colour of a phase (or sample): by its place in the study's materials list,
    else by a stable hash of its name (never by the order it is drawn in)."""
    name = str(name)
    if name in _PHASE_ORDER:
        return PHASE_PALETTE[_PHASE_ORDER.index(name) % len(PHASE_PALETTE)]
    import zlib

    return PHASE_PALETTE[zlib.crc32(name.encode()) % len(PHASE_PALETTE)]


#: the 118 element symbols, Z = 1..118, written run together (a figure label is checked
#: against them: importing pymatgen's periodic table for this costs ~0.5 s per figure job;
#: tests/test_style.py checks the set equals pymatgen's ``Element`` members, which also
#: name the hydrogen isotopes D and T)
ELEMENT_SYMBOLS = frozenset(
    re.findall(
        r"[A-Z][a-z]?",
        "HHeLiBeBCNOFNeNaMgAlSiPSClArKCaScTiVCrMnFeCoNiCuZnGaGeAsSeBrKrRbSrYZrNbMoTc"
        "RuRhPdAgCdInSnSbTeIXeCsBaLaCePrNdPmSmEuGdTbDyHoErTmYbLuHfTaWReOsIrPtAuHgTlPb"
        "BiPoAtRnFrRaAcThPaUNpPuAmCmBkCfEsFmMdNoLrRfDbSgBhHsMtDsRgCnNhFlMcLvTsOg",
    )
) | {"D", "T"}


def is_formula(name: str) -> bool:
    """True when ``name`` reads as a chemical formula: element symbols with optional counts
    (LiCoO2, Li0.5CoO2, Na2/3... is not: only digits and decimal points count)."""
    text = str(name)
    if not re.fullmatch(r"(?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?)+", text):
        return False
    return all(sym in ELEMENT_SYMBOLS for sym in re.findall(r"[A-Z][a-z]?", text))


def formula_tex(formula: str) -> str:
    """A chemical formula with subscripted counts for matplotlib: LiCoO2 -> LiCoO$_2$,
    Li0.5CoO2 -> Li$_{0.5}$CoO$_2$. Names that are not formulas (P2-NMO, charged4p3V, a
    sample label) pass through unchanged."""

    if not is_formula(formula):
        return str(formula)
    return re.sub(r"(?<=[A-Za-z)])(\d+(?:\.\d+)?)", r"$_{\1}$", str(formula))


def content_label(host: str, ion: str = "Li") -> str:
    """Axis label for the ion content: 'x in Li$_x$<host>' built from config names."""
    return f"x in {ion}$_x${formula_tex(host)}"


#: colour per technique (for summary panels)
TECHNIQUE_COLORS = {
    "xrd": "#1f5fa8",
    "operando": "#d35400",
    "xas": "#16a085",
    "musr": "#8e44ad",
    "echem": "#c0392b",
}

#: observed / calculated / difference in Le Bail plots (paper Fig. 2a,b)
LEBAIL_COLORS = {"obs": "black", "calc": "red", "diff": "blue", "ticks": "magenta"}

#: a cycle of distinct colours for series (scan rates, cut-offs, potentials)
SERIES = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]

LABELS = {
    "two_theta": r"2$\theta$ (deg)",
    "intensity": "Intensity (counts)",
    "energy": "Energy (eV)",
    "norm_mu": r"Normalized $\mu(E)$",
    "time_us": r"Time ($\mu$s)",
    "asymmetry": "Asymmetry",
    "temperature": "Temperature (K)",
    "hop_rate": r"Hop rate $\nu$ (MHz)",
    "voltage": "Voltage (V)",
    "potential": "Potential (V)",
    "capacity": r"Specific capacity (mAh g$^{-1}$)",
    "current": "Current (mA)",
    "zre": r"Z$'$ ($\Omega$)",
    "zim": r"$-$Z$''$ ($\Omega$)",
    "time_h": "Time (h)",
    "x_li": "x (ions per formula unit)",
}


def set_reference_ion(ion: str | None) -> None:
    """Voltage and potential axis labels against the ``ion``+/``ion`` reference electrode
    (from the study's config, e.g. echem.reference_ion, dft.working_ion); None: no reference."""
    if ion:
        LABELS["voltage"] = rf"Voltage (V vs {ion}$^+$/{ion})"
        LABELS["potential"] = rf"Potential (V vs {ion}$^+$/{ion})"
    else:
        LABELS["voltage"], LABELS["potential"] = "Voltage (V)", "Potential (V)"


RC = {
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "lines.linewidth": 1.0,
    "lines.markersize": 3,
    "axes.linewidth": 0.7,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
}


def apply() -> None:
    """Apply the pipeline's rcParams."""
    plt.rcParams.update(RC)


def figure(ncols: int = 1, nrows: int = 1, width: str = "double", aspect: float = 0.75, **kw):
    """Create a figure sized for the journal.

    Parameters
    ----------
    ncols, nrows : int
        Panel grid.
    width : {"single", "double"}
        Column width: 3.35 in or 7.0 in.
    aspect : float
        Height of one panel row divided by the width of one panel column.
    **kw
        Passed to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig, axes
        ``axes`` is always a flat list.
    """
    apply()
    if width not in ("single", "double"):
        raise ValueError(f"width must be 'single' or 'double', got {width!r}")
    w = SINGLE_COLUMN_IN if width == "single" else DOUBLE_COLUMN_IN
    h = w / ncols * aspect * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, h), squeeze=False, **kw)
    return fig, [ax for row in axes for ax in row]


def panel_label(ax, letter: str, x: float = -0.16, y: float = 1.02) -> None:
    """Put a bold panel letter ("a", "b", ...) at the top left of ``ax``."""
    ax.text(x, y, f"({letter})", transform=ax.transAxes, fontweight="bold", va="bottom", ha="left")


def save(fig, pdf_path: str | os.PathLike, png_path: str | os.PathLike | None = None) -> None:
    """Save ``fig`` as vector PDF (and 300 dpi PNG), each written atomically.

    With the rc's tight bounding box, the box is found once, from one dry draw, and
    both files are cut to it: ``savefig`` would draw the figure twice per file (once
    to measure it). A figure with a layout engine keeps matplotlib's own path.
    """
    bbox = None
    paths = [p for p in (pdf_path, png_path) if p is not None]
    if (
        len(paths) > 1
        and plt.rcParams["savefig.bbox"] == "tight"
        and fig.get_layout_engine() is None
    ):
        dpi0 = fig.dpi
        fig.dpi = 300  # measured as the PNG is drawn (text extents depend a little on dpi)
        try:
            fig.draw_without_rendering()
            bbox = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
        finally:
            fig.dpi = dpi0
    for path in paths:
        suffix = Path(path).suffix
        # PNG at zlib level 3 (default 6): ~0.2 s less per figure, ~10 % larger files
        kw = {"pil_kwargs": {"compress_level": 3}} if suffix.lower() == ".png" else {}
        if bbox is not None:
            kw["bbox_inches"] = bbox
        with atomic_write(path, suffix=suffix) as tmp:
            fig.savefig(tmp, dpi=300, **kw)
    plt.close(fig)


def draw_side_by_side(tasks) -> None:
    """Run figure-drawing tasks at once: every task but the first in a forked child.

    ``tasks`` is a sequence of ``(name, callable)``. Drawing and saving a figure is
    single-threaded Python, so two figures of one job take the time of one when
    the job may use a second CPU. With one usable CPU (e.g. a cluster allocation
    of one core) or without ``os.fork`` the tasks run one after the other.

    Raises
    ------
    RuntimeError
        Naming every task that failed in a child (its traceback is in the log);
        an exception of the first task is raised as it is.
    """
    import logging

    tasks = list(tasks)
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this platform
        ncpu = os.cpu_count() or 1
    if len(tasks) < 2 or ncpu < 2 or not hasattr(os, "fork"):
        for _, fn in tasks:
            fn()
        return
    # build matplotlib's mathtext grammar (~0.4 s) once, here, for every child to inherit
    from matplotlib import mathtext

    mathtext.MathTextParser("path").parse("$x$")
    children = []
    for name, fn in tasks[1:]:
        pid = os.fork()
        if pid == 0:  # child: draw, flush the log, leave without running the parent's code
            code = 0
            try:
                fn()
            except BaseException:
                logging.exception("%s failed", name)
                code = 1
            finally:
                for h in logging.getLogger().handlers:
                    h.flush()
                os._exit(code)
        children.append((name, pid))
    first_error = None
    try:
        tasks[0][1]()
    except BaseException as err:
        first_error = err
    failed = []
    for name, pid in children:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            failed.append(name)
    if first_error is not None:
        raise first_error
    if failed:
        raise RuntimeError(f"{', '.join(failed)} failed (the traceback is in the log)")
