"""Helpers for rules/xas.smk: files, per-spectrum settings and figure choices from config.

Light on purpose (no larch, no lmfit): the Snakefile imports it at load time.
Every name that reaches a file name or a row name comes from the config (spectrum
ids, sample names, edge keys, figure names); nothing here knows an element.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping

from ..errors import InputError

#: settings a spectrum may override; the section-level value is the default
SPECTRUM_DEFAULTS = {
    "format": "ascii",
    "mode": "transmission",
    "columns": None,
    "energy_unit": "eV",
    "calibrate": True,
}

#: detector roles each mode needs (column ASCII)
MODE_ROLES = {
    "transmission": ("energy", "i0", "it"),
    "fluorescence": ("energy", "i0", "ifluor"),
    "reference": ("energy", "it", "iref"),
}


def spectrum_files(xas: Mapping, name: str) -> list[str]:
    """Raw scans of spectrum ``name`` (paths or glob patterns, relative to the study folder).

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


def resolved(xas: Mapping, name: str) -> dict:
    """Reader settings of one spectrum: its own value, else the section default."""
    entry = xas["spectra"][name]
    out = {}
    for key, default in SPECTRUM_DEFAULTS.items():
        out[key] = entry.get(key, xas.get(key, default))
    return out


def spectrum_settings(xas: Mapping, name: str) -> dict:
    """Keyword arguments of :func:`intercal.xas.pipeline.process_spectrum` for one spectrum."""
    entry = xas["spectra"][name]
    edge = xas["edges"].get(entry["edge"])
    if edge is None:
        raise InputError(
            f"config.yaml: xas.spectra.{name}.edge is {entry['edge']!r}, "
            f"not a key of xas.edges {sorted(xas['edges'])}"
        )
    r = resolved(xas, name)
    e0 = {**dict(xas.get("e0") or {}), **dict(entry.get("e0") or {})}
    merge = xas.get("merge", {})
    fit = dict(edge.get("fit", {}))
    if r["mode"] == "reference":
        fit = {"enabled": False}
    return {
        "name": name,
        "sample": entry["sample"],
        "element": entry["edge"],
        "fmt": r["format"],
        "columns": dict(r["columns"]) if r["columns"] is not None else None,
        "mode": r["mode"],
        "energy_unit": r["energy_unit"],
        "calibrate": bool(r["calibrate"]),
        "reference_e0": edge["reference_e0_eV"],
        "e0_window": entry.get(
            "e0_window_eV", None if r["mode"] == "reference" else edge.get("e0_window_eV")
        ),
        "e0_half_width_eV": e0.get("half_width_eV", 1.5),
        "e0_degree": e0.get("degree", 5),
        "ref_smooth_eV": e0.get("ref_smooth_eV", 0.0),
        "max_shift_eV": xas.get("max_shift_eV", 20.0),
        "merge_e0_tolerance_eV": merge.get("e0_tolerance_eV", 0.3),
        "merge_norm_tolerance": merge.get("norm_tolerance", 0.05),
        "normalization": dict(edge.get("normalization", {})),
        "fit": fit,
        "n_mc": int(xas.get("monte_carlo_draws", 200)),
    }


def edge_shifts(xas: Mapping) -> list[dict]:
    """The configured edge shifts as a list (``edge_shift`` may be one mapping or a list)."""
    sh = xas.get("edge_shift")
    if not sh:
        return []
    return [dict(sh)] if isinstance(sh, Mapping) else [dict(s) for s in sh]


def figures(xas: Mapping) -> dict[str, dict]:
    """Figure name -> {spectra, derivative, xlim_eV, file, title}.

    ``xas.figures`` entries are a list of spectrum ids or a mapping; without
    ``xas.figures`` there is one figure per edge, ``<edge>_xanes``, with every
    non-reference spectrum of that edge.
    """
    cfg = xas.get("figures")
    out: dict[str, dict] = {}
    if cfg:
        for name, f in cfg.items():
            f = {"spectra": list(f)} if isinstance(f, list | tuple) else dict(f)
            out[name] = {
                "spectra": list(f.get("spectra", [])),
                "derivative": bool(f.get("derivative", False)),
                "xlim_eV": f.get("xlim_eV"),
                "file": f.get("file", f"xas/{name}"),
                "title": f.get("title"),
            }
    else:
        for edge in xas["edges"]:
            ids = [
                s
                for s, e in xas["spectra"].items()
                if e["edge"] == edge and resolved(xas, s)["mode"] != "reference"
            ]
            if ids:
                out[f"{edge}_xanes"] = {
                    "spectra": ids,
                    "derivative": False,
                    "xlim_eV": None,
                    "file": f"xas/{edge}_xanes",
                    "title": f"{edge} edge",
                }
    return out


