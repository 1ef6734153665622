# Shared set-up: config validation, input functions, the registries that the
# technique rule files fill (ALL_TARGETS for rule all, REPRO_PARTS for the
# reproduction table).
import glob
import os

from snakemake.utils import validate

validate(config, workflow.source_path("../schemas/config.schema.yaml"))

#: final outputs of every technique branch; each rules/<technique>.smk extends it
ALL_TARGETS = []
#: partial reproduction tables (quantity, value, stderr, unit), one per technique
REPRO_PARTS = []

#: plotting code that every figure rule takes as input, so that restyling reruns
#: only figure jobs (never a fit)
FIGURE_STYLE = "src/intercal/figures/style.py"

DATA_DIR = config["study"]["data_dir"]
RESULTS = config["study"]["results_dir"]


def resolve_files(section, key):
    """Return the sorted list of files that config[section][key] names.

    The value may be a list of paths or glob patterns, or a single pattern;
    paths are relative to the workflow directory. Raises a WorkflowError
    naming the key when nothing matches, so a typo fails before any job runs.
    """
    try:
        spec = config[section][key]
    except KeyError as err:
        raise WorkflowError(f"config.yaml: missing key {section}.{key}") from err
    patterns = [spec] if isinstance(spec, str) else list(spec)
    files = []
    for pat in patterns:
        hits = sorted(glob.glob(pat))
        if not hits:
            raise WorkflowError(
                f"config.yaml: {section}.{key} names {pat!r}, which matches no file "
                f"(working directory {os.getcwd()})"
            )
        files.extend(hits)
    return files


def stem(path):
    """File name without directory and extension (wildcard values for per-file jobs)."""
    return os.path.splitext(os.path.basename(path))[0]


def section(name):
    """config[name], or a WorkflowError naming the missing section."""
    if name not in config:
        raise WorkflowError(f"config.yaml: missing section {name!r}")
    return config[name]
