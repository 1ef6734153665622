"""Snakemake script: dQ/dV per cycle of every cell, with peak positions, from the cell tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_dqdv, save
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
inp, names = snakemake.input, snakemake.params.cells
fig = figure_dqdv(
    {n: pd.read_csv(f) for n, f in zip(names, inp.dqdv, strict=True)},
    {n: pd.read_csv(f) for n, f in zip(names, inp.peaks, strict=True)},
    {n: pd.read_csv(f).iloc[0].to_dict() for n, f in zip(names, inp.info, strict=True)},
)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s", snakemake.output.png)
