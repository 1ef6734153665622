"""Snakemake script: Fig. 3 from the echem result tables (panels the config has)."""

import logging

import pandas as pd

from intercal.figures import style
from intercal.figures.echem import figure_3, load_spectra, save, window_label
from intercal.joblog import job_log

job_log(snakemake.log[0])
style.set_reference_ion(snakemake.params.reference_ion)
inp, p = snakemake.input, snakemake.params
cut = dict(p.cutoffs)
first = {float(v): pd.read_csv(f) for v, f in zip(cut.values(), inp.first, strict=True)}
rates = {p.cells[n].get("c_rate") for n in cut}
note = f"{next(iter(rates)):g} C" if len(rates) == 1 and None not in rates else ""
spectra, _ = load_spectra(inp.eis_fit, inp.eis_curve, inp.eis_model) if inp.eis_fit else ([], [])
gcd = pd.read_csv(inp.gcd[0]) if inp.gcd else None
gcd_label = ""
if gcd is not None:
    c = p.cells[p.gcd_cell].get("c_rate")
    gcd_label = f"{p.gcd_cell}: {window_label(gcd, p.gcd_cycles)}" + (f", {c:g} C" if c else "")
fig = figure_3(
    first_cycles=first,
    first_title=f"{p.limit} cut-off (window)",
    first_note=note,
    first_limit=p.limit,
    gcd=gcd,
    gcd_cycles=list(p.gcd_cycles),
    gcd_label=gcd_label,
    cv_curves=[pd.read_csv(f) for f in inp.cv],
    rs=pd.read_csv(inp.rs[0]) if inp.rs else None,
    cv_cycle=p.cv_cycle or 1,
    spectra=spectra,
    eis_title=p.eis_title,
)
save(fig, snakemake.output.pdf, snakemake.output.png)
logging.info("wrote %s and %s", snakemake.output.pdf, snakemake.output.png)
