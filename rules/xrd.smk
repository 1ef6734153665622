# Ex-situ powder XRD: one Le Bail refinement per pattern, then the lebail.* rows.


validate(config["xrd"], workflow.source_path("../schemas/xrd.schema.yaml"))

XRD = config["xrd"]
XRD_PATTERNS = list(XRD["patterns"])


rule xrd_lebail:
    input:
        pattern=lambda wc: XRD["patterns"][wc.pattern]["file"],
    output:
        fit="results/xrd/{pattern}/fit.csv",
        profile="results/xrd/{pattern}/profile.csv",
        reflections="results/xrd/{pattern}/reflections.csv",
        summary="results/xrd/{pattern}/summary.json",
        cif="results/xrd/{pattern}/refined.cif",
        pdf=report(
            "results/xrd/{pattern}/lebail.pdf",
            caption="../report/xrd/lebail.rst",
            category="XRD",
        ),
        png="results/xrd/{pattern}/lebail.png",
    log:
        "results/logs/xrd/lebail_{pattern}.log",
    benchmark:
        "results/benchmarks/xrd/lebail_{pattern}.tsv"
    conda:
        "../envs/xrd.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        xrd=lambda wc: {
            **{k: v for k, v in XRD.items() if k != "patterns"},
            "patterns": {wc.pattern: XRD["patterns"][wc.pattern]},
        },
        materials=config["materials"],
    script:
        "../scripts/xrd_lebail.py"


rule xrd_reproduction:
    input:
        summaries=expand("results/xrd/{pattern}/summary.json", pattern=XRD_PATTERNS),
    output:
        table="results/tables/reproduction/xrd.csv",
    log:
        "results/logs/xrd/reproduction.log",
    benchmark:
        "results/benchmarks/xrd/reproduction.tsv"
    conda:
        "../envs/xrd.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        report=[(p, XRD["patterns"][p]["report_phase"]) for p in XRD_PATTERNS],
    script:
        "../scripts/xrd_reproduction.py"


ALL_TARGETS.extend(
    expand(
        "results/xrd/{pattern}/{f}",
        pattern=XRD_PATTERNS,
        f=["fit.csv", "lebail.png", "refined.cif"],
    )
)
REPRO_PARTS.append("results/tables/reproduction/xrd.csv")
