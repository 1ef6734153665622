"""The numbered scan files of an operando series.

Patterns are read with :func:`intercal.io.xrd.read_pattern` (``.xye``/``.xy``,
``.xrdml``, ``.raw`` ...), which returns ``two_theta_deg, intensity, esd``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError

_SCAN_NO = re.compile(r"(\d+)(?!.*\d)")


def scan_number(path: str | os.PathLike) -> int:
    """The scan number: the last run of digits in the file's stem (``scan_0012.xye`` -> 12)."""
    stem = Path(path).stem
    m = _SCAN_NO.search(stem)
    if not m:
        raise InputError(f"{path}: no scan number in the file name (expected e.g. scan_0012.xye)")
    return int(m.group(1))


def read_scan(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one scan: 2theta (deg), counts and esd (counts)."""
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
