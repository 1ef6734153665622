"""Readers for powder-diffraction patterns; every reader returns one table shape.

Table: columns ``two_theta_deg`` (deg, strictly increasing), ``intensity`` (counts)
and ``esd`` (counts); ``DataFrame.attrs`` holds what the file states about the
instrument (``source``, ``format``, and where given ``wavelength1_A``,
``wavelength2_A``, ``ratio``, ``goniometer_radius_mm``).

Formats (:func:`read_pattern` dispatches on the extension):

- ``.xy`` / ``.xye`` / ``.dat``: whitespace columns 2theta, counts[, esd]; ``#`` or
  ``!`` comment lines and a leading non-numeric header line are allowed;
- ``.csv``: comma separated with a header naming 2theta and intensity (and optionally
  esd) columns;
- ``.xrdml``: PANalytical XML (``dataPoints`` with ``positions axis="2Theta"`` given by
  start/end or a list, ``counts`` or ``intensities``; counts per second are converted
  to counts with the counting time);
- ``.raw``: Bruker binary "RAW1.01" (DIFFRAC-AT v3, single range) and "RAW4.00"
  (DIFFRAC.SUITE, first range);
- ``.gsas`` / ``.gsa`` / ``.fxye`` / ``.xra`` / ``.raw`` text: GSAS ``BANK`` records,
  ``CONST`` binning with ``STD`` or ``ESD`` data and ``FXYE``/``FXY`` records; the
  instrument parameter file (``.prm``) is read by :func:`read_gsas_prm`.

Counting statistics: when a format has no esd column, esd = sqrt(max(counts, 1)).
Bad input raises :class:`~intercal.errors.InputError` naming the file and line; any
library failure is wrapped the same way (:func:`intercal.io.guard.reading`). Checks at
read time: finite 2theta/counts/esd, counts >= 0 and not all zero, 2theta strictly
increasing, within 0-180 deg and not radians mislabelled as degrees; a text file cut
inside its last number; declared point counts (GSAS BANK, RAW range header, xrdml
lists) against the data present, before allocating; declared units (xrdml 2Theta
``deg``/``rad``, wavelengths ``Angstrom``/``nm``); the file's wavelength against
``read_pattern(..., wavelength_A=)`` when both are known.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .guard import check_last_line, check_two_theta, check_wavelength, file_size, reading

COLUMNS = ["two_theta_deg", "intensity", "esd"]
log = logging.getLogger(__name__)


def _finish(path, x, y, e, fmt, attrs=None, lines=None, radians_check=True) -> pd.DataFrame:
    """Validate and build the table; ``lines`` gives the file line of each point."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0:
        raise InputError(f"{path}: no data points found (format {fmt})")
    if e is None:
        e = np.sqrt(np.maximum(y, 1.0))
    e = np.asarray(e, dtype=float)

    def where(i):
        return f"line {lines[i]}" if lines is not None else f"point {i + 1}"

    for arr, what in ((x, "2theta"), (y, "intensity"), (e, "esd")):
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{path}: {where(i)}: {what} is {arr[i]}, expected a finite number")
    if np.any(y < 0):
        i = int(np.argmax(y < 0))
        raise InputError(f"{path}: {where(i)}: negative counts {y[i]}, expected >= 0")
    if np.any(e <= 0):
        i = int(np.argmax(e <= 0))
        raise InputError(f"{path}: {where(i)}: esd {e[i]} <= 0, expected > 0")
    d = np.diff(x)
    if np.any(d <= 0):
        i = int(np.argmax(d <= 0)) + 1
        raise InputError(
            f"{path}: {where(i)}: 2theta {x[i]} does not increase (previous {x[i - 1]}); "
            "expected strictly increasing 2theta"
        )
    if not np.any(y > 0):
        raise InputError(
            f"{path}: all {y.size} intensities are zero; expected a measured pattern "
            "(empty export or detector off?)"
        )
    check_two_theta(x, path, radians_check=radians_check)
    df = pd.DataFrame({"two_theta_deg": x, "intensity": y, "esd": e})
    df.attrs.update({"source": str(path), "format": fmt, **(attrs or {})})
    return df


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def read_xy(path: str | os.PathLike, *, radians_check: bool = True) -> pd.DataFrame:
    """Read a two- or three-column text pattern (``.xy``, ``.xye``, ``.dat``).

    Comment lines start with ``#``, ``!`` or ``;``; one leading header line of
    words is allowed. Every data line must have the same number (2 or 3) of numbers.
    """
    path = Path(path)
    rows, lines = [], []
    ncol = None
    text = _read_text(path)
    check_last_line(path, text, what="pattern")
    for ln, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s[0] in "#!;":
            continue
        toks = s.replace(",", " ").split()
        if not rows and not all(_is_number(t) for t in toks):
            continue  # column header
        if not all(_is_number(t) for t in toks):
            raise InputError(f"{path}: line {ln}: expected numbers, found {s[:60]!r}")
        if ncol is None:
            ncol = len(toks)
            if ncol not in (2, 3):
                raise InputError(
                    f"{path}: line {ln}: found {ncol} columns, expected 2 (2theta, counts) "
                    "or 3 (2theta, counts, esd)"
                )
        elif len(toks) != ncol:
            raise InputError(
                f"{path}: line {ln}: found {len(toks)} columns, expected {ncol} "
                "(truncated or mixed file?)"
            )
        rows.append([float(t) for t in toks])
        lines.append(ln)
    if not rows:
        raise InputError(f"{path}: no numeric data lines found")
    a = np.array(rows)
    e = a[:, 2] if ncol == 3 else None
    return _finish(path, a[:, 0], a[:, 1], e, "xy", lines=lines, radians_check=radians_check)


