"""Snakemake entry point: reference structures -> intensity factors and simulated patterns."""

import logging

import pandas as pd

from intercal.joblog import job_log
from intercal.operando import structure
from intercal.tables import write_csv, write_json

job_log(snakemake.log[0], filemode="w")
rad = dict(snakemake.params.radiation)
lam = float(rad.get("wavelengths_A", [1.540593])[0])
refl = snakemake.params.reflections
f_hkl = tuple(refl.get("fraction", refl.get("c", [0, 0, 1])))
lo, hi = float(snakemake.params.grid[0]), float(snakemake.params.grid[1])
factors, rows = {}, []
for ph in snakemake.params.phases:
    name = ph["name"]
    st = structure.build_structure(snakemake.params.materials[name], {"a": ph["a"], "c": ph["c"]})
    factors[name] = structure.intensity_factor(st, f_hkl, wavelength=lam)
    tt, inten, labels = structure.simulated_pattern(st, wavelength=lam, tt_range=(lo, hi))
    for t, i, lab in zip(tt, inten, labels, strict=True):
        rows.append({"phase": name, "two_theta_deg": t, "intensity": i, "hkl": lab})
    logging.info("%s: intensity factor of %s = %.6g", name, f_hkl, factors[name])
write_json(
    {
        "intensity_factors": factors,
        "reflection": list(f_hkl),
        "wavelength_A": lam,
        "note": "integrated intensity per formula unit, m |F|^2 LP / (V Z), pymatgen XRDCalculator",
    },
    snakemake.output.factors,
)
write_csv(pd.DataFrame(rows), snakemake.output.patterns)
