"""Reduce the ZF + LF runs of one temperature and fit them globally (Delta, nu shared)."""

import json
import logging

from intercal.joblog import job_log
from intercal.musr.pipeline import fit_temperature, reduce_temperature
from intercal.tables import write_csv

job_log(snakemake.log[0])
temp = dict(snakemake.params.temperature)
grouping = snakemake.params.grouping or {}
red = dict(snakemake.params.reduction)
fit = dict(snakemake.params.fit)
with open(snakemake.input.alpha) as fh:
    alpha = json.load(fh)["alpha"]
reduced = reduce_temperature(
    temp["runs"],
    alpha=alpha,
    forward=grouping.get("forward"),
    backward=grouping.get("backward"),
    dead_time=snakemake.params.dead_time,
    background_window_us=snakemake.params.background_window_us,
    t_max_us=red.get("t_max_us", 16.0),
    rebin=red.get("rebin", 2),
    temperature_K=temp["temperature_K"],
    temperature_tolerance_K=red.get("temperature_tolerance_K", 2.0),
)
record, curves = fit_temperature(
    reduced,
    t_min_us=fit.get("t_min_us", 0.1),
    t_max_us=fit.get("t_max_us", 16.0),
    method=fit.get("method", "exact"),
)
logging.info("%s (alpha %.5f):\n%s", temp["name"], alpha, record.to_string())
write_csv(reduced, snakemake.output.reduced)
write_csv(record, snakemake.output.record)
write_csv(curves, snakemake.output.curves)
