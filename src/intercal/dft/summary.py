"""Headline numbers of the DFT part for the study's results table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import InputError

#: calculated numbers carry no statistical esd: NaN, said by this flag
NO_ESD = "no_esd:calculated"


def headline_rows(
    summary: Mapping[str, Any], barriers: pd.DataFrame | None, host: str
) -> pd.DataFrame:
    """Rows ``quantity, value, stderr, unit, qc`` from the voltage summary and NEB barriers.

    Parameters
    ----------
    summary : mapping
        The voltage summary (:func:`intercal.dft.thermo.voltage_profile`):
        ``average_voltage_V``, ``min_voltage_V``, ``max_voltage_V``,
        ``theoretical_capacity_mAh_g``, ``stable_x``.
    barriers : DataFrame or None
        The NEB barrier table (``x``, ``barrier_eV``, ``saddle_interior``), or
        None when the study has no NEB paths.
    host : str
        Host formula from the config, used in the row names.

    Returns
    -------
    DataFrame
        ``dft.<host>.{average_voltage, min_voltage, max_voltage,
        theoretical_capacity, stable_configurations}`` and
        ``dft.<host>.neb_barrier.x<x>`` per path. Calculated numbers have no
        esd: stderr is NaN and qc says ``no_esd:calculated``; a barrier whose
        saddle is an end image (not an interior maximum) is also flagged
        ``saddle_at_end``.

    Raises
    ------
    InputError
        If the summary lacks a key.
    """
    need = ["average_voltage_V", "min_voltage_V", "max_voltage_V", "theoretical_capacity_mAh_g"]
    missing = [k for k in [*need, "stable_x"] if k not in summary]
    if missing:
        raise InputError(f"DFT voltage summary lacks {missing}")
    p = f"dft.{host}"
    rows = [
        (f"{p}.average_voltage", summary["average_voltage_V"], "V"),
        (f"{p}.min_voltage", summary["min_voltage_V"], "V"),
        (f"{p}.max_voltage", summary["max_voltage_V"], "V"),
        (f"{p}.theoretical_capacity", summary["theoretical_capacity_mAh_g"], "mAh/g"),
        (f"{p}.stable_configurations", len(summary["stable_x"]), "count"),
    ]
    out = [
        {"quantity": q, "value": float(v), "stderr": math.nan, "unit": u, "qc": NO_ESD}
        for q, v, u in rows
    ]
    if barriers is not None:
        for r in barriers.itertuples(index=False):
            qc = NO_ESD if bool(r.saddle_interior) else f"{NO_ESD};saddle_at_end"
            out.append(
                {
                    "quantity": f"{p}.neb_barrier.x{float(r.x):g}",
                    "value": float(r.barrier_eV),
                    "stderr": math.nan,
                    "unit": "eV",
                    "qc": qc,
                }
            )
    return pd.DataFrame(out, columns=["quantity", "value", "stderr", "unit", "qc"])