def samples(xas: Mapping) -> dict[str, list[str]]:
    """Sample name -> spectrum ids (all edges and modes), in config order."""
    out: dict[str, list[str]] = {}
    for sid, e in xas["spectra"].items():
        out.setdefault(e["sample"], []).append(sid)
    return out


def check_section(xas: Mapping) -> None:
    """Cross-checks the schema cannot express; each error names the config key.

    Raises
    ------
    InputError
        Unknown edge, LCF target/component, edge-shift sample or figure
        spectrum; two spectra with the same edge and sample (their rows would
        collide); column-ASCII spectra without the columns their mode needs.
    """
    spectra = xas["spectra"]
    seen: dict[tuple[str, str], str] = {}
    for sid, e in spectra.items():
        if e["edge"] not in xas["edges"]:
            raise InputError(
                f"config.yaml: xas.spectra.{sid}.edge is {e['edge']!r}, "
                f"not a key of xas.edges {sorted(xas['edges'])}"
            )
        key = (e["edge"], e["sample"])
        if key in seen:
            raise InputError(
                f"config.yaml: xas.spectra.{sid} and xas.spectra.{seen[key]} both have edge "
                f"{key[0]!r} and sample {key[1]!r}; their rows xas.{key[0]}.{key[1]}.* would "
                "collide (give each its own sample name)"
            )
        seen[key] = sid
        r = resolved(xas, sid)
        if r["format"] == "ascii":
            cols = r["columns"] or {}
            need = set(MODE_ROLES[r["mode"]])
            if r["calibrate"]:
                need |= {"it", "iref"}
            missing = sorted(need - set(cols))
            if missing:
                raise InputError(
                    f"config.yaml: xas.spectra.{sid} (mode {r['mode']}, format ascii"
                    f"{', calibrated by the reference channel' if r['calibrate'] else ''}) "
                    f"needs columns {missing} (set xas.columns or xas.spectra.{sid}.columns)"
                )
    for target, fit in (xas.get("lcf") or {}).items():
        for sid in [target, *fit["components"]]:
            if sid not in spectra:
                raise InputError(
                    f"config.yaml: xas.lcf.{target} names spectrum {sid!r}, not a key of "
                    f"xas.spectra {sorted(spectra)}"
                )
    by_edge_sample = set(seen)
    for i, sh in enumerate(edge_shifts(xas)):
        for side in ("high", "low"):
            if (sh["element"], sh[side]) not in by_edge_sample:
                raise InputError(
                    f"config.yaml: xas.edge_shift[{i}].{side} is {sh[side]!r} at edge "
                    f"{sh['element']!r}, but no spectrum has that edge and sample "
                    f"({sorted(by_edge_sample)})"
                )
    for name, f in figures(xas).items():
        for sid in f["spectra"]:
            if sid not in spectra:
                raise InputError(
                    f"config.yaml: xas.figures.{name} names spectrum {sid!r}, not a key of "
                    f"xas.spectra {sorted(spectra)}"
                )


def check_first_files(xas: Mapping, files: Mapping[str, list[str]]) -> None:
    """Read each spectrum's first file when the workflow loads, and check it against config.

    Column names (or the XDI tags), the energy unit, and the configured energies (the
    reference foil's tabulated E0 and the E0 window) against the scan's energy range are
    checked before any job runs, so a misspelt column or a wrong edge names its config key.

    Parameters
    ----------
    xas : mapping
        The ``xas`` config section.
    files : mapping
        Spectrum name -> its files (:func:`spectrum_files`).

    Raises
    ------
    InputError
        Naming the spectrum's config key, the file and what is wrong.
    """
    from ..io.xas import read_scan

    for name, paths in files.items():
        if not paths:
            continue
        s = spectrum_settings(xas, name)
        path = paths[0]
        try:
            scan = read_scan(path, s["fmt"], s["columns"], s["energy_unit"])
        except InputError as err:
            raise InputError(f"xas.spectra.{name} (columns, format, energy_unit): {err}") from None
        lo, hi = float(scan.energy.min()), float(scan.energy.max())
        span = f"{path} covers {lo:.1f}-{hi:.1f} eV"
        ref = float(s["reference_e0"])
        if s["calibrate"] and not lo <= ref <= hi:
            key = f"xas.edges.{xas['spectra'][name]['edge']}.reference_e0_eV"
            raise InputError(
                f"{key} = {ref:g} eV is outside the scan: {span} (wrong edge or energy unit?)"
            )
        window = s["e0_window"]
        if window is not None and (window[1] < lo or window[0] > hi):
            raise InputError(
                f"the E0 window {list(window)} eV of xas.spectra.{name} (or its edge's "
                f"e0_window_eV) is outside the scan: {span}"
            )
