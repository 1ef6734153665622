"""Snakemake script: one PEIS file -> fit record (with Lin-KK), data/fit curve, dense fit curve."""

import logging

from intercal.echem.pipeline import eis_drt, eis_fit
from intercal.joblog import job_log
from intercal.tables import fit_record, write_csv

job_log(snakemake.log[0])
p = snakemake.params
params, stats, curve, model = eis_fit(
    snakemake.input.raw,
    circuit=p.circuit,
    initial_guess=p.initial_guess,
    ignore_below_x=p.ignore_below_x,
    weighting=p.weighting,
    kk_threshold_percent=p.kk_threshold_percent,
    kk_c=p.kk_c,
    kk_add_cap=p.kk_add_cap,
    kk_min_M_per_decade=p.kk_min_M_per_decade,
)
logging.info("%s: %s", snakemake.input.raw, stats)
if stats["kk_flagged"]:
    logging.warning(
        "%s: Lin-KK max residual %.2f %% exceeds the threshold %.2f %% (flagged, fit kept)",
        snakemake.input.raw,
        stats["kk_max_residual_percent"],
        stats["kk_threshold_percent"],
    )
rows = params.to_dict("records")
for r in rows:
    if r.get("qc"):
        logging.warning("%s: parameter %s: %s", snakemake.input.raw, r["parameter"], r["qc"])
    r["note"] = r.pop("qc", "")
write_csv(fit_record(rows, stats), snakemake.output.fit)
write_csv(curve, snakemake.output.curve)
write_csv(model, snakemake.output.model)
drt = eis_drt(snakemake.input.raw, lam=p.drt_lambda)
logging.info("DRT: rms relative residual %.4f", drt["drt_rms_relative_residual"].iloc[0])
write_csv(drt, snakemake.output.drt)
