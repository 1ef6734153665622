"""Cells as data: a cell's files, active mass (config vs file header) and its cycling tables."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.echem import read_cycler
from . import capacity

log = logging.getLogger(__name__)


def config_mass_mg(cell: Mapping[str, Any]) -> float | None:
    """Active mass (mg) the config gives for a cell, or None.

    ``active_mass_mg`` directly, or ``electrode_mass_mg`` x ``active_fraction``.
    """
    if "active_mass_mg" in cell:
        return float(cell["active_mass_mg"])
    if "electrode_mass_mg" in cell:
        return float(cell["electrode_mass_mg"]) * float(cell.get("active_fraction", 1.0))
    return None


def active_mass(
    name: str,
    cell: Mapping[str, Any],
    header_masses: Sequence[float | None],
    *,
    tolerance_percent: float,
) -> tuple[float, str]:
    """Active mass (mg) of a cell, cross-checked between config and file headers.

    Parameters
    ----------
    name : str
        Cell name (for messages).
    cell : mapping
        The cell's config entry.
    header_masses : sequence
        "Mass of active material" of each of the cell's files (mg; None when
        the file declares none).
    tolerance_percent : float
        Largest relative difference (%) accepted between config and a header.

    Returns
    -------
    (float, str)
        Mass (mg) and its source: "config", "config (= header)" or "header".

    Raises
    ------
    InputError
        When config and a header disagree beyond the tolerance, headers disagree
        with each other, or neither gives a mass.
    """
    cfg = config_mass_mg(cell)
    heads = [float(m) for m in header_masses if m is not None and np.isfinite(m) and m > 0]
    if heads and (max(heads) - min(heads)) > tolerance_percent / 100.0 * min(heads):
        raise InputError(
            f"echem.cells.{name}: its files declare different active masses {heads} mg"
        )
    if cfg is not None:
        if cfg <= 0:
            raise InputError(f"echem.cells.{name}: active mass must be > 0 mg, found {cfg}")
        if heads:
            diff = 100.0 * abs(cfg - heads[0]) / heads[0]
            if diff > tolerance_percent:
                raise InputError(
                    f"echem.cells.{name}: config active mass {cfg:.4g} mg disagrees with the "
                    f"file header's 'Mass of active material' {heads[0]:.4g} mg by {diff:.1f} % "
                    f"(tolerance echem.mass_tolerance_percent = {tolerance_percent} %); fix one"
                )
            return cfg, "config (= header)"
        return cfg, "config"
    if heads:
        return heads[0], "header"
    raise InputError(
        f"echem.cells.{name}: no active mass: set active_mass_mg (or electrode_mass_mg and "
        "active_fraction), or use files whose header declares 'Mass of active material'"
    )


def read_cell(
    files: Sequence[str], csv: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Read and join a cell's files in the given (measurement) order.

    Time and cumulative charge continue from one file to the next.

    Returns
    -------
    (DataFrame, list of dict)
        The joined tidy table and each file's metadata.
    """
    if not files:
        raise InputError("a cell needs at least one file")
    parts, metas = [], []
    t0 = q0 = 0.0
    for f in files:
        table, meta = read_cycler(f, csv=csv)
        if table.empty:
            raise InputError(f"{f}: no data rows")
        table = table.copy()
        table["time_s"] = table["time_s"] - table["time_s"].iloc[0] + t0
        table["charge_mAh"] = table["charge_mAh"] - table["charge_mAh"].iloc[0] + q0
        t0 = float(table["time_s"].iloc[-1])
        q0 = float(table["charge_mAh"].iloc[-1])
        parts.append(table)
        metas.append(meta)
    return pd.concat(parts, ignore_index=True), metas


