"""alpha (forward/backward efficiency ratio) from the transverse-field calibration run."""

import logging

from intercal.joblog import job_log
from intercal.musr.pipeline import calibrate_alpha
from intercal.tables import write_csv, write_json

job_log(snakemake.log[0])
cal = dict(snakemake.params.calibration)
grouping = snakemake.params.grouping or {}
record, curve, alpha, alpha_err = calibrate_alpha(
    snakemake.input.run,
    field_G=cal["field_G"],
    forward=grouping.get("forward"),
    backward=grouping.get("backward"),
    dead_time=snakemake.params.dead_time,
    background_window_us=snakemake.params.background_window_us,
    t_min_us=cal["t_min_us"],
    t_max_us=cal["t_max_us"],
    model=cal["model"],
    max_phase_deg=cal["max_phase_deg"],
)
logging.info("alpha = %.5f +/- %.5f\n%s", alpha, alpha_err, record.to_string())
write_csv(record, snakemake.output.record)
write_csv(curve, snakemake.output.curve)
write_json({"alpha": alpha, "alpha_stderr": alpha_err}, snakemake.output.alpha)
