"""Snakemake entry point: Fig. 4 and SI Fig. S18 from the operando result tables."""

import logging

import numpy as np
import pandas as pd

from intercal.figures import operando, style
from intercal.joblog import job_log

job_log(snakemake.log[0], filemode="w")
lattice = pd.read_parquet(snakemake.input.lattice)
with np.load(snakemake.input.intensity_map) as z:
    # the reduced map stored by the lattice job; the full one only when it is absent
    skip = {"intensity"} if "display_sqrt" in z.files else set()
    imap = {k: z[k] for k in z.files if k not in skip}
trace = pd.read_csv(snakemake.input.trace)
patterns = pd.read_csv(snakemake.input.patterns)
style.set_phase_order(snakemake.params.phase_order)
p = snakemake.params
labels = (list(p.hardware_labels) + [""] * len(p.hardware_peaks_deg))[: len(p.hardware_peaks_deg)]
hardware = [
    (float(r[0]), float(r[1]), lab) for r, lab in zip(p.hardware_peaks_deg, labels, strict=True)
]
out = snakemake.output
style.draw_side_by_side(
    [
        (
            "Fig. 4",
            lambda: operando.fig4(
                lattice,
                imap,
                trace,
                patterns,
                out.pdf,
                out.png,
                x_unit=p.x_unit,
                hardware=hardware,
            ),
        ),
        ("Fig. S18", lambda: operando.figs18(lattice, imap, trace, out.s18_pdf, out.s18_png)),
    ]
)
logging.info("Fig. 4 and Fig. S18 drawn from %d scans", lattice["scan"].nunique())
