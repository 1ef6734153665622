"""Calibrate, merge, normalize and fit the repeated scans of one spectrum (one job each)."""

import logging

from intercal.joblog import job_log
from intercal.tables import write_csv, write_json
from intercal.xas.pipeline import process_spectrum

job_log(snakemake.log[0])
settings = dict(snakemake.params.settings)
files = list(snakemake.input.files)
logging.info("spectrum %s (%s): %d scans %s", settings["name"], settings["mode"], len(files), files)
result = process_spectrum(files, **settings)
summary = result["summary"]
logging.info(
    "E0 %.3f(%.3f) eV, half-step %.3f eV, pre-edge %.3f(%.3f) eV area %.4f(%.4f), "
    "window %s, shifts %s, qc %s",
    summary["e0_eV"],
    summary["e0_stderr_eV"],
    summary["half_step_eV"],
    summary["preedge_eV"],
    summary["preedge_stderr_eV"],
    summary["preedge_area"],
    summary["preedge_area_stderr"],
    summary["preedge_window"],
    summary["shifts_eV"],
    summary["qc"],
)
write_csv(result["spectrum"], snakemake.output.spectrum)
write_csv(result["record"], snakemake.output.record)
write_csv(result["fit_curve"], snakemake.output.fit_curve)
write_json(summary, snakemake.output.summary)
