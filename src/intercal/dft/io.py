"""Readers for the DFT tables (CSV with ``#`` comment lines).

Tables
------
configurations
    ``config_id, n_li, n_formula_units, x, site, space_group, energy_per_fu_eV,
    a_angstrom, c_angstrom``: one relaxed supercell per row, composition
    ``Ion_(n_li) Host_(n_formula_units)``, ``x = n_li / n_formula_units``,
    ``site`` in {octahedral, tetrahedral}, energy in eV per host formula unit,
    lattice parameters in angstrom.
references
    ``name, formula, structure, energy_per_atom_eV``: elemental references
    (at least the working-ion metal).
NEB path
    ``image, reaction_coordinate_angstrom, energy_eV``: images in path order,
    end points included.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from intercal.errors import InputError

CONFIG_COLUMNS = {
    "config_id": "str",
    "n_li": "int",
    "n_formula_units": "int",
    "x": "float",
    "site": "str",
    "space_group": "str",
    "energy_per_fu_eV": "float",
    "a_angstrom": "float",
    "c_angstrom": "float",
}
REFERENCE_COLUMNS = {
    "name": "str",
    "formula": "str",
    "structure": "str",
    "energy_per_atom_eV": "float",
}
NEB_COLUMNS = {"image": "int", "reaction_coordinate_angstrom": "float", "energy_eV": "float"}
SITES = ("octahedral", "tetrahedral")


def _read(path: str | Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read a comment-headed CSV and check columns and types; InputError names file and column."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable CSV table ({err})") from err
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {missing}; found {list(df.columns)}, "
            f"expected {list(columns)}"
        )
    if df.empty:
        raise InputError(f"{path}: table has no rows")
    for col, kind in columns.items():
        if kind == "str":
            if df[col].isna().any():
                row = int(np.flatnonzero(df[col].isna())[0])
                raise InputError(f"{path}: column {col!r} is empty in data row {row + 1}")
            df[col] = df[col].astype(str).str.strip()
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: column {col!r}, data row {row + 1}: found {df[col].iloc[row]!r}, "
                "expected a finite number"
            )
        if kind == "int":
            if not np.all(values == np.round(values)):
                row = int(np.flatnonzero(values != np.round(values))[0])
                raise InputError(
                    f"{path}: column {col!r}, data row {row + 1}: found {values.iloc[row]!r}, "
                    "expected an integer"
                )
            values = values.astype(int)
        df[col] = values
    return df[list(columns)].copy()


def read_configurations(path: str | Path) -> pd.DataFrame:
    """Read the table of relaxed Li_xHost configurations.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV file (columns :data:`CONFIG_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        The table, typed; energies in eV per host formula unit, lengths in angstrom.

    Raises
    ------
    InputError
        Missing column, non-numeric value, unknown site, ``x`` inconsistent
        with ``n_li / n_formula_units``, duplicate ``config_id``, non-positive
        lattice parameter or supercell size.
    """
    df = _read(path, CONFIG_COLUMNS)
    if (df["n_formula_units"] < 1).any():
        row = int(np.flatnonzero(df["n_formula_units"] < 1)[0])
        raise InputError(
            f"{path}: column 'n_formula_units', data row {row + 1}: "
            f"found {df['n_formula_units'].iloc[row]}, expected >= 1"
        )
    if (df["n_li"] < 0).any():
        row = int(np.flatnonzero(df["n_li"] < 0)[0])
        raise InputError(
            f"{path}: column 'n_li', data row {row + 1}: found {df['n_li'].iloc[row]}, "
            "expected >= 0"
        )
    x_from_counts = df["n_li"] / df["n_formula_units"]
    off = np.abs(df["x"] - x_from_counts) > 5e-6
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{path}: column 'x', data row {row + 1}: found {df['x'].iloc[row]}, expected "
            f"n_li / n_formula_units = {x_from_counts.iloc[row]:.6f}"
        )
    df["x"] = x_from_counts  # exact ratio, not the rounded print
    bad_site = ~df["site"].isin(SITES)
    if bad_site.any():
        row = int(np.flatnonzero(bad_site)[0])
        raise InputError(
            f"{path}: column 'site', data row {row + 1}: found {df['site'].iloc[row]!r}, "
            f"expected one of {SITES}"
        )
    for col in ("a_angstrom", "c_angstrom"):
        if (df[col] <= 0).any():
            row = int(np.flatnonzero(df[col] <= 0)[0])
            raise InputError(
                f"{path}: column {col!r}, data row {row + 1}: found {df[col].iloc[row]}, "
                "expected a positive length"
            )
    dup = df["config_id"].duplicated()
    if dup.any():
        raise InputError(
            f"{path}: column 'config_id': duplicate id {df['config_id'][dup].iloc[0]!r}"
        )
    return df


def read_references(path: str | Path) -> pd.DataFrame:
    """Read the elemental reference energies (eV per atom).

    Raises
    ------
    InputError
        Missing column, non-numeric energy or duplicate formula.
    """
    df = _read(path, REFERENCE_COLUMNS)
    dup = df["formula"].duplicated()
    if dup.any():
        raise InputError(
            f"{path}: column 'formula': duplicate reference {df['formula'][dup].iloc[0]!r}"
        )
    return df


def reference_energy(refs: pd.DataFrame, formula: str, path: str | Path = "references") -> float:
    """Energy per atom (eV) of the reference whose ``formula`` is ``formula``."""
    hit = refs.loc[refs["formula"] == formula, "energy_per_atom_eV"]
    if hit.empty:
        raise InputError(
            f"{path}: no row with formula {formula!r} in column 'formula'; "
            f"found {sorted(refs['formula'])}"
        )
    return float(hit.iloc[0])


def read_neb(path: str | Path) -> pd.DataFrame:
    """Read one NEB energy path.

    Returns
    -------
    pandas.DataFrame
        ``image, reaction_coordinate_angstrom, energy_eV`` in path order.

    Raises
    ------
    InputError
        Missing column, fewer than 3 images, images not numbered 0..n-1, or a
        reaction coordinate that does not increase strictly.
    """
    df = _read(path, NEB_COLUMNS)
    if len(df) < 3:
        raise InputError(f"{path}: {len(df)} image(s); expected at least 3 (two end points)")
    if not np.array_equal(df["image"].to_numpy(), np.arange(len(df))):
        raise InputError(
            f"{path}: column 'image': found {df['image'].tolist()}, expected 0..{len(df) - 1}"
        )
    step = np.diff(df["reaction_coordinate_angstrom"].to_numpy())
    if np.any(step <= 0):
        row = int(np.flatnonzero(step <= 0)[0]) + 1
        raise InputError(
            f"{path}: column 'reaction_coordinate_angstrom', data row {row + 1}: "
            "expected strictly increasing values along the path"
        )
    return df
