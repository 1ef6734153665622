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
source format. Units are taken from the column names of the format (``I/mA``,
``I/A``, ``time/h``, ``(Q-Qo)/C`` ...), never guessed; a file without the columns
a table needs, or with a needed column in an unknown unit, raises
:class:`~intercal.errors.InputError` naming the file and the column.

Checks at read time (each an InputError naming the file): any library failure
(galvani, NewareNDA, mdb-export, pandas, numpy); truncation (an .mpt/CSV cut inside
its last number, a Neware v130 .nda without its end record, an Arbin .res that is
not a whole number of database pages or that mdb-export reports as damaged, Arbin
Data_Point gaps); a header-only export; NaN/inf in time, current or frequency
(naming the rows); header masses, areas and scan rates positive and finite (a mass
above :data:`MASS_WARN_MG` is flagged in ``meta["qc"]`` and logged); the current
column against the file's own charge column (a current in A under ``I/mA``); a CV
file's declared scan rate against its own E(t). ``meta["technique_code"]`` (GCPL,
CV, PEIS ...) is exposed and ``read(..., technique=...)`` checks it.

Formats: BioLogic ``.mpt`` (own parser, decimal point or decimal comma),
BioLogic ``.mpr`` (galvani), Neware ``.nda``/``.ndax`` (NewareNDA), Arbin
``.res`` (``mdb-export`` from Debian's mdbtools) and generic CSV with a
column map.
"""

from __future__ import annotations

import io
import logging
import math
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
from .guard import check_finite_rows, check_last_line, expect_technique, file_size, reading

log = logging.getLogger(__name__)

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
    value = float(m.group("num").replace(",", ".")) * units[unit]
    if not (math.isfinite(value) and value > 0):
        raise InputError(
            f"{path}: header field {key!r} = {text.strip()!r}; expected a positive finite value"
        )
    return value


#: a BioLogic header mass above this (mg) is flagged: lab cells hold micrograms to
#: a few hundred mg of active material; "4.500 g" typed for "4.500 mg" is 1000x off
MASS_WARN_MG = 1000.0

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
    qc = []
    for field, key in (
        ("Mass of active material", "active_mass_mg"),
        ("Characteristic mass", "characteristic_mass_mg"),
    ):
        if field in fields:
            meta[key] = _quantity(fields[field], path, field, _MASS_MG)
            if meta[key] > MASS_WARN_MG:
                qc.append(f"{key}_above_{MASS_WARN_MG:g}mg")
                log.warning(
                    "%s: header %r = %r is %g mg, above %g mg for a lab cell; check the unit",
                    path,
                    field,
                    fields[field].strip(),
                    meta[key],
                    MASS_WARN_MG,
                )
    if qc:
        meta["qc"] = ";".join(qc)
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
        try:
            rate = float(settings["dE/dt"][0].replace(",", ".")) * scale[unit]
        except ValueError as err:
            raise InputError(
                f"{path}: settings 'dE/dt' is {settings['dE/dt'][0]!r}, expected a number"
            ) from err
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(f"{path}: settings 'dE/dt' is {rate} mV/s; expected > 0")
        meta["scan_rate_mV_s"] = rate
    return meta


_MICRO = ("\u00b5", "\u03bc", "u")
_UNITS: dict[str, dict[str, float]] = {
    "time": {"s": 1.0, "min": 60.0, "h": 3600.0},
    "E": {"V": 1.0, "mV": 1e-3},
    "I": {"mA": 1.0, "A": 1e3, "nA": 1e-6, **{m + "A": 1e-3 for m in _MICRO}},
    "Q": {"mA.h": 1.0, "A.h": 1e3, "C": 1 / 3.6, "mC": 1 / 3600.0}
    | {m + "A.h": 1e-3 for m in _MICRO},
    "freq": {"Hz": 1.0, "kHz": 1e3, "mHz": 1e-3},
    "Z": {"Ohm": 1.0, "mOhm": 1e-3, "kOhm": 1e3},
    "phase": {"deg": 1.0},
}


def _pick(cols, quantities, kind, path) -> tuple[str, float] | None:
    """The first column whose quantity (the part before ``/``) is in ``quantities``.

    Returns ``(column, factor to the tidy unit)``; a column with the right quantity
    but a unit not in :data:`_UNITS` is an InputError (units are honoured, never
    guessed).
    """
    for q in quantities:
        for c in cols:
            name, sep, unit = str(c).partition("/")
            if sep and name == q:
                factor = _UNITS[kind].get(unit)
                if factor is None:
                    raise InputError(
                        f"{path}: column {c!r} has unit {unit!r}; expected one of "
                        f"{sorted(_UNITS[kind])}"
                    )
                return c, factor
    return None


def _col(raw, picked) -> np.ndarray:
    c, f = picked
    x = raw[c].astype(float).to_numpy()
    if f == 1.0:
        return x
    inv = round(1.0 / f, 6)
    if f < 1.0 and abs(inv * f - 1.0) < 1e-12:
        return x / inv  # e.g. C -> mAh is x / 3.6, bit-identical to the division
    return x * f


def _check_current_vs_charge(t, current, charge, path, cur_col, q_col):
    """The integrated current must agree with the file's own charge column.

    A current column whose values are in a unit other than its header says (A
    under ``I/mA``) integrates to a charge 1000x off the instrument's Q column.
    """
    dt = np.diff(t)
    dq_int = 0.5 * (current[1:] + current[:-1]) * dt / 3600.0
    dq_col = np.diff(charge)
    ok = np.isfinite(dq_int) & np.isfinite(dq_col) & (dt > 0)
    a, b = float(np.abs(dq_int[ok]).sum()), float(np.abs(dq_col[ok]).sum())
    if b <= 0 or a <= 0 or ok.sum() < 10:
        return
    ratio = a / b
    if not 0.2 < ratio < 5.0:
        raise InputError(
            f"{path}: the current column {cur_col!r} integrates to {a:.4g} mAh of charge "
            f"passed but the file's {q_col!r} column holds {b:.4g} mAh (ratio {ratio:.3g}); "
            "expected them to agree: wrong unit in a column header?"
        )


def _tidy_from_biologic(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Map EC-Lab column names (as in .mpt exports and galvani's .mpr arrays) to tidy names.

    Units are read from the column names (``I/mA``, ``I/A``, ``<I>/\u00b5A``,
    ``time/h``, ``(Q-Qo)/C`` ...) and converted; a needed column in an unknown unit is
    an InputError. NaN in time or current (integrated into the charge) is an
    InputError naming the rows.
    """
    cols = list(raw.columns)
    out = pd.DataFrame(index=raw.index)
    freq = _pick(cols, ["freq"], "freq", path)
    if freq is not None:
        out["freq_Hz"] = _col(raw, freq)
        check_finite_rows(out, ["freq_Hz"], path, "the frequency axis of the impedance data")
        re_z = _pick(cols, ["Re(Z)"], "Z", path)
        im_z = _pick(cols, ["-Im(Z)"], "Z", path)
        mod_z = _pick(cols, ["|Z|"], "Z", path)
        phase = _pick(cols, ["Phase(Z)"], "phase", path)
        if re_z is not None and im_z is not None:
            out["z_real_ohm"] = _col(raw, re_z)
            out["z_imag_ohm"] = -_col(raw, im_z)
        elif mod_z is not None and phase is not None:
            # galvani's mixed GCPL/PEIS arrays: Z from modulus and phase
            ph = np.deg2rad(_col(raw, phase))
            mod = _col(raw, mod_z)
            out["z_real_ohm"] = mod * np.cos(ph)
            out["z_imag_ohm"] = mod * np.sin(ph)
        else:
            raise InputError(
                f"{path}: impedance data needs 'Re(Z)/Ohm' and '-Im(Z)/Ohm' "
                f"(or '|Z|/Ohm' and 'Phase(Z)/deg'); found {sorted(cols)}"
            )
        # rows of other techniques in a linked file carry freq = 0: no impedance there
        no_z = out["freq_Hz"].to_numpy() <= 0
        out.loc[no_z, ["z_real_ohm", "z_imag_ohm"]] = np.nan
    time = _pick(cols, ["time"], "time", path)
    if time is None:
        raise InputError(f"{path}: no 'time/s' column; found {sorted(cols)}")
    out["time_s"] = _col(raw, time)
    ewe = _pick(cols, ["Ewe", "<Ewe>"], "E", path)
    if ewe is None:
        raise InputError(f"{path}: no 'Ewe/V' or '<Ewe>/V' column; found {sorted(cols)}")
    out["voltage_V"] = _col(raw, ewe)
    cur = _pick(cols, ["I", "<I>"], "I", path)
    current = _col(raw, cur) if cur is not None else None
    qq = _pick(cols, ["(Q-Qo)"], "Q", path)
    dq = _pick(cols, ["dq"], "Q", path)
    check_finite_rows(out, ["time_s"], path, "time is integrated into the charge")
    if current is not None:
        check_finite_rows(
            {cur[0]: current}, [cur[0]], path, "the current is integrated into the charge"
        )
    if qq is not None:
        charge = _col(raw, qq)
    elif dq is not None:
        charge = np.cumsum(_col(raw, dq))
    elif current is not None:
        t = out["time_s"].to_numpy()
        charge = np.concatenate([[0.0], np.cumsum(0.5 * (current[1:] + current[:-1]) * np.diff(t))])
        charge = charge / 3600.0
    else:
        charge = np.full(len(raw), np.nan)
    if current is not None and (qq is not None or dq is not None) and freq is None:
        _check_current_vs_charge(
            out["time_s"].to_numpy(), current, charge, path, cur[0], (qq or dq)[0]
        )
    if current is None:
        if dq is not None:
            # galvani's GCPL arrays carry dq per point but no current: I = dq / dt
            dt = np.diff(out["time_s"].to_numpy(), prepend=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                current = np.where(dt > 0, _col(raw, dq) * 3600.0 / dt, 0.0)
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
    with reading(path, "EC-Lab .mpt text export"):
        return _read_mpt_raw(path)


def _read_mpt_raw(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
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
    if not any(c.partition("/")[0] == "time" for c in columns):
        raise InputError(
            f"{path}: line {n_header} (the column line by 'Nb header lines') has no 'time/s'; "
            f"found {columns[:6]}..."
        )
    data_lines = [ln for ln in lines[n_header:] if ln.strip()]
    if not data_lines:
        raise InputError(
            f"{path}: no data rows after the {n_header} header lines; expected at least one "
            "measured point (export stopped before the first point?)"
        )
    check_last_line(path, text, sep="\t", what="EC-Lab data")
    decimal_comma = bool(data_lines) and "," in data_lines[0]
    body = "\n".join(data_lines)
    if decimal_comma:
        body = body.replace(",", ".")
    meta["decimal_comma"] = decimal_comma
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


def read_mpt(path: str | os.PathLike, *, technique: str | list[str] | None = None) -> EchemData:
    """Read a BioLogic EC-Lab ``.mpt`` text export into the tidy table.

    Parameters
    ----------
    path : path-like
        ``.mpt`` file, with the full header or the short 3-line header, with
        decimal points or decimal commas.
    technique : str or list of str, optional
        Technique code(s) the caller expects (``"GCPL"``, ``"CV"``, ``"PEIS"``); a
        file declaring another is an InputError (:func:`~intercal.io.guard.expect_technique`).

    Returns
    -------
    EchemData
        ``table`` (see module docstring; EIS files get ``freq_Hz``,
        ``z_real_ohm``, ``z_imag_ohm`` too) and ``meta`` (``technique_code``,
        ``active_mass_mg``, ``area_cm2``, ``scan_rate_mV_s`` when declared,
        ``settings``, ``decimal_comma`` ...).
    """
    raw, meta = read_mpt_raw(path)
    if technique is not None:
        expect_technique(meta, technique, path)
    with reading(path, "EC-Lab .mpt columns"):
        table = _tidy_from_biologic(raw, Path(path))
    if meta.get("technique_code") == "CV" and "scan_rate_mV_s" in meta:
        check_scan_rate(table, meta["scan_rate_mV_s"], path)
    return EchemData(table, meta)


def check_scan_rate(table: pd.DataFrame, declared_mV_s: float, path, factor: float = 2.0):
    """The declared CV scan rate must match the file's own potential sweep.

    The median of |dE/dt| over consecutive points (mV/s) is compared with the
    declared rate; a disagreement by more than ``factor`` (a rate in V/s read as
    mV/s, a wrong settings block) is an InputError naming the file.

    Parameters
    ----------
    table : DataFrame
        Tidy table with ``time_s`` and ``voltage_V``.
    declared_mV_s : float
        The rate the header (or config) states (mV/s).
    path : path-like
        For the message.
    factor : float
        Allowed ratio either way (default 2).
    """
    t = table["time_s"].to_numpy(float)
    e = table["voltage_V"].to_numpy(float)
    dt, de = np.diff(t), np.diff(e)
    ok = (dt > 0) & np.isfinite(de)
    if ok.sum() < 10:
        return
    found = float(np.median(np.abs(de[ok] / dt[ok]))) * 1000.0
    if not (declared_mV_s / factor <= found <= declared_mV_s * factor):
        raise InputError(
            f"{path}: the scan rate is declared as {declared_mV_s:g} mV/s but the file's "
            f"own Ewe(t) sweeps at {found:.4g} mV/s (median |dE/dt|); expected them to agree "
            f"within a factor {factor:g} (wrong dE/dt unit in the settings?)"
        )


#: technique id (first byte of the "VMP Set" module of an .mpr) -> code; checked on
#: real GCPL and CV files; others are left undeclared
_MPR_TECHNIQUES = {4: "GCPL", 6: "CV"}


def read_mpr(path: str | os.PathLike, *, technique: str | list[str] | None = None) -> EchemData:
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
        are not decoded: give them in config. ``technique_code`` is GCPL or CV
        from the settings module when recognised, PEIS when the data carry
        frequencies, else absent.
    technique : str or list of str, optional
        Expected technique code(s), as for :func:`read_mpt`.
    """
    from galvani import BioLogic

    path = Path(path)
    if file_size(path) == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); expected a BioLogic .mpr")
    try:
        mpr = BioLogic.MPRfile(str(path))
    except Exception as err:  # noqa: BLE001 - galvani raises ValueError/struct/numpy errors
        raise InputError(
            f"{path}: galvani cannot read this .mpr file ({type(err).__name__}: {err}); "
            "truncated or not an EC-Lab binary?"
        ) from err
    with reading(path, "BioLogic .mpr data"):
        out = _mpr_table(mpr, path)
    if technique is not None:
        expect_technique(out.meta, technique, path)
    return out


def _mpr_table(mpr, path: Path) -> EchemData:
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
    settings = [m for m in getattr(mpr, "modules", []) if m.get("shortname") == b"VMP Set   "]
    if settings and len(settings[0]["data"]):
        meta["technique_id"] = int(settings[0]["data"][0])
        if meta["technique_id"] in _MPR_TECHNIQUES:
            meta["technique_code"] = _MPR_TECHNIQUES[meta["technique_id"]]
    if "freq/Hz" in raw.columns and "technique_code" not in meta:
        meta["technique_code"] = "PEIS"
    return EchemData(_tidy_from_biologic(raw, path), meta)


# --------------------------------------------------------------------------- Neware
def read_neware_raw(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Neware ``.nda``/``.ndax`` file with NewareNDA, columns as NewareNDA names them."""
    import NewareNDA

    path = Path(path)
    if file_size(path) == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); expected a Neware file")
    if path.suffix.lower() == ".nda":
        _check_nda_complete(path)
    try:
        return NewareNDA.read(str(path))
    except Exception as err:  # noqa: BLE001 - NewareNDA raises a variety of errors on bad files
        raise InputError(
            f"{path}: NewareNDA cannot read this file ({type(err).__name__}: {err})"
        ) from err


def _check_nda_complete(path: Path) -> None:
    """A Neware .nda must hold whole records and, for version 130, its end record.

    Version 130 (BTS 9): records of a fixed length (88 bytes, or the length found
    between the first two record markers for BTS 9.1) from byte 1024, closed by a
    record starting with 0x81; a file cut before that record is truncated (NewareNDA
    would silently return the rows before the cut). Version 29: records of 86 bytes;
    only a cut inside a record can be seen (logged as a warning).
    """
    b = path.read_bytes()
    if b[:6] != b"NEWARE":
        raise InputError(f"{path}: starts with {b[:6]!r}, expected 'NEWARE' (not a .nda file)")
    if len(b) < 1030:
        raise InputError(f"{path}: only {len(b)} bytes; a Neware .nda header alone is 1024")
    version = b[14]
    if version == 130:
        rl = 88
        if b[1024] == 0x55:
            rl = b.find(b[1024:1026], 1026) - 1024
        if rl <= 0:
            raise InputError(f"{path}: truncated: fewer than two data records after the header")
        pos, n = 1024, 0
        while pos + rl <= len(b):
            if b[pos] == 0x81:
                return
            pos += rl
            n += 1
        raise InputError(
            f"{path}: truncated: {n} records of {rl} bytes read but the end record (0x81) "
            f"is missing ({len(b)} bytes); incomplete copy of the .nda?"
        )
    if version == 29:
        start = b.find(b"\x00\x00\x00\x00\x55\x00")
        if start >= 0 and (len(b) - start - 4) % 86:
            log.warning(
                "%s: .nda v29 data section is not a whole number of 86-byte records; "
                "the file may be truncated",
                path,
            )


def read_neware(path: str | os.PathLike) -> EchemData:
    """Read a Neware ``.nda``/``.ndax`` file into the tidy table.

    NewareNDA gives step time (``Time``, s), ``Voltage`` (V), ``Current(mA)``,
    and per-step ``Charge_Capacity(mAh)``/``Discharge_Capacity(mAh)``; the tidy
    ``charge_mAh`` is the cumulative signed charge built from those counters.
    """
    path = Path(path)
    raw = read_neware_raw(path)
    with reading(path, "Neware table from NewareNDA"):
        return _neware_table(raw, path)


def _neware_table(raw: pd.DataFrame, path: Path) -> EchemData:
    need = ["Time", "Voltage", "Current(mA)", "Cycle", "Step", "Status"]
    need += ["Charge_Capacity(mAh)", "Discharge_Capacity(mAh)"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: NewareNDA table lacks columns {missing}")
    if raw.empty:
        raise InputError(f"{path}: NewareNDA found no data records; expected at least one")
    check_finite_rows(raw, ["Time", "Current(mA)"], path, "integrated into the charge")
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
    _check_jet_pages(path)
    proc = subprocess.run([exe, str(path), table], capture_output=True, check=False)
    err = proc.stderr.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise InputError(f"{path}: mdb-export failed on table {table!r}: {err}")
    if re.search(r"beyond EOF|failed|Unrecognized format|Couldn't", err):
        # mdb-export exits 0 on a truncated database and prints what it skipped
        raise InputError(
            f"{path}: truncated or damaged Access database: mdb-export reading {table!r} "
            f"reported {err.splitlines()[0][:120]!r}"
        )
    with reading(path, f"mdb-export output of table {table!r}"):
        return pd.read_csv(io.BytesIO(proc.stdout))


def _check_jet_pages(path: Path) -> None:
    """An Access (Jet) database is a whole number of pages (2048 B Jet3, 4096 B Jet4+)."""
    size = file_size(path)
    with open(path, "rb") as fh:
        head = fh.read(0x15)
    if len(head) < 0x15 or head[4:19] != b"Standard Jet DB":
        raise InputError(
            f"{path}: not an Access database (no 'Standard Jet DB' signature); "
            "expected an Arbin .res file"
        )
    page = 2048 if head[0x14] == 0 else 4096
    if size % page:
        raise InputError(
            f"{path}: truncated: {size} bytes is not a whole number of {page}-byte "
            f"database pages ({size // page} pages and {size % page} bytes)"
        )


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
    with reading(path, "Arbin Channel_Normal_Table"):
        return _arbin_table(raw, path)


def _arbin_table(raw: pd.DataFrame, path: Path) -> EchemData:
    need = ["Test_Time", "Voltage", "Current", "Charge_Capacity", "Discharge_Capacity"]
    need += ["Cycle_Index", "Step_Index"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise InputError(f"{path}: Channel_Normal_Table lacks columns {missing}")
    if raw.empty:
        raise InputError(f"{path}: Channel_Normal_Table has no rows; expected measured points")
    raw = raw.sort_values(["Test_ID", "Data_Point"] if "Data_Point" in raw.columns else "Test_Time")
    raw = raw.reset_index(drop=True)
    if "Data_Point" in raw.columns:
        for tid, dp in raw.groupby(raw.get("Test_ID", 0))["Data_Point"]:
            d = dp.to_numpy()
            if d.size and (d[0] != 1 or np.any(np.diff(d) != 1)):
                gap = int(np.argmax(np.diff(d) != 1)) if d[0] == 1 else -1
                where = "does not start at 1" if gap < 0 else f"jumps after {d[gap]}"
                raise InputError(
                    f"{path}: Channel_Normal_Table Data_Point of test {tid} {where}; "
                    "expected 1, 2, 3, ... (rows lost: truncated or damaged database?)"
                )
    check_finite_rows(raw, ["Test_Time", "Current"], path, "integrated into the charge")
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
    with reading(path, "EIS CSV (f, Re Z, Im Z)"):
        text = path.read_text(encoding="latin-1")
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected lines 'f, Re Z, Im Z'")
    check_last_line(path, text, sep=",", what="EIS data")
    try:
        arr = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    except ValueError as err:
        raise InputError(f"{path}: expected 3 comma-separated numbers per line: {err}") from err
    if arr.shape[1] != 3:
        raise InputError(f"{path}: expected 3 columns (f, Re Z, Im Z), found {arr.shape[1]}")
    bad = np.flatnonzero(~np.all(np.isfinite(arr), axis=1))
    if bad.size:
        raise InputError(f"{path}: NaN/inf at line {bad[0] + 1}; expected finite numbers")
    if np.any(arr[:, 0] <= 0):
        i = int(np.argmax(arr[:, 0] <= 0))
        raise InputError(f"{path}: line {i + 1}: frequency {arr[i, 0]} Hz, expected > 0")
    table = pd.DataFrame({"freq_Hz": arr[:, 0], "z_real_ohm": arr[:, 1], "z_imag_ohm": arr[:, 2]})
    return EchemData(table, {"format": "eis-csv", "source": str(path), "technique_code": "PEIS"})


_READERS = {".mpt": read_mpt, ".mpr": read_mpr, ".nda": read_neware, ".ndax": read_neware}
_READERS[".res"] = read_arbin


def read(
    path: str | os.PathLike, *, technique: str | list[str] | None = None, **kwargs: Any
) -> EchemData:
    """Read any supported file by its extension (``.csv`` needs ``column_map=``).

    Parameters
    ----------
    path : path-like
        The cycler file.
    technique : str or list of str, optional
        Technique code(s) the caller uses the file as (``"GCPL"``, ``"CV"``,
        ``"PEIS"``); a file that declares another technique is an InputError
        naming the file. Files that do not declare one pass.
    **kwargs
        Passed to the CSV reader (``column_map``, ``units`` ...).

    Any failure of the underlying libraries is an InputError naming the file.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".csv":
        if "column_map" not in kwargs:
            raise InputError(f"{path}: a .csv needs a column map (config echem.csv_columns)")
        with reading(path, "cycler CSV"):
            out = read_csv(path, **kwargs)
        return _checked_csv(out, path)
    if ext not in _READERS:
        raise InputError(
            f"{path}: unknown extension {ext!r}; expected one of {sorted(_READERS) + ['.csv']}"
        )
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with reading(path, f"{ext} cycler file"):
        out = _READERS[ext](path)
    if technique is not None:
        expect_technique(out.meta, technique, path)
    return out


def _signed_from_counters(charge: np.ndarray, discharge: np.ndarray) -> np.ndarray:
    """Cumulative signed charge (mAh) from charge/discharge counters that may restart.

    An increase of a counter is charge passed; a drop (a restart at a new step
    or cycle) starts again from the new value.
    """

    def increments(c: np.ndarray) -> np.ndarray:
        d = np.diff(c, prepend=c[0])
        return np.where(d >= 0, d, c)

    return np.cumsum(increments(charge) - increments(discharge))


def check_csv_columns(
    path: str | os.PathLike, csv: Mapping[str, Any], key: str = "echem.csv_formats"
) -> None:
    """Check, from the header line only, that a cycler CSV has every mapped column.

    Cheap enough to run when the workflow loads, so a misspelt column name is
    reported before any job runs, naming the config key to change.

    Parameters
    ----------
    path : path-like
        The CSV file.
    csv : mapping
        The format (``columns``, optional ``sep``, ``skiprows``).
    key : str
        Config key of the format, for the message (e.g. ``echem.csv_formats.lab``).

    Raises
    ------
    InputError
        A mapped column is not in the header, or the header cannot be read.
    """
    path = Path(path)
    try:
        head = pd.read_csv(path, sep=csv.get("sep", ","), skiprows=csv.get("skiprows", 0), nrows=0)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path}: not a readable CSV ({err})") from err
    have = [str(c) for c in head.columns]
    bad = {q: c for q, c in csv.get("columns", {}).items() if c not in have}
    if bad:
        where = ", ".join(f"{key}.columns.{q} = {c!r}" for q, c in bad.items())
        raise InputError(f"{path}: {where} not a column of the file; its columns are {have}")


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
        with reading(path, "cycler CSV"):
            out = read_csv(path, csv["columns"], **opts)
        return _checked_csv(out, path)
    return read(path)


def _checked_csv(out: EchemData, path: Path) -> EchemData:
    """NaN/inf in the time or current of a CSV export is an error naming the rows."""
    check_finite_rows(out.table, ["time_s", "current_mA"], path, "integrated into the charge")
    return out
