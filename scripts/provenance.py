"""Snakemake entry point: the run's provenance page (config used, software versions)."""

import logging

from intercal.joblog import job_log
from intercal.provenance import render, versions
from intercal.tables import write_text

job_log(snakemake.log[0])
vers = versions()
write_text(
    render(snakemake.params.config, snakemake.params.configfile, vers), snakemake.output.html
)
logging.info("versions: %s", vers)
