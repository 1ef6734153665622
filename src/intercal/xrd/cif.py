"""Phases from CIF files (cell, space-group symbol and symmetry operations) and the refined
cell written back into the CIF's own text.

The symmetry operations are taken from the CIF (``_space_group_symop_operation_xyz`` or
``_symmetry_equiv_pos_as_xyz``) rather than looked up by symbol, so that non-standard
settings (``C 1``, a C-centred triclinic cell; ``A 2/a`` ...) keep their absences and cell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InputError
from .lebail import Phase

_CELL = {
    "a": "_cell_length_a",
    "b": "_cell_length_b",
    "c": "_cell_length_c",
    "alpha": "_cell_angle_alpha",
    "beta": "_cell_angle_beta",
    "gamma": "_cell_angle_gamma",
}
_SG_KEYS = ("_space_group_name_H-M_alt", "_symmetry_space_group_name_H-M")
_OPS_KEYS = ("_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz")


def _number(path, key, val) -> float:
    try:
        return float(re.sub(r"\(\d+\)$", "", str(val).strip()))
    except ValueError as err:
        raise InputError(f"{path}: {key} = {val!r} is not a number") from err


def read_cif_phase(path: str | os.PathLike, name: str) -> Phase:
    """A Le Bail phase (starting cell, space group, symmetry operations) from a CIF.

    Parameters
    ----------
    path : path-like
        The CIF (first data block).
    name : str
        Phase name used in parameter names and tables.

    Raises
    ------
    InputError
        Missing cell or space-group items, naming the file and the item.
    """
    from pymatgen.io.cif import CifFile

    path = Path(path)
    try:
        cf = CifFile.from_file(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read the CIF: {err}") from err
    if not cf.data:
        raise InputError(f"{path}: no data block")
    block = next(iter(cf.data.values())).data
    cell = {}
    for k, key in _CELL.items():
        if key not in block:
            raise InputError(f"{path}: CIF lacks {key} (phase {name})")
        cell[k] = _number(path, key, block[key])
    symbol = next((str(block[k]).strip() for k in _SG_KEYS if k in block), None)
    ops = next((block[k] for k in _OPS_KEYS if k in block), None)
    if isinstance(ops, str):
        ops = [ops]
    if symbol is None and not ops:
        raise InputError(
            f"{path}: CIF has neither a space-group symbol ({' or '.join(_SG_KEYS)}) nor "
            f"symmetry operations ({' or '.join(_OPS_KEYS)})"
        )
    return Phase(name, symbol or "P 1", cell, symops=tuple(ops) if ops else None)


def cif_with_cell(path: str | os.PathLike, cell: dict) -> str:
    """The CIF's text with the cell items replaced by the refined values (esd in brackets).

    Parameters
    ----------
    path : path-like
        The source CIF.
    cell : dict
        a, b, c, alpha, beta, gamma, volume and their ``*_esd`` (angstrom, deg, angstrom^3).
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    items = {**_CELL, "volume": "_cell_volume"}
    for k, key in items.items():
        v, e = cell[k], cell.get(f"{k}_esd", float("nan"))
        val = _with_esd(v, e)
        pat = re.compile(rf"^(\s*{re.escape(key)}\s+)\S+", re.MULTILINE)
        if pat.search(text):
            text = pat.sub(lambda m, val=val: m.group(1) + val, text, count=1)
        else:
            text = text.rstrip("\n") + f"\n{key} {val}\n"
    return text


def _with_esd(v: float, e: float) -> str:
    """``1.23456(7)`` style; plain value when the esd is zero or not finite."""
    import math

    if not (e > 0 and math.isfinite(e)):
        return f"{v:.6f}"
    digits = max(0, -int(math.floor(math.log10(e))) + 1)
    digits = min(digits, 8)
    err = round(e * 10**digits)
    return f"{v:.{digits}f}({err})"
