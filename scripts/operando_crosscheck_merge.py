"""Snakemake entry point: the per-batch Le Bail cross-check tables -> one table."""

import logging

from intercal.joblog import job_log
from intercal.operando.crosscheck import merge_tables

job_log(snakemake.log[0], filemode="w")
n, within = merge_tables(snakemake.input.tables, snakemake.output.table)
logging.info(
    "%d scan/phase pairs from %d batches; within 2 combined esds: %d",
    n,
    len(snakemake.input.tables),
    within,
)
