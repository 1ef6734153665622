"""Snakemake entry point: Fig. 1 (a hull, b voltage profile, c NEB) from the DFT tables."""

import logging

import pandas as pd

from intercal.figures.dft import fig1
from intercal.joblog import job_log

job_log(snakemake.log[0], filemode="w")
logging.getLogger("fontTools").setLevel(logging.WARNING)
#: NEB tables are inputs only when the config has dft.neb
NEB = "neb_paths" in snakemake.input.keys()
fig1(
    hull=pd.read_csv(snakemake.input.hull),
    profile=pd.read_csv(snakemake.input.profile),
    neb_paths=pd.read_csv(snakemake.input.neb_paths) if NEB else None,
    neb_barriers=pd.read_csv(snakemake.input.neb_barriers) if NEB else None,
    pdf=snakemake.output.pdf,
    png=snakemake.output.png,
    host=snakemake.params.host,
    ion=snakemake.params.ion,
)
logging.info("wrote %s and %s", snakemake.output.pdf, snakemake.output.png)
