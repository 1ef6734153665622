"""Snakemake entry point: scan log + cycling file -> time, voltage, x per scan."""

import logging

import numpy as np
import pandas as pd

from intercal.errors import InputError
from intercal.io.echem import read as read_cycling
from intercal.operando import align
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
cell = dict(snakemake.params.cell)
cyc = read_cycling(snakemake.input.cycling)
table, meta = cyc.table, cyc.meta
mass = cell.get("active_mass_mg")
if mass is None:
    if "active_mass_mg" not in meta:
        raise InputError(
            f"{snakemake.input.cycling}: no 'Mass of active material' in the header; "
            "set operando.cell.active_mass_mg"
        )
    mass = meta["active_mass_mg"]
start = None
if "acquisition_start" in meta:
    start = align.parse_acquisition_start(meta["acquisition_start"], snakemake.input.cycling)
log = pd.read_csv(snakemake.input.scan_log, comment="#")
times = align.scan_times(
    log,
    columns=snakemake.params.columns,
    clock_offset_s=snakemake.params.clock_offset_s,
    cell_start=start,
    source=snakemake.input.scan_log,
)
aligned = align.align_scans(
    times,
    table,
    active_mass_mg=float(mass),
    host_formula=cell["host_formula"],
    starting_x=float(cell["starting_x"]),
    lithiation_current=cell.get("lithiation_current", "negative"),
    rest_current_mA=float(cell.get("rest_current_mA", 1e-4)),
    source=snakemake.input.cycling,
)
write_csv(aligned, snakemake.output.alignment)
x = align.li_content(
    table["time_s"].to_numpy(float),
    table["current_mA"].to_numpy(float),
    float(mass),
    cell["host_formula"],
    float(cell["starting_x"]),
    cell.get("lithiation_current", "negative"),
)
step = max(1, len(table) // 5000)
trace = pd.DataFrame(
    {
        "time_s": table["time_s"].to_numpy(float)[::step],
        "time_h": table["time_s"].to_numpy(float)[::step] / 3600.0,
        "voltage_V": table["voltage_V"].to_numpy(float)[::step],
        "current_mA": table["current_mA"].to_numpy(float)[::step],
        "x": np.asarray(x)[::step],
    }
)
write_csv(trace, snakemake.output.trace)
logging.info(
    "%d scans aligned; active mass %.4g mg; x from %.3f to %.3f",
    len(aligned),
    mass,
    aligned["x"].min(),
    aligned["x"].max(),
)
