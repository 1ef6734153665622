"""Fig. S7 (asymmetry spectra with fits) and Fig. S8 (Arrhenius plot) from the result tables."""

import logging

import pandas as pd

from intercal.figures.musr import figure_s7, figure_s8
from intercal.joblog import job_log

job_log(snakemake.log[0])
nu = pd.read_csv(snakemake.input.nu_table)
record = pd.read_csv(snakemake.input.record)
curves = pd.read_csv(snakemake.input.curves)
figure_s8(nu, record, snakemake.output.s8_pdf, snakemake.output.s8_png)
figure_s7(curves, snakemake.output.s7_pdf, snakemake.output.s7_png)
logging.info("figures written")
