"""Snakemake entry point: lattice table -> end states, expansions, transition x, repro rows."""

import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.operando import summary
from intercal.operando.calibration import summarize_calibration
from intercal.tables import write_csv, write_json, write_large_csv

job_log(snakemake.log[0], filemode="w")
# the lattice table as text for users (assembled by operando_lattice), then read back
# from it, so that the summary sees exactly what lattice.csv holds
write_large_csv(pd.read_parquet(snakemake.input.lattice), snakemake.output.lattice)
lattice = pd.read_csv(snakemake.output.lattice)
st = dict(snakemake.params.states)
tr = dict(snakemake.params.transition)
qcp = dict(snakemake.params.qc)
cell = dict(snakemake.params.cell)
cal = summarize_calibration(pd.read_csv(snakemake.input.calibration))
trace = pd.read_csv(snakemake.input.trace)
x_off = float(lattice["x_offset"].iloc[0]) if "x_offset" in lattice.columns else 0.0
res = summary.summarize(
    lattice,
    trace,
    cycle=int(st.get("cycle", 1)),
    window_x=float(st.get("window_x", 0.1)),
    lithiated_phase=tr.get("phase"),
    transition_fraction=float(tr.get("fraction", 0.5)),
    first_direction=cell.get("first_direction", "lithiation"),
    min_coexisting=int(tr.get("min_coexisting_scans", 1)),
    max_lost_scans=int(qcp.get("max_lost_scans", 2)),
    calibration_method=str(cal.get("method", "none")),
    x_offset=x_off,
    min_sigma=float(dict(snakemake.params.fit).get("min_sigma", 5.0)),
)
res["x_unit"] = snakemake.params.x_unit
res["calibration"] = cal
res["calibration_shift_deg"] = cal.get("shift_deg", float("nan"))
res["calibration_shift_deg_esd"] = cal.get("shift_deg_esd", float("nan"))
if cal.get("method") == "none":
    res["null_reasons"].setdefault(
        "calibration",
        "operando.calibration.method none: no 2theta correction applied "
        "(cells flagged uncalibrated)",
    )
write_json(res, snakemake.output.summary)
flat = [
    {"quantity": k[:-4] if k.endswith("_esd") else k, "key": k, "value": v}
    for k, v in res.items()
    if isinstance(v, int | float) and not isinstance(v, bool) and v is not None
]
tab = pd.DataFrame(flat)
vals = tab[~tab.key.str.endswith("_esd")].set_index("quantity")["value"]
errs = tab[tab.key.str.endswith("_esd")].set_index("quantity")["value"]
table = pd.DataFrame({"quantity": vals.index, "value": vals.values})
table["stderr"] = table["quantity"].map(errs)
write_csv(table, snakemake.output.table)
repro = pd.DataFrame(
    summary.reproduction_rows(res, snakemake.params.x_unit),
    columns=["quantity", "value", "stderr", "unit", "qc"],
)
write_csv(repro, snakemake.output.repro)
for r in repro.itertuples():
    if r.qc:
        logging.warning("%s: qc %s", r.quantity, r.qc)
for k, why in res["null_reasons"].items():
    logging.warning("%s is null: %s", k, why)
logging.info("mode %s; irreversible x before the reset %.4f", res["mode"], x_off)
for ph, lim in res["detection_limit_fraction"].items():
    logging.info(
        "%s: detection limit ~%.3f of the phase (presence test at fit.min_sigma); %d scans "
        "flagged imprecise (cell esd > qc.max_cell_esd_A)",
        ph, lim, res["n_imprecise_scans"].get(ph, 0),
    )  # fmt: skip
for k in ("a_delithiated", "c_delithiated", "a_lithiated", "c_lithiated", "transition_x"):
    logging.info("%s = %.5f +- %.5f", k, res[k], res[k + "_esd"])
logging.info(
    "calibration %s: shift %.5f +- %.5f deg over %d groups (scatter chi2/dof %.2f)",
    cal["method"], res["calibration_shift_deg"], res["calibration_shift_deg_esd"],
    cal.get("n_groups", 0), cal.get("shift_scatter_redchi", float("nan")),
)  # fmt: skip
