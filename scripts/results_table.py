"""Merge the per-technique headline numbers into results.csv/.md and, when the
study's config has references, the comparison reproduction.csv/.md."""

import logging
import os

import pandas as pd

from intercal.errors import closest_name
from intercal.joblog import job_log
from intercal.reproduction import (
    compare,
    merge_results,
    render_html,
    render_markdown,
)
from intercal.tables import write_csv, write_text

job_log(snakemake.log[0])
p = snakemake.params
parts = [pd.read_csv(f, keep_default_na=True) for f in snakemake.input.parts]
results = merge_results(parts, sources=list(snakemake.input.parts))
out = os.path.join(os.path.dirname(snakemake.output[0]), "{}")
write_csv(results, out.format("results.csv"))
comparison = compare(results, p.references) if p.references else None
md = render_markdown(
    results,
    comparison,
    p.references,
    title=p.title,
    provenance=p.provenance,
    source=p.source,
)
write_text(md, out.format("results.md"))
write_text(render_html(md), out.format("results.html"))
if comparison is not None:
    write_csv(comparison, out.format("reproduction.csv"))
    write_text(md, out.format("reproduction.md"))
n_flag = int((results.qc.str.len() > 0).sum())
logging.info("results: %d numbers, %d with QC flags", len(results), n_flag)
for row in results[results.qc.str.len() > 0].itertuples():
    logging.warning("QC %s: %s", row.quantity, row.qc)
if comparison is not None:
    for row in comparison[~comparison.value.notna()].itertuples():
        near = closest_name(row.quantity, results.quantity)
        logging.warning(
            "reference %s: not produced by this run%s",
            row.quantity,
            f" (did you mean {near}?)" if near else "",
        )
