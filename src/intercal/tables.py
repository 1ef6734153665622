"""Atomic writers and the fit-record table shape shared by all techniques.

A fit record is a table with one row per parameter::

    parameter, value, stderr, unit, refined, note

plus fit statistics stored as rows whose ``unit`` is ``"stat"``. Standard
errors that could not be estimated are NaN with a note, never 0.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a table is built (a light job need not load it)
    import pandas as pd

log = logging.getLogger(__name__)

FIT_RECORD_COLUMNS = ["parameter", "value", "stderr", "unit", "refined", "note"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: a hidden temp file of the same target older than this (s) is left over from an
#: interrupted write (kill -9, power loss) and is removed by the next write
STALE_TEMP_AGE_S = 60.0
_TEMP_TAIL = re.compile(r"^[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")


def remove_stale_temps(path: str | os.PathLike, max_age_s: float = STALE_TEMP_AGE_S) -> list[Path]:
    """Remove hidden temp files ``.<name>.<random><suffix>`` left by an interrupted write.

    Only files beside ``path`` named ``.<name>.`` + mkstemp's 8 random characters +
    an optional suffix, older than ``max_age_s`` seconds, are removed (a concurrent
    writer's fresh temp file and other targets' temp files are kept). Returns the
    removed paths.
    """
    path = Path(path)
    prefix = f".{path.name}."
    now = time.time()
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix) or not _TEMP_TAIL.match(entry.name[len(prefix) :]):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > max_age_s:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
                log.info("removed stale temporary file %s", entry.path)
        except FileNotFoundError:
            continue  # removed meanwhile by another job
    return removed


def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[Path, Path]:
    """Return (path, temporary sibling) for an atomic write.

    The temporary file gets the permissions an ordinary ``open()`` would give
    (0666 minus the umask), not mkstemp's private 0600, so that results stay
    readable by co-workers once renamed into place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return path, Path(tmp)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; it replaces ``path`` when the block
    ends without an exception and is removed either way (a reader never sees half a file).
    """
    path, tmp = atomic_path(path, suffix=suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def qc_text(col: pd.Series) -> pd.Series:
    """A ``qc`` column as strings, "" where empty.

    A column read back from CSV with no flag at all is float NaN; ``fillna("")`` on it
    is deprecated in pandas (an error in a future version).
    """
    return col.astype(object).where(col.notna(), "").astype(str)


def write_csv(df: pd.DataFrame, path: str | os.PathLike, **kwargs: Any) -> None:
    """Write ``df`` as CSV atomically (write to a temporary file, then rename)."""
    with atomic_write(path) as tmp:
        df.to_csv(tmp, index=kwargs.pop("index", False), **kwargs)


def _csv_fields(col: pd.Series) -> list[str] | None:
    """The column's fields exactly as ``DataFrame.to_csv`` writes them, or None.

    float64 (shortest round-trip repr, NaN empty), integers, booleans and text (NaN or
    None empty, quoted when it holds a comma, quote or line break); None for any other
    column, which is left to pandas.
    """
    import pandas as pd

    dt = col.dtype
    if isinstance(dt, np.dtype) and dt.kind != "O":
        vals = col.to_numpy()
        if dt == np.float64:
            # Python's float repr is the shortest round-trip form, the same text as the
            # numpy astype(str) pandas uses, at ~2x the speed
            out = list(map(repr, vals.tolist()))
            for i in np.flatnonzero(np.isnan(vals)).tolist():
                out[i] = ""
            return out
        if dt.kind in "iub":
            return list(map(str, vals.tolist()))
        return None
    if not (pd.api.types.is_object_dtype(dt) or pd.api.types.is_string_dtype(dt)):
        return None
    missing = col.isna().to_numpy()
    out = []
    for v, na in zip(col.to_numpy(dtype=object).tolist(), missing.tolist(), strict=True):
        if na:
            out.append("")
        elif type(v) is not str:
            return None
        else:
            out.append(_csv_quote(v))
    return out


def _csv_quote(v: str) -> str:
    """``v`` as pandas' csv writer quotes it: minimal quoting, a field holding the comma,
    the quote or a character of the line terminator (``os.linesep``) is quoted."""
    if any(ch in v for ch in (",", '"', *os.linesep)):
        return '"' + v.replace('"', '""') + '"'
    return v


def write_large_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` (no index) as :func:`write_csv` would, byte for byte, about 2x faster.

    For tables of ~10^6 values (the operando lattice table of a long series): pandas
    formats each float through numpy. Columns of other types than float64, integer,
    bool and text, or a one-column table, go to pandas' writer.
    """
    ok = df.shape[1] > 1 and df.columns.is_unique
    fields = [_csv_fields(df[c]) for c in df.columns] if ok else [None]
    if any(f is None for f in fields):
        write_csv(df, path)
        return
    sep = os.linesep
    text = ",".join(_csv_quote(str(c)) for c in df.columns) + sep
    if len(df):
        text += sep.join(map(",".join, zip(*fields, strict=True))) + sep
    with atomic_write(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` as Parquet (pyarrow, no index) atomically.

    For tables passed between jobs: a 20,000-row table is written and read back in
    a fraction of the time CSV takes, with its column types kept.
    """
    with atomic_write(path, suffix=".parquet") as tmp:
        df.to_parquet(tmp, engine="pyarrow", index=False)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(data: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a mapping as pretty JSON atomically; NaN/inf become ``null``."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(data), indent=2, sort_keys=False) + "\n")


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write text atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text)


def fit_record(
    rows: Iterable[Mapping[str, Any]],
    stats: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Build a fit-record table.

    Parameters
    ----------
    rows : iterable of mappings
        Each with ``parameter``, ``value``, ``stderr``, ``unit`` and optionally
        ``refined`` (bool, default True) and ``note``.
    stats : mapping, optional
        Fit statistics (e.g. ``rwp``, ``gof``, ``n_points``); stored as rows
        with unit ``"stat"`` and NaN stderr.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FIT_RECORD_COLUMNS`.
    """
    out = []
    for r in rows:
        stderr = r.get("stderr", np.nan)
        stderr = np.nan if stderr is None else float(stderr)
        note = r.get("note", "")
        refined = bool(r.get("refined", True))
        if refined and not np.isfinite(stderr) and not note:
            note = "stderr could not be estimated"
        out.append(
            {
                "parameter": r["parameter"],
                "value": float(r["value"]),
                "stderr": stderr,
                "unit": r.get("unit", ""),
                "refined": refined,
                "note": note,
            }
        )
    for k, v in (stats or {}).items():
        out.append(
            {
                "parameter": k,
                "value": float(v),
                "stderr": np.nan,
                "unit": "stat",
                "refined": False,
                "note": "",
            }
        )
    import pandas as pd

    return pd.DataFrame(out, columns=FIT_RECORD_COLUMNS)


def reproduction_rows(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows for a technique's partial reproduction table.

    Each mapping has ``quantity``, ``value``, ``stderr`` (may be NaN) and
    ``unit``; the quantity names must be those of REFERENCE.md (checked when
    the tables are merged by :func:`intercal.reproduction.merge`).
    """
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=["quantity", "value", "stderr", "unit"])
    return df
