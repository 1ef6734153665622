"""Barrier of a nudged-elastic-band (NEB) energy path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from intercal.errors import InputError


def barrier(path: pd.DataFrame, source: str = "NEB path") -> dict:
    """Migration barrier of one NEB path: highest image minus the initial image.

    With a climbing-image NEB the highest image sits on the saddle point, so
    no interpolation is applied (a spline could overshoot between images).

    Parameters
    ----------
    path : pandas.DataFrame
        From :func:`intercal.dft.io.read_neb` (``energy_eV`` in path order).
    source : str
        Name of the input (for error messages).

    Returns
    -------
    dict
        ``barrier_eV`` (max - initial), ``reverse_barrier_eV`` (max - final),
        ``reaction_energy_eV`` (final - initial), ``saddle_image``,
        ``saddle_coordinate_angstrom``, ``n_images`` and ``saddle_interior``
        (False when the maximum is an end point, i.e. no saddle was found).
    """
    if "energy_eV" not in path or len(path) < 3:
        raise InputError(f"{source}: expected a path with column 'energy_eV' and >= 3 images")
    e = path["energy_eV"].to_numpy(dtype=float)
    k = int(np.argmax(e))
    return {
        "barrier_eV": float(e[k] - e[0]),
        "reverse_barrier_eV": float(e[k] - e[-1]),
        "reaction_energy_eV": float(e[-1] - e[0]),
        "saddle_image": int(path["image"].iloc[k]) if "image" in path else k,
        "saddle_coordinate_angstrom": float(path["reaction_coordinate_angstrom"].iloc[k]),
        "n_images": len(e),
        "saddle_interior": bool(0 < k < len(e) - 1),
    }


def relative_path(path: pd.DataFrame, label: str, x: float) -> pd.DataFrame:
    """The path with energies relative to the initial image (for plotting).

    Returns
    -------
    pandas.DataFrame
        ``label, x, image, reaction_coordinate_angstrom, energy_rel_eV``.
    """
    e = path["energy_eV"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "label": label,
            "x": float(x),
            "image": path["image"].to_numpy(),
            "reaction_coordinate_angstrom": path["reaction_coordinate_angstrom"].to_numpy(),
            "energy_rel_eV": e - e[0],
        }
    )
