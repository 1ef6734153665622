"""Readers for battery cycler and potentiostat files, all returning one tidy table.

Every reader returns an :class:`EchemData` ``(table, meta)``. The table has
snake_case columns with units:

=================  ==========================================================
``time_s``         time since the start of the file (s)
``voltage_V``      working-electrode potential (V; ``<Ewe>`` for PEIS)
``current_mA``     current (mA; > 0 oxidation/charge of a cathode, < 0 reduction)
``charge_mAh``     cumulative charge passed, Q - Q0 (mAh, signed like the current)
``cycle``          cycle number as the instrument counts it (int)
``half_cycle``     half-cycle / step counter as the instrument counts it (int)
``mode``           control mode (BioLogic: 1 CC, 2 CV, 3 rest; others: 0)
``step``           step / sequence index (int, -1 when the format has none)
``freq_Hz``        EIS only: frequency (Hz)
``z_real_ohm``     EIS only: Re(Z) (Ohm)
``z_imag_ohm``     EIS only: Im(Z) (Ohm; negative for a capacitive response)
=================  ==========================================================

``meta`` holds what the file header declares (technique, active mass in mg,
electrode area in cm2, scan rate in mV/s, the settings block, ...) and the
source format. Units are taken from the column names of the format, never
guessed; a file without the columns a table needs raises
:class:`~intercal.errors.InputError` naming the file and the column.

Formats: BioLogic ``.mpt`` (own parser, decimal point or decimal comma),
BioLogic ``.mpr`` (galvani), Neware ``.nda``/``.ndax`` (NewareNDA), Arbin
``.res`` (``mdb-export`` from Debian's mdbtools) and generic CSV with a
column map.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import InputError

TIDY_COLUMNS = [
    "time_s",
    "voltage_V",
    "current_mA",
    "charge_mAh",
    "cycle",
    "half_cycle",
    "mode",
    "step",
]
EIS_COLUMNS = ["freq_Hz", "z_real_ohm", "z_imag_ohm"]


class EchemData(NamedTuple):
    """A tidy table and the metadata its file declares."""

    table: pd.DataFrame
    meta: dict[str, Any]


# --------------------------------------------------------------------------- BioLogic
_TECHNIQUE_CODES = {
    "Galvanostatic Cycling with Potential Limitation": "GCPL",
    "Cyclic Voltammetry": "CV",
    "Potentio Electrochemical Impedance Spectroscopy": "PEIS",
    "Galvano Electrochemical Impedance Spectroscopy": "GEIS",
    "Open Circuit Voltage": "OCV",
    "Chronoamperometry / Chronocoulometry": "CA",
    "Chronopotentiometry": "CP",
}

_KV = re.compile(r"^\s*(?P<key>[^:]+?)\s+:\s*(?P<value>.*?)\s*$")
_NUM_UNIT = re.compile(r"^(?P<num>[-+]?\d+(?:[.,]\d*)?(?:[eE][-+]?\d+)?)\s*(?P<unit>\S*)")


def _quantity(text: str, path: Path, key: str, units: Mapping[str, float]) -> float:
    """Parse ``'2.400 mg'`` into a float scaled by ``units[unit]``."""
    m = _NUM_UNIT.match(text.strip())
    if not m:
        raise InputError(f"{path}: header field {key!r} = {text!r} is not 'number unit'")
    unit = m.group("unit")
    if unit not in units:
        raise InputError(
            f"{path}: header field {key!r} has unit {unit!r}; expected one of {sorted(units)}"
        )
    return float(m.group("num").replace(",", ".")) * units[unit]


_MASS_MG = {"mg": 1.0, "g": 1000.0, "\u00b5g": 1e-3, "ug": 1e-3}
_AREA_CM2 = {"cm\u00b2": 1.0, "cm2": 1.0, "mm\u00b2": 0.01, "mm2": 0.01, "m\u00b2": 1e4}


def _parse_mpt_header(lines: list[str], path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {"format": "biologic-mpt", "source": str(path)}
    technique = ""
    if len(lines) > 3:
        technique = lines[3].strip()
    meta["technique"] = technique
    meta["technique_code"] = _TECHNIQUE_CODES.get(technique, technique)
    fields: dict[str, str] = {}
    settings: dict[str, list[str]] = {}
    in_settings = False
    for line in lines[4:]:
        raw = line.rstrip("\r\n")
        if not raw.strip():
            continue
        if in_settings:
            key = raw[:20].strip()
            rest = raw[20:]
            vals = [rest[i : i + 20].strip() for i in range(0, len(rest), 20)]
            vals = [v for v in vals if v != ""]
            if key:
                # repeated keys ("vs.", "unit ...") are numbered by occurrence
                name, k = key, 2
                while name in settings:
                    name, k = f"{key} #{k}", k + 1
                settings[name] = vals
            continue
        m = _KV.match(raw)
        if m:
            fields[m.group("key").strip()] = m.group("value")
            if m.group("key").strip() == "Cycle Definition":
                in_settings = True
    meta["fields"] = fields
    meta["settings"] = settings
    if "Acquisition started on" in fields:
        meta["acquisition_start"] = fields["Acquisition started on"]
    if "Mass of active material" in fields:
        meta["active_mass_mg"] = _quantity(
            fields["Mass of active material"], path, "Mass of active material", _MASS_MG
        )
    if "Characteristic mass" in fields:
        meta["characteristic_mass_mg"] = _quantity(
            fields["Characteristic mass"], path, "Characteristic mass", _MASS_MG
        )
    if "Electrode surface area" in fields:
        meta["area_cm2"] = _quantity(
            fields["Electrode surface area"], path, "Electrode surface area", _AREA_CM2
        )
    if "Electrode material" in fields:
        meta["electrode_material"] = fields["Electrode material"]
    if "dE/dt" in settings and settings["dE/dt"]:
        unit = (settings.get("dE/dt unit") or ["mV/s"])[0]
        scale = {"mV/s": 1.0, "V/s": 1000.0, "mV/min": 1 / 60.0, "\u00b5V/s": 1e-3}
        if unit not in scale:
            raise InputError(f"{path}: settings 'dE/dt unit' is {unit!r}; expected {list(scale)}")
        meta["scan_rate_mV_s"] = float(settings["dE/dt"][0].replace(",", ".")) * scale[unit]
    return meta


def _tidy_from_biologic(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Map EC-Lab column names (as in .mpt exports and galvani's .mpr arrays) to tidy names."""
    cols = set(raw.columns)
    out = pd.DataFrame(index=raw.index)
    if "freq/Hz" in cols:
        out["freq_Hz"] = raw["freq/Hz"].astype(float)
        if {"Re(Z)/Ohm", "-Im(Z)/Ohm"} <= cols:
            out["z_real_ohm"] = raw["Re(Z)/Ohm"].astype(float)
            out["z_imag_ohm"] = -raw["-Im(Z)/Ohm"].astype(float)
        elif {"|Z|/Ohm", "Phase(Z)/deg"} <= cols:
            # galvani's mixed GCPL/PEIS arrays: Z from modulus and phase
            phase = np.deg2rad(raw["Phase(Z)/deg"].astype(float).to_numpy())
            mod = raw["|Z|/Ohm"].astype(float).to_numpy()
            out["z_real_ohm"] = mod * np.cos(phase)
            out["z_imag_ohm"] = mod * np.sin(phase)
        else:
            raise InputError(
                f"{path}: impedance data needs 'Re(Z)/Ohm' and '-Im(Z)/Ohm' "
                f"(or '|Z|/Ohm' and 'Phase(Z)/deg'); found {sorted(cols)}"
            )
        # rows of other techniques in a linked file carry freq = 0: no impedance there
        no_z = out["freq_Hz"].to_numpy() <= 0
        out.loc[no_z, ["z_real_ohm", "z_imag_ohm"]] = np.nan
    if "time/s" not in cols:
        raise InputError(f"{path}: no 'time/s' column; found {sorted(cols)}")
    out["time_s"] = raw["time/s"].astype(float)
    for name in ("Ewe/V", "<Ewe>/V"):
        if name in cols:
            out["voltage_V"] = raw[name].astype(float)
            break
    else:
        raise InputError(f"{path}: no 'Ewe/V' or '<Ewe>/V' column; found {sorted(cols)}")
    current = None
    for name in ("I/mA", "<I>/mA"):
        if name in cols:
            current = raw[name].astype(float).to_numpy()
            break
    if "(Q-Qo)/mA.h" in cols:
        charge = raw["(Q-Qo)/mA.h"].astype(float).to_numpy()
    elif "(Q-Qo)/C" in cols:
        charge = raw["(Q-Qo)/C"].astype(float).to_numpy() / 3.6
    elif "dq/mA.h" in cols:
        charge = np.cumsum(raw["dq/mA.h"].astype(float).to_numpy())
    elif current is not None:
        t = out["time_s"].to_numpy()
        charge = np.concatenate([[0.0], np.cumsum(0.5 * (current[1:] + current[:-1]) * np.diff(t))])
        charge = charge / 3600.0
    else:
        charge = np.full(len(raw), np.nan)
    if current is None:
        if "dq/mA.h" in cols:
            # galvani's GCPL arrays carry dq per point but no current: I = dq / dt
            dt = np.diff(out["time_s"].to_numpy(), prepend=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                current = np.where(dt > 0, raw["dq/mA.h"].astype(float) * 3600.0 / dt, 0.0)
        else:
            current = np.full(len(raw), np.nan)
    out["current_mA"] = current
    out["charge_mAh"] = charge
    if "half cycle" in cols:
        out["half_cycle"] = raw["half cycle"].astype(np.int64)
    else:
        out["half_cycle"] = -1
    if "cycle number" in cols:
        out["cycle"] = np.rint(raw["cycle number"].astype(float)).astype(np.int64)
    elif "half cycle" in cols:
        out["cycle"] = out["half_cycle"] // 2
    else:
        out["cycle"] = 0
    out["mode"] = raw["mode"].astype(np.int64) if "mode" in cols else 0
    out["step"] = raw["Ns"].astype(np.int64) if "Ns" in cols else -1
    order = [c for c in EIS_COLUMNS if c in out.columns] + TIDY_COLUMNS
    return out[order].reset_index(drop=True)


def read_mpt_raw(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an EC-Lab ``.mpt`` text export with its own column names.

    Parameters
    ----------
    path : path-like
        The ``.mpt`` file (ISO-8859-1 text, tab separated; decimal point or
        decimal comma).

    Returns
    -------
    (DataFrame, dict)
        The data with EC-Lab's column names, and the header metadata.

    Raises
    ------
    InputError
        If the file is not an EC-Lab text export, the header count is wrong or
        a data line has the wrong number of fields.
    """
    path = Path(path)
    with open(path, encoding="latin-1", newline="") as fh:
        text = fh.read()
    lines = text.splitlines()
    if not lines or lines[0].strip() != "EC-Lab ASCII FILE":
        found = lines[0][:40] if lines else "an empty file"
        raise InputError(f"{path}: line 1 is {found!r}; expected 'EC-Lab ASCII FILE'")
    m = re.match(r"Nb header lines\s*:\s*(\d+)", lines[1] if len(lines) > 1 else "")
    if not m:
        raise InputError(f"{path}: line 2 should be 'Nb header lines : N', found {lines[1]!r}")
    n_header = int(m.group(1))
    if n_header < 3 or n_header > len(lines):
        raise InputError(f"{path}: 'Nb header lines : {n_header}' but the file has {len(lines)}")
    meta = _parse_mpt_header(lines[: n_header - 1], path) if n_header > 3 else {}
    meta.setdefault("format", "biologic-mpt")
    meta.setdefault("source", str(path))
    meta["n_header_lines"] = n_header
    columns = [c for c in lines[n_header - 1].split("\t")]
    while columns and columns[-1].strip() == "":
        columns.pop()
    if "time/s" not in columns:
        raise InputError(
            f"{path}: line {n_header} (the column line by 'Nb header lines') has no 'time/s'; "
            f"found {columns[:6]}..."
        )
    data_lines = [ln for ln in lines[n_header:] if ln.strip()]
    decimal_comma = bool(data_lines) and "," in data_lines[0]
    body = "\n".join(data_lines)
    if decimal_comma:
        body = body.replace(",", ".")
    meta["decimal_comma"] = decimal_comma
    if not data_lines:
        return pd.DataFrame(columns=columns), meta
    try:
        arr = np.loadtxt(io.StringIO(body), delimiter="\t", ndmin=2, usecols=range(len(columns)))
    except ValueError as err:
        raise InputError(
            f"{path}: data after line {n_header} does not parse as {len(columns)} "
            f"tab-separated numbers: {err}"
        ) from err
    raw = pd.DataFrame(arr, columns=columns)
    meta["columns"] = columns
    return raw, meta


def read_mpt(path: str | os.PathLike) -> EchemData:
    """Read a BioLogic EC-Lab ``.mpt`` text export into the tidy table.

    Parameters
    ----------
    path : path-like
        ``.mpt`` file, with the full header or the short 3-line header, with
        decimal points or decimal commas.

    Returns
    -------
    EchemData
        ``table`` (see module docstring; EIS files get ``freq_Hz``,
        ``z_real_ohm``, ``z_imag_ohm`` too) and ``meta`` (``technique_code``,
        ``active_mass_mg``, ``area_cm2``, ``scan_rate_mV_s`` when declared,
        ``settings``, ``decimal_comma`` ...).
    """
    raw, meta = read_mpt_raw(path)
    return EchemData(_tidy_from_biologic(raw, Path(path)), meta)


def read_mpr(path: str | os.PathLike) -> EchemData:
    """Read a BioLogic ``.mpr`` binary file with galvani into the tidy table.

    Parameters
    ----------
    path : path-like
        ``.mpr`` file.

    Returns
    -------
    EchemData
        The tidy table; ``meta`` has the format, the galvani column names and
        the start date. The header metadata of the settings module (masses)
        are not decoded: give them in config.
    """
    from galvani import BioLogic

    path = Path(path)
    try:
        mpr = BioLogic.MPRfile(str(path))
    except Exception as err:  # galvani raises ValueError/NotImplementedError/struct errors
        raise InputError(f"{path}: galvani cannot read this .mpr file: {err}") from err
    data = mpr.data
    raw = pd.DataFrame({name: data[name] for name in data.dtype.names if name != "flags"})
    if "flags" in data.dtype.names:
        for flag in ("mode", "ox/red"):
            if flag in getattr(mpr, "flags_dict", {}):
                raw[flag] = np.asarray(mpr.get_flag(flag)).astype(np.int64)
    meta: dict[str, Any] = {
        "format": "biologic-mpr",
        "source": str(path),
        "columns": list(raw.columns),
    }
    start = getattr(mpr, "startdate", None)
    if start is not None:
        meta["acquisition_start"] = str(start)
    if "freq/Hz" in raw.columns:
        meta["technique_code"] = "PEIS"
    return EchemData(_tidy_from_biologic(raw, path), meta)


# --------------------------------------------------------------------------- Neware
def read_neware_raw(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Neware ``.nda``/``.ndax`` file with NewareNDA, columns as NewareNDA names them."""
    import NewareNDA

    path = Path(path)
    try:
        return NewareNDA.read(str(path))
    except Exception as err:  # NewareNDA raises a variety of errors on bad files
        raise InputError(f"{path}: NewareNDA cannot read this file: {err}") from err


def read_neware(path: str | os.PathLike) -> EchemData:
    """Read a Neware ``.nda``/``.ndax`` file into the tidy table.

    NewareNDA gives step time (``Time``, s), ``Voltage`` (V), ``Current(mA)``,
    and per-step ``Charge_Capacity(mAh)``/``Discharge_Capacity(mAh)``; the tidy
    ``charge_mAh`` is the cumulative signed charge built from those counters.
    """
    path = Path(path)
    raw = read_neware_raw(path)
    need = ["Time", "Voltage", "Current(mA)", "Cycle", "Step", "Status"]
    need += ["Charge_Capacity(mAh)", "Discharge_Capacity(mAh)"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: NewareNDA table lacks columns {missing}")
    step = raw["Step"].to_numpy()
    new_step = np.r_[True, step[1:] != step[:-1]]
    step_time = raw["Time"].to_numpy(dtype=float)
    # continuous time: add the end time of every finished step
    step_id = np.cumsum(new_step) - 1
    last_time = pd.Series(step_time).groupby(step_id).max().to_numpy()
    offsets = np.r_[0.0, np.cumsum(last_time)[:-1]]
    time_s = offsets[step_id] + step_time
    q = raw["Charge_Capacity(mAh)"].to_numpy(float) - raw["Discharge_Capacity(mAh)"].to_numpy(float)
    # capacities restart at every step: accumulate the step-final values
    q_end = pd.Series(q).groupby(step_id).last().to_numpy()
    q_off = np.r_[0.0, np.cumsum(q_end)[:-1]]
    table = pd.DataFrame(
        {
            "time_s": time_s,
            "voltage_V": raw["Voltage"].to_numpy(float),
            "current_mA": raw["Current(mA)"].to_numpy(float),
            "charge_mAh": q_off[step_id] + q,
            "cycle": raw["Cycle"].to_numpy(np.int64),
            "half_cycle": step_id.astype(np.int64),
            "mode": 0,
            "step": step.astype(np.int64),
        }
    )
    meta = {"format": "neware-nda", "source": str(path), "status": raw["Status"].astype(str)}
    meta["status"] = list(meta["status"])
    return EchemData(table, meta)


# --------------------------------------------------------------------------- Arbin
def _mdb_export(path: Path, table: str) -> pd.DataFrame:
    exe = shutil.which("mdb-export")
    if exe is None:
        raise InputError(
            f"{path}: reading Arbin .res files needs the 'mdb-export' program from mdbtools, "
            "which is not installed; install it (Debian/Ubuntu: apt-get install mdbtools; "
            "conda: conda install -c conda-forge mdbtools) and rerun"
        )
    proc = subprocess.run([exe, str(path), table], capture_output=True, check=False)
    if proc.returncode != 0:
        raise InputError(
            f"{path}: mdb-export failed on table {table!r}: {proc.stderr.decode(errors='replace')}"
        )
    return pd.read_csv(io.BytesIO(proc.stdout))


def read_arbin_raw(path: str | os.PathLike) -> pd.DataFrame:
    """Arbin ``.res``: the ``Channel_Normal_Table`` as exported by ``mdb-export``."""
    return _mdb_export(Path(path), "Channel_Normal_Table")


def read_arbin(path: str | os.PathLike) -> EchemData:
    """Read an Arbin ``.res`` file (an Access database) into the tidy table.

    Arbin stores ``Test_Time`` (s), ``Voltage`` (V), ``Current`` (A) and
    ``Charge_Capacity``/``Discharge_Capacity`` (Ah, cumulative within a cycle);
    the tidy table converts to mA and mAh.
    """
    path = Path(path)
    raw = read_arbin_raw(path)
    need = ["Test_Time", "Voltage", "Current", "Charge_Capacity", "Discharge_Capacity"]
    need += ["Cycle_Index", "Step_Index"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: Channel_Normal_Table lacks columns {missing}")
    raw = raw.sort_values(["Test_ID", "Data_Point"] if "Data_Point" in raw.columns else "Test_Time")
    raw = raw.reset_index(drop=True)
    cyc = raw["Cycle_Index"].to_numpy(np.int64)
    q = (raw["Charge_Capacity"].to_numpy(float) - raw["Discharge_Capacity"].to_numpy(float)) * 1e3
    new_cycle = np.r_[True, cyc[1:] != cyc[:-1]]
    cid = np.cumsum(new_cycle) - 1
    q_end = pd.Series(q).groupby(cid).last().to_numpy()
    q_off = np.r_[0.0, np.cumsum(q_end)[:-1]]
    step = raw["Step_Index"].to_numpy(np.int64)
    table = pd.DataFrame(
        {
            "time_s": raw["Test_Time"].to_numpy(float),
            "voltage_V": raw["Voltage"].to_numpy(float),
            "current_mA": raw["Current"].to_numpy(float) * 1e3,
            "charge_mAh": q_off[cid] + q,
            "cycle": cyc,
            "half_cycle": (np.cumsum(np.r_[True, step[1:] != step[:-1]]) - 1).astype(np.int64),
            "mode": 0,
            "step": step,
        }
    )
    return EchemData(table, {"format": "arbin-res", "source": str(path)})


# --------------------------------------------------------------------------- CSV
def read_csv(
    path: str | os.PathLike,
    column_map: Mapping[str, str],
    *,
    units: Mapping[str, str] | None = None,
    sep: str = ",",
    decimal: str = ".",
    charge_current_positive: bool = True,
    skiprows: int = 0,
) -> EchemData:
    """Read a cycler's CSV export with a column map and units from config.

    Parameters
    ----------
    path : path-like
        The CSV file (one header line naming the columns, after ``skiprows``).
    column_map : mapping
        Quantity -> column name in the file. Quantities: ``time``,
        ``voltage`` and ``current`` (required); ``capacity`` (cumulative
        signed charge Q - Q0) *or* ``charge_capacity`` and
        ``discharge_capacity`` (counters that may restart at every step or
        cycle); ``cycle``, ``step`` (optional). Without any capacity column the
        charge is integrated from the current (trapezoid rule).
    units : mapping, optional
        Units of the file's columns: ``time`` (s, min, h), ``voltage`` (V, mV),
        ``current`` (A, mA, uA), ``capacity`` (Ah, mAh, uAh, C; for every
        capacity column). Defaults: s, V, mA, mAh.
    sep, decimal : str
        Field separator and decimal mark.
    charge_current_positive : bool
        False when the cycler writes a charging (oxidation) current as negative;
        the tidy table always has > 0 for oxidation.
    skiprows : int
        Lines before the column-name line (a preamble some cyclers write).

    Returns
    -------
    EchemData
        The tidy table of the module docstring and ``meta`` (``format`` "csv",
        ``units`` used).

    Raises
    ------
    InputError
        Unknown quantity or unit, a mapped column missing from the file, or a
        non-numeric value in a mapped column (naming the file and column).
    """
    path = Path(path)
    known = {"time", "voltage", "current", "capacity", "charge_capacity", "discharge_capacity"}
    known |= {"cycle", "step"}
    unknown = set(column_map) - known
    if unknown:
        raise InputError(
            f"column map for {path} has unknown quantities {sorted(unknown)}; "
            f"expected some of {sorted(known)}"
        )
    for need in ("time", "voltage", "current"):
        if need not in column_map:
            raise InputError(f"column map for {path} lacks required quantity {need!r}")
    if "capacity" in column_map and (
        "charge_capacity" in column_map or "discharge_capacity" in column_map
    ):
        raise InputError(
            f"column map for {path}: give 'capacity' (signed) or 'charge_capacity' + "
            "'discharge_capacity', not both"
        )
    if ("charge_capacity" in column_map) != ("discharge_capacity" in column_map):
        raise InputError(
            f"column map for {path}: 'charge_capacity' and 'discharge_capacity' go together"
        )
    factors = {
        "time": {"s": 1.0, "min": 60.0, "h": 3600.0},
        "voltage": {"V": 1.0, "mV": 1e-3},
        "current": {"A": 1e3, "mA": 1.0, "uA": 1e-3, "\u00b5A": 1e-3},
        "capacity": {"Ah": 1e3, "mAh": 1.0, "uAh": 1e-3, "\u00b5Ah": 1e-3, "C": 1 / 3.6},
    }
    used = {"time": "s", "voltage": "V", "current": "mA", "capacity": "mAh"}
    for key, unit in dict(units or {}).items():
        if key not in factors:
            raise InputError(
                f"units for {path}: unknown quantity {key!r}; expected {list(factors)}"
            )
        if unit not in factors[key]:
            raise InputError(
                f"units for {path}: {key} unit {unit!r}; expected one of {list(factors[key])}"
            )
        used[key] = unit
    try:
        raw = pd.read_csv(path, sep=sep, decimal=decimal, skiprows=skiprows)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path}: not a readable CSV ({err})") from err
    missing = [v for v in column_map.values() if v not in raw.columns]
    if missing:
        raise InputError(f"{path}: columns {missing} not found; the file has {list(raw.columns)}")

    def col(q: str) -> np.ndarray:
        name = column_map[q]
        try:
            return pd.to_numeric(raw[name], errors="raise").to_numpy(float)
        except (ValueError, TypeError) as err:
            raise InputError(f"{path}: column {name!r} ({q}) is not numeric: {err}") from err

    t = col("time") * factors["time"][used["time"]]
    v = col("voltage") * factors["voltage"][used["voltage"]]
    i = col("current") * factors["current"][used["current"]]
    if not charge_current_positive:
        i = -i
    qf = factors["capacity"][used["capacity"]]
    if "capacity" in column_map:
        q = col("capacity") * qf
        q = q - q[0]
    elif "charge_capacity" in column_map:
        q = _signed_from_counters(col("charge_capacity") * qf, col("discharge_capacity") * qf)
    else:
        q = np.concatenate([[0.0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))]) / 3600.0
    table = pd.DataFrame(
        {"time_s": t, "voltage_V": v, "current_mA": i, "charge_mAh": q}, index=raw.index
    )
    table["cycle"] = np.rint(col("cycle")).astype(np.int64) if "cycle" in column_map else 0
    table["half_cycle"] = -1
    table["mode"] = 0
    table["step"] = np.rint(col("step")).astype(np.int64) if "step" in column_map else -1
    meta = {"format": "csv", "source": str(path), "units": used}
    return EchemData(table[TIDY_COLUMNS].reset_index(drop=True), meta)


def read_eis_csv(path: str | os.PathLike) -> EchemData:
    """Read a headerless EIS CSV (frequency Hz, Re(Z) Ohm, Im(Z) Ohm) as impedance.py's."""
    path = Path(path)
    try:
        arr = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as err:
        raise InputError(f"{path}: expected 3 comma-separated numbers per line: {err}") from err
    if arr.shape[1] != 3:
        raise InputError(f"{path}: expected 3 columns (f, Re Z, Im Z), found {arr.shape[1]}")
    table = pd.DataFrame({"freq_Hz": arr[:, 0], "z_real_ohm": arr[:, 1], "z_imag_ohm": arr[:, 2]})
    return EchemData(table, {"format": "eis-csv", "source": str(path), "technique_code": "PEIS"})


_READERS = {".mpt": read_mpt, ".mpr": read_mpr, ".nda": read_neware, ".ndax": read_neware}
_READERS[".res"] = read_arbin


def read(path: str | os.PathLike, **kwargs: Any) -> EchemData:
    """Read any supported file by its extension (``.csv`` needs ``column_map=``)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".csv":
        if "column_map" not in kwargs:
            raise InputError(f"{path}: a .csv needs a column map (config echem.csv_columns)")
        return read_csv(path, **kwargs)
    if ext not in _READERS:
        raise InputError(
            f"{path}: unknown extension {ext!r}; expected one of {sorted(_READERS) + ['.csv']}"
        )
    return _READERS[ext](path)


def _signed_from_counters(charge: np.ndarray, discharge: np.ndarray) -> np.ndarray:
    """Cumulative signed charge (mAh) from charge/discharge counters that may restart.

    An increase of a counter is charge passed; a drop (a restart at a new step
    or cycle) starts again from the new value.
    """

    def increments(c: np.ndarray) -> np.ndarray:
        d = np.diff(c, prepend=c[0])
        return np.where(d >= 0, d, c)

    return np.cumsum(increments(charge) - increments(discharge))


def read_cycler(path: str | os.PathLike, csv: Mapping[str, Any] | None = None) -> EchemData:
    """Read one cycling file of any supported cycler; a ``.csv`` uses the config's format.

    Parameters
    ----------
    path : path-like
        ``.mpt``, ``.mpr``, ``.nda``/``.ndax``, ``.res`` or ``.csv``.
    csv : mapping, optional
        For CSV files: ``columns`` (see :func:`read_csv`), and optionally
        ``units``, ``sep``, ``decimal``, ``charge_current_positive``,
        ``skiprows`` (config ``echem.csv_formats.<name>``).

    Raises
    ------
    InputError
        A ``.csv`` without a format, or any reader's error.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        if not csv:
            raise InputError(
                f"{path}: a .csv cycler export needs a column map: set the cell's csv_format "
                "to a name under echem.csv_formats"
            )
        opts = {k: v for k, v in csv.items() if k != "columns"}
        return read_csv(path, csv["columns"], **opts)
    return read(path)
