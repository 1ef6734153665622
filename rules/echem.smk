# Electrochemistry: GCPL cycling, rate test, CV (Randles-Sevcik), EIS fits.
validate_config(config["echem"], "echem.schema.yaml", "echem")

ECHEM = config["echem"]
ECHEM_MASS_MG = ECHEM["cell"]["electrode_mass_mg"] * ECHEM["cell"]["active_fraction"]
ECHEM_GCPL = {
    stem(f): f
    for f in [
        *ECHEM["cutoff_files"].values(),
        *ECHEM["long_cycling_files"].values(),
        ECHEM["rate"]["file"],
    ]
}


# files of echem.<sub>.files (path, glob or list); a pattern matching nothing fails at load
ECHEM_FILES = {}
for _sub in ("cv", "eis"):
    _spec = ECHEM[_sub]["files"]
    ECHEM_FILES[_sub] = {}
    for _pat in [_spec] if isinstance(_spec, str) else _spec:
        _hits = sorted(glob.glob(_pat))
        if not _hits:
            raise WorkflowError(
                f"config.yaml: echem.{_sub}.files names {_pat!r}, matching no file"
            )
        ECHEM_FILES[_sub].update({stem(f): f for f in _hits})
ECHEM_CV = ECHEM_FILES["cv"]
ECHEM_EIS = ECHEM_FILES["eis"]
ECHEM_T = f"{RESULTS}/tables/echem"


rule echem_gcpl:
    input:
        raw=lambda wc: ECHEM_GCPL[wc.name],
        code=pkg_code("echem", "io/echem.py"),
    output:
        cycles=f"{ECHEM_T}/gcpl/{{name}}_cycles.csv",
        curves=f"{ECHEM_T}/gcpl/{{name}}_curves.csv",
    log:
        f"{RESULTS}/logs/echem/gcpl_{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/gcpl_{{name}}.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        mass_mg=ECHEM_MASS_MG,
    script:
        "../scripts/echem_gcpl.py"


rule echem_cv:
    input:
        raw=lambda wc: ECHEM_CV[wc.name],
        code=pkg_code("echem", "io/echem.py"),
    output:
        peaks=f"{ECHEM_T}/cv/{{name}}_peaks.csv",
        curves=f"{ECHEM_T}/cv/{{name}}_curves.csv",
    log:
        f"{RESULTS}/logs/echem/cv_{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/cv_{{name}}.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cycle=ECHEM["cv"]["cycle"],
        cathodic_window=ECHEM["cv"].get("cathodic_window_V", [2.1, 2.6]),
        anodic_window=ECHEM["cv"].get("anodic_window_V", [2.4, 2.9]),
        cathodic_baseline=ECHEM["cv"].get("cathodic_baseline_V", [2.8, 2.95]),
        anodic_baseline=ECHEM["cv"].get("anodic_baseline_V", [1.8, 2.2]),
    script:
        "../scripts/echem_cv.py"


rule echem_eis:
    input:
        raw=lambda wc: ECHEM_EIS[wc.name],
        code=pkg_code("echem", "io/echem.py"),
    output:
        fit=f"{ECHEM_T}/eis/{{name}}_fit.csv",
        curve=f"{ECHEM_T}/eis/{{name}}_curve.csv",
        model=f"{ECHEM_T}/eis/{{name}}_model.csv",
    log:
        f"{RESULTS}/logs/echem/eis_{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/eis_{{name}}.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        circuit=lambda wc: echem_eis_circuit(wc.name)[0],
        initial_guess=lambda wc: echem_eis_circuit(wc.name)[1],
        ignore_below_x=ECHEM["eis"].get("ignore_below_x", False),
        kk_threshold_percent=ECHEM["eis"].get("kk_threshold_percent", 2.0),
        kk_c=ECHEM["eis"].get("kk_c", 0.85),
        kk_add_cap=ECHEM["eis"].get("kk_add_cap", True),
        kk_min_M_per_decade=ECHEM["eis"].get("kk_min_M_per_decade", 3.0),
    script:
        "../scripts/echem_eis.py"


