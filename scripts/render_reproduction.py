"""Render results/tables/reproduction.csv as Markdown with deviations flagged."""

import logging

import pandas as pd

from intercal.reproduction import render_markdown
from intercal.tables import write_text

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
table = pd.read_csv(snakemake.input.table)
write_text(render_markdown(table), snakemake.output.markdown)
logging.info("rendered %d rows", len(table))
