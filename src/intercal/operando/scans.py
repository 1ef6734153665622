"""The numbered scan files of an operando series.

Patterns are read with :func:`intercal.io.xrd.read_pattern` (``.xye``/``.xy``,
``.xrdml``, ``.raw`` ...), which returns ``two_theta_deg, intensity, esd``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError

_SCAN_NO = re.compile(r"(\d+)(?!.*\d)")


def scan_number(path: str | os.PathLike) -> int:
    """The scan number: the last run of digits in the file's stem (``scan_0012.xye`` -> 12)."""
    # os.path, not Path: called for every scan of a series on every workflow start
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    m = _SCAN_NO.search(stem)
    if not m:
        raise InputError(f"{path}: no scan number in the file name (expected e.g. scan_0012.xye)")
    return int(m.group(1))


def _read_plain_xye(path: Path):
    """Fast path for a plain 3-column ``.xye``/``.xy`` text file; None when anything differs.

    Only comment lines (``#``, ``!``, ``;``) and lines of three numbers, a final
    newline and finite, strictly increasing 2theta with counts >= 0 and esds > 0
    are accepted here; any other file (a header line, two columns, a cut last
    line, a bad value) goes to :func:`intercal.io.xrd.read_pattern`, which reads
    it or names the fault.
    """
    if path.suffix.lower() not in (".xye", ".xy", ".dat"):
        return None
    try:
        text = path.read_text(encoding="ascii")
    except (UnicodeDecodeError, OSError):
        return None
    if not text.endswith("\n"):
        return None
    # leading comment lines only; then nothing but lines of three numbers
    start = 0
    while text.startswith(("#", "!", ";"), start):
        start = text.find("\n", start) + 1
    body = text[start:]
    if any(ch in body for ch in "#!;\r") or "\n\n" in body:
        return None
    try:
        a = np.array(body.split(), dtype=float)
    except ValueError:
        return None
    if a.size < 30 or a.size != 3 * body.count("\n"):
        return None
    x, y, e = a[0::3], a[1::3], a[2::3]
    if not (
        np.all(np.isfinite(a))
        and np.all(np.diff(x) > 0)
        and np.all(y >= 0)
        and np.any(y > 0)
        and np.all(e > 0)
        and x[0] > 0
        and x[-1] < 180
    ):
        return None
    from ..io.guard import check_two_theta

    check_two_theta(x, path)
    return x, y, e


def read_scan(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one scan: 2theta (deg), counts and esd (counts).

    Plain three-column text scans take a fast path (a batch reads hundreds);
    everything else, and every fault, goes through :func:`intercal.io.xrd.read_pattern`.
    """
    fast = _read_plain_xye(Path(path))
    if fast is not None:
        return fast
    from ..io.xrd import read_pattern

    df = read_pattern(path)
    return (
        df["two_theta_deg"].to_numpy(float),
        df["intensity"].to_numpy(float),
        df["esd"].to_numpy(float),
    )


def batch_of(scan: int, size: int) -> int:
    """Batch index of a scan number: (scan - 1) // size (scans 1..size -> batch 0)."""
    if size < 1:
        raise InputError(f"operando.batch_size must be >= 1, got {size}")
    return (int(scan) - 1) // size


def batches(files: Sequence[str], size: int) -> dict[int, list[str]]:
    """Group scan files by the scan-number range they fall in.

    Batch b holds scan numbers b*size+1 ... (b+1)*size, so a new scan changes
    only its own batch (and the aggregates), whatever its number.

    Returns
    -------
    dict
        Batch index -> files ordered by scan number.

    Raises
    ------
    InputError
        If ``size`` < 1 or two files carry the same scan number.
    """
    nums: dict[int, str] = {}
    for f in files:
        n = scan_number(f)
        if n in nums:
            raise InputError(f"scan number {n} appears twice: {nums[n]} and {f}")
        nums[n] = f
    out: dict[int, list[str]] = {}
    for n in sorted(nums):
        out.setdefault(batch_of(n, size), []).append(nums[n])
    return out


def write_manifest(path: str | os.PathLike, groups: Mapping[str, Sequence[str]]) -> bool:
    """Record a batch's files (name, size, modification time) in one small JSON file.

    The batch job takes this file as its input in place of its scans: a workflow of
    10,000 scans would otherwise spend seconds of every start checking each scan
    for each job. The file is rewritten only when its content changes (a new,
    removed, replaced or edited scan), so its modification time, and with it
    Snakemake's rerun decision, follows the scans exactly. Returns True when it was
    (re)written.

    Parameters
    ----------
    path : path
        The manifest (under the results folder).
    groups : mapping
        Role (``"scans"``, ``"seed_scans"``) -> file paths, in order.
    """
    from ..tables import write_text

    entries = {}
    for role, files in groups.items():
        rows = []
        for f in files:
            st = os.stat(f)
            rows.append([str(f), st.st_size, st.st_mtime_ns])
        entries[role] = rows
    text = json.dumps(entries, separators=(",", ":")) + "\n"
    path = Path(path)
    try:
        if path.read_text() == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_text(text, path)
    return True


def read_manifest(path: str | os.PathLike) -> dict[str, list[str]]:
    """The files of a manifest (:func:`write_manifest`), role -> paths.

    Raises
    ------
    InputError
        If a listed file is gone or changed (size or modification time) since the
        workflow recorded it: the results would not match the recorded inputs.
    """
    with open(path) as fh:
        entries = json.load(fh)
    out: dict[str, list[str]] = {}
    for role, rows in entries.items():
        for f, size, mtime_ns in rows:
            try:
                st = os.stat(f)
            except FileNotFoundError:
                raise InputError(
                    f"{f}: listed in {path} but no longer there; run snakemake again"
                ) from None
            # the time within 1 s: a cluster node may see a coarser file time than the
            # host that wrote the manifest
            if st.st_size != size or abs(st.st_mtime_ns - mtime_ns) > 1_000_000_000:
                raise InputError(
                    f"{f}: changed since the workflow recorded it in {path} "
                    f"(size {size} -> {st.st_size}); run snakemake again"
                )
        out[role] = [r[0] for r in rows]
    return out
