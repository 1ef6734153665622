"""Snakemake entry point: batch fits + alignment -> lattice table, intensity map, calibration."""

import logging

import numpy as np
import pandas as pd

from intercal.joblog import job_log
from intercal.operando.maps import display_map, row_times_h
from intercal.operando.summary import assemble_lattice
from intercal.tables import atomic_write, write_csv, write_parquet

job_log(snakemake.log[0], filemode="w")
peaks = pd.concat([pd.read_csv(f) for f in snakemake.input.batches], ignore_index=True)
alignment = pd.read_csv(snakemake.input.alignment)
lattice = assemble_lattice(
    peaks,
    alignment,
    trace=pd.read_csv(snakemake.input.trace),
    max_cell_esd=dict(snakemake.params.qc).get("max_cell_esd_A"),
)
write_parquet(lattice, snakemake.output.lattice)
cal = pd.concat([pd.read_csv(f) for f in snakemake.input.calibrations], ignore_index=True)
write_csv(cal, snakemake.output.calibration)
scans, maps, grid = [], [], None
for f in snakemake.input.maps:
    with np.load(f) as z:
        scans.append(z["scan"])
        maps.append(z["intensity"])
        grid = z["two_theta_deg"]
scan = np.concatenate(scans)
intensity = np.vstack(maps)
# the map as the figures draw it (sqrt, time order, <= 600 rows), computed once here
t_disp, z_disp = display_map(intensity, row_times_h(lattice, scan))
# uncompressed: compressing a 10,000-scan map costs ~1 s on every rerun
with atomic_write(snakemake.output.intensity_map, suffix=".npz") as tmp:
    np.savez(
        tmp,
        scan=scan,
        two_theta_deg=grid,
        intensity=intensity,
        display_time_h=t_disp,
        display_sqrt=z_disp,
    )
logging.info(
    "%d scans; present rows per phase: %s; %d calibration groups",
    lattice["scan"].nunique(),
    lattice[lattice.present].groupby("phase").size().to_dict(),
    len(cal),
)
