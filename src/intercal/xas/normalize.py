"""Normalization with larch's ``pre_edge``, recording the settings it settled on."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def normalize(
    energy: np.ndarray,
    mu: np.ndarray,
    *,
    e0: float | None = None,
    pre1: float | None = None,
    pre2: float | None = None,
    norm1: float | None = None,
    norm2: float | None = None,
    nnorm: int | None = None,
    nvict: int = 0,
) -> dict:
    """Pre-edge subtraction and normalization (larch ``pre_edge``).

    Parameters
    ----------
    energy, mu : ndarray
        Calibrated energy (eV) and absorption.
    e0 : float, optional
        Edge energy (eV); larch finds it when None.
    pre1, pre2, norm1, norm2 : float, optional
        Pre-edge and normalization ranges relative to E0 (eV); larch defaults
        when None.
    nnorm : int, optional
        Degree of the post-edge polynomial (larch default when None).
    nvict : int
        Victoreen exponent of the pre-edge line (mu * E^nvict is fitted).

    Returns
    -------
    dict
        ``norm``, ``flat``, ``derivative`` (d norm / dE, 1/eV), ``pre_edge``,
        ``post_edge`` arrays and the settled ``e0``, ``edge_step``, ``pre1``,
        ``pre2``, ``norm1``, ``norm2``, ``nnorm``, ``nvict``.
    """
    from larch import Group
    from larch.xafs import pre_edge

    g = Group()
    try:
        pre_edge(
            energy,
            mu,
            group=g,
            e0=e0,
            pre1=pre1,
            pre2=pre2,
            norm1=norm1,
            norm2=norm2,
            nnorm=nnorm,
            nvict=nvict,
        )
    except Exception as err:  # larch raises bare exceptions for impossible ranges
        raise InputError(
            f"normalization failed with ranges {pre1, pre2, norm1, norm2}: {err}"
        ) from err
    det = g.pre_edge_details
    if not np.isfinite(g.edge_step) or g.edge_step <= 0:
        raise InputError(f"normalization gave a non-positive edge step {g.edge_step}")
    return {
        "norm": np.asarray(g.norm, float),
        "flat": np.asarray(g.flat, float),
        "derivative": np.gradient(np.asarray(g.norm, float), energy),
        "pre_edge": np.asarray(g.pre_edge, float),
        "post_edge": np.asarray(g.post_edge, float),
        "e0": float(g.e0),
        "edge_step": float(g.edge_step),
        "pre1": float(det.pre1),
        "pre2": float(det.pre2),
        "norm1": float(det.norm1),
        "norm2": float(det.norm2),
        "nnorm": int(det.nnorm),
        "nvict": int(det.nvict),
    }
