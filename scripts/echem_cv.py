"""Snakemake script: one CV file -> baseline-corrected peaks, sweep charges and the I-E curve."""

import logging

import pandas as pd

from intercal.echem.pipeline import cv_curves, cv_peaks
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0])
p = snakemake.params


def _range(x):
    return tuple(x) if x is not None else None


row = cv_peaks(
    snakemake.input.raw,
    scan_rate_mV_s=p.scan_rate,
    cycle=p.cycle,
    cathodic_window=_range(p.cathodic_window),
    anodic_window=_range(p.anodic_window),
    cathodic_baseline=_range(p.cathodic_baseline),
    anodic_baseline=_range(p.anodic_baseline),
)
logging.info("%s", row)
write_csv(pd.DataFrame([row]), snakemake.output.peaks)
write_csv(cv_curves(snakemake.input.raw, scan_rate_mV_s=p.scan_rate), snakemake.output.curves)
