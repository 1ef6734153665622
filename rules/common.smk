# Shared set-up: config validation, input functions, the registries that the
# technique rule files fill (ALL_TARGETS for rule all, REPRO_PARTS for the
# results / reproduction tables).
import glob
import os

from intercal.workflow import (
    ConfigError,
    check_files,
    check_names,
    pkg_code as _pkg_code,
    resolve_patterns,
    results_dir,
    validate_section,
)

#: the config file in use (named in every config error)
CONFIGFILE = (
    str(workflow.overwrite_configfiles[-1])
    if workflow.overwrite_configfiles
    else "config.yaml"
)


def validate_config(cfg, schema, section=None):
    """Validate a config section against schemas/<schema>; short message naming the key."""
    try:
        validate_section(
            cfg,
            workflow.source_path(f"../schemas/{schema}"),
            section=section,
            cfgfile=CONFIGFILE,
        )
    except ConfigError as err:
        raise WorkflowError(str(err)) from None


validate_config(config, "config.schema.yaml")

#: final outputs of every technique branch; each rules/<technique>.smk extends it
ALL_TARGETS = []
#: partial results tables (quantity, value, stderr, unit, qc), one per technique
REPRO_PARTS = []

try:
    DATA_DIR = config["study"].get("data_dir", "data")
    RESULTS = results_dir(config["study"].get("results_dir", "results"), CONFIGFILE)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

#: the package sources beside the Snakefile (the checkout); the installed package's
#: own folder when the workflow is deployed without them
PACKAGE_SRC = os.path.join(workflow.basedir, "src", "intercal")
if not os.path.isdir(PACKAGE_SRC):
    PACKAGE_SRC = None


#: code-set key -> the package modules it lists (filled by pkg_code while rules load)
CODE_SETS = {}


def pkg_code(*parts):
    """The package modules a rule runs, as one input: editing one reruns its jobs.

    Returns the path of a small fingerprint file (rule code_fingerprint) that
    depends on the modules themselves, so that job listings name one file, not
    every module.
    """
    key = "_".join(p.replace("/", "-").removesuffix(".py") for p in parts) or "base"
    CODE_SETS[key] = _pkg_code(*parts, root=PACKAGE_SRC)
    return [f"{RESULTS}/.code/{key}.sha256"]


rule code_fingerprint:
    input:
        lambda wc: CODE_SETS[wc.code_key],
    output:
        f"{RESULTS}/.code/{{code_key}}.sha256",
    log:
        f"{RESULTS}/logs/code/{{code_key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/code/{{code_key}}.tsv"
    wildcard_constraints:
        code_key=r"[A-Za-z0-9_.+-]+",
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    script:
        "../scripts/code_fingerprint.py"


#: plotting code that every figure rule takes as input, so that restyling reruns
#: only figure jobs (never a fit)
FIGURE_STYLE = pkg_code("figures/style.py")


def raw_files(mapping):
    """Check configured raw files at load (exist, readable, non-empty); WorkflowError if not."""
    try:
        check_files(mapping, CONFIGFILE)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None


def safe_names(names, key):
    """Check user-chosen names that become file names; WorkflowError if one is unsafe."""
    try:
        check_names(names, key, CONFIGFILE)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None


def resolve_files(section, key):
    """Return the sorted list of files that config[section][key] names.

    The value may be a list of paths or glob patterns, or a single pattern;
    paths are relative to the study folder. Raises a WorkflowError naming the
    key when nothing matches, so a typo fails before any job runs.
    """
    try:
        spec = config[section][key]
    except KeyError as err:
        raise WorkflowError(f"{CONFIGFILE}: missing key {section}.{key}") from err
    try:
        return resolve_patterns(spec, f"{section}.{key}", CONFIGFILE)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None


def stem(path):
    """File name without directory and extension (wildcard values for per-file jobs)."""
    return os.path.splitext(os.path.basename(path))[0]


def section(name):
    """config[name], or a WorkflowError naming the missing section."""
    if name not in config:
        raise WorkflowError(f"{CONFIGFILE}: missing section {name!r}")
    return config[name]
