"""Snakemake entry point: stable DFT configurations -> intercalation voltage profile."""

import logging

from intercal.dft import io, thermo
from intercal.joblog import job_log
from intercal.tables import write_csv, write_json

job_log(snakemake.log[0], filemode="w")
configs = io.read_configurations(snakemake.input.configurations)
refs = io.read_references(snakemake.input.references)
ion_energy = io.reference_energy(refs, snakemake.params.ion, snakemake.input.references)
steps, summary = thermo.voltage_profile(
    configs,
    ion_energy_eV=ion_energy,
    host=snakemake.params.host,
    ion=snakemake.params.ion,
    source=str(snakemake.input.configurations),
)
write_csv(steps, snakemake.output.profile)
write_json(summary, snakemake.output.summary)
logging.info("average voltage %.4f V, steps:\n%s", summary["average_voltage_V"], steps)
