"""Fig. 2 (a, b Le Bail; c Cr K XANES; d nu_Li vs T) from the result tables."""

import logging

import pandas as pd

from intercal.figures.fig2 import fig2

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
inp = snakemake.input
lebail = [
    (title, pd.read_csv(prof), pd.read_csv(refl))
    for title, prof, refl in zip(
        snakemake.params.titles, inp.profiles, inp.reflections, strict=True
    )
]
spectra = pd.read_csv(inp.xas)
cr_ids = list(snakemake.params.cr_spectra) or sorted(set(spectra.spectrum[spectra.element == "Cr"]))
fig2(
    lebail,
    spectra[spectra.spectrum.isin(cr_ids)],
    pd.read_csv(inp.nu),
    snakemake.output.pdf,
    snakemake.output.png,
)
logging.info("Fig. 2 written: %s", list(snakemake.output))
