"""Snakemake script: per-cell and per-file echem tables -> aggregates and reproduction rows."""

import logging
from pathlib import Path

import pandas as pd

from intercal.echem.pipeline import summary
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0])
p = snakemake.params
inp = snakemake.input
cv_mass = None
if inp.cv_info:
    cv_mass = float(pd.read_csv(inp.cv_info[0])["active_mass_mg"].iloc[0])
out = summary(
    cycles={n: pd.read_csv(f) for n, f in zip(p.cycle_cells, inp.cycles, strict=True)},
    infos=[pd.read_csv(f) for f in inp.info],
    formula=p.formula,
    n_electrons=p.n_electrons,
    cutoff=p.cutoff,
    long=p.long,
    rate=p.rate,
    cv_cfg=p.cv,
    cv_area_cm2=p.cv_area,
    cv_mass_mg=cv_mass,
    peaks=pd.concat([pd.read_csv(f) for f in inp.cv], ignore_index=True) if inp.cv else None,
    eis_records={Path(f).name: pd.read_csv(f) for f in inp.eis},
    rct_parameter=p.rct,
)
for r in out["repro"].itertuples(index=False):
    if r.qc:
        logging.warning("%s = %.6g: qc %s", r.quantity, r.value, r.qc)
logging.info("\n%s", out["repro"].to_string())
# only the tables of the configured experiments are outputs (the rule lists them)
for key in snakemake.output.keys():
    write_csv(out[key], getattr(snakemake.output, key))
