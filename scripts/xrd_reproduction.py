"""Snakemake script: lebail.* rows of the reproduction table from the per-pattern summaries."""

import json
import logging

from intercal.joblog import job_log
from intercal.tables import write_csv
from intercal.xrd.output import reproduction_part

job_log(snakemake.log[0])
summaries = [json.load(open(p)) for p in snakemake.input.summaries]
table = reproduction_part(summaries, snakemake.params.report)
for row in table.itertuples(index=False):
    logging.info("%s = %s +- %s %s qc=%r", row.quantity, row.value, row.stderr, row.unit, row.qc)
write_csv(table, snakemake.output.table)
