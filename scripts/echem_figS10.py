"""Snakemake script: Fig. S10 (long cycling per cut-off) from the per-cycle tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_s10, save
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
p = snakemake.params
cut = dict(p.cutoffs)
long = {float(v): pd.read_csv(f) for v, f in zip(cut.values(), snakemake.input.long, strict=True)}
rates = {p.cells[n].get("c_rate") for n in cut}
title = f"{p.limit} cut-off" + (
    f", {next(iter(rates)):g} C" if len(rates) == 1 and None not in rates else ""
)
fig = figure_s10(long, title=title, retention_cycle=p.retention_cycle)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
