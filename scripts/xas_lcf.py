"""Linear-combination fit of one normalized spectrum against its end members."""

import json
import logging

import pandas as pd

from intercal.tables import fit_record, write_csv
from intercal.xas.fit import lcf

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
target = pd.read_csv(snakemake.input.target)
e0 = json.loads(open(snakemake.input.target_summary).read())["e0_eV"]
names = list(snakemake.params.components)
comps = {}
for name, path in zip(names, snakemake.input.components, strict=True):
    df = pd.read_csv(path)
    comps[name] = (df.energy_eV.to_numpy(), df.norm.to_numpy())
lo, hi = snakemake.params.range_eV
res = lcf(
    target.energy_eV.to_numpy(),
    target.norm.to_numpy(),
    comps,
    e_range=(e0 + lo, e0 + hi),
    sum_to_one=bool(snakemake.params.sum_to_one),
    source=snakemake.input.target,
)
rows = [
    {
        "parameter": f"weight[{n}]",
        "value": v,
        "stderr": se,
        "unit": "",
        "refined": not (res["sum_to_one"] and n == names[-1]),
        "note": "1 - other weights (sum to one)" if res["sum_to_one"] and n == names[-1] else "",
    }
    for n, (v, se) in res["weights"].items()
]
stats = {k: res[k] for k in ("r_factor", "chisqr", "redchi", "n_points")}
stats["errors_scaled_by_redchi"] = 1.0
write_csv(fit_record(rows, stats), snakemake.output.record)
write_csv(
    pd.DataFrame({"energy_eV": res["energy"], "fit": res["best_fit"]}), snakemake.output.curve
)
logging.info("LCF weights %s, R-factor %.2e", res["weights"], res["r_factor"])
