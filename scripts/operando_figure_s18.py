"""Snakemake entry point: SI Fig. S18 (contour map beside the voltage) from the operando tables."""

import logging

import numpy as np
import pandas as pd

from intercal.figures import operando
from intercal.joblog import job_log

job_log(snakemake.log[0], filemode="w")
lattice = pd.read_csv(snakemake.input.lattice, usecols=["scan", "time_h"])
with np.load(snakemake.input.intensity_map) as z:
    imap = {k: z[k] for k in z.files}
trace = pd.read_csv(snakemake.input.trace)
operando.figs18(lattice, imap, trace, snakemake.output.pdf, snakemake.output.png)
logging.info("Fig. S18 drawn from %d scans", lattice["scan"].nunique())
