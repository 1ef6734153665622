# intercal: raw data of an intercalation-electrode study -> fitted numbers -> figures.
# Manifest only: the rules live in rules/*.smk, the science in src/intercal/.
#
# A study is a folder with its config.yaml, raw data and results. Run the
# bundled demo from the checkout (`snakemake --cores N`) or your own study with
# `snakemake --snakefile <checkout>/Snakefile --directory <study> --cores N`.
# `--configfile FILE` replaces config.yaml (it is not merged into the demo's).
from snakemake.utils import min_version

min_version("9.0")


if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/code.smk"


# every technique section is optional: the workflow builds what the config describes
if "echem" in config:

    include: "rules/echem.smk"


if "xas" in config:

    include: "rules/xas.smk"


if "musr" in config:

    include: "rules/musr.smk"


if "operando" in config:

    include: "rules/operando.smk"


if "dft" in config:

    include: "rules/dft.smk"


if "xrd" in config:

    include: "rules/xrd.smk"


include: "rules/figures.smk"


# tiny aggregates run on the submit host under a cluster executor
localrules:
    all,
    results_table,
    provenance,
    code_fingerprint,


rule all:
    default_target: True
    input:
        ALL_TARGETS,
        SUMMARY_TARGETS,
