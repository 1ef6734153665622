"""Snakemake entry point: the per-batch Le Bail cross-check tables -> one table."""

import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.operando.crosscheck import COLUMNS
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
parts = [pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in snakemake.input.tables]
parts = [p for p in parts if len(p)]
table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
table = table.sort_values(["scan"], kind="stable").reset_index(drop=True)[COLUMNS]
write_csv(table, snakemake.output.table)
within = (table[["z_a", "z_c"]].abs() <= 2).all(axis=1)
logging.info(
    "%d scan/phase pairs from %d batches; within 2 combined esds: %d",
    len(table),
    len(snakemake.input.tables),
    int(within.sum()),
)
