"""Snakemake entry point: scan log + cycling file -> time, voltage, x per scan."""

import logging

import numpy as np
import pandas as pd

from intercal.errors import InputError
from intercal.io.echem import read_cycler
from intercal.joblog import job_log
from intercal.operando import align
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
cell = dict(snakemake.params.cell)
cyc = read_cycler(snakemake.input.cycling, csv=dict(snakemake.params.cycling_csv) or None)
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
opts = dict(
    active_mass_mg=float(mass),
    host_formula=cell["host_formula"],
    starting_x=float(cell["starting_x"]),
    lithiation_current=cell.get("lithiation_current", "negative"),
    rest_current_mA=float(cell.get("rest_current_mA", 1e-4)),
    source=snakemake.input.cycling,
    first_direction=cell.get("first_direction", "lithiation"),
    x_reset=cell.get("x_reset"),
)
aligned = align.align_scans(times, table, **opts)
t, v, cur, x, cycle, x_off = align.cycling_x(table, **opts)
aligned["x_offset"] = x_off
write_csv(aligned, snakemake.output.alignment)
step = max(1, len(table) // 5000)
trace = pd.DataFrame(
    {
        "time_s": t[::step],
        "time_h": t[::step] / 3600.0,
        "voltage_V": v[::step],
        "current_mA": cur[::step],
        "x": np.asarray(x)[::step],
        "cycle": cycle[::step],
    }
)
trace.attrs = {}
write_csv(trace, snakemake.output.trace)
logging.info(
    "%d scans aligned; active mass %.4g mg; x from %.3f to %.3f",
    len(aligned),
    mass,
    aligned["x"].min(),
    aligned["x"].max(),
)
if cell.get("x_reset"):
    logging.info(
        "x reset to %.3f at the start of cycle %d: %.4f of x counted before it did not come "
        "back (irreversible)",
        float(cell["x_reset"].get("x", 0.0)),
        int(cell["x_reset"]["cycle"]),
        x_off,
    )
