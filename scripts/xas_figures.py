"""Fig. S4 (Se K edge) and a preview of the Fig. 2c Cr K-edge panel, from results tables."""

import logging

import pandas as pd

from intercal.figures.xas import cr_xanes_figure, figure_s4

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
long = pd.read_csv(snakemake.input.long)
edges = pd.read_csv(snakemake.input.edges)
cr_ids = list(snakemake.params.cr_spectra) or sorted(set(long.spectrum[long.element == "Cr"]))
cr = long[long.spectrum.isin(cr_ids)]
cr_xanes_figure(cr, snakemake.output.cr_pdf, snakemake.output.cr_png)
figure_s4(
    long,
    edges,
    snakemake.output.s4_pdf,
    snakemake.output.s4_png,
    samples=list(snakemake.params.se_spectra) or None,
)
logging.info("figures written: %s", list(snakemake.output))
