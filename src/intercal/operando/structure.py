"""Crystal-structure helpers (pymatgen): intensity factors and simulated patterns.

Imported only by the jobs that need it (pymatgen is slow to import).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import InputError


def build_structure(material: Mapping, cell: Mapping | None = None):
    """pymatgen Structure of a config ``materials`` entry (optionally with another cell).

    Parameters
    ----------
    material : mapping
        ``formula, space_group, cell {a, c}, sites [{species, xyz, occupancy}]``.
    cell : mapping, optional
        ``{a, c}`` overriding the material's cell (angstrom).
    """
    from pymatgen.core import Lattice, Structure

    cell = dict(material["cell"], **(cell or {}))
    if "sites" not in material:
        raise InputError(f"materials.{material.get('formula')}: needs 'sites' to build a pattern")
    a = float(cell["a"])
    c = float(cell.get("c", a))
    lat = Lattice.hexagonal(a, c)
    species, coords = [], []
    for s in material["sites"]:
        occ = float(s.get("occupancy", 1.0))
        species.append({s["species"]: occ})
        coords.append(s["xyz"])
    try:
        return Structure.from_spacegroup(material["space_group"], lat, species, coords)
    except Exception as err:  # pymatgen raises ValueError/KeyError for bad groups or sites
        raise InputError(
            f"materials.{material.get('formula')}: cannot build the structure ({err})"
        ) from err


def simulated_pattern(structure, wavelength: str | float = "CuKa", tt_range=(10.0, 40.0)):
    """Stick pattern (2theta deg, intensity scaled to 100, hkl labels) from pymatgen."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    pat = XRDCalculator(wavelength=wavelength).get_pattern(structure, two_theta_range=tt_range)
    labels = [", ".join(str(tuple(h["hkl"])) for h in hk) for hk in pat.hkls]
    return np.asarray(pat.x), np.asarray(pat.y), labels


def intensity_factor(structure, hkl: tuple[int, int, int], wavelength: float = 1.540593) -> float:
    """Integrated intensity of ``hkl`` per unit amount (formula unit) of the phase.

    I_hkl per unit volume of phase = m |F|^2 LP / V_cell^2 (pymatgen, unscaled),
    so per formula unit it is that times V_cell / Z. The ratio of the measured
    intensity to this factor is proportional to the number of formula units.
    """
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    calc = XRDCalculator(wavelength=wavelength)
    pat = calc.get_pattern(structure, scaled=False, two_theta_range=(0, 120))
    target = tuple(int(v) for v in hkl)
    for _x, y, hk in zip(pat.x, pat.y, pat.hkls, strict=True):
        for h in hk:
            hh = tuple(int(v) for v in h["hkl"])
            # hexagonal 4-index (h k i l) -> (h k l)
            if len(hh) == 4:
                hh = (hh[0], hh[1], hh[3])
            if hh == target or (hh[0] == target[1] and hh[1] == target[0] and hh[2] == target[2]):
                v = structure.volume
                z = structure.composition.get_reduced_composition_and_factor()[1]
                return float(y) / v**2 * v / z
    raise InputError(f"reflection {hkl} not found in the pattern of {structure.formula}")
