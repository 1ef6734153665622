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
