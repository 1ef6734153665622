"""Snakemake script: Fig. 3 (a-d) from the echem result tables."""

import logging

import pandas as pd

from intercal.figures.echem import figure_3, load_spectra, save

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
inp, p = snakemake.input, snakemake.params
first = {k: pd.read_csv(f) for k, f in zip(p.cutoff_keys, inp.first, strict=True)}
spectra, _ = load_spectra(inp.eis_fit, inp.eis_curve, inp.eis_model)
fig = figure_3(
    first_cycles=first,
    gcd=pd.read_csv(inp.gcd),
    gcd_cycles=list(p.gcd_cycles),
    gcd_label=f"{float(p.gcd_key):.2f}-3.00 V, 0.1 C",
    cv_curves=[pd.read_csv(f) for f in inp.cv],
    rs=pd.read_csv(inp.rs),
    cv_cycle=p.cv_cycle,
    spectra=spectra,
)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s and %s", snakemake.output.pdf, snakemake.output.png)