def read_csv(path: str | os.PathLike, *, radians_check: bool = True) -> pd.DataFrame:
    """Read a CSV pattern with a header.

    The 2theta column is ``two_theta_deg``, ``2theta``, ``two_theta`` or ``angle``;
    intensity ``intensity``, ``counts`` or ``i``; esd (optional) ``esd``, ``sigma``,
    ``error``. Lines starting with ``#`` are comments.
    """
    path = Path(path)
    check_last_line(path, _read_text(path), what="pattern")
    try:
        df = pd.read_csv(path, comment="#")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path}: not a readable CSV file: {err}") from err
    cols = {c.strip().lower().replace(" ", "_"): c for c in df.columns}

    def pick(names, what, required=True):
        for n in names:
            if n in cols:
                return cols[n]
        if required:
            raise InputError(
                f"{path}: no {what} column; expected one of {names}, found {list(df.columns)}"
            )
        return None

    cx = pick(["two_theta_deg", "2theta", "two_theta", "2theta_deg", "angle"], "2theta")
    cy = pick(["intensity", "counts", "i", "intensity_counts"], "intensity")
    ce = pick(["esd", "sigma", "error", "esd_counts"], "esd", required=False)
    out = []
    for c in (cx, cy, ce):
        if c is None:
            out.append(None)
            continue
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            i = int(np.argmax(v.isna().to_numpy()))
            raise InputError(
                f"{path}: line {i + 2}: column {c!r} has {df[c].iloc[i]!r}, expected a number"
            )
        out.append(v.to_numpy(float))
    lines = list(range(2, len(df) + 2))
    return _finish(path, out[0], out[1], out[2], "csv", lines=lines, radians_check=radians_check)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
    except UnicodeDecodeError:
        return path.read_text(encoding="latin-1")


