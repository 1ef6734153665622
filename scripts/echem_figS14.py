"""Snakemake script: Fig. S14 (rate capability) from the rate-test tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_s14, save
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
inp = snakemake.input
fig = figure_s14(
    pd.read_csv(inp.cycles),
    pd.read_csv(inp.rate),
    pd.read_csv(inp.curves),
    cell=snakemake.params.cell,
)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
