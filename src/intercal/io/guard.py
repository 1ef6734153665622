"""Shared guards for the readers: library errors become named errors, truncation and
plausibility checks that every reader needs.

Every failure raised here is an :class:`~intercal.errors.InputError` whose message
starts with the file path and says what was being read, what was found and what was
expected (DESIGN.md, "Conventions").
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "reading",
    "check_last_line",
    "check_finite_rows",
    "check_two_theta",
    "check_wavelength",
    "expect_technique",
    "describe_rows",
]


@contextlib.contextmanager
def reading(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Turn any library failure inside the block into an InputError naming ``path``.

    :class:`~intercal.errors.InputError` raised inside passes unchanged;
    ``KeyboardInterrupt``/``SystemExit`` are not caught. Everything else (pandas,
    numpy, h5py, galvani, NewareNDA, struct, XML, ``MemoryError`` ...) becomes
    ``InputError("<path>: <what>: <ExceptionType>: <message>")``.

    Parameters
    ----------
    path : path-like
        The file being read.
    what : str
        What was being read (``"BioLogic .mpr with galvani"``).
    """
    try:
        yield
    except InputError:
        raise
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found while reading {what}") from err
    except IsADirectoryError as err:
        raise InputError(f"{path}: is a directory, expected a file ({what})") from err
    except MemoryError as err:
        raise InputError(
            f"{path}: {what}: the file declares more data than fits in memory; "
            "corrupt header or truncated file?"
        ) from err
    except Exception as err:  # noqa: BLE001 - the point is to name the file for any failure
        msg = str(err).replace(str(path), "<file>")
        raise InputError(f"{path}: {what}: {type(err).__name__}: {msg}".rstrip(": ")) from err


