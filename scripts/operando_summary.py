"""Snakemake entry point: lattice table -> end states, expansions, transition x, repro rows."""

import logging

import pandas as pd

from intercal.operando import summary
from intercal.operando.calibration import summarize_calibration
from intercal.tables import reproduction_rows, write_csv, write_json

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
lattice = pd.read_csv(snakemake.input.lattice)
st = dict(snakemake.params.states)
tr = dict(snakemake.params.transition)
res = summary.summarize(
    lattice,
    pd.read_csv(snakemake.input.trace),
    cycle=int(st.get("cycle", 2)),
    window_x=float(st.get("window_x", 0.1)),
    lithiated_phase=str(tr.get("phase", "LiCrSe2")),
    transition_fraction=float(tr.get("fraction", 0.5)),
)
cal = summarize_calibration(pd.read_csv(snakemake.input.calibration))
res["calibration"] = cal
res["calibration_shift_deg"] = cal.get("shift_deg", float("nan"))
res["calibration_shift_deg_esd"] = cal.get("shift_deg_esd", float("nan"))
write_json(res, snakemake.output.summary)
flat = [
    {"quantity": k[:-4] if k.endswith("_esd") else k, "key": k, "value": v}
    for k, v in res.items()
    if isinstance(v, int | float) and not isinstance(v, bool)
]
tab = pd.DataFrame(flat)
vals = tab[~tab.key.str.endswith("_esd")].set_index("quantity")["value"]
errs = tab[tab.key.str.endswith("_esd")].set_index("quantity")["value"]
table = pd.DataFrame({"quantity": vals.index, "value": vals.values})
table["stderr"] = table["quantity"].map(errs)
write_csv(table, snakemake.output.table)
write_csv(reproduction_rows(summary.reproduction_rows(res)), snakemake.output.repro)
for k in ("a_delithiated", "c_delithiated", "a_lithiated", "c_lithiated", "transition_x"):
    logging.info("%s = %.5f +- %.5f", k, res[k], res[k + "_esd"])
logging.info(
    "calibration %s: shift %.5f +- %.5f deg over %d groups (scatter chi2/dof %.2f)",
    cal["method"], res["calibration_shift_deg"], res["calibration_shift_deg_esd"],
    cal.get("n_groups", 0), cal.get("shift_scatter_redchi", float("nan")),
)  # fmt: skip
logging.info(
    "c expansion %.3f %%, V expansion %.3f %%", res["c_expansion_pct"], res["V_expansion_pct"]
)
