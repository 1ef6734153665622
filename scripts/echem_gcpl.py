"""Snakemake script: one GCPL file -> per-cycle table and voltage-capacity curves."""

import logging

from intercal.echem.pipeline import gcpl_tables
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
cycles, curves = gcpl_tables(snakemake.input.raw, mass_mg=snakemake.params.mass_mg)
logging.info("%s: %d cycles", snakemake.input.raw, len(cycles))
write_csv(cycles, snakemake.output.cycles)
write_csv(curves, snakemake.output.curves)
