"""Snakemake script: one cell's files -> cycles, curves, dQ/dV, dQ/dV peaks, cell info."""

import logging

from intercal.echem.cells import cell_tables
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0])
p = snakemake.params
out = cell_tables(
    snakemake.wildcards.cell,
    p.cell,
    list(snakemake.input.raw),
    csv=p.csv,
    mass_tolerance_percent=p.mass_tolerance_percent,
    completion_tol_V=p.completion_tolerance_V,
    dqdv=p.dqdv,
)
logging.info("%s", out["info"].iloc[0].to_dict())
for key in ("cycles", "curves", "dqdv", "dqdv_peaks", "info"):
    write_csv(out[key], getattr(snakemake.output, key))
