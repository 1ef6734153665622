"""Snakemake entry point: one line per package module a rule runs (path and SHA-256).

The file is an input of every rule that runs these modules, so that editing one
reruns exactly those jobs and their downstream (Snakemake tracks a rule's script,
not the package code it imports).
"""

import hashlib
import logging

from intercal.joblog import job_log
from intercal.tables import write_text

job_log(snakemake.log[0])
lines = [f"{hashlib.sha256(open(f, 'rb').read()).hexdigest()}  {f}" for f in snakemake.input]
write_text("\n".join(lines) + "\n", snakemake.output[0])
logging.info("%d modules fingerprinted", len(lines))
