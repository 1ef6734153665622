# intercal: raw data of an intercalation-electrode study -> fitted numbers -> figures.
# Manifest only: the rules live in rules/*.smk, the science in src/intercal/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/echem.smk"
include: "rules/xas.smk"
include: "rules/musr.smk"
include: "rules/operando.smk"
include: "rules/dft.smk"
include: "rules/xrd.smk"
include: "rules/figures.smk"


# tiny aggregates run on the submit host under a cluster executor
localrules:
    all,
    reproduction_table,
    render_reproduction,


rule all:
    default_target: True
    input:
        ALL_TARGETS,
        "results/tables/reproduction.csv",
        "results/tables/reproduction.md",
