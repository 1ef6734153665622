"""One configured XANES figure from the result tables."""

import logging

import pandas as pd

from intercal.figures.xas import xanes_figure
from intercal.joblog import job_log

job_log(snakemake.log[0])
logging.getLogger("fontTools").setLevel(logging.WARNING)
fig = dict(snakemake.params.figure)
xanes_figure(
    pd.read_csv(snakemake.input.long),
    pd.read_csv(snakemake.input.edges),
    snakemake.output.pdf,
    snakemake.output.png,
    fig["spectra"],
    derivative=fig["derivative"],
    xlim=fig["xlim_eV"],
    title=fig["title"],
)
logging.info("figure %s: %s", snakemake.wildcards.xas_figfile, list(snakemake.output))