def describe_rows(rows: Sequence[int], limit: int = 8) -> str:
    """``'rows 3, 7, 9 (3 in all)'`` for 0-based row indices (printed 1-based)."""
    rows = [int(r) + 1 for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", ... ({len(rows)} in all)" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def check_finite_rows(
    table: Mapping[str, Any], columns: Sequence[str], path: str | os.PathLike, why: str
) -> None:
    """Raise if any of ``columns`` holds NaN/inf, naming the data rows (1-based).

    Parameters
    ----------
    table : DataFrame or mapping of arrays
    columns : sequence of str
        Columns that a calculation integrates or divides by (time, current ...).
    path : path-like
        The file, for the message.
    why : str
        What the column is used for (``"integrated into the charge"``).
    """
    for col in columns:
        if col not in table:
            continue
        v = np.asarray(table[col], dtype=float)
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise InputError(
                f"{path}: column {col!r} is NaN/inf at data {describe_rows(bad)}; "
                f"expected finite numbers ({why})"
            )


# ------------------------------------------------------------------ truncated last line
_FLOAT = re.compile(r"^[-+]?(?P<int>\d*)(?:[.,](?P<dec>\d*))?(?:(?P<e>[eE])(?P<exp>[-+]?\d*))?$")


def _shape(tok: str) -> tuple | None:
    m = _FLOAT.match(tok)
    if not m or not (m.group("int") or m.group("dec")):
        return None
    has_point = "." in tok or "," in tok
    return (
        has_point,
        len(m.group("dec") or ""),
        bool(m.group("e")),
        len((m.group("exp") or "").lstrip("+-")),
    )


def check_last_line(
    path: str | os.PathLike, text: str, sep: str | None = None, what: str = "data"
) -> None:
    """Detect a text file cut inside its last line.

    A file that ends with a newline is complete. Otherwise the last non-blank line
    is compared with the data line before it, token by token: fewer fields, a number
    that lost its decimal point, some decimals or exponent digits, or an integer that
    lost digits (shorter and below half the value above it) mean the file was cut
    inside the last number. A single data line without a final newline cannot be
    compared and is rejected.

    Parameters
    ----------
    path : path-like
        For the message.
    text : str
        The whole file.
    sep : str, optional
        Field separator (default whitespace; commas are also split when ``None``).
    what : str
        What the lines hold, for the message.

    Raises
    ------
    InputError
        Naming the file and the line number.
    """
    if not text or text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return

    def split(s):
        if sep is None:
            return s.replace(",", " ").split()
        return [t.strip() for t in s.rstrip(sep).split(sep)]

    n = len(lines)
    last = split(lines[-1])
    if not last or not all(_shape(t) for t in last):
        return  # not a data line: the parser reports it
    prev = None
    for k in range(n - 2, max(n - 7, -1), -1):  # the nearest data line above
        toks = split(lines[k])
        if toks and all(_shape(t) for t in toks):
            prev = toks
            break
    if prev is None:
        raise InputError(
            f"{path}: line {n}: the only data line ends without a newline; a complete "
            f"export ends its lines with a newline (truncated {what}?)"
        )
    if len(last) < len(prev):
        raise InputError(
            f"{path}: line {n}: last line has {len(last)} fields, the line before has "
            f"{len(prev)}; the file ends without a newline inside its last line "
            f"(truncated {what}?)"
        )
    for j, (a, b) in enumerate(zip(last, prev, strict=False)):
        sa, sb = _shape(a), _shape(b)
        if sa is None:
            raise InputError(
                f"{path}: line {n}: field {j + 1} is {a!r}, expected a number (truncated {what}?)"
            )
        cut = False
        if sb[0] or sb[2]:  # the line above has a decimal point / exponent here
            cut = sa[0] != sb[0] or sa[1] < sb[1] or sa[2] != sb[2] or sa[3] < sb[3]
        elif len(a.lstrip("+-")) < len(b.lstrip("+-")):
            fa, fb = abs(float(a)), abs(float(b))
            cut = fb > 0 and fa < 0.5 * fb
        if cut:
            raise InputError(
                f"{path}: line {n}: field {j + 1} {a!r} is shorter than the same field "
                f"on the line before ({b!r}) and the file ends without a newline: "
                f"truncated inside the last number of the {what}"
            )


# ------------------------------------------------------------------ plausibility
def check_two_theta(
    x: np.ndarray,
    path: str | os.PathLike,
    unit: str = "deg",
    radians_check: bool = True,
) -> None:
    """2theta must lie in (0, 180) deg and must not look like radians.

    Parameters
    ----------
    x : ndarray
        2theta in degrees (after any declared unit conversion).
    path : path-like
        For the message.
    unit : str
        The unit the file declared (for the message).
    radians_check : bool
        When True (default), a pattern of >= 100 points spanning less than pi
        whose maximum is below pi + 0.05 is rejected as 2theta in radians
        mislabelled as degrees; pass False for genuine low-angle scans.
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return
    lo, hi = float(np.min(x)), float(np.max(x))
    if lo < 0 or hi >= 180:
        raise InputError(
            f"{path}: 2theta runs from {lo:g} to {hi:g} {unit}; expected values within 0-180 deg"
        )
    if radians_check and x.size >= 100 and hi <= math.pi + 0.05:
        raise InputError(
            f"{path}: 2theta runs from {lo:g} to {hi:g} (declared {unit}) over {x.size} "
            "points: this looks like 2theta in radians; convert to degrees (or pass "
            "radians_check=False for a genuine low-angle scan)"
        )


def check_wavelength(
    found: float | None,
    configured: float | None,
    path: str | os.PathLike,
    rtol: float = 2e-3,
    key: str = "wavelength",
) -> None:
    """Raise when the wavelength a file states differs from the configured one.

    Parameters
    ----------
    found : float or None
        The file's wavelength (A), e.g. ``table.attrs["wavelength1_A"]``; None
        (file states none) passes.
    configured : float or None
        The wavelength config uses (A); None passes.
    path : path-like
        For the message.
    rtol : float
        Relative tolerance (default 0.2 %: Cu Ka1 1.5406 vs Ka-average 1.5418 pass,
        Co Ka 1.789 or Mo Ka 0.709 fail).
    key : str
        The config key, for the message.
    """
    if found is None or configured is None:
        return
    found, configured = float(found), float(configured)
    if not (math.isfinite(found) and found > 0):
        raise InputError(f"{path}: wavelength in the file is {found}, expected a positive number")
    if abs(found - configured) > rtol * configured:
        raise InputError(
            f"{path}: the file states wavelength {found:.5f} A but config {key} is "
            f"{configured:.5f} A (relative tolerance {rtol:g}); wrong anode or wrong file?"
        )


def _technique_of(obj: Any) -> str:
    meta = obj
    if hasattr(obj, "meta"):
        meta = obj.meta
    elif hasattr(obj, "attrs") and not isinstance(obj, Mapping):
        meta = obj.attrs
    if isinstance(meta, Mapping):
        return str(meta.get("technique_code") or meta.get("technique") or "")
    return str(meta or "")


def expect_technique(table_or_meta: Any, expected: str | Sequence[str], path: str | os.PathLike):
    """Raise when a file's technique (GCPL, CV, PEIS ...) is not what config uses it for.

    Parameters
    ----------
    table_or_meta : EchemData, DataFrame (``attrs``), mapping or str
        Anything holding ``technique_code`` (see :mod:`intercal.io.echem`).
    expected : str or sequence of str
        Allowed technique codes, e.g. ``"GCPL"`` or ``("PEIS", "GEIS")``.
    path : path-like
        For the message.

    Notes
    -----
    A file that does not declare its technique (a short-header .mpt, a generic CSV)
    passes: there is nothing to compare.
    """
    allowed = [expected] if isinstance(expected, str) else list(expected)
    found = _technique_of(table_or_meta)
    if not found:
        log.warning("%s: file does not declare its technique; expected %s", path, allowed)
        return
    if found.upper() not in {a.upper() for a in allowed}:
        raise InputError(
            f"{path}: the file is a {found} measurement; expected {' or '.join(allowed)} "
            "here (wrong file listed in config?)"
        )


def file_size(path: str | os.PathLike) -> int:
    """Size of ``path`` in bytes (InputError when missing)."""
    try:
        return Path(path).stat().st_size
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
