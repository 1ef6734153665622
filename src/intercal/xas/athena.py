"""Athena project (.prj) export of calibrated, merged spectra, through larch.

Each spectrum becomes one Athena group labelled by its spectrum id, with the
calibrated energy, the merged mu(E), and the settled E0, edge step and
normalization ranges as Athena's ``bkg_*`` parameters, so Athena or Larix
opens it normalized exactly as the pipeline did.

The file is byte-reproducible: larch's random five-letter group keys are
replaced by keys derived from the labels, its "created at" timestamp line by
a fixed date (``SOURCE_DATE_EPOCH`` if set, else 1970-01-01), and the gzip
header carries no file name and modification time 0. So a rerun on the same
inputs in the same environment writes the same bytes (the header still names
the larch and Python versions and the platform, as larch writes them).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..tables import atomic_write


def _hashkey(label: str, taken: set[str]) -> str:
    """Five lower-case letters derived from ``label`` (Athena's group-key format), unique."""
    salt = 0
    while True:
        digest = hashlib.sha256(f"{label}\0{salt}".encode()).digest()
        key = "".join(chr(97 + b % 26) for b in digest[:5])
        if key not in taken:
            return key
        salt += 1


def _fixed_date() -> str:
    """ISO date of the project header: ``SOURCE_DATE_EPOCH`` (UTC) if set, else 1970-01-01."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def write_athena(path: str | os.PathLike, spectra: Sequence[Mapping]) -> None:
    """Write spectra as an Athena project (gzipped, atomically).

    Parameters
    ----------
    path : path-like
        Output ``.prj`` file.
    spectra : sequence of mapping
        Each with ``label`` (str), ``energy`` (eV, calibrated), ``mu``, ``e0``
        (eV), ``edge_step`` and ``normalization`` (pre1, pre2, norm1, norm2,
        nnorm, nvict; eV relative to E0).

    Raises
    ------
    InputError
        No spectra, or arrays of different lengths.

    Notes
    -----
    Two calls with the same spectra write identical bytes (see the module
    docstring); larch's ``read_athena`` reads the file back.
    """
    from larch import Group
    from larch.io import AthenaProject

    if not spectra:
        raise InputError(f"{path}: no spectra to write into the Athena project")
    with atomic_write(path, suffix=".prj") as tmp:
        proj = AthenaProject(str(tmp))
        keys: set[str] = set()
        for sp in spectra:
            e = np.asarray(sp["energy"], float)
            mu = np.asarray(sp["mu"], float)
            if e.shape != mu.shape:
                raise InputError(
                    f"{path}: spectrum {sp['label']!r} has {e.size} energies and "
                    f"{mu.size} mu values"
                )
            nrm = dict(sp["normalization"])
            details = Group(**{k: nrm[k] for k in ("pre1", "pre2", "norm1", "norm2", "nnorm")})
            details.nvict = nrm.get("nvict", 0)
            grp = Group(
                __name__=str(sp["label"]),
                energy=e,
                mu=mu,
                e0=float(sp["e0"]),
                edge_step=float(sp["edge_step"]),
                filename=str(sp["label"]),
                pre_edge_details=details,
            )
            grp.id = _hashkey(str(sp["label"]), keys)
            keys.add(grp.id)
            proj.add_group(grp)
        proj.save(str(tmp))
        # larch stamps the gzip header and a header line with the time: rewrite both
        text = gzip.decompress(Path(tmp).read_bytes())
        text = re.sub(
            rb"^# This file created at .*$",
            f"# This file created at {_fixed_date()}".encode(),
            text,
            count=1,
            flags=re.MULTILINE,
        )
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        ):
            gz.write(text)
