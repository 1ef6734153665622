"""Tables and CIF written from a :class:`~intercal.xrd.lebail.LeBailResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables import FIT_RECORD_COLUMNS


def fit_record_table(result) -> pd.DataFrame:
    """Fit record: every parameter (value, stderr, unit, refined, scaled_by_gof, note),
    derived cell quantities of every phase, then the statistics (unit ``stat``)."""
    rows = []
    for r in result.params.itertuples(index=False):
        note = ""
        if r.refined and not np.isfinite(r.stderr):
            note = "stderr not estimable (parameter in a null space of the normal matrix)"
        rows.append({**r._asdict(), "note": note})
    for ph, cell in result.cells.items():
        for k in ("b", "alpha", "beta", "gamma", "volume"):
            rows.append(
                {
                    "parameter": f"{ph}.{k}",
                    "value": cell[k],
                    "stderr": cell[f"{k}_esd"],
                    "unit": {"volume": "angstrom^3", "b": "angstrom"}.get(k, "deg"),
                    "refined": False,
                    "scaled_by_gof": bool(result.stats["esd_scaled_by_gof"]),
                    "note": "derived (constrained by the space group or propagated)",
                }
            )
    for k, v in result.stats.items():
        text = isinstance(v, str)
        rows.append(
            {
                "parameter": k,
                "value": np.nan if text else float(v),
                "stderr": np.nan,
                "unit": "stat",
                "refined": False,
                "scaled_by_gof": False,
                "note": v if text else "",
            }
        )
    cols = [*FIT_RECORD_COLUMNS[:5], "scaled_by_gof", "note"]
    return pd.DataFrame(rows, columns=cols)


def refined_cif(result, phase: str, materials: dict | None = None) -> str:
    """CIF text (pymatgen CifWriter) of a phase with the refined cell.

    Atom sites come from ``materials[phase]["sites"]`` (config.yaml); without them the
    CIF holds the cell and space group with a placeholder-free empty structure is not
    possible, so a ValueError is raised.
    """
    from pymatgen.core import Lattice, Structure
    from pymatgen.io.cif import CifWriter

    cell = result.cells[phase]
    mat = (materials or {}).get(phase)
    if not mat or not mat.get("sites"):
        raise ValueError(f"phase {phase}: no sites in the materials section; cannot write a CIF")
    lat = Lattice.from_parameters(
        cell["a"], cell["b"], cell["c"], cell["alpha"], cell["beta"], cell["gamma"]
    )
    species = [s["species"] for s in mat["sites"]]
    coords = [s["xyz"] for s in mat["sites"]]
    st = Structure.from_spacegroup(cell["space_group"], lat, species, coords)
    return str(CifWriter(st, symprec=None))
