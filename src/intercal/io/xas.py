"""Readers for X-ray absorption scans: beamline column ASCII, XDI 1.0 and Athena projects.

Every reader returns the same shape, a :class:`XasScan` (energy in eV plus the
detector channels named by role: ``i0``, ``it``, ``iref``, ``ifluor``), so the
analysis does not care where a scan came from. Absorption is then formed by
:func:`absorption` as config says: transmission ``mu = ln(I0/It)``,
fluorescence ``mu = If/I0``, and the reference channel ``ln(It/Iref)``.

Column specifications (``columns`` argument) map a role to a column name, a
0-based column index, or a list of names/indices that are summed (e.g. a
detector read out on two electrometer channels, ``i0: [ch1, ch2]``).

Nothing is guessed, sorted or repaired: a non-increasing energy column, a
missing column or a non-positive intensity inside a logarithm raises
:class:`~intercal.errors.InputError` naming the file and the problem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .guard import check_last_line

ROLES = ("energy", "i0", "it", "iref", "ifluor")

#: energy units a file or config may declare -> factor to eV
ENERGY_UNITS = {"eV": 1.0, "keV": 1000.0}

#: a K/L-edge scan in eV never lies below this (the lightest useful edges are ~ 1 keV)
MIN_PLAUSIBLE_EV = 500.0

#: XDI standard column names -> roles
XDI_ROLES = {"energy": "energy", "i0": "i0", "itrans": "it", "irefer": "iref", "ifluor": "ifluor"}


@dataclass
class XasScan:
    """One measured scan.

    Attributes
    ----------
    path : str
        Source file.
    energy : ndarray
        Monochromator energy (eV), as recorded (not calibrated).
    channels : dict of str -> ndarray
        Detector signals by role (``i0``, ``it``, ``iref``, ``ifluor``).
    header : dict of str -> str
        Header metadata (``key: value`` lines).
    labels : list of str
        Column labels of the file.
    """

    path: str
    energy: np.ndarray
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)


def _check_energy(path: str, energy: np.ndarray) -> None:
    if energy.size and np.nanmax(energy) < MIN_PLAUSIBLE_EV:
        raise InputError(
            f"{path}: energy column runs {np.nanmin(energy):.4g}-{np.nanmax(energy):.4g}, "
            f"implausible in eV (expected > {MIN_PLAUSIBLE_EV:.0f} eV for an X-ray edge); "
            "if the file is in keV declare it (XDI 'Column.N: energy keV' or "
            "config energy_unit: keV)"
        )
    if energy.size < 10:
        raise InputError(f"{path}: only {energy.size} data rows; expected a scan of >= 10 points")
    if not np.all(np.isfinite(energy)):
        bad = int(np.flatnonzero(~np.isfinite(energy))[0])
        raise InputError(f"{path}: energy is not finite at data row {bad + 1}")
    step = np.diff(energy)
    if np.any(step <= 0):
        i = int(np.flatnonzero(step <= 0)[0])
        raise InputError(
            f"{path}: energy is not strictly increasing at data row {i + 2} "
            f"({energy[i]:.3f} eV followed by {energy[i + 1]:.3f} eV); "
            "expected a monotonic scan (split or sort it explicitly before analysis)"
        )


def _pick(path: str, data: np.ndarray, labels: list[str], spec, role: str) -> np.ndarray:
    """Column(s) for one role: a name, an index or a list of them (summed)."""
    items = spec if isinstance(spec, list | tuple) else [spec]
    if not items:
        raise InputError(f"{path}: empty column specification for {role!r}")
    total = np.zeros(data.shape[0])
    lower = [lab.lower() for lab in labels]
    for item in items:
        if isinstance(item, bool):
            raise InputError(f"{path}: column for {role!r} must be a name or an index, got {item}")
        if isinstance(item, int):
            if not 0 <= item < data.shape[1]:
                raise InputError(
                    f"{path}: column index {item} for {role!r} is out of range; "
                    f"the file has {data.shape[1]} columns (0-based)"
                )
            total += data[:, item]
            continue
        name = str(item)
        if name in labels:
            j = labels.index(name)
        elif name.lower() in lower:
            j = lower.index(name.lower())
        else:
            raise InputError(
                f"{path}: missing column {name!r} for {role!r}; the file has columns {labels}"
            )
        total += data[:, j]
    return total


def _load_numeric(path: str, lines: list[str], comment: str) -> tuple[np.ndarray, int]:
    rows = []
    first = None
    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if not s or s.startswith(comment):
            continue
        if first is None:
            first = n
        try:
            rows.append([float(v) for v in s.split()])
        except ValueError as err:
            raise InputError(f"{path}: line {n} is not numeric: {s[:60]!r}") from err
    if not rows:
        raise InputError(f"{path}: no data rows found")
    width = len(rows[0])
    for k, r in enumerate(rows):
        if len(r) != width:
            raise InputError(
                f"{path}: data row {k + 1} has {len(r)} columns, expected {width} "
                "(as in the first data row)"
            )
    return np.asarray(rows, dtype=float), int(first or 0)


def read_column_ascii(
    path: str | os.PathLike,
    columns: dict,
    comment: str = "#",
    energy_unit: str = "eV",
) -> XasScan:
    """Read a beamline column-ASCII scan (commented header, whitespace-separated columns).

    Column labels come from the last comment line before the data whose number
    of tokens equals the number of data columns (a SPEC ``#L`` prefix is
    dropped). ``key: value`` comment lines become header metadata.

    Parameters
    ----------
    path : path-like
        The file.
    columns : dict
        Role -> column name, 0-based index or list of them (summed). ``energy``
        and ``i0`` are required; other roles are read when given.
    comment : str
        Comment prefix of header lines.
    energy_unit : {"eV", "keV"}
        Unit of the energy column (declared by config, never guessed); keV is
        converted to eV.

    Returns
    -------
    XasScan

    Raises
    ------
    InputError
        Unreadable file, missing column, non-numeric row, non-increasing energy,
        energies implausible for the declared unit.
    """
    path = str(path)
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as err:
        raise InputError(f"{path}: cannot read XAS file ({err.strerror})") from err
    check_last_line(path, text, what="XAS data")  # a transfer cut inside the last number
    lines = text.splitlines()
    data, first = _load_numeric(path, lines, comment)
    header: dict[str, str] = {}
    labels: list[str] = []
    for line in lines[: max(first - 1, 0)]:
        s = line.strip()
        if not s.startswith(comment):
            continue
        body = s[len(comment) :].strip()
        if body.startswith("L ") and comment == "#":
            body = body[2:].strip()
        m = re.match(r"^([A-Za-z][\w .()/-]*?)\s*[:=]\s*(.*)$", body)
        if m:
            header[m.group(1).strip()] = m.group(2).strip()
        toks = body.split()
        if len(toks) == data.shape[1] and not m:
            labels = toks
    if not labels:
        labels = [f"col{j + 1}" for j in range(data.shape[1])]
    for req in ("energy", "i0"):
        if req not in columns:
            raise InputError(f"{path}: column specification has no {req!r} entry")
    unknown = set(columns) - set(ROLES)
    if unknown:
        raise InputError(f"{path}: unknown column roles {sorted(unknown)}; expected {ROLES}")
    if energy_unit not in ENERGY_UNITS:
        raise InputError(
            f"{path}: energy unit {energy_unit!r} is not one of {sorted(ENERGY_UNITS)}"
        )
    energy = _pick(path, data, labels, columns["energy"], "energy") * ENERGY_UNITS[energy_unit]
    _check_energy(path, energy)
    chans = {r: _pick(path, data, labels, spec, r) for r, spec in columns.items() if r != "energy"}
    return XasScan(path=path, energy=energy, channels=chans, header=header, labels=labels)


def read_xdi(path: str | os.PathLike) -> XasScan:
    """Read an XDI 1.0 file (``Column.N`` tags name the columns).

    Standard column names map to roles: energy, i0, itrans -> ``it``,
    irefer -> ``iref``, ifluor.

    Raises
    ------
    InputError
        Not an XDI file, no energy column, non-increasing energy.
    """
    path = str(path)
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as err:
        raise InputError(f"{path}: cannot read XDI file ({err.strerror})") from err
    check_last_line(path, text, what="XDI data")  # a transfer cut inside the last number
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("# ").upper().startswith("XDI/"):
        raise InputError(f"{path}: first line is not an 'XDI/1.0' version line")
    header: dict[str, str] = {}
    colnames: dict[int, str] = {}
    units: dict[int, str] = {}
    for line in lines:
        s = line.strip()
        if not s.startswith("#"):
            break
        body = s[1:].strip()
        if body.startswith("///") or body.startswith("----"):
            continue
        m = re.match(r"^([A-Za-z_][\w]*\.[\w]+)\s*:\s*(.*)$", body)
        if m:
            header[m.group(1)] = m.group(2).strip()
            if m.group(1).lower().startswith("column."):
                try:
                    idx = int(m.group(1).split(".")[1])
                except ValueError as err:
                    raise InputError(f"{path}: bad column tag {m.group(1)!r}") from err
                toks = m.group(2).split()
                colnames[idx] = toks[0].lower()
                if len(toks) > 1:
                    units[idx] = toks[1]
    data, _ = _load_numeric(path, lines, "#")
    labels = [colnames.get(j + 1, f"col{j + 1}") for j in range(data.shape[1])]
    if "energy" not in labels:
        raise InputError(f"{path}: no 'energy' column among XDI Column tags {labels}")
    j_e = labels.index("energy")
    unit = units.get(j_e + 1, "eV")
    if unit not in ENERGY_UNITS:
        raise InputError(
            f"{path}: XDI Column.{j_e + 1} gives energy unit {unit!r}; expected one of "
            f"{sorted(ENERGY_UNITS)}"
        )
    energy = data[:, j_e] * ENERGY_UNITS[unit]
    _check_energy(path, energy)
    chans = {XDI_ROLES[n]: data[:, j] for j, n in enumerate(labels) if n in XDI_ROLES}
    chans.pop("energy", None)
    return XasScan(path=path, energy=energy, channels=chans, header=header, labels=labels)


def read_athena(path: str | os.PathLike) -> dict[str, dict]:
    """Read the groups of an Athena project (``.prj``) with larch's ``read_athena``.

    Returns
    -------
    dict
        Group label -> {``energy`` (eV, as recorded: Athena's energy shift
        not applied), ``mu``, ``bkg_e0`` (eV, as stored by Athena, on the
        shifted axis; NaN if absent), ``eshift`` (Athena's energy shift, eV,
        0 if absent), ``edge_step`` (stored, NaN if absent)}.
    """
    from larch.io import read_athena as _read_athena

    path = str(path)
    try:
        proj = _read_athena(path, do_preedge=False, do_bkg=False, do_fft=False)
    except Exception as err:  # larch raises various types for a corrupt project
        raise InputError(f"{path}: cannot read Athena project ({err})") from err
    out = {}
    for name, grp in proj.groups.items():
        energy = np.asarray(grp.energy, dtype=float)
        _check_energy(f"{path}[{name}]", energy)
        params = getattr(grp, "athena_params", None)
        bkg = getattr(params, "bkg", None) if params is not None else None
        e0 = float(getattr(bkg, "e0", np.nan)) if bkg is not None else np.nan
        step = float(getattr(bkg, "step", np.nan)) if bkg is not None else np.nan
        eshift = float(getattr(bkg, "eshift", 0.0) or 0.0) if bkg is not None else 0.0
        out[name] = {
            "eshift": eshift,
            "energy": energy,
            "mu": np.asarray(grp.mu, float),
            "bkg_e0": e0,
            "edge_step": step,
        }
    return out


def read_scan(
    path: str | os.PathLike, fmt: str, columns: dict | None = None, energy_unit: str = "eV"
) -> XasScan:
    """Dispatch to :func:`read_column_ascii` (``fmt="ascii"``) or :func:`read_xdi` (``"xdi"``).

    ``energy_unit`` applies to column ASCII only; XDI files declare their unit
    in the ``Column.N`` tag of the energy column.
    """
    if fmt == "ascii":
        if columns is None:
            raise InputError(f"{path}: column-ASCII format needs a column specification")
        return read_column_ascii(path, columns, energy_unit=energy_unit)
    if fmt == "xdi":
        return read_xdi(path)
    raise InputError(f"{path}: unknown XAS file format {fmt!r}; expected 'ascii' or 'xdi'")


def _log_ratio(path: str, num: np.ndarray, den: np.ndarray, what: str) -> np.ndarray:
    bad = (num <= 0) | (den <= 0) | ~np.isfinite(num) | ~np.isfinite(den)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{path}: {what} needs positive intensities, found {float(num[i])!r} / "
            f"{float(den[i])!r} "
            f"at data row {i + 1}"
        )
    return np.log(num / den)


#: absorption modes: how the sample's mu is formed
MODES = ("transmission", "fluorescence", "reference")


def _header_mode(scan: XasScan) -> str | None:
    """Measurement mode stated by the file header (``Mode:`` line), if any."""
    for key, val in scan.header.items():
        if key.strip().lower() in ("mode", "scan.mode", "sample.mode"):
            v = val.lower()
            if "fluo" in v:
                return "fluorescence"
            if "trans" in v:
                return "transmission"
    return None


def absorption(scan: XasScan, mode: str = "transmission") -> tuple[np.ndarray, np.ndarray | None]:
    """Sample and reference absorption of a scan.

    Parameters
    ----------
    scan : XasScan
    mode : {"transmission", "fluorescence", "reference"}
        ``ln(I0/It)`` or ``If/I0`` for the sample; ``reference`` uses the
        reference channel ``ln(It/Iref)`` as the spectrum (a foil measured for
        its own sake, or the reference of a sample scan).

    Returns
    -------
    mu : ndarray
        Sample absorption (the reference absorption for ``mode="reference"``).
    mu_ref : ndarray or None
        ``ln(It/Iref)`` when both channels exist, else None.

    Raises
    ------
    InputError
        Unknown mode, a channel the mode needs is missing, non-positive
        intensities inside a logarithm, or a file header that states another
        mode than the configured one.
    """
    ch = scan.channels
    need = {
        "transmission": ("i0", "it"),
        "fluorescence": ("i0", "ifluor"),
        "reference": ("it", "iref"),
    }
    if mode not in need:
        raise InputError(f"{scan.path}: unknown mode {mode!r}; expected one of {list(MODES)}")
    stated = _header_mode(scan)
    if stated is not None and mode != "reference" and stated != mode:
        raise InputError(
            f"{scan.path}: the file header says mode {stated!r} but the configured mode is "
            f"{mode!r}; give this scan its own spectrum entry with mode: {stated}"
        )
    for r in need[mode]:
        if r not in ch:
            raise InputError(
                f"{scan.path}: mode {mode} needs channel {r!r}; the scan has {sorted(ch)}"
            )
    if mode == "transmission":
        mu = _log_ratio(scan.path, ch["i0"], ch["it"], "ln(I0/It)")
    elif mode == "fluorescence":
        if np.any(ch["i0"] <= 0):
            i = int(np.flatnonzero(ch["i0"] <= 0)[0])
            raise InputError(
                f"{scan.path}: mode fluorescence (If/I0) needs positive I0, found {ch['i0'][i]!r} "
                f"at data row {i + 1}"
            )
        mu = ch["ifluor"] / ch["i0"]
    mu_ref = None
    if "it" in ch and "iref" in ch:
        mu_ref = _log_ratio(scan.path, ch["it"], ch["iref"], "ln(It/Iref)")
    if mode == "reference":
        mu = mu_ref
    return mu, mu_ref


def check_edge_direction(
    path: str,
    energy: np.ndarray,
    mu: np.ndarray,
    *,
    what: str,
    window: tuple[float, float] | None = None,
) -> None:
    """Raise when the absorption edge goes down (swapped detector channels).

    The derivative of ``mu`` (smoothed over ~1 eV) is compared inside
    ``window`` (eV; default the whole scan): its largest negative excursion
    larger than its largest positive one means a negative edge step, as when
    I0 and It (or It and Iref, If and I0) are swapped.

    Parameters
    ----------
    path : str
        File name for the message.
    energy, mu : ndarray
        Energy (eV) and absorption.
    what : str
        Which absorption, e.g. ``"sample mu (transmission, ln(I0/It))"``.
    window : (float, float), optional
        Energy range (eV) that holds the edge.

    Raises
    ------
    InputError
        Named ``negative edge step``, with the likely cause.
    """
    from scipy.ndimage import gaussian_filter1d

    step = float(np.median(np.diff(energy)))
    grid = np.arange(energy[0], energy[-1] + 0.5 * step, step)
    y = gaussian_filter1d(np.interp(grid, energy, mu), max(1.0 / step, 0.5), mode="nearest")
    d = np.gradient(y, grid)
    sel = np.ones(grid.size, bool)
    if window is not None:
        sel = (grid >= window[0]) & (grid <= window[1])
        if sel.sum() < 3:
            return
    up, down = float(np.max(d[sel])), float(-np.min(d[sel]))
    if down > up:
        raise InputError(
            f"{path}: negative edge step in the {what}: the absorption falls by up to "
            f"{down:.3g}/eV across the edge but rises by at most {up:.3g}/eV; the detector "
            "channels are probably swapped (I0/It, It/Iref or If/I0); fix the column names"
        )
