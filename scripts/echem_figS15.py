"""Snakemake script: Fig. S15 (EIS fits per potential, R_ct vs potential) from the EIS tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_s15, load_spectra, save
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
inp = snakemake.input
spectra, stats = load_spectra(inp.eis_fit, inp.eis_curve, inp.eis_model)
fig = figure_s15(spectra, pd.read_csv(inp.rct), stats, title=snakemake.params.title)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