rule echem_summary:
    input:
        cutoff=[
            f"{ECHEM_T}/gcpl/{stem(f)}_cycles.csv"
            for f in ECHEM["cutoff_files"].values()
        ],
        long=[
            f"{ECHEM_T}/gcpl/{stem(f)}_cycles.csv"
            for f in ECHEM["long_cycling_files"].values()
        ],
        rate=f"{ECHEM_T}/gcpl/{stem(ECHEM['rate']['file'])}_cycles.csv",
        cv=[f"{ECHEM_T}/cv/{n}_peaks.csv" for n in ECHEM_CV],
        eis=[f"{ECHEM_T}/eis/{n}_fit.csv" for n in ECHEM_EIS],
        code=pkg_code("echem", "io/echem.py"),
    output:
        rate=f"{ECHEM_T}/rate_capability.csv",
        peaks=f"{ECHEM_T}/cv_peaks.csv",
        rs=f"{ECHEM_T}/cv_randles_sevcik.csv",
        rct=f"{ECHEM_T}/eis_rct_vs_potential.csv",
        repro=f"{RESULTS}/tables/reproduction/echem.csv",
    log:
        f"{RESULTS}/logs/echem/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/summary.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cutoff_keys=list(ECHEM["cutoff_files"]),
        long_keys=list(ECHEM["long_cycling_files"]),
        c_rates=ECHEM["rate"]["c_rates"],
        cycles_per_step=ECHEM["rate"]["cycles_per_step"],
        area_cm2=ECHEM["cell"]["area_cm2"],
        conc=ECHEM["cell"]["li_concentration_mol_cm3"],
        n_electrons=ECHEM["n_electrons"],
        through_origin=ECHEM["cv"].get("through_origin", False),
        rct=ECHEM["eis"]["charge_transfer_parameter"],
        formula=ECHEM["host_formula"],
    script:
        "../scripts/echem_summary.py"


# ---------------------------------------------------------------- figures (from tables only)
ECHEM_FIGCFG = ECHEM.get("figures", {})
ECHEM_GCD_KEY = str(ECHEM_FIGCFG.get("gcd_cutoff", "1.0"))
if ECHEM_GCD_KEY not in ECHEM["cutoff_files"]:
    raise WorkflowError(
        f"config.yaml: echem.figures.gcd_cutoff is {ECHEM_GCD_KEY!r}, not a key of "
        f"echem.cutoff_files {sorted(ECHEM['cutoff_files'])}"
    )
ECHEM_FIGS = f"{RESULTS}/figures"
# plotting code as input: restyling reruns only the figure jobs, never a fit
ECHEM_FIG_CODE = [*FIGURE_STYLE, *pkg_code("figures/echem.py")]
ECHEM_EIS_TABLES = {
    kind: [f"{ECHEM_T}/eis/{n}_{kind}.csv" for n in ECHEM_EIS]
    for kind in ("fit", "curve", "model")
}


rule echem_fig3:
    input:
        first=[
            f"{ECHEM_T}/gcpl/{stem(f)}_curves.csv"
            for f in ECHEM["cutoff_files"].values()
        ],
        gcd=f"{ECHEM_T}/gcpl/{stem(ECHEM['cutoff_files'][ECHEM_GCD_KEY])}_curves.csv",
        cv=[f"{ECHEM_T}/cv/{n}_curves.csv" for n in ECHEM_CV],
        rs=f"{ECHEM_T}/cv_randles_sevcik.csv",
        eis_fit=ECHEM_EIS_TABLES["fit"],
        eis_curve=ECHEM_EIS_TABLES["curve"],
        eis_model=ECHEM_EIS_TABLES["model"],
        code=ECHEM_FIG_CODE,
    output:
        pdf=f"{ECHEM_FIGS}/fig3.pdf",
        png=report(
            f"{ECHEM_FIGS}/fig3.png",
            caption="../report/echem/fig3.rst",
            category="Electrochemistry",
        ),
    log:
        f"{RESULTS}/logs/echem/fig3.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/fig3.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        cutoff_keys=list(ECHEM["cutoff_files"]),
        gcd_key=ECHEM_GCD_KEY,
        gcd_cycles=ECHEM_FIGCFG.get("gcd_cycles", [2, 3, 4, 5]),
        cv_cycle=ECHEM["cv"]["cycle"],
    script:
        "../scripts/echem_fig3.py"


