"""Athena project (.prj) export of calibrated, merged spectra, through larch.

Each spectrum becomes one Athena group labelled by its spectrum id, with the
calibrated energy, the merged mu(E), and the settled E0, edge step and
normalization ranges as Athena's ``bkg_*`` parameters, so Athena or Larix
opens it normalized exactly as the pipeline did.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..tables import atomic_path


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
    """
    from larch import Group
    from larch.io import AthenaProject

    if not spectra:
        raise InputError(f"{path}: no spectra to write into the Athena project")
    final, tmp = atomic_path(path, suffix=".prj")
    try:
        proj = AthenaProject(str(tmp))
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
            proj.add_group(grp)
        proj.save(str(tmp))
        os.replace(tmp, final)
    finally:
        if Path(tmp).exists():
            Path(tmp).unlink()
