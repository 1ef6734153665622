"""Snakemake script: DRT of every PEIS spectrum (one figure) from the per-spectrum DRT tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_drt, save, spectrum_label
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
drts = [pd.read_csv(f) for f in snakemake.input.drt]
labels = [
    spectrum_label(float(d["potential_V"].iloc[0]), n)
    for d, n in zip(drts, snakemake.params.names, strict=True)
]
save(
    figure_drt(drts, labels, title=snakemake.params.title),
    snakemake.output.pdf,
    snakemake.output.png,
)
logging.info("wrote %s", snakemake.output.png)
