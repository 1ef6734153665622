"""Helpers for rules/xas.smk: file lists and per-spectrum settings from the ``xas`` config section.

Light on purpose (no larch, no lmfit): the Snakefile imports it at load time.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping

from ..errors import InputError


def spectrum_files(xas: Mapping, name: str) -> list[str]:
    """Raw scans of spectrum ``name`` (paths or glob patterns, relative to the workflow).

    Raises
    ------
    InputError
        Naming the config key when a pattern matches nothing.
    """
    spec = xas["spectra"][name]["files"]
    patterns = [spec] if isinstance(spec, str) else list(spec)
    files: list[str] = []
    for pat in patterns:
        hits = sorted(glob.glob(pat))
        if not hits:
            raise InputError(
                f"config.yaml: xas.spectra.{name}.files names {pat!r}, which matches no file "
                f"(working directory {os.getcwd()})"
            )
        files.extend(hits)
    return files


def spectrum_settings(xas: Mapping, name: str) -> dict:
    """Keyword arguments of :func:`intercal.xas.pipeline.process_spectrum` for one spectrum."""
    entry = xas["spectra"][name]
    edge = xas["edges"].get(entry["edge"])
    if edge is None:
        raise InputError(
            f"config.yaml: xas.spectra.{name}.edge is {entry['edge']!r}, "
            f"not a key of xas.edges {sorted(xas['edges'])}"
        )
    e0 = xas.get("e0", {})
    merge = xas.get("merge", {})
    return {
        "name": name,
        "sample": entry["sample"],
        "element": entry["edge"],
        "fmt": xas["format"],
        "columns": dict(xas["columns"]),
        "mode": xas["mode"],
        "reference_e0": edge["reference_e0_eV"],
        "e0_window": edge.get("e0_window_eV"),
        "e0_half_width_eV": e0.get("half_width_eV", 1.5),
        "e0_degree": e0.get("degree", 5),
        "ref_smooth_eV": e0.get("ref_smooth_eV", 0.0),
        "max_shift_eV": xas.get("max_shift_eV", 20.0),
        "merge_e0_tolerance_eV": merge.get("e0_tolerance_eV", 0.3),
        "merge_norm_tolerance": merge.get("norm_tolerance", 0.05),
        "normalization": dict(edge.get("normalization", {})),
        "fit": dict(edge.get("fit", {})),
    }
