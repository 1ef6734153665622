"""Snakemake script: dft.* rows of the results table (voltage summary, NEB barriers)."""

import json
import logging

import pandas as pd

from intercal.dft.summary import headline_rows
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
summary = json.load(open(snakemake.input.summary))
barriers = pd.read_csv(snakemake.input.barriers[0]) if snakemake.input.barriers else None
table = headline_rows(summary, barriers, snakemake.params.host)
for row in table.itertuples(index=False):
    logging.info("%s = %s %s qc=%r", row.quantity, row.value, row.unit, row.qc)
write_csv(table, snakemake.output.table)
