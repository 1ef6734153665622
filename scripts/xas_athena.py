"""Athena project of one sample: its calibrated, merged spectra with the settled normalization."""

import json
import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.xas.athena import write_athena

job_log(snakemake.log[0])
groups = []
for sp, sm in zip(snakemake.input.spectra, snakemake.input.summaries, strict=True):
    s = json.loads(open(sm).read())
    df = pd.read_csv(sp)
    groups.append(
        {
            "label": s["name"],
            "energy": df.energy_eV.to_numpy(),
            "mu": df.mu.to_numpy(),
            "e0": s["e0_eV"],
            "edge_step": s["edge_step"],
            "normalization": s["normalization"],
        }
    )
write_athena(snakemake.output.prj, groups)
logging.info("Athena project %s: %s", snakemake.output.prj, [g["label"] for g in groups])
