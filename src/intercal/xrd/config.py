"""Build Le Bail inputs (phases, settings) from the ``xrd:`` and ``materials:`` config sections."""

from __future__ import annotations

from ..errors import InputError
from .lebail import Phase, Settings

#: config key (instrument / fit section) -> Settings field, where the names differ
_RENAME = {"soller_half_acceptance_rad": "soller_rad"}


def phases_from_config(pattern: str, names: list[str], materials: dict) -> list[Phase]:
    """Phases of a pattern from the ``materials:`` section (space group, starting cell)."""
    out = []
    for n in names:
        if n not in materials:
            raise InputError(
                f"config.yaml: xrd.patterns.{pattern}.phases names {n!r}, which is not in "
                f"materials ({sorted(materials)})"
            )
        m = materials[n]
        out.append(Phase(n, m["space_group"], dict(m["cell"])))
    return out


def settings_from_config(xrd: dict, pattern: str) -> Settings:
    """Settings for one pattern: global ``xrd:`` values overridden by the pattern's own.

    Keys absent from the config keep the defaults of :class:`~intercal.xrd.lebail.Settings`.
    """
    pat = xrd["patterns"][pattern]
    kw = {}
    for section in ("radiation", "instrument", "fit"):
        merged = {**xrd.get(section, {}), **pat.get(section, {})}
        for k, v in merged.items():
            field = _RENAME.get(k, k)
            if field not in Settings.__dataclass_fields__:
                raise InputError(
                    f"config.yaml: xrd.{section}.{k} (pattern {pattern}) is not a Le Bail setting"
                )
            kw[field] = v
    for k in ("background_terms", "two_theta_range_deg"):
        v = pat.get(k, xrd.get(k))
        if v is not None:
            kw[k] = tuple(v) if k == "two_theta_range_deg" else v
    if "fixed" in kw:
        kw["fixed"] = tuple(kw["fixed"])
    kw["phase_profile"] = dict(pat.get("phase_profile", {}))
    return Settings(**kw)
