"""Collect the per-spectrum summaries: edge table, long spectra table, reproduction rows."""

import json
import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.tables import write_csv
from intercal.xas.pipeline import edge_table, reproduction

job_log(snakemake.log[0])
summaries = [json.loads(open(p).read()) for p in snakemake.input.summaries]
lcf = [json.loads(open(p).read()) for p in snakemake.input.lcf]
write_csv(edge_table(summaries), snakemake.output.edges)
parts = []
for s, path in zip(summaries, snakemake.input.spectra, strict=True):
    df = pd.read_csv(path)[["energy_eV", "norm", "flat", "derivative"]]
    df.insert(0, "sample", s["sample"])
    df.insert(0, "element", s["element"])
    df.insert(0, "spectrum", s["name"])
    parts.append(df)
write_csv(pd.concat(parts, ignore_index=True), snakemake.output.long)
rows = reproduction(summaries, snakemake.params.edge_shift, lcf)
for r in rows.itertuples():
    if r.qc:
        logging.warning("%s = %.4g (%s) flagged %s", r.quantity, r.value, r.unit, r.qc)
logging.info("reproduction rows %s", list(rows.quantity))
write_csv(rows, snakemake.output.repro)
