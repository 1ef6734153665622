"""Snakemake script: Le Bail refinement of one powder pattern (no science here)."""

import logging

from intercal.figures import style
from intercal.figures.xrd import draw_lebail
from intercal.io.xrd import read_pattern
from intercal.joblog import job_log
from intercal.tables import write_csv, write_json, write_text
from intercal.xrd.config import phases_from_config, settings_from_config
from intercal.xrd.lebail import refine
from intercal.xrd.output import fit_record_table, main_phase_cif, write_gsas2_export

job_log(snakemake.log[0])
name = snakemake.wildcards.pattern
xrd = snakemake.params.xrd
materials = snakemake.params.materials
cif_files = xrd.get("cif_phases", {})
spec = xrd["patterns"][name]
pattern = read_pattern(snakemake.input.pattern)
logging.info("read %s: %d points", snakemake.input.pattern, len(pattern))
result = refine(
    pattern=pattern,
    phases=phases_from_config(name, spec["phases"], materials, cif_files),
    settings=settings_from_config(xrd, name),
    name=name,
)
logging.info("statistics: %s", result.stats)
write_csv(fit_record_table(result), snakemake.output.fit)
write_csv(result.profile, snakemake.output.profile)
write_csv(result.reflections, snakemake.output.reflections)
write_json({"stats": result.stats, "cells": result.cells}, snakemake.output.summary)
write_text(main_phase_cif(result, spec["phases"][0], materials, cif_files), snakemake.output.cif)
written = write_gsas2_export(result, snakemake.output.gsas2, materials, cif_files)
logging.info("GSAS-II export in %s (CIFs of %s)", snakemake.output.gsas2, written)
fig, axes = style.figure(1, 1, width="single", aspect=0.8)
draw_lebail(axes[0], result.profile, result.reflections, title=style.formula_tex(name))
style.save(fig, snakemake.output.pdf, snakemake.output.png)
