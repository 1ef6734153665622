"""Build Le Bail inputs (phases, settings) from the ``xrd:`` and ``materials:`` config sections.

Precedence of the instrument values of a pattern (later wins): :class:`Settings` defaults,
the global ``radiation``/``instrument``/``fit`` sections, the instrument file
(``instrument_file``: GSAS-II ``.instprm`` or GSAS ``.prm``; the pattern's, else the global
one), the pattern's own ``radiation``/``instrument``/``fit``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .lebail import Phase, Settings

#: config key (instrument / fit section) -> Settings field, where the names differ
_RENAME = {"soller_half_acceptance_rad": "soller_rad"}


def phases_from_config(
    pattern: str,
    names: list[str],
    materials: dict,
    cif_files: dict | None = None,
    base: str | Path = ".",
) -> list[Phase]:
    """Phases of a pattern: from a CIF (``xrd.cif_phases``) or the ``materials:`` section.

    Parameters
    ----------
    pattern : str
        Pattern name (messages).
    names : list of str
        Phase names, main phase first.
    materials : dict
        The ``materials:`` section (space group, starting cell).
    cif_files : dict, optional
        Phase name -> CIF path (relative to ``base``); wins over ``materials``.
    base : path-like
        Folder the CIF paths are relative to (the study folder).
    """
    from .cif import read_cif_phase

    cif_files = cif_files or {}
    out = []
    for n in names:
        if n in cif_files:
            out.append(read_cif_phase(Path(base) / cif_files[n], n))
            continue
        if n not in materials:
            raise InputError(
                f"config.yaml: xrd.patterns.{pattern}.phases names {n!r}, which is neither in "
                f"materials ({sorted(materials)}) nor in xrd.cif_phases ({sorted(cif_files)})"
            )
        m = materials[n]
        out.append(Phase(n, m["space_group"], dict(m["cell"])))
    return out


def _read_instrument(path: Path) -> dict:
    if path.suffix.lower() == ".instprm":
        from .gsas2 import read_instprm

        return read_instprm(path)
    from ..io.xrd import read_gsas_prm

    prm = read_gsas_prm(path)
    keys = ("wavelength1_A", "wavelength2_A", "ratio", "zero_deg", "U", "V", "W", "X", "Y")
    out = {k: prm[k] for k in keys if k in prm}
    if "SHL" in prm:
        out["SHL"] = prm["SHL"]
    return out


def instrument_file(xrd: dict, pattern: str) -> str | None:
    """The instrument file of a pattern (its own, else the global one), or None."""
    return xrd["patterns"][pattern].get("instrument_file", xrd.get("instrument_file"))


def settings_from_config(xrd: dict, pattern: str, base: str | Path = ".") -> Settings:
    """Settings for one pattern (see the module docstring for the precedence).

    Keys absent from the config keep the defaults of :class:`~intercal.xrd.lebail.Settings`.
    """
    pat = xrd["patterns"][pattern]
    kw = {}

    def put(section, values, where):
        for k, v in values.items():
            field = _RENAME.get(k, k)
            if field not in Settings.__dataclass_fields__:
                raise InputError(
                    f"config.yaml: {where}.{section}.{k} (pattern {pattern}) is not a Le Bail "
                    "setting"
                )
            kw[field] = v

    for section in ("radiation", "instrument", "fit"):
        put(section, xrd.get(section, {}) or {}, "xrd")
    inst = instrument_file(xrd, pattern)
    if inst is not None:
        kw.update(_read_instrument(Path(base) / inst))
        kw.setdefault("instrument_fixed", True)
    for section in ("radiation", "instrument", "fit"):
        put(section, pat.get(section, {}) or {}, f"xrd.patterns.{pattern}")
    for k in ("background_terms", "two_theta_range_deg"):
        v = pat.get(k, xrd.get(k))
        if v is not None:
            kw[k] = tuple(v) if k == "two_theta_range_deg" else v
    for k in ("fixed", "refine"):
        if k in kw:
            kw[k] = tuple(kw[k])
    if "stages" in kw:
        kw["stages"] = tuple(tuple(st) for st in kw["stages"])
    kw["exclude_deg"] = tuple(tuple(r) for r in pat.get("exclude_deg", xrd.get("exclude_deg", [])))
    kw["phase_profile"] = dict(pat.get("phase_profile", {}))
    kw["sample"] = {ph: dict(v) for ph, v in (pat.get("sample") or {}).items()}
    return Settings(**kw)
