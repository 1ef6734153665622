"""Writer for BioLogic EC-Lab text exports (``.mpt``), used by the demo-data generators.

The layout follows the files EC-Lab writes with "Export as text" (compare the
real exports in ../shared/realdata/echem/biologic/*.mpt and
../shared/realdata/echem/eis/exampleDataBioLogic.mpt)::

    EC-Lab ASCII FILE
    Nb header lines : N
    <blank>
    <technique name>
    <blank>
    Run on channel : ...            (instrument block)
    ...
    Electrode material : ...        (cell block, with the active mass and area)
    ...
    Cycle Definition : Charge/Discharge alternance
    <settings block: 20-character key and value columns>
    <blank>
    mode<TAB>ox/red<TAB>...<TAB>     (column line, line N, with a trailing tab)
    3<TAB>0<TAB>...                  (data)

The file is ISO-8859-1 encoded (``cm²``, ``µF``), floats are written as EC-Lab
does (``%.7E`` or ``%.15E`` with a three-digit exponent), and integer flag
columns as integers. ``decimal_comma=True`` writes the export that EC-Lab
produces under a European Windows locale (``2,4814086E+000``).

This module belongs to the forward model: the analysis reads these files
with its own parser (:mod:`intercal.io.echem`), and independent readers
(impedance.py's ``readBioLogic``, galvani's text reader) read them too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: short technique name -> the title line EC-Lab writes
TECHNIQUES: dict[str, str] = {
    "GCPL": "Galvanostatic Cycling with Potential Limitation",
    "CV": "Cyclic Voltammetry",
    "PEIS": "Potentio Electrochemical Impedance Spectroscopy",
    "OCV": "Open Circuit Voltage",
}

#: columns that EC-Lab writes as integers
INT_COLUMNS = {
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "I Range",
    "half cycle",
}

#: columns written with 15 decimals (double precision in the .mpr)
DOUBLE_COLUMNS = {
    "time/s",
    "dq/mA.h",
    "(Q-Qo)/mA.h",
    "Q charge/discharge/mA.h",
    "cycle number",
    "<I>/mA",
    "Energy charge/W.h",
    "Energy discharge/W.h",
}

_EXP = re.compile(r"E([+-])(\d\d)(?=[\t\n])")

#: default instrument/cell block values (fixed so that output is deterministic)
DEFAULT_META: dict[str, Any] = {
    "channel": "1 (SN 20455)",
    "user": "",
    "device": "VMP3 (SN 0721)",
    "address": "USB",
    "software": "v11.50",
    "acquisition_start": "02/18/2026 09:00:00.000",
    "file": "demo.mpr",
    "directory": "C:\\EC-Lab\\Data\\CrSe2\\",
    "host": "192.168.0.10",
    "electrode_material": "",
    "initial_state": "",
    "electrolyte": "",
    "comments": "",
    "active_mass_mg": None,
    "molecular_weight_g_mol": None,
    "ion_weight_g_mol": 6.941,
    "x0": 0.0,
    "electrons_per_ion": 1,
    "area_cm2": None,
    "characteristic_mass_mg": None,
    "settings": [],
}


def _fmt_setting_row(key: str, value: Any) -> str:
    vals = value if isinstance(value, list | tuple) else [value]
    return f"{key:<20s}" + "".join(f"{str(v):<20s}" for v in vals)


def _header_lines(meta: Mapping[str, Any], title: str, technique: str) -> list[str]:
    m = dict(DEFAULT_META)
    m.update(meta)
    lines = [
        "",
        title,
        "",
        f"Run on channel : {m['channel']}",
        f"User : {m['user']}",
        "CE vs. WE compliance from -10 V to 10 V",
        "Electrode connection : standard",
        "Potential control : Ewe",
        "Ewe ctrl range : min = 0.00 V, max = 5.00 V",
        "Safety Limits :",
        "\tDo not start on E overload",
        f"Acquisition started on : {m['acquisition_start']}",
        "Loaded Setting File : NONE",
        "Saved on :",
        f"\tFile : {m['file']}",
        f"\tDirectory : {m['directory']}",
        f"\tHost : {m['host']}",
        f"Device : {m['device']}",
        f"Address : {m['address']}",
        f"EC-Lab for windows {m['software']} (software)",
        f"Internet server {m['software']} (firmware)",
        f"Command interpretor {m['software']} (firmware)",
        f"Electrode material : {m['electrode_material']}",
        f"Initial state : {m['initial_state']}",
        f"Electrolyte : {m['electrolyte']}",
        f"Comments : {m['comments']}",
    ]
    if m["active_mass_mg"] is not None:
        mw = m["molecular_weight_g_mol"] or 0.0
        lines += [
            f"Mass of active material : {m['active_mass_mg']:.3f} mg",
            f" at x = {m['x0']:.3f}",
            f"Molecular weight of active material (at x = 0) : {mw:.3f} g/mol",
            f"Atomic weight of intercalated ion : {m['ion_weight_g_mol']:.3f} g/mol",
            f"Acquisition started at : xo = {m['x0']:.3f}",
            f"Number of e- transfered per intercalated ion : {m['electrons_per_ion']}",
        ]
        if mw > 0:
            dq = 26.8014 * m["electrons_per_ion"] * m["active_mass_mg"] / mw
            lines.append(f"for DX = 1, DQ = {dq:.3f} mA.h")
        lines.append("Battery capacity : 0.000 mA.h")
    area = m["area_cm2"] if m["area_cm2"] is not None else 0.001
    lines.append(f"Electrode surface area : {area:.3f} cm\u00b2")
    cm = m["characteristic_mass_mg"]
    if cm is None:
        lines.append("Characteristic mass : 0.001 g")
    else:
        lines.append(f"Characteristic mass : {cm:.3f} mg")
    lines.append("Cycle Definition : Charge/Discharge alternance")
    lines += [_fmt_setting_row(k, v) for k, v in m["settings"]]
    lines.append("")
    return lines


def _format_table(table: pd.DataFrame) -> str:
    cols = []
    for name in table.columns:
        values = table[name].to_numpy()
        if name in INT_COLUMNS:
            cols.append(np.char.mod("%d", np.asarray(values, dtype=np.int64)))
        elif name in DOUBLE_COLUMNS:
            cols.append(np.char.mod("%.15E", np.asarray(values, dtype=float)))
        else:
            cols.append(np.char.mod("%.7E", np.asarray(values, dtype=float)))
    if not cols:
        return ""
    rows = cols[0]
    for c in cols[1:]:
        rows = np.char.add(np.char.add(rows, "\t"), c)
    body = "\n".join(rows.tolist()) + "\n"
    return _EXP.sub(lambda m: f"E{m.group(1)}0{m.group(2)}", body)


def write_mpt(
    path: str | os.PathLike,
    table: pd.DataFrame,
    meta: Mapping[str, Any],
    technique: str,
    *,
    decimal_comma: bool = False,
) -> Path:
    """Write an EC-Lab ``.mpt`` text export.

    Parameters
    ----------
    path : path-like
        Output file (written atomically: temporary file, then rename).
    table : DataFrame
        Data columns named exactly as EC-Lab names them, in output order, e.g.
        ``mode, ox/red, error, control changes, Ns changes, counter inc., Ns,
        time/s, control/V/mA, Ewe/V, I/mA, dq/mA.h, (Q-Qo)/mA.h, half cycle,
        Q charge/discharge/mA.h, cycle number`` for GCPL or ``freq/Hz,
        Re(Z)/Ohm, -Im(Z)/Ohm, |Z|/Ohm, Phase(Z)/deg, time/s, <Ewe>/V, <I>/mA,
        cycle number`` for PEIS. Units are those in the names (s, V, mA, mA.h,
        Hz, Ohm, deg).
    meta : mapping
        Header values; keys of :data:`DEFAULT_META`. ``active_mass_mg`` (mg of
        active material), ``molecular_weight_g_mol`` and ``area_cm2`` (cm2)
        give the cell block; ``settings`` is a list of ``(key, value)`` or
        ``(key, [value per sequence])`` pairs for the technique settings block.
    technique : str
        ``"GCPL"``, ``"CV"``, ``"PEIS"``, ``"OCV"`` or a full EC-Lab title.
    decimal_comma : bool
        Write decimal commas in the data (European locale export).

    Returns
    -------
    Path
        The written file.
    """
    if technique not in TECHNIQUES and technique not in TECHNIQUES.values():
        raise ValueError(f"technique {technique!r}: expected one of {sorted(TECHNIQUES)}")
    title = TECHNIQUES.get(technique, technique)
    unknown = set(meta) - set(DEFAULT_META)
    if unknown:
        raise ValueError(
            f"meta has unknown keys {sorted(unknown)}; expected {sorted(DEFAULT_META)}"
        )
    header = _header_lines(meta, title, technique)
    n_header = 2 + len(header) + 1  # title lines + header block + column line
    first = ["EC-Lab ASCII FILE", f"Nb header lines : {n_header:<26d}"]
    column_line = "\t".join(str(c) for c in table.columns) + "\t"
    body = _format_table(table)
    if decimal_comma:
        body = body.replace(".", ",")
    text = "\n".join(first + header + [column_line]) + "\n" + body
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="latin-1", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


def gcpl_settings(
    currents_mA: Sequence[float],
    limits_V: Sequence[float],
    *,
    record_dE_mV: float,
    record_dt_s: float,
    n_cycles: int = 0,
) -> list[tuple[str, Any]]:
    """Settings block of a GCPL technique with one sequence per (current, limit) pair.

    Parameters
    ----------
    currents_mA : sequence of float
        Signed current of each sequence (mA; negative = reduction/discharge).
    limits_V : sequence of float
        Potential limit EM of each sequence (V).
    record_dE_mV, record_dt_s : float
        Recording conditions (every dE mV or dt s).
    n_cycles : int
        ``nc cycles`` of the last sequence (loops back to sequence 0).
    """
    n = len(currents_mA)
    return [
        ("Set I/C", ["I"] * n),
        ("Is", [f"{abs(i):.3f}" for i in currents_mA]),
        ("unit Is", ["mA"] * n),
        ("vs.", ["<None>"] * n),
        ("N", ["1.00"] * n),
        ("I sign", ["> 0" if i > 0 else "< 0" for i in currents_mA]),
        ("t1 (h:m:s)", ["0:00:0.0000"] * n),
        ("I Range", ["10 mA"] * n),
        ("Bandwidth", ["5"] * n),
        ("dE1 (mV)", [f"{record_dE_mV:.2f}"] * n),
        ("dt1 (s)", [f"{record_dt_s:.4f}"] * n),
        ("EM (V)", [f"{v:.3f}" for v in limits_V]),
        ("tM (h:m:s)", ["0:00:0.0000"] * n),
        ("E range min (V)", ["0.000"] * n),
        ("E range max (V)", ["5.000"] * n),
        ("goto Ns'", ["0"] * n),
        ("nc cycles", ["0"] * (n - 1) + [str(n_cycles)]),
    ]
