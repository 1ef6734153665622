"""Collect the per-spectrum summaries: edge table, long spectra table, reproduction rows."""

import json
import logging

import pandas as pd

from intercal.tables import write_csv
from intercal.xas.pipeline import reproduction

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
summaries = [json.loads(open(p).read()) for p in snakemake.input.summaries]
edges = pd.DataFrame(
    [
        {
            "spectrum": s["name"],
            "element": s["element"],
            "sample": s["sample"],
            "n_scans": len(s["files"]),
            "e0_eV": s["e0_eV"],
            "e0_stderr_eV": s["e0_stderr_eV"],
            "half_step_eV": s["half_step_eV"],
            "half_step_stderr_eV": s["half_step_stderr_eV"],
            "preedge_eV": s["preedge_eV"],
            "preedge_stderr_eV": s["preedge_stderr_eV"],
            "edge_step": s["edge_step"],
            "mean_shift_eV": sum(s["shifts_eV"].values()) / len(s["shifts_eV"]),
        }
        for s in summaries
    ]
)
write_csv(edges, snakemake.output.edges)
parts = []
for s, path in zip(summaries, snakemake.input.spectra, strict=True):
    df = pd.read_csv(path)[["energy_eV", "norm", "flat", "derivative"]]
    df.insert(0, "sample", s["sample"])
    df.insert(0, "element", s["element"])
    df.insert(0, "spectrum", s["name"])
    parts.append(df)
write_csv(pd.concat(parts, ignore_index=True), snakemake.output.long)
rows = reproduction(summaries, snakemake.params.edge_shift)
logging.info("headline rows %s", list(rows.quantity))
write_csv(rows, snakemake.output.repro)
