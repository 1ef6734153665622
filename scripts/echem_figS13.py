"""Snakemake script: Fig. S13 (Ip vs v^0.5, Randles-Sevcik lines) from the CV tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_s13, save
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
fig = figure_s13(pd.read_csv(snakemake.input.peaks), pd.read_csv(snakemake.input.rs))
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
