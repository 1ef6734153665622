"""Load-time checks of the ``operando`` config (no numpy/scipy: runs while Snakemake parses).

- :func:`check_reflections`: a tracked reflection whose position at a configured
  cell lies inside a masked 2theta range (hardware lines, the internal standard)
  would be fitted on a hole; it is an error naming the phase, the reflection and
  the range. Where the cell moves into a masked range during the series the
  tracker flags it at run time (``masked:<phase>(hkl)`` in the ``qc`` column).
- :func:`x_unit`: the unit of x, built from the config (``<ion> per <host formula>``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..errors import InputError


def _two_theta(a: float, c: float, hkl: Sequence[int], lam: float) -> float:
    h, k, l = (int(v) for v in hkl)
    s = lam * math.sqrt(4.0 / (3.0 * a * a) * (h * h + h * k + k * k) + l * l / (c * c)) / 2.0
    return 2.0 * math.degrees(math.asin(s)) if s < 1 else math.nan


def check_reflections(cfg: Mapping, margin_deg: float = 0.05) -> None:
    """Refuse tracked reflections that sit inside a masked range at a configured cell.

    Parameters
    ----------
    cfg : mapping
        The ``operando`` section (``phases``, ``reflections``, ``hardware_peaks_deg``,
        ``radiation``).
    margin_deg : float
        Distance (deg) from a masked range that still counts as inside.

    Raises
    ------
    InputError
        Naming the phase, the reflection, its 2theta and the masked range.
    """
    refl = dict(cfg.get("reflections", {}))
    lam = float(dict(cfg.get("radiation", {})).get("wavelengths_A", [1.540593])[0])
    roles = [("c", refl.get("c", [0, 0, 1])), ("a", refl.get("a", [1, 0, 1]))]
    if refl.get("c_value"):
        roles.append(("c_value", refl["c_value"]))
    if refl.get("fraction"):
        roles.append(("fraction", refl["fraction"]))
    masks = [(float(r[0]), float(r[1])) for r in cfg.get("hardware_peaks_deg", [])]
    for ph in cfg.get("phases", []):
        for role, hkl in roles:
            tt = _two_theta(float(ph["a"]), float(ph["c"]), hkl, lam)
            for lo, hi in masks:
                if math.isfinite(tt) and lo - margin_deg <= tt <= hi + margin_deg:
                    raise InputError(
                        f"operando.reflections.{role} = {list(hkl)}: reflection of phase "
                        f"{ph['name']} at {tt:.2f} deg (cell a = {ph['a']}, c = {ph['c']}) lies in "
                        f"the masked range operando.hardware_peaks_deg [{lo}, {hi}]; choose "
                        "another reflection (or remove it from reflections.c_value)"
                    )


def x_unit(cell: Mapping) -> str:
    """Unit of x: ``'<ion> per <host_formula>'`` from ``operando.cell``."""
    return f"{cell.get('ion') or 'ions'} per {cell['host_formula']}"
