"""Fig. 2 (Le Bail fits, XANES, hop rate: the panels the study has) from the result tables."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.fig2 import fig2
from intercal.joblog import job_log

job_log(snakemake.log[0])
inp, p = snakemake.input, snakemake.params
style.set_phase_order(p.phases)
lebail = [
    (title, pd.read_csv(prof), pd.read_csv(refl))
    for title, prof, refl in zip(p.titles, inp.profiles, inp.reflections, strict=True)
]
spectra = pd.read_csv(inp.xas) if "xas" in inp.keys() else None
nu = pd.read_csv(inp.nu) if "nu" in inp.keys() else None
arrh = pd.read_csv(inp.arrhenius) if "arrhenius" in inp.keys() else None
fig2(
    lebail,
    spectra,
    nu,
    snakemake.output.pdf,
    snakemake.output.png,
    spectrum_ids=list(p.spectrum_ids) or None,
    arrhenius=arrh,
)
logging.info("Fig. 2 written: %s", list(snakemake.output))
