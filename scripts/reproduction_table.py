"""Merge the per-technique reproduction rows into results/tables/reproduction.csv."""

import logging

import pandas as pd

from intercal.reproduction import merge
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
parts = [pd.read_csv(p) for p in snakemake.input.parts]
table = merge(parts, sources=list(snakemake.input.parts))
write_csv(table, snakemake.output.table)
logging.info("reproduction table: %d rows, %d with values", len(table), table.value.notna().sum())
