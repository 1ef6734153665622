"""Linear-combination fit of one normalized spectrum against its end members."""

import json
import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.tables import write_csv, write_json
from intercal.xas.pipeline import lcf_qc, run_lcf

job_log(snakemake.log[0])
inp = snakemake.input
target = (pd.read_csv(inp.target), json.loads(open(inp.target_summary).read()))
components = {
    name: (pd.read_csv(sp), json.loads(open(sm).read()))
    for name, sp, sm in zip(
        snakemake.params.components, inp.components, inp.component_summaries, strict=True
    )
}
res = run_lcf(
    target,
    components,
    range_eV=snakemake.params.range_eV,
    sum_to_one=bool(snakemake.params.sum_to_one),
    n_mc=int(snakemake.params.n_mc),
    source=inp.target,
)
qc = lcf_qc(res["weights"])
for flag in qc:
    logging.warning("LCF of %s flagged %s", target[1]["name"], flag)
write_csv(res["record"], snakemake.output.record)
write_csv(res["curve"], snakemake.output.curve)
write_json(
    {
        "spectrum": target[1]["name"],
        "element": target[1]["element"],
        "sample": target[1]["sample"],
        "weights": res["weights"],
        "method": res["method"],
        "r_factor": res["r_factor"],
        "qc": qc,
    },
    snakemake.output.summary,
)
logging.info("LCF weights %s (%s), R-factor %.2e", res["weights"], res["method"], res["r_factor"])
