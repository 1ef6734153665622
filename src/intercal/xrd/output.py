"""Tables and CIF written from a :class:`~intercal.xrd.lebail.LeBailResult`."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..tables import FIT_RECORD_COLUMNS


def _flags_of(flags: list[str], name: str) -> str:
    return ";".join(f for f in flags if f.split(":", 1)[-1] == name)


def fit_record_table(result) -> pd.DataFrame:
    """Fit record: every parameter (value, stderr, unit, refined, scaled_by_gof, note, qc),
    derived cell quantities of every phase, then the statistics (unit ``stat``).

    ``qc`` holds the parameter's QC flags (``at_bound:``, ``collapsed:``, ``esd_nan:``), the
    ``qc`` statistics row all of them.
    """
    flags = [f for f in str(result.stats.get("qc", "")).split(";") if f]
    rows = []
    for r in result.params.itertuples(index=False):
        note = ""
        if r.refined and not np.isfinite(r.stderr):
            note = "stderr not estimable (parameter in a null space of the normal matrix)"
        rows.append({**r._asdict(), "note": note, "qc": _flags_of(flags, r.parameter)})
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
                "qc": ";".join(flags) if k == "qc" else "",
            }
        )
    cols = [*FIT_RECORD_COLUMNS[:5], "scaled_by_gof", "note", "qc"]
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


def main_phase_cif(result, phase: str, materials: dict, cif_files: dict, base=".") -> str:
    """CIF text of ``phase`` with the refined cell: its own CIF with the cell replaced when
    it came from one (``xrd.cif_phases``), else written from the materials sites."""
    from pathlib import Path

    from .cif import cif_with_cell

    if phase in (cif_files or {}):
        return cif_with_cell(Path(base) / cif_files[phase], result.cells[phase])
    return refined_cif(result, phase, materials)


def reproduction_part(summaries: list[dict], report: list[tuple[str, str]]) -> pd.DataFrame:
    """The ``lebail.<phase>.a/c`` rows (quantity, value, stderr, unit, qc).

    Parameters
    ----------
    summaries : list of dict
        The per-pattern ``summary.json`` contents (``stats``, ``cells``).
    report : list of (pattern, phase)
        The phase reported for each pattern (config ``report_phase``).

    Returns
    -------
    DataFrame
        Rows ``lebail.<phase>.a`` and ``.c`` when one pattern reports that phase;
        ``lebail.<pattern>.<phase>.a`` / ``.c`` for each pattern when several report the
        same phase (a series of samples of one phase). ``qc``: the pattern's QC flags
        that concern the reported phase or no phase (instrument, zero, displacement),
        semicolon separated; empty when clean.
    """
    rows = []
    n_reports = Counter(phase for _pattern, phase in report)
    for summ, (pattern, phase) in zip(summaries, report, strict=True):
        name = phase if n_reports[phase] == 1 else f"{pattern}.{phase}"
        flags = [f for f in str(summ["stats"].get("qc", "")).split(";") if f]
        others = tuple(f"{c}." for c in summ["cells"] if c != phase)
        mine = [f for f in flags if not f.split(":", 1)[-1].startswith(others)]
        cell = summ["cells"][phase]
        for k in ("a", "c"):
            rows.append(
                {
                    "quantity": f"lebail.{name}.{k}",
                    "value": cell[k],
                    "stderr": cell[f"{k}_esd"],
                    "unit": "angstrom",
                    "qc": ";".join(mine),
                }
            )
    return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "unit", "qc"])


def write_gsas2_export(result, folder, materials: dict, cif_files: dict, base=".") -> list[str]:
    """Write the GSAS-II continuation of a Le Bail fit into ``folder``.

    Files: ``<pattern>.xye`` (the fitted points), ``<pattern>.instprm`` (refined instrument
    terms), ``<phase>.cif`` per phase (refined cell; from the phase's CIF or its materials
    sites), ``<pattern>_gsas2.py`` (GSASIIscriptable script). Phases with neither a CIF nor
    sites are left out of the script (named in a comment there).

    Returns
    -------
    list of str
        The phases written as CIF.
    """
    from pathlib import Path

    from ..tables import write_text
    from .cif import cif_with_cell
    from .gsas2 import gsas2_script, instprm_text, xye_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = result.name
    write_text(xye_text(result), folder / f"{name}.xye")
    write_text(instprm_text(result), folder / f"{name}.instprm")
    cifs = {}
    for ph in result.phases:
        if ph.name in (cif_files or {}):
            text = cif_with_cell(Path(base) / cif_files[ph.name], result.cells[ph.name])
        elif (materials or {}).get(ph.name, {}).get("sites"):
            text = refined_cif(result, ph.name, materials)
        else:
            continue
        write_text(text, folder / f"{ph.name}.cif")
        cifs[ph.name] = f"{ph.name}.cif"
    script = gsas2_script(result, f"{name}.xye", f"{name}.instprm", cifs)
    write_text(script, folder / f"{name}_gsas2.py")
    return list(cifs)
