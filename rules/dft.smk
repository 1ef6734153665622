# DFT tables of Fig. 1: convex hull, voltage profile, NEB barriers, and the figure.


validate(config["dft"], workflow.source_path("../schemas/dft.schema.yaml"))

DFT = section("dft")
DFT_NEB_FILES = [item["file"] for item in DFT["neb"]]


rule dft_hull:
    input:
        configurations=DFT["configurations"],
        references=DFT["references"],
    output:
        hull="results/dft/hull.csv",
    log:
        "results/logs/dft/hull.log",
    benchmark:
        "results/benchmarks/dft/hull.tsv"
    conda:
        "../envs/dft.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        host=DFT["host"],
        ion=DFT["working_ion"],
        near_hull_meV=DFT["near_hull_meV"],
    script:
        "../scripts/dft_hull.py"


rule dft_voltage:
    input:
        configurations=DFT["configurations"],
        references=DFT["references"],
    output:
        profile="results/dft/voltage_profile.csv",
        summary="results/dft/voltage_summary.json",
    log:
        "results/logs/dft/voltage.log",
    benchmark:
        "results/benchmarks/dft/voltage.tsv"
    conda:
        "../envs/dft.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        host=DFT["host"],
        ion=DFT["working_ion"],
    script:
        "../scripts/dft_voltage.py"


rule dft_neb:
    input:
        paths=DFT_NEB_FILES,
    output:
        barriers="results/dft/neb_barriers.csv",
        paths="results/dft/neb_paths.csv",
    log:
        "results/logs/dft/neb.log",
    benchmark:
        "results/benchmarks/dft/neb.tsv"
    conda:
        "../envs/dft.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        paths=DFT["neb"],
    script:
        "../scripts/dft_neb.py"


rule dft_figure:
    input:
        hull="results/dft/hull.csv",
        profile="results/dft/voltage_profile.csv",
        neb_paths="results/dft/neb_paths.csv",
        neb_barriers="results/dft/neb_barriers.csv",
        # plotting code as input: restyling reruns only the figure job
        code=[FIGURE_STYLE, "src/intercal/figures/dft.py"],
    output:
        pdf=report(
            "results/figures/fig1.pdf",
            caption="../report/dft/fig1.rst",
            category="DFT",
        ),
        png=report(
            "results/figures/fig1.png",
            caption="../report/dft/fig1.rst",
            category="DFT",
        ),
    log:
        "results/logs/dft/figure.log",
    benchmark:
        "results/benchmarks/dft/figure.tsv"
    conda:
        "../envs/dft.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/dft_figure.py"


ALL_TARGETS.extend(
    [
        "results/dft/hull.csv",
        "results/dft/voltage_profile.csv",
        "results/dft/voltage_summary.json",
        "results/dft/neb_barriers.csv",
        "results/figures/fig1.pdf",
        "results/figures/fig1.png",
    ]
)
