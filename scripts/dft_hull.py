"""Snakemake entry point: DFT configurations -> formation energies and convex hull."""

import logging

from intercal.dft import io, thermo
from intercal.joblog import job_log
from intercal.tables import write_csv

job_log(snakemake.log[0], filemode="w")
configs = io.read_configurations(snakemake.input.configurations)
refs = io.read_references(snakemake.input.references)
ion_energy = io.reference_energy(refs, snakemake.params.ion, snakemake.input.references)
hull = thermo.convex_hull(
    configs,
    ion_energy_eV=ion_energy,
    host=snakemake.params.host,
    ion=snakemake.params.ion,
    source=str(snakemake.input.configurations),
    near_hull_meV=snakemake.params.near_hull_meV,
)
write_csv(hull, snakemake.output.hull)
logging.info(
    "%d configurations, stable x = %s", len(hull), hull.loc[hull.stable, "x"].round(4).tolist()
)
