"""Snakemake entry point: NEB energy paths -> barriers and relative paths."""

import logging

import pandas as pd

from intercal.dft import io, neb
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
rows, paths = [], []
for path_file, spec in zip(snakemake.input.paths, snakemake.params.paths, strict=True):
    label = spec.get("label") or f"x = {spec['x']:g}"
    path = io.read_neb(path_file)
    res = neb.barrier(path, source=str(path_file))
    rows.append({"label": label, "x": float(spec["x"]), "file": str(path_file), **res})
    paths.append(neb.relative_path(path, label=label, x=spec["x"]))
    logging.info("%s: barrier %.4f eV", path_file, res["barrier_eV"])
write_csv(pd.DataFrame(rows), snakemake.output.barriers)
write_csv(pd.concat(paths, ignore_index=True), snakemake.output.paths)