rule echem_figS10:
    input:
        long=[
            f"{ECHEM_T}/gcpl/{stem(f)}_cycles.csv"
            for f in ECHEM["long_cycling_files"].values()
        ],
        code=ECHEM_FIG_CODE,
    output:
        pdf=f"{ECHEM_FIGS}/si/figS10.pdf",
        png=report(
            f"{ECHEM_FIGS}/si/figS10.png",
            caption="../report/echem/figS10.rst",
            category="Electrochemistry",
        ),
    log:
        f"{RESULTS}/logs/echem/figS10.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/figS10.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        long_keys=list(ECHEM["long_cycling_files"]),
        c_rate=ECHEM_FIGCFG.get("long_cycling_c_rate", 0.5),
    script:
        "../scripts/echem_figS10.py"


rule echem_figS13:
    input:
        peaks=f"{ECHEM_T}/cv_peaks.csv",
        rs=f"{ECHEM_T}/cv_randles_sevcik.csv",
        code=ECHEM_FIG_CODE,
    output:
        pdf=f"{ECHEM_FIGS}/si/figS13.pdf",
        png=report(
            f"{ECHEM_FIGS}/si/figS13.png",
            caption="../report/echem/figS13.rst",
            category="Electrochemistry",
        ),
    log:
        f"{RESULTS}/logs/echem/figS13.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/figS13.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/echem_figS13.py"


rule echem_figS14:
    input:
        cycles=f"{ECHEM_T}/gcpl/{stem(ECHEM['rate']['file'])}_cycles.csv",
        curves=f"{ECHEM_T}/gcpl/{stem(ECHEM['rate']['file'])}_curves.csv",
        rate=f"{ECHEM_T}/rate_capability.csv",
        code=ECHEM_FIG_CODE,
    output:
        pdf=f"{ECHEM_FIGS}/si/figS14.pdf",
        png=report(
            f"{ECHEM_FIGS}/si/figS14.png",
            caption="../report/echem/figS14.rst",
            category="Electrochemistry",
        ),
    log:
        f"{RESULTS}/logs/echem/figS14.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/figS14.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cycles_per_step=ECHEM["rate"]["cycles_per_step"],
    script:
        "../scripts/echem_figS14.py"


rule echem_figS15:
    input:
        eis_fit=ECHEM_EIS_TABLES["fit"],
        eis_curve=ECHEM_EIS_TABLES["curve"],
        eis_model=ECHEM_EIS_TABLES["model"],
        rct=f"{ECHEM_T}/eis_rct_vs_potential.csv",
        code=ECHEM_FIG_CODE,
    output:
        pdf=f"{ECHEM_FIGS}/si/figS15.pdf",
        png=report(
            f"{ECHEM_FIGS}/si/figS15.png",
            caption="../report/echem/figS15.rst",
            category="Electrochemistry",
        ),
    log:
        f"{RESULTS}/logs/echem/figS15.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/figS15.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/echem_figS15.py"


ALL_TARGETS.extend(rules.echem_summary.output)
ALL_TARGETS.extend(
    [
        f"{ECHEM_FIGS}/{fig}.{ext}"
        for fig in ("fig3", "si/figS10", "si/figS13", "si/figS14", "si/figS15")
        for ext in ("pdf", "png")
    ]
)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/echem.csv")
