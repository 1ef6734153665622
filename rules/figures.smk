# Aggregates that span techniques: the reproduction table and the composite figures.


REFERENCES = config.get("references", {}).get("values", [])
SUMMARY_T = f"{RESULTS}/tables"
#: the study's summary tables: results always, the comparison only with references
SUMMARY_TARGETS = [
    f"{SUMMARY_T}/results.csv",
    f"{SUMMARY_T}/results.md",
    f"{SUMMARY_T}/results.html",
]
if REFERENCES:
    SUMMARY_TARGETS += [f"{SUMMARY_T}/reproduction.csv", f"{SUMMARY_T}/reproduction.md"]


rule results_table:
    input:
        parts=REPRO_PARTS,
        code=pkg_code("reproduction.py"),
    output:
        [
            (
                report(
                    t,
                    caption="../report/reproduction.rst",
                    category="Summary",
                    labels={"table": os.path.basename(t)},
                )
                if t.endswith(".md")
                else t
            )
            for t in SUMMARY_TARGETS
        ],
    log:
        f"{RESULTS}/logs/figures/results_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/results_table.tsv"
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        references=REFERENCES,
        source=config.get("references", {}).get("source", ""),
        title=config["study"]["name"],
        provenance=config["study"].get("description", ""),
    script:
        "../scripts/results_table.py"


rule provenance:
    input:
        code=pkg_code("provenance.py"),
    output:
        html=report(
            f"{RESULTS}/provenance.html",
            caption="../report/provenance.rst",
            category="Summary",
            labels={"table": "provenance (config and software versions)"},
        ),
    log:
        f"{RESULTS}/logs/figures/provenance.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/provenance.tsv"
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        config=config,
        configfile=CONFIGFILE,
    script:
        "../scripts/provenance.py"


SUMMARY_TARGETS.append(f"{RESULTS}/provenance.html")


# Fig. 2: Le Bail fits (figures.fig2_lebail, default the first two patterns), a XANES
# panel (figures.fig2_xanes, default the first edge's spectra) and the hop rate, each
# panel only when its technique is configured; built whenever the xrd branch is.
if "XRD_PATTERNS" in globals():
    FIG2_CFG = config.get("figures", {})
    FIG2_LEBAIL = FIG2_CFG.get("fig2_lebail", XRD_PATTERNS[:2])
    for _p in FIG2_LEBAIL:
        if _p not in XRD_PATTERNS:
            raise WorkflowError(
                f"{CONFIGFILE}: figures.fig2_lebail names pattern {_p!r}, "
                f"not one of xrd.patterns {XRD_PATTERNS}"
            )
    FIG2_INPUTS = {}
    if "XAS_TABLES" in globals():
        FIG2_INPUTS["xas"] = f"{XAS_TABLES}/spectra_long.csv"
    if "MUSR_TABLES" in globals():
        FIG2_INPUTS["nu"] = f"{MUSR_TABLES}/nu_vs_temperature.csv"
        FIG2_INPUTS["arrhenius"] = f"{MUSR_TABLES}/arrhenius_fit.csv"

    rule fig2:
        input:
            **FIG2_INPUTS,
            profiles=[f"{RESULTS}/xrd/{p}/profile.csv" for p in FIG2_LEBAIL],
            reflections=[f"{RESULTS}/xrd/{p}/reflections.csv" for p in FIG2_LEBAIL],
            code=[
                *FIGURE_STYLE,
                *pkg_code("figures/fig2.py"),
                *pkg_code("figures/xrd.py"),
                *pkg_code("figures/xas.py"),
                *pkg_code("figures/musr.py"),
            ],
        output:
            pdf=f"{RESULTS}/figures/fig2.pdf",
            png=report(
                f"{RESULTS}/figures/fig2.png",
                caption="../report/figures/fig2.rst",
                category="Figures",
                labels={"figure": "Fig. 2"},
            ),
        log:
            f"{RESULTS}/logs/figures/fig2.log",
        benchmark:
            f"{RESULTS}/benchmarks/figures/fig2.tsv"
        conda:
            "../envs/intercal.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            titles=[XRD["patterns"][p].get("report_phase", p) for p in FIG2_LEBAIL],
            spectrum_ids=FIG2_CFG.get("fig2_xanes", []),
            phases=list(config.get("materials", {})),
        script:
            "../scripts/figure_fig2.py"

    ALL_TARGETS.extend(rules.fig2.output)