# ---------------------------------------------------------------------- xrdml
def read_xrdml(path: str | os.PathLike, *, radians_check: bool = True) -> pd.DataFrame:
    """Read a PANalytical ``.xrdml`` file (first scan, 2Theta axis).

    Wavelengths (``usedWavelength``: kAlpha1, kAlpha2, ratioKAlpha2KAlpha1; unit
    Angstrom or nm) and the goniometer radius are stored in ``attrs``. ``intensities``
    in counts per second are converted to counts with the common counting time.
    Declared units are honoured: 2Theta in ``deg`` (``rad`` is converted), wavelengths
    in ``Angstrom``/``nm``; others are rejected. Every per-point list (list positions,
    counts, attenuation factors) must have the same length. A scan whose ``status`` is
    not ``Completed`` is accepted with ``attrs["scan_status"]`` and a warning.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
    except ET.ParseError as err:
        raise InputError(f"{path}: not well-formed XML ({err}); truncated file?") from err

    def local(tag):
        return tag.rsplit("}", 1)[-1]

    def find(node, name):
        for el in node.iter():
            if local(el.tag) == name:
                return el
        return None

    def number(el, what):
        try:
            v = float((el.text or "").strip())
        except ValueError as err:
            raise InputError(f"{path}: <{what}> is {el.text!r}, expected a number") from err
        if not np.isfinite(v):
            raise InputError(f"{path}: <{what}> is {v}, expected a finite number")
        return v

    def numbers(el, what):
        try:
            return np.array((el.text or "").split(), dtype=float)
        except ValueError as err:
            raise InputError(f"{path}: <{what}> holds a non-number: {err}") from err

    attrs = {}
    wl = find(root, "usedWavelength")
    if wl is not None:
        for child in wl:
            name = local(child.tag)
            key = {
                "kAlpha1": "wavelength1_A",
                "kAlpha2": "wavelength2_A",
                "ratioKAlpha2KAlpha1": "ratio",
            }.get(name)
            if key and child.text:
                v = number(child, name)
                if key != "ratio":
                    unit = child.get("unit", "Angstrom")
                    scale = {"Angstrom": 1.0, "A": 1.0, "nm": 10.0, "pm": 0.01}.get(unit)
                    if scale is None:
                        raise InputError(
                            f"{path}: <{name}> has unit {unit!r}; expected 'Angstrom' or 'nm'"
                        )
                    v *= scale
                    if not 0.1 < v < 10:
                        raise InputError(
                            f"{path}: <{name}> is {v:g} A; expected an X-ray wavelength "
                            "within 0.1-10 A"
                        )
                attrs[key] = v
    radius = find(root, "radius")
    if radius is not None and radius.text:
        attrs["goniometer_radius_mm"] = number(radius, "radius")
    scan = find(root, "scan")
    if scan is not None and scan.get("status") not in (None, "Completed"):
        attrs["scan_status"] = scan.get("status")
        log.warning("%s: scan status is %r, not 'Completed'", path, scan.get("status"))
    dp = find(root, "dataPoints")
    if dp is None:
        raise InputError(f"{path}: no <dataPoints> element; not a PANalytical scan file")
    pos = None
    for el in dp:
        if local(el.tag) == "positions" and el.get("axis") == "2Theta":
            pos = el
    if pos is None:
        raise InputError(f'{path}: <dataPoints> has no <positions axis="2Theta">')
    cnt_el, unit = None, None
    for el in dp:
        if local(el.tag) in ("counts", "intensities"):
            cnt_el, unit = el, el.get("unit", "counts")
    if cnt_el is None or not (cnt_el.text or "").strip():
        raise InputError(f"{path}: <dataPoints> has no <counts> or <intensities> values")
    y = numbers(cnt_el, local(cnt_el.tag))
    n = y.size
    # every per-point list in dataPoints must have n entries
    for el in dp:
        for sub in el.iter():
            if local(sub.tag) == "listPositions" and (sub.text or "").strip():
                m = len(sub.text.split())
                if m != n:
                    raise InputError(
                        f"{path}: <positions axis={el.get('axis')!r}> lists {m} positions but "
                        f"<{local(cnt_el.tag)}> has {n} values; truncated or edited file?"
                    )
    pos_unit = pos.get("unit", "deg")
    if pos_unit not in ("deg", "rad"):
        raise InputError(f'{path}: <positions axis="2Theta"> unit {pos_unit!r}; expected "deg"')
    lst = [el for el in pos if local(el.tag) == "listPositions"]
    if lst:
        x = numbers(lst[0], "listPositions")
    else:
        st = [el for el in pos if local(el.tag) == "startPosition"]
        en = [el for el in pos if local(el.tag) == "endPosition"]
        if not st or not en:
            raise InputError(f"{path}: 2Theta positions need start/endPosition or listPositions")
        x = np.linspace(number(st[0], "startPosition"), number(en[0], "endPosition"), n)
    if x.size != n:
        raise InputError(f"{path}: {x.size} 2Theta positions but {n} intensities; truncated file?")
    if pos_unit == "rad":
        x = np.rad2deg(x)
    if unit == "counts per second":
        ct = [el for el in dp if local(el.tag) == "commonCountingTime"]
        if not ct:
            raise InputError(f"{path}: intensities in counts per second but no commonCountingTime")
        t = number(ct[0], "commonCountingTime")
        if not t > 0:
            raise InputError(f"{path}: <commonCountingTime> is {t}, expected > 0 s")
        y = y * t
    elif unit not in ("counts", None):
        raise InputError(
            f"{path}: intensity unit {unit!r}, expected 'counts' or 'counts per second'"
        )
    att = [el for el in dp if local(el.tag) == "beamAttenuationFactors"]
    e = np.sqrt(np.maximum(y, 1.0))
    if att and att[0].text and att[0].text.strip():
        f = numbers(att[0], "beamAttenuationFactors")
        if f.size != n:
            raise InputError(
                f"{path}: <beamAttenuationFactors> has {f.size} values but "
                f"<{local(cnt_el.tag)}> has {n}; truncated or edited file?"
            )
        e = e * f
        y = y * f
    return _finish(path, x, y, e, "xrdml", attrs, radians_check=radians_check)


# ---------------------------------------------------------------------- Bruker RAW
def read_bruker_raw(path: str | os.PathLike, *, radians_check: bool = True) -> pd.DataFrame:
    """Read a Bruker binary ``.raw`` file: "RAW1.01" (v3) or "RAW4.00" (v4), first range.

    Layout of RAW1.01 (little endian): header of 712 bytes (number of ranges at byte 12,
    goniometer radius float32 at 564, Ka1/Ka2/ratio float64 at 624/632/648), then per
    range a header (its length int32 at +0, number of steps int32 at +4, start 2theta
    float64 at +16, step float64 at +176), 40 supplementary bytes, and float32 counts.
    """
    path = Path(path)
    try:
        b = path.read_bytes()
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
    head = b[:7]
    if head == b"RAW1.01":
        return _raw101(path, b, radians_check)
    if head == b"RAW4.00":
        return _raw400(path, b, radians_check)
    raise InputError(
        f"{path}: header {head!r} is not a supported Bruker RAW version "
        "(expected 'RAW1.01' or 'RAW4.00')"
    )


def _unpack(path, fmt, b, off, what):
    size = struct.calcsize(fmt)
    if off + size > len(b):
        raise InputError(f"{path}: truncated at byte {off} reading {what} ({len(b)} bytes)")
    return struct.unpack_from(fmt, b, off)[0]


def _stated(attrs: dict) -> dict:
    """Drop header values a RAW file leaves unset (0 or NaN): the file states none."""
    return {k: v for k, v in attrs.items() if np.isfinite(v) and v > 0}


def _raw101(path, b, radians_check=True):
    nrange = _unpack(path, "<i", b, 12, "number of ranges")
    if nrange < 1:
        raise InputError(f"{path}: RAW1.01 file declares {nrange} ranges")
    attrs = {
        "goniometer_radius_mm": float(_unpack(path, "<f", b, 564, "radius")),
        "wavelength1_A": _unpack(path, "<d", b, 624, "Ka1"),
        "wavelength2_A": _unpack(path, "<d", b, 632, "Ka2"),
        "ratio": _unpack(path, "<d", b, 648, "Ka2/Ka1"),
    }
    pos = 712
    hlen = _unpack(path, "<i", b, pos, "range header length")
    nstep = _unpack(path, "<i", b, pos + 4, "number of steps")
    start = _unpack(path, "<d", b, pos + 16, "start 2theta")
    step = _unpack(path, "<d", b, pos + 176, "step")
    extra = 40 if nrange == 1 else _unpack(path, "<i", b, pos + 256, "supplementary length")
    data = pos + hlen + extra
    if nstep <= 0 or step <= 0:
        raise InputError(f"{path}: range 1 has {nstep} steps of {step} deg")
    if data + 4 * nstep > len(b):
        raise InputError(
            f"{path}: truncated: range 1 needs {nstep} float32 counts from byte {data}, "
            f"file has {len(b)} bytes"
        )
    y = np.frombuffer(b, dtype="<f4", count=nstep, offset=data).astype(float)
    x = start + step * np.arange(nstep)
    return _finish(path, x, y, None, "bruker_raw1.01", _stated(attrs), radians_check=radians_check)


def _raw400(path, b, radians_check=True):
    """RAW4.00: header segments from byte 61, then the first range (untested on a real file).

    Segment ``(type uint32, length uint32, ...)``; type 30 holds the wavelengths; a range
    starts at a type 0 or 160 marker ``S``: scan type (24 chars) at S+32, start angle and
    step (float64) at S+72/S+80, number of steps (uint32) at S+88, datum size and range
    header size (uint32) at S+136/S+140, counts (float32) from S+160+header size.
    """
    pos = 61
    attrs = {}
    while True:
        seg = _unpack(path, "<I", b, pos, "segment type")
        if seg in (0, 160):
            break
        seglen = max(_unpack(path, "<I", b, pos + 4, "segment length"), 8)
        if seg == 30:
            attrs["wavelength1_A"] = _unpack(path, "<d", b, pos + 80, "Ka1")
            attrs["wavelength2_A"] = _unpack(path, "<d", b, pos + 88, "Ka2")
            attrs["ratio"] = _unpack(path, "<d", b, pos + 104, "Ka2/Ka1")
        pos += seglen
    if pos + 160 > len(b):
        raise InputError(f"{path}: truncated RAW4.00 range header at byte {pos}")
    scantype = b[pos + 32 : pos + 56].split(b"\x00")[0].decode("latin-1")
    start = _unpack(path, "<d", b, pos + 72, "start angle")
    step = _unpack(path, "<d", b, pos + 80, "step")
    nstep = _unpack(path, "<I", b, pos + 88, "number of steps")
    datum = _unpack(path, "<I", b, pos + 136, "datum size")
    hdr = _unpack(path, "<I", b, pos + 140, "range header size")
    p = pos + 160 + hdr
    if scantype not in ("Locked Coupled", "Unlocked Coupled", "Detector Scan"):
        raise InputError(f"{path}: RAW4.00 scan type {scantype!r} is not a 2theta scan")
    if datum != 4:
        raise InputError(f"{path}: RAW4.00 datum size {datum}, expected 4 (float32)")
    if nstep == 0 or step <= 0:
        raise InputError(f"{path}: RAW4.00 range has {nstep} steps of {step} deg")
    if p + 4 * nstep > len(b):
        raise InputError(f"{path}: truncated: {nstep} counts from byte {p}, file has {len(b)}")
    y = np.frombuffer(b, dtype="<f4", count=nstep, offset=p).astype(float)
    x = start + step * np.arange(nstep)
    return _finish(path, x, y, None, "bruker_raw4.00", _stated(attrs), radians_check=radians_check)


# ---------------------------------------------------------------------- GSAS
_BANK = re.compile(r"^BANK\s+(\d+)\s+(\d+)\s+(\d+)\s+(\w+)(.*)$")


def read_gsas(
    path: str | os.PathLike, bank: int = 1, *, radians_check: bool = True
) -> pd.DataFrame:
    """Read one bank of a GSAS powder data file (``.gsas``, ``.gsa``, ``.fxye``, ``.xra``).

    Supported: ``CONST`` binning (start and step in centidegrees) with ``STD`` data
    (10 fields of 8 characters; optional 2-character counter number ``nc`` before
    6-character counts, variance = counts / nc) or ``ESD`` data (5 pairs of 8-character
    intensity and esd); ``FXYE`` (x in centidegrees, y, esd) and ``FXY``.
    The point count declared by the BANK line is checked against the lines present
    before any array is allocated (a corrupt header cannot ask for gigabytes).
    """
    path = Path(path)
    text = _read_text(path)
    lines = text.splitlines()
    start_line = None
    for i, ln in enumerate(lines):
        m = _BANK.match(ln.strip())
        if m and int(m.group(1)) == bank:
            start_line = i
            break
    if start_line is None:
        raise InputError(f"{path}: no 'BANK {bank}' record found; not a GSAS powder file?")
    m = _BANK.match(lines[start_line].strip())
    nchan, nrec, btype = int(m.group(2)), int(m.group(3)), m.group(4).upper()
    rest = m.group(5).split()
    attrs = {"bank": bank}
    body = []
    for j in range(start_line + 1, len(lines)):
        if lines[j].startswith("BANK"):
            break
        body.append((j + 1, lines[j]))
    if nchan <= 0:
        raise InputError(
            f"{path}: line {start_line + 1}: BANK {bank} declares {nchan} points; expected > 0"
        )
    per_line = {"CONST": 10, "FXYE": 1, "FXY": 1}.get(btype, 10)
    if nchan > per_line * len(body):
        raise InputError(
            f"{path}: truncated: BANK {bank} declares {nchan} points but only "
            f"{len(body)} data lines follow (at most {per_line * len(body)} points; "
            f"file size {len(text)} bytes)"
        )
    if btype == "CONST":
        try:
            bc1, bc2 = float(rest[0]), float(rest[1])
        except (IndexError, ValueError) as err:
            raise InputError(
                f"{path}: line {start_line + 1}: CONST bank needs start and step "
                f"(centideg), found {rest}"
            ) from err
        fmt = rest[-1].upper() if rest and rest[-1].isalpha() else "STD"
        x = (bc1 + bc2 * np.arange(nchan)) / 100.0
        y, e, ln_of = [], [], []
        for ln, s in body:
            if fmt == "STD":
                for f in range(10):
                    fld = s[8 * f : 8 * f + 8]
                    if not fld.strip():
                        continue
                    try:
                        nc = int(fld[:2]) if fld[:2].strip() else 1
                        cnt = float(fld[2:])
                    except ValueError as err:
                        raise InputError(
                            f"{path}: line {ln}: field {f + 1} {fld!r} is not a count"
                        ) from err
                    y.append(cnt)
                    e.append(np.sqrt(max(cnt, 1.0) / max(nc, 1)))
                    ln_of.append(ln)
            elif fmt == "ESD":
                for f in range(5):
                    fy, fe = s[16 * f : 16 * f + 8], s[16 * f + 8 : 16 * f + 16]
                    if not fy.strip():
                        continue
                    try:
                        y.append(float(fy))
                        e.append(float(fe))
                    except ValueError as err:
                        raise InputError(f"{path}: line {ln}: bad ESD pair {fy!r} {fe!r}") from err
                    ln_of.append(ln)
            else:
                raise InputError(
                    f"{path}: line {start_line + 1}: CONST data type {fmt!r} not supported "
                    "(expected STD or ESD)"
                )
            if len(y) >= nchan:
                break
        if len(y) < nchan:
            raise InputError(
                f"{path}: truncated: BANK {bank} declares {nchan} points, found {len(y)} "
                f"(last line {ln_of[-1] if ln_of else start_line + 1})"
            )
        y, e = np.array(y[:nchan]), np.array(e[:nchan])
        return _finish(
            path,
            x,
            y,
            e,
            f"gsas_const_{fmt.lower()}",
            attrs,
            lines=ln_of[:nchan],
            radians_check=radians_check,
        )
    if btype in ("FXYE", "FXY"):
        rows, ln_of = [], []
        for ln, s in body:
            t = s.split()
            if not t:
                continue
            need = 3 if btype == "FXYE" else 2
            if len(t) < need or not all(_is_number(v) for v in t[:need]):
                raise InputError(f"{path}: line {ln}: expected {need} numbers, found {s[:60]!r}")
            rows.append([float(v) for v in t[:need]])
            ln_of.append(ln)
        if len(rows) < nchan:
            raise InputError(
                f"{path}: truncated: BANK {bank} declares {nchan} points, found {len(rows)}"
            )
        a = np.array(rows[:nchan])
        e = a[:, 2] if btype == "FXYE" else None
        return _finish(
            path,
            a[:, 0] / 100.0,
            a[:, 1],
            e,
            btype.lower(),
            attrs,
            lines=ln_of,
            radians_check=radians_check,
        )
    raise InputError(
        f"{path}: line {start_line + 1}: GSAS bank type {btype!r} not supported "
        f"(expected CONST, FXYE or FXY); nrec={nrec}"
    )


def read_gsas_prm(path: str | os.PathLike, bank: int = 1) -> dict:
    """Read a GSAS instrument parameter file (``.prm``) for a lab X-ray diffractometer.

    Returns
    -------
    dict
        wavelength1_A, wavelength2_A, ratio, zero_deg, polarization, profile_type and,
        for profile types 2-4 (TCH pseudo-Voigt), starting values U, V, W (centideg^2),
        X, Y (centideg) and SHL (= S/L + H/L).
    """
    path = Path(path)
    with reading(path, "GSAS instrument parameter file"):
        out = _read_gsas_prm(path, bank)
    if not (0.1 < out["wavelength1_A"] < 10):
        raise InputError(
            f"{path}: ICONS wavelength {out['wavelength1_A']} A; expected an X-ray "
            "wavelength within 0.1-10 A"
        )
    return out


def _read_gsas_prm(path: Path, bank: int) -> dict:
    recs = {}
    for ln, s in enumerate(_read_text(path).splitlines(), start=1):
        if s.startswith("INS"):
            key = s[4:12].strip()
            recs[key] = (ln, s[12:])
    tag = f"{bank} ICONS"
    if tag not in recs:
        raise InputError(f"{path}: no 'INS  {bank} ICONS' record (wavelengths); not a GSAS .prm?")
    ln, s = recs[tag]
    v = s.split()
    try:
        out = {
            "wavelength1_A": float(v[0]),
            "wavelength2_A": float(v[1]) if float(v[1]) > 0 else None,
            "zero_deg": float(v[2]) / 100.0,
            "polarization": float(v[4]) if len(v) > 4 else None,
            "ratio": float(v[6]) if len(v) > 6 else 0.5,
        }
    except (IndexError, ValueError) as err:
        raise InputError(f"{path}: line {ln}: cannot read ICONS {s.strip()!r}: {err}") from err
    key = f"{bank}PRCF1"
    if key in recs:
        ln, s = recs[key]
        out["profile_type"] = int(s.split()[0])
        terms = []
        for j in range(1, 5):
            k2 = f"{bank}PRCF1{j}"
            if k2 in recs:
                terms += [float(t) for t in recs[k2][1].split()]
        if out["profile_type"] in (2, 3, 4) and len(terms) >= 8:
            # GSAS type 3: GU GV GW GP LX LY S/L H/L ...; type 2: GU GV GW LX LY trns asym
            if out["profile_type"] == 3:
                gu, gv, gw, _gp, lx, ly, sl, hl = terms[:8]
            else:
                gu, gv, gw, lx, ly, sl, hl = terms[:7]
            out.update(U=gu, V=gv, W=gw, X=lx, Y=ly, SHL=sl + hl)
    return out


def read_pattern(
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    wavelength_A: float | None = None,
    radians_check: bool = True,
) -> pd.DataFrame:
    """Read a powder pattern, choosing the reader from ``fmt`` or the file extension.

    Any failure (including one inside numpy, the XML parser or struct) is an
    :class:`~intercal.errors.InputError` naming the file.

    Parameters
    ----------
    path : path-like
        Pattern file.
    fmt : str, optional
        One of ``xy``, ``csv``, ``xrdml``, ``bruker_raw``, ``gsas``; default from the
        extension (``.raw`` is tried as Bruker binary, then as GSAS text).
    wavelength_A : float, optional
        The Ka1 wavelength config uses (A); when given and the file states one
        (``attrs["wavelength1_A"]``: xrdml, Bruker RAW), they must agree
        (:func:`~intercal.io.guard.check_wavelength`).
    radians_check : bool
        Reject patterns that look like 2theta in radians (default True; see
        :func:`~intercal.io.guard.check_two_theta`).

    Returns
    -------
    DataFrame
        two_theta_deg, intensity, esd (see module docstring).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if fmt is None:
        fmt = {
            ".xy": "xy",
            ".xye": "xy",
            ".dat": "xy",
            ".csv": "csv",
            ".xrdml": "xrdml",
            ".gsas": "gsas",
            ".gsa": "gsas",
            ".fxye": "gsas",
            ".xra": "gsas",
            ".gss": "gsas",
        }.get(ext)
        if ext == ".raw":
            if not path.is_file():
                raise InputError(f"{path}: file not found")
            with open(path, "rb") as fh:
                fmt = "bruker_raw" if fh.read(3) == b"RAW" else "gsas"
    readers = {
        "xy": read_xy,
        "csv": read_csv,
        "xrdml": read_xrdml,
        "bruker_raw": read_bruker_raw,
        "gsas": read_gsas,
    }
    if fmt not in readers:
        raise InputError(
            f"{path}: unknown pattern format (extension {ext!r}, format {fmt!r}); expected one "
            f"of .xy .xye .dat .csv .xrdml .raw .gsas .gsa .fxye .xra or fmt in {sorted(readers)}"
        )
    if file_size(path) == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); expected a {fmt} pattern")
    with reading(path, f"{fmt} powder pattern"):
        df = readers[fmt](path, radians_check=radians_check)
    check_wavelength(df.attrs.get("wavelength1_A"), wavelength_A, path)
    return df


__all__ = [
    "COLUMNS",
    "read_pattern",
    "read_xy",
    "read_csv",
    "read_xrdml",
    "read_bruker_raw",
    "read_gsas",
    "read_gsas_prm",
    "check_wavelength",
]
