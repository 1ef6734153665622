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


def _parse_op(op: str) -> tuple[np.ndarray, np.ndarray]:
    """Rotation and translation of a symmetry operation written as ``'x,1/2+y,-z'``."""
    from fractions import Fraction

    parts = op.replace(" ", "").lower().split(",")
    if len(parts) != 3:
        raise InputError(f"symmetry operation {op!r} is not three comma-separated terms")
    rot = np.zeros((3, 3))
    tr = np.zeros(3)
    for i, term in enumerate(parts):
        for tok in term.replace("-", "+-").split("+"):
            if not tok:
                continue
            sign = -1.0 if tok.startswith("-") else 1.0
            tok = tok.lstrip("-")
            if tok in ("x", "y", "z"):
                rot[i, "xyz".index(tok)] += sign
            elif tok and tok[-1] in "xyz" and tok[:-1].replace("/", "").replace(".", "").isdigit():
                rot[i, "xyz".index(tok[-1])] += sign * float(Fraction(tok[:-2] or "1"))
            else:
                try:
                    tr[i] += sign * float(Fraction(tok))
                except (ValueError, ZeroDivisionError) as err:
                    raise InputError(f"symmetry operation {op!r}: cannot read {tok!r}") from err
    return rot, tr % 1.0


def _crystal_system(rot: np.ndarray) -> str:
    """Crystal system from the rotation parts of the operations (orders of the proper parts)."""
    orders = set()
    n3 = 0
    n2_axes = set()
    for r in np.unique(np.rint(rot).astype(int), axis=0):
        pr = r * np.sign(np.linalg.det(r))
        t = int(round(np.trace(pr)))
        order = {3: 1, -1: 2, 0: 3, 1: 4, 2: 6}.get(t, 1)
        orders.add(order)
        if order == 3:
            n3 += 1
        if order == 2:
            w, v = np.linalg.eig(pr)
            ax = np.real(v[:, np.argmin(np.abs(w - 1))])
            ax = ax / ax[np.argmax(np.abs(ax))]
            n2_axes.add(tuple(np.round(ax, 6)))
    if n3 >= 8:
        return "cubic"
    if 6 in orders:
        return "hexagonal"
    if 3 in orders:
        return "trigonal"
    if 4 in orders:
        return "tetragonal"
    if len(n2_axes) >= 3:
        return "orthorhombic"
    if len(n2_axes) == 1:
        return "monoclinic"
    return "triclinic"


def space_group_from_ops(symbol: str, ops) -> SpaceGroupInfo:
    """Space group from explicit symmetry operations (e.g. a CIF's ``symop`` loop).

    For settings pymatgen does not know by symbol (``C 1``, ``A 2/a`` ...). A monoclinic
    group must have b unique (the cell parameters refined are a, b, c, beta).

    Raises
    ------
    InputError
        For an unreadable operation or a monoclinic group without b unique.
    """
    rt = [_parse_op(o) for o in ops]
    if not rt:
        raise InputError(f"space group {symbol!r}: no symmetry operations given")
    rot = np.array([r for r, _ in rt])
    tr = np.array([t for _, t in rt])
    system = _crystal_system(rot)
    if system == "monoclinic":
        twofold = [r for r in rot if int(round(np.trace(r * np.sign(np.linalg.det(r))))) == -1]
        r = twofold[0] * np.sign(np.linalg.det(twofold[0]))
        if not np.allclose(np.abs(np.diag(r)), 1) or r[1, 1] != 1:
            raise InputError(
                f"space group {symbol!r}: monoclinic with a unique axis other than b; "
                "transform the CIF to the b-unique setting"
            )
    return SpaceGroupInfo(symbol, 0, system, rot, tr)


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