def cell_tables(
    name: str,
    cell: Mapping[str, Any],
    files: Sequence[str],
    *,
    csv: Mapping[str, Any] | None = None,
    mass_tolerance_percent: float = 1.0,
    completion_tol_V: float = 0.05,
    dqdv: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """All per-cell cycling tables.

    Returns
    -------
    dict
        ``cycles`` (:func:`capacity.cycle_table`), ``curves``, ``dqdv``,
        ``dqdv_peaks`` and ``info`` (one-row table: cell, active mass and its
        source, first half cycle, files, cycles, leading partial half cycle).
    """
    table, metas = read_cell(files, csv=csv)
    mass, source = active_mass(
        name,
        cell,
        [m.get("active_mass_mg") for m in metas],
        tolerance_percent=mass_tolerance_percent,
    )
    first = cell.get("first_half_cycle", "discharge")
    window = cell.get("voltage_window_V")
    cycles = capacity.cycle_table(
        table, mass, first=first, completion_tol_V=completion_tol_V, window_V=window
    )
    if (cycles["cycle"] == 0).any():
        other = "charge" if first == "discharge" else "discharge"
        q0 = float(cycles.loc[cycles["cycle"] == 0, f"{other}_mAh_g"].iloc[0])
        log.warning(
            "cell %s opens with a %s of %.4g mAh/g before its first %s: kept as cycle 0, "
            "in no ratio (check first_half_cycle if this is a full half cycle)",
            name,
            other,
            q0,
            first,
        )
    curves = capacity.curves(table, mass, first=first)
    dq_cfg = dict(dqdv or {})
    dq = capacity.dqdv_cycles(
        curves,
        step_V=float(dq_cfg.get("step_V", 0.005)),
        window=int(dq_cfg.get("window", 11)),
        polyorder=int(dq_cfg.get("polyorder", 3)),
    )
    peaks = capacity.dqdv_peaks(dq, min_prominence=float(dq_cfg.get("min_prominence", 0.1)))
    if dq_cfg.get("plateau_search_V"):
        cycles = plateau_columns(cycles, curves, dq_cfg)
    info = pd.DataFrame(
        [
            {
                "cell": name,
                "active_mass_mg": mass,
                "active_mass_source": source,
                "first_half_cycle": first,
                "area_cm2": cell.get("area_cm2", np.nan),
                "files": ";".join(str(f) for f in files),
                "n_cycles": int((cycles["cycle"] >= 1).sum()),
                "leading_partial_half_cycle": bool((cycles["cycle"] == 0).any()),
                "dqdv_step_V": float(dq_cfg.get("step_V", 0.005)),
                "dqdv_window_points": int(dq_cfg.get("window", 11)),
                "dqdv_polyorder": int(dq_cfg.get("polyorder", 3)),
            }
        ]
    )
    return {"cycles": cycles, "curves": curves, "dqdv": dq, "dqdv_peaks": peaks, "info": info}


def plateau_columns(
    cycles: pd.DataFrame, curves: pd.DataFrame, dq_cfg: Mapping[str, Any]
) -> pd.DataFrame:
    """Add the plateau/slope split of every discharge (minimum of dQ/dV in plateau_search_V).

    Columns ``inflection_V``, ``plateau_mAh_g``, ``slope_mAh_g``,
    ``plateau_fraction``; NaN for a discharge that does not cover the search range.
    """
    out = cycles.copy()
    cols = ["inflection_V", "plateau_mAh_g", "slope_mAh_g", "plateau_fraction"]
    vals = {c: [] for c in cols}
    for cyc in out["cycle"]:
        d = curves[(curves["cycle"] == cyc) & (curves["direction"] == "discharge")]
        try:
            r = capacity.plateau_split(
                d["capacity_mAh_g"].to_numpy(),
                d["voltage_V"].to_numpy(),
                v_range=tuple(dq_cfg["plateau_search_V"]),
                step_V=float(dq_cfg.get("step_V", 0.005)),
                window=int(dq_cfg.get("window", 11)),
                polyorder=int(dq_cfg.get("polyorder", 3)),
            )
        except InputError:
            r = dict.fromkeys(cols, np.nan)
        for c in cols:
            vals[c].append(r[c])
    for c in cols:
        out[c] = vals[c]
    return out
