"""Calibrate, merge, normalize and fit the repeated scans of one sample/edge (one job each)."""

import logging

from intercal.tables import write_csv, write_json
from intercal.xas.pipeline import process_spectrum

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
settings = dict(snakemake.params.settings)
files = list(snakemake.input.files)
logging.info("spectrum %s: %d scans %s", settings["name"], len(files), files)
result = process_spectrum(files, **settings)
summary = result["summary"]
logging.info(
    "E0 %.3f(%.3f) eV, half-step %.3f eV, pre-edge %.3f eV, shifts %s",
    summary["e0_eV"],
    summary["e0_stderr_eV"],
    summary["half_step_eV"],
    summary["preedge_eV"],
    summary["shifts_eV"],
)
write_csv(result["spectrum"], snakemake.output.spectrum)
write_csv(result["record"], snakemake.output.record)
write_csv(result["fit_curve"], snakemake.output.fit_curve)
write_json(summary, snakemake.output.summary)
