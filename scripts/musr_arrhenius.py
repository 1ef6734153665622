"""Global KT fit over all temperatures (seeded by the per-temperature fits), nu(T) with QC
flags, onset, Arrhenius fit with the nu covariance, D_Li, musrfit .msr and Mantid table."""

import json
import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.musr.export import mantid_table, write_msr
from intercal.musr.pipeline import aggregate
from intercal.tables import write_csv, write_text

job_log(snakemake.log[0])
fit = dict(snakemake.params.fit)
arr = dict(snakemake.params.arrhenius)
records = [pd.read_csv(p) for p in snakemake.input.records]
reduced = [pd.read_csv(p) for p in snakemake.input.reduced]
with open(snakemake.input.alpha) as fh:
    alpha = json.load(fh)["alpha"]
out = aggregate(
    records,
    reduced,
    names=list(snakemake.params.names),
    delta_mode=fit["delta_mode"],
    onset_K=arr["onset_K"],
    n_sigma=arr["n_sigma"],
    nu_min_MHz=arr["nu_min_MHz"],
    false_onset_z=arr["false_onset_z"],
    jump_paths=list(snakemake.params.jump_paths),
    t_min_us=fit["t_min_us"],
    t_max_us=fit["t_max_us"],
    method=fit["method"],
    grouping=snakemake.params.grouping,
)
g = out["global"]
logging.info(
    "nu(T):\n%s\nArrhenius:\n%s\nresults:\n%s",
    out["nu_table"].to_string(),
    out["arrhenius"].to_string(),
    out["repro"].to_string(),
)
temps = [dict(t) for t in snakemake.params.temperatures]
msr = write_msr(
    g,
    temps,
    alpha=alpha,
    grouping=snakemake.params.grouping,
    t_min_us=fit["t_min_us"],
    t_max_us=fit["t_max_us"],
    rebin=snakemake.params.reduction["rebin"],
    background_window_us=snakemake.params.background_window_us,
    run_info={
        f: (float(d["t0_us"].iloc[0]), float(d["bin_width_us"].iloc[0]))
        for red in reduced
        if "file" in red
        for f, d in red.groupby("file")
    },
)
write_csv(out["nu_table"], snakemake.output.nu_table)
write_csv(out["arrhenius"], snakemake.output.record)
write_csv(g.record, snakemake.output.global_record)
write_csv(g.covariance, snakemake.output.covariance, index=True)
write_csv(out["curves"], snakemake.output.curves)
write_text(msr, snakemake.output.msr)
write_csv(mantid_table(g, temps), snakemake.output.mantid)
write_csv(out["repro"], snakemake.output.repro)
