"""Snakemake script: Fig. S10 (long cycling per cut-off) from the per-cycle tables."""

import logging

import pandas as pd

from intercal.figures.echem import figure_s10, save

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
p = snakemake.params
long = {k: pd.read_csv(f) for k, f in zip(p.long_keys, snakemake.input.long, strict=True)}
save(figure_s10(long, c_rate=p.c_rate), snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
