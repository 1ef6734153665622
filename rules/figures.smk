# Aggregates that span techniques: the reproduction table and the composite figures.


rule reproduction_table:
    input:
        parts=REPRO_PARTS,
    output:
        table="results/tables/reproduction.csv",
    log:
        "results/logs/figures/reproduction_table.log",
    benchmark:
        "results/benchmarks/figures/reproduction_table.tsv"
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/reproduction_table.py"


rule render_reproduction:
    input:
        table="results/tables/reproduction.csv",
    output:
        markdown=report(
            "results/tables/reproduction.md",
            caption="../report/reproduction.rst",
            category="Summary",
        ),
    log:
        "results/logs/figures/render_reproduction.log",
    benchmark:
        "results/benchmarks/figures/render_reproduction.tsv"
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/render_reproduction.py"


# Fig. 2 needs the Le Bail branch (panels a, b); it is built only when that
# branch is included, never with empty panels.
if "XRD_PATTERNS" in globals():
    FIG2_LEBAIL = config.get("figures", {}).get("fig2_lebail", ["LiCrSe2", "CrSe2"])
    for _p in FIG2_LEBAIL:
        if _p not in XRD_PATTERNS:
            raise WorkflowError(
                f"config.yaml: figures.fig2_lebail names pattern {_p!r}, "
                f"not one of xrd.patterns {XRD_PATTERNS}"
            )

    rule fig2:
        input:
            profiles=[f"results/xrd/{p}/profile.csv" for p in FIG2_LEBAIL],
            reflections=[f"results/xrd/{p}/reflections.csv" for p in FIG2_LEBAIL],
            xas=f"{XAS_TABLES}/spectra_long.csv",
            nu=f"{MUSR_TABLES}/nu_vs_temperature.csv",
            code=[
                FIGURE_STYLE,
                "src/intercal/figures/fig2.py",
                "src/intercal/figures/xrd.py",
                "src/intercal/figures/xas.py",
                "src/intercal/figures/musr.py",
            ],
        output:
            pdf=report(
                "results/figures/fig2.pdf",
                caption="../report/figures/fig2.rst",
                category="Figures",
            ),
            png=report(
                "results/figures/fig2.png",
                caption="../report/figures/fig2.rst",
                category="Figures",
            ),
        log:
            "results/logs/figures/fig2.log",
        benchmark:
            "results/benchmarks/figures/fig2.tsv"
        conda:
            "../envs/intercal.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            titles=[" + ".join(XRD["patterns"][p]["phases"]) for p in FIG2_LEBAIL],
            cr_spectra=XAS.get("figures", {}).get("cr_xanes", []),
        script:
            "../scripts/figure_fig2.py"

    ALL_TARGETS.extend(rules.fig2.output)
