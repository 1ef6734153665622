"""Snakemake script: aggregate echem tables -> Randles-Sevcik, rate, R_ct, reproduction rows."""

import logging
from pathlib import Path

import pandas as pd

from intercal.echem.capacity import rate_capability
from intercal.echem.cv import randles_sevcik
from intercal.echem.pipeline import reproduction
from intercal.tables import write_csv

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO)
p = snakemake.params
inp = snakemake.input
cut = {k: pd.read_csv(f) for k, f in zip(p.cutoff_keys, inp.cutoff, strict=True)}
long = {k: pd.read_csv(f) for k, f in zip(p.long_keys, inp.long, strict=True)}
rate = rate_capability(pd.read_csv(inp.rate), c_rates=list(p.c_rates), per_step=p.cycles_per_step)
peaks = pd.concat([pd.read_csv(f) for f in inp.cv], ignore_index=True).sort_values("scan_rate_mV_s")
rs_rows = []
for peak, col in (("cathodic", "Ipc_mA"), ("anodic", "Ipa_mA")):
    fit = randles_sevcik(
        peaks["scan_rate_mV_s"].to_numpy(),
        peaks[col].to_numpy(),
        area_cm2=p.area_cm2,
        concentration_mol_cm3=p.conc,
        n_electrons=p.n_electrons,
        through_origin=p.through_origin,
    )
    rs_rows.append({"peak": peak, **fit})
rs = pd.DataFrame(rs_rows)
eis_rows = []
for f in inp.eis:
    rec = pd.read_csv(f).set_index("parameter")
    eis_rows.append(
        {
            "file": Path(f).name,
            "potential_V": rec.loc["potential_V", "value"],
            "R_ct_ohm": rec.loc[p.rct, "value"],
            "R_ct_stderr_ohm": rec.loc[p.rct, "stderr"],
            "kk_rms_residual_percent": rec.loc["kk_rms_residual_percent", "value"],
            "kk_max_residual_percent": rec.loc["kk_max_residual_percent", "value"],
            "kk_flagged": bool(rec.loc["kk_flagged", "value"]),
        }
    )
slow = peaks.iloc[0]
repro = reproduction(
    formula=p.formula,
    n_electrons=p.n_electrons,
    cutoff_cycles=cut,
    long_cycles=long,
    rate=rate,
    rs=rs,
    cv_peaks_01=slow.to_dict(),
)
logging.info("\n%s", repro.to_string())
write_csv(rate, snakemake.output.rate)
write_csv(peaks, snakemake.output.peaks)
write_csv(rs, snakemake.output.rs)
write_csv(pd.DataFrame(eis_rows), snakemake.output.rct)
write_csv(repro, snakemake.output.repro)
