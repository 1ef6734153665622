"""Reflection lists and cell constraints from the space group (pymatgen).

Systematic absences and multiplicities are derived from the space-group
operations that pymatgen provides (no hand-written tables): a reflection
``h`` is systematically absent when an operation ``(R, t)`` leaves it
invariant (``h R = h``) with a non-integer phase ``h . t``; its multiplicity is
the size of its orbit under the Laue group (the rotations and their negatives).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import InputError

#: refinable cell parameters per crystal system (hexagonal axes for trigonal groups)
CELL_PARAMS = {
    "cubic": ("a",),
    "hexagonal": ("a", "c"),
    "trigonal": ("a", "c"),
    "tetragonal": ("a", "c"),
    "orthorhombic": ("a", "b", "c"),
    "monoclinic": ("a", "b", "c", "beta"),
    "triclinic": ("a", "b", "c", "alpha", "beta", "gamma"),
}


@dataclass(frozen=True)
class SpaceGroupInfo:
    """Symmetry of one space group.

    Attributes
    ----------
    symbol : str
        Hermann-Mauguin symbol as given.
    number : int
        International Tables number.
    crystal_system : str
        pymatgen's crystal system name.
    rotations : ndarray, shape (m, 3, 3)
        Rotation parts of all operations (fractional coordinates).
    translations : ndarray, shape (m, 3)
        Translation parts (fractional), including centring translations.
    """

    symbol: str
    number: int
    crystal_system: str
    rotations: np.ndarray
    translations: np.ndarray

    @property
    def cell_params(self) -> tuple[str, ...]:
        """Names of the independent cell parameters (angstrom, deg)."""
        if self.crystal_system == "trigonal" and self.symbol.strip().upper().startswith("R"):
            # pymatgen uses the hexagonal setting of rhombohedral groups by default
            return ("a", "c")
        return CELL_PARAMS[self.crystal_system]


@lru_cache(maxsize=64)
def space_group(symbol: str) -> SpaceGroupInfo:
    """Look up a space group by its Hermann-Mauguin symbol (e.g. ``"P-3m1"``).

    Raises
    ------
    InputError
        If pymatgen does not know the symbol.
    """
    from pymatgen.symmetry.groups import SpaceGroup

    try:
        sg = SpaceGroup(symbol)
    except (ValueError, KeyError) as err:
        raise InputError(
            f"space group {symbol!r} is not a Hermann-Mauguin symbol pymatgen knows "
            f"(expected e.g. 'P-3m1', 'P6_3/mmc', 'Pm-3m'): {err}"
        ) from err
    ops = sorted(
        sg.symmetry_ops,
        key=lambda o: (tuple(np.round(o.rotation_matrix, 6).ravel()), tuple(o.translation_vector)),
    )
    rot = np.array([o.rotation_matrix for o in ops], dtype=float)
    tr = np.array([o.translation_vector for o in ops], dtype=float)
    return SpaceGroupInfo(symbol, int(sg.int_number), str(sg.crystal_system), rot, tr)


def full_cell(sg: SpaceGroupInfo, params: dict[str, float]) -> tuple[float, ...]:
    """Expand the independent cell parameters into (a, b, c, alpha, beta, gamma).

    Parameters
    ----------
    sg : SpaceGroupInfo
        The phase's space group.
    params : dict
        Independent parameters (``sg.cell_params``): lengths in angstrom, angles in deg.

    Returns
    -------
    tuple of float
        a, b, c (angstrom), alpha, beta, gamma (deg).
    """
    missing = [p for p in sg.cell_params if p not in params]
    if missing:
        raise InputError(
            f"cell of a {sg.crystal_system} phase ({sg.symbol}) needs {list(sg.cell_params)}; "
            f"missing {missing}"
        )
    a = params["a"]
    sysname = sg.cell_params
    if sysname == ("a",):
        return (a, a, a, 90.0, 90.0, 90.0)
    if sysname == ("a", "c"):
        gamma = 120.0 if sg.crystal_system in ("hexagonal", "trigonal") else 90.0
        return (a, a, params["c"], 90.0, 90.0, gamma)
    if sysname == ("a", "b", "c"):
        return (a, params["b"], params["c"], 90.0, 90.0, 90.0)
    if sysname == ("a", "b", "c", "beta"):
        return (a, params["b"], params["c"], 90.0, params["beta"], 90.0)
    return tuple(params[k] for k in ("a", "b", "c", "alpha", "beta", "gamma"))


def metric(cell: tuple[float, ...]) -> np.ndarray:
    """Direct-space metric tensor G (angstrom^2) of a cell (a, b, c, alpha, beta, gamma)."""
    a, b, c, al, be, ga = cell
    ca, cb, cg = np.cos(np.radians([al, be, ga]))
    return np.array(
        [
            [a * a, a * b * cg, a * c * cb],
            [a * b * cg, b * b, b * c * ca],
            [a * c * cb, b * c * ca, c * c],
        ]
    )


def volume(cell: tuple[float, ...]) -> float:
    """Cell volume (angstrom^3)."""
    return float(np.sqrt(np.linalg.det(metric(cell))))


def inv_d2(hkl: np.ndarray, cell: tuple[float, ...]) -> np.ndarray:
    """1/d^2 (angstrom^-2) of reflections ``hkl`` (n, 3) for a cell."""
    gstar = np.linalg.inv(metric(cell))
    return np.einsum("ni,ij,nj->n", hkl, gstar, hkl)


def reflections(sg: SpaceGroupInfo, cell: tuple[float, ...], d_min: float) -> pd.DataFrame:
    """All symmetry-independent, allowed reflections with d >= d_min.

    Parameters
    ----------
    sg : SpaceGroupInfo
        Space group (its operations give absences and multiplicities).
    cell : tuple
        a, b, c (angstrom), alpha, beta, gamma (deg).
    d_min : float
        Smallest d-spacing to list (angstrom).

    Returns
    -------
    DataFrame
        Columns h, k, l, d_A, multiplicity; sorted by decreasing d.
    """
    if not d_min > 0:
        raise InputError(f"d_min must be positive, got {d_min}")
    g = metric(cell)
    recip = np.linalg.inv(g)
    # h_i = a_i . Q, so |h_i| <= |a_i| / d
    hmax = [int(np.ceil(np.sqrt(g[i, i]) / d_min)) for i in range(3)]
    rng = [np.arange(-m, m + 1) for m in hmax]
    hkl = np.stack(np.meshgrid(*rng, indexing="ij"), -1).reshape(-1, 3)
    q = np.einsum("ni,ij,nj->n", hkl, recip, hkl)
    keep = (q > 0) & (q <= 1.0 / d_min**2 * (1 + 1e-12))
    hkl, q = hkl[keep], q[keep]
    rot = np.rint(sg.rotations).astype(int)
    # equivalents: h R (row vector times rotation); Laue group adds -h R
    eq = np.einsum("nj,mjk->mnk", hkl, rot)
    eq = np.concatenate([eq, -eq], axis=0)
    base = 2 * max(hmax) + 3
    off = max(hmax) + 1

    def key(v: np.ndarray) -> np.ndarray:
        return ((v[..., 0] + off) * base + (v[..., 1] + off)) * base + (v[..., 2] + off)

    # representative: most non-negative indices first, then the largest key
    def score(v: np.ndarray) -> np.ndarray:
        return np.count_nonzero(v >= 0, axis=-1) * base**3 + key(v)

    keys = key(eq)
    is_rep = score(hkl) == score(eq).max(axis=0)
    srt = np.sort(keys, axis=0)
    mult = 1 + np.count_nonzero(np.diff(srt, axis=0), axis=0)
    # systematic absences: h R == h with non-integer h.t
    same = np.all(np.einsum("nj,mjk->mnk", hkl, rot) == hkl[None], axis=-1)
    phase = hkl @ sg.translations.T  # (n, m)
    frac = np.abs(phase - np.rint(phase)) > 1e-6
    absent = np.any(same.T & frac, axis=1)
    sel = is_rep & ~absent
    out = pd.DataFrame(
        {
            "h": hkl[sel, 0],
            "k": hkl[sel, 1],
            "l": hkl[sel, 2],
            "d_A": 1.0 / np.sqrt(q[sel]),
            "multiplicity": mult[sel],
        }
    )
    return out.sort_values(
        ["d_A", "h", "k", "l"], ascending=[False, False, False, False], ignore_index=True
    )
