"""Snakemake entry point: Fig. 4 from the operando result tables."""

import logging

import numpy as np
import pandas as pd

from intercal.figures import operando, style
from intercal.joblog import job_log

job_log(snakemake.log[0], filemode="w")
lattice = pd.read_csv(snakemake.input.lattice)
with np.load(snakemake.input.intensity_map) as z:
    imap = {k: z[k] for k in z.files}
trace = pd.read_csv(snakemake.input.trace)
patterns = pd.read_csv(snakemake.input.patterns)
style.set_phase_order(snakemake.params.phase_order)
p = snakemake.params
labels = (list(p.hardware_labels) + [""] * len(p.hardware_peaks_deg))[: len(p.hardware_peaks_deg)]
hardware = [
    (float(r[0]), float(r[1]), lab) for r, lab in zip(p.hardware_peaks_deg, labels, strict=True)
]
operando.fig4(
    lattice,
    imap,
    trace,
    patterns,
    snakemake.output.pdf,
    snakemake.output.png,
    x_unit=p.x_unit,
    hardware=hardware,
)
operando.figs18(lattice, imap, trace, snakemake.output.s18_pdf, snakemake.output.s18_png)
logging.info("Fig. 4 drawn from %d scans", lattice["scan"].nunique())
