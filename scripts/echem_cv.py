"""Snakemake script: one CV file -> baseline-corrected peaks (one-row table) and the I-E curve."""

import logging

import pandas as pd

from intercal.echem.pipeline import cv_curves, cv_peaks
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
p = snakemake.params
row = cv_peaks(
    snakemake.input.raw,
    cycle=p.cycle,
    cathodic_window=tuple(p.cathodic_window),
    anodic_window=tuple(p.anodic_window),
    cathodic_baseline=tuple(p.cathodic_baseline),
    anodic_baseline=tuple(p.anodic_baseline),
)
logging.info("%s", row)
write_csv(pd.DataFrame([row]), snakemake.output.peaks)
write_csv(cv_curves(snakemake.input.raw), snakemake.output.curves)
