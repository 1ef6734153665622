"""Snakemake entry point: Le Bail cross-check of the tracked cells on every n-th scan."""

import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.operando.crosscheck import crosscheck
from intercal.operando.scans import scan_number
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
p = snakemake.params
# the tracked cells as measured (per batch, before the mid-scan registration)
files = {scan_number(f): f for f in snakemake.input.scans}
lattice = pd.concat([pd.read_csv(f) for f in snakemake.input.batches], ignore_index=True)
lattice = lattice[lattice["scan"].isin(list(files))]
table = crosscheck(
    files,
    lattice,
    space_groups={k: v["space_group"] for k, v in p.materials.items()},
    extra_phases=[(k, v["space_group"], v["cell"]) for k, v in p.extra_materials.items()],
    two_theta_range_deg=tuple(p.two_theta_range_deg),
    wavelengths=tuple(p.radiation.get("wavelengths_A", [1.540593, 1.544414])),
    # axial-divergence constants of the diffractometer (xrd.instrument), fixed
    instrument={
        "SHL": float(p.instrument["SHL"]),
        "soller_rad": float(p.instrument["soller_half_acceptance_rad"]),
    },
)
write_csv(table, snakemake.output.table)
within = (table[["z_a", "z_c"]].abs() <= 2).all(axis=1)
logging.info("%d scan/phase pairs; within 2 combined esds: %d", len(table), int(within.sum()))
