# Shared set-up: config validation, input functions, the registries that the
# technique rule files fill (ALL_TARGETS for rule all, REPRO_PARTS for the
# results / reproduction tables).
import glob
import os

from intercal.workflow import (
    ConfigError,
    check_files,
    check_known,
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
    """The package modules that a set of rules runs, as one input; editing one reruns its jobs.

    Returns the path of a small fingerprint file (rule code_fingerprint) that
    depends on the modules themselves, so that job listings name one file, not
    every module.
    """
    key = "_".join(p.replace(os.sep, "-").removesuffix(".py") for p in parts) or "base"
    # paths relative to the study folder, so that a moved or copied study (or checkout)
    # keeps the same recorded inputs and does not rerun
    CODE_SETS[key] = [os.path.relpath(f) for f in _pkg_code(*parts, root=PACKAGE_SRC)]
    return [f"{RESULTS}/.code/{key}.sha256"]


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


def known_names(names, known, key, what):
    """Check names that refer to names defined elsewhere in config; WorkflowError if not."""
    try:
        check_known(names, known, key, what, CONFIGFILE)
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


# ------------------------------------------------------------------------
# Input and helper functions of the technique rule files (kept here, as snakemake --lint
# asks: rule files hold rules). They read the technique globals (ECHEM, XAS, XRD) that
# the rule files define before calling them.


# rules/echem.smk
def _echem_files(spec, key):
    """Files of a path/glob or list of them, in the order given; nothing matched -> error."""
    out = []
    for pat in [spec] if isinstance(spec, str) else list(spec):
        hits = sorted(glob.glob(pat))
        if not hits:
            raise WorkflowError(
                f"{CONFIGFILE}: {key} names {pat!r}, which matches no file "
                f"(working directory {os.getcwd()})"
            )
        out.extend(hits)
    return out


# rules/echem.smk
def _echem_cell(name, key):
    if name not in ECHEM_CELLS:
        raise WorkflowError(
            f"{CONFIGFILE}: {key} names cell {name!r}, not one of echem.cells "
            f"{sorted(ECHEM_CELLS)}"
        )
    return name


# rules/echem.smk
def echem_eis_circuit(name):
    """(circuit, initial_guess) for one PEIS file: the first override matching its stem wins."""
    for o in ECHEM_EISCFG.get("overrides", []):
        if o["match"] in name:
            return o["circuit"], o["initial_guess"]
    return ECHEM_EISCFG["circuit"], ECHEM_EISCFG["initial_guess"]


# rules/echem.smk
def echem_cycles(names):
    return [f"{ECHEM_T}/cells/{n}_cycles.csv" for n in names]


# rules/echem.smk
def _echem_fig(name):
    ECHEM_FIG_OUT.extend([f"{ECHEM_FIGS}/{name}.pdf", f"{ECHEM_FIGS}/{name}.png"])
    return f"{ECHEM_FIGS}/{name}.pdf"


# rules/xas.smk
def _xas_alternation(names):
    return "|".join(re.escape(s) for s in names) if names else "(?!)"


# rules/xrd.smk
def xrd_side_files(wc):
    """Instrument file and CIFs a pattern's refinement reads (inputs, so edits rerun it)."""
    spec = XRD["patterns"][wc.pattern]
    inst = spec.get("instrument_file", XRD.get("instrument_file"))
    cifs = [XRD_CIFS[ph] for ph in spec["phases"] if ph in XRD_CIFS]
    return ([inst] if inst else []) + cifs
