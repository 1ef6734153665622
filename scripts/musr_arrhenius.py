"""nu(T) table, onset, Delta fixed from the static regime (stage 2), Arrhenius fit, D_Li."""

import logging

import pandas as pd

from intercal.musr.pipeline import aggregate
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
fit = dict(snakemake.params.fit)
arr = dict(snakemake.params.arrhenius)
records = [pd.read_csv(p) for p in snakemake.input.records]
reduced = [pd.read_csv(p) for p in snakemake.input.reduced]
stage1_curves = [pd.read_csv(p) for p in snakemake.input.curves]
nu_table, record, repro, stage2 = aggregate(
    records,
    reduced,
    delta_mode=fit.get("delta_mode", "static_mean"),
    onset_K=arr.get("onset_K"),
    n_sigma=arr.get("n_sigma", 2.0),
    nu_min_MHz=arr.get("nu_min_MHz", 0.02),
    jump_paths=list(snakemake.params.jump_paths),
    t_min_us=fit.get("t_min_us", 0.1),
    t_max_us=fit.get("t_max_us", 16.0),
    method=fit.get("method", "exact"),
)
curves = []
for rec, cur in zip(records, stage1_curves, strict=True):
    temp = float(rec.loc[rec["parameter"] == "temperature", "value"].iloc[0])
    cur = stage2[temp][1] if temp in stage2 else cur
    curves.append(cur.assign(temperature_K=temp))
logging.info("nu(T):\n%s\nArrhenius:\n%s", nu_table.to_string(), record.to_string())
write_csv(nu_table, snakemake.output.nu_table)
write_csv(record, snakemake.output.record)
write_csv(pd.concat(curves, ignore_index=True), snakemake.output.curves)
write_csv(repro, snakemake.output.repro)
