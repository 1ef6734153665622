"""Snakemake script: lebail.* rows of the reproduction table from the per-pattern summaries."""

import json
import logging

from intercal.tables import reproduction_rows, write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
rows = []
for path, (pattern, phase) in zip(snakemake.input.summaries, snakemake.params.report, strict=True):
    cells = json.load(open(path))["cells"]
    for k in ("a", "c"):
        rows.append(
            {
                "quantity": f"lebail.{phase}.{k}",
                "value": cells[phase][k],
                "stderr": cells[phase][f"{k}_esd"],
                "unit": "angstrom",
            }
        )
    logging.info("%s: %s", pattern, cells[phase])
write_csv(reproduction_rows(rows), snakemake.output.table)
