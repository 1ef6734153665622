# DFT tables: convex hull, voltage profile, NEB barriers, and their figure (Fig. 1).


validate_config(config["dft"], "dft.schema.yaml", "dft")

DFT = section("dft")
#: NEB paths are optional: without them there is no barrier table and no NEB panel
DFT_NEB = DFT.get("neb", [])
DFT_NEB_FILES = [item["file"] for item in DFT_NEB]
DFT_NEB_TABLES = (
    {
        "neb_paths": f"{RESULTS}/dft/neb_paths.csv",
        "neb_barriers": f"{RESULTS}/dft/neb_barriers.csv",
    }
    if DFT_NEB
    else {}
)
raw_files(
    {
        "dft.configurations": DFT["configurations"],
        "dft.references": DFT["references"],
        **{f"dft.neb[{i}].file": f for i, f in enumerate(DFT_NEB_FILES)},
    }
)


rule dft_hull:
    input:
        configurations=DFT["configurations"],
        references=DFT["references"],
        code=pkg_code("dft"),
    output:
        hull=f"{RESULTS}/dft/hull.csv",
    log:
        f"{RESULTS}/logs/dft/hull.log",
    benchmark:
        f"{RESULTS}/benchmarks/dft/hull.tsv"
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
        code=pkg_code("dft"),
    output:
        profile=f"{RESULTS}/dft/voltage_profile.csv",
        summary=f"{RESULTS}/dft/voltage_summary.json",
    log:
        f"{RESULTS}/logs/dft/voltage.log",
    benchmark:
        f"{RESULTS}/benchmarks/dft/voltage.tsv"
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


if DFT_NEB:

    rule dft_neb:
        input:
            paths=DFT_NEB_FILES,
            code=pkg_code("dft"),
        output:
            barriers=f"{RESULTS}/dft/neb_barriers.csv",
            paths=f"{RESULTS}/dft/neb_paths.csv",
        log:
            f"{RESULTS}/logs/dft/neb.log",
        benchmark:
            f"{RESULTS}/benchmarks/dft/neb.tsv"
        conda:
            "../envs/dft.yaml"
        threads: 1
        resources:
            mem_mb=500,
            runtime=5,
        params:
            paths=DFT_NEB,
        script:
            "../scripts/dft_neb.py"


rule dft_figure:
    input:
        **DFT_NEB_TABLES,
        # plotting code as input: restyling reruns only the figure job
        hull=f"{RESULTS}/dft/hull.csv",
        profile=f"{RESULTS}/dft/voltage_profile.csv",
        code=[*FIGURE_STYLE, *pkg_code("figures/dft.py")],
    output:
        pdf=f"{RESULTS}/figures/fig1.pdf",
        png=report(
            f"{RESULTS}/figures/fig1.png",
            caption="../report/dft/fig1.rst",
            category="DFT",
            labels={"figure": "Fig. 1"},
        ),
    log:
        f"{RESULTS}/logs/dft/figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/dft/figure.tsv"
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
        "../scripts/dft_figure.py"


rule dft_reproduction:
    input:
        summary=f"{RESULTS}/dft/voltage_summary.json",
        barriers=[DFT_NEB_TABLES["neb_barriers"]] if DFT_NEB else [],
        code=pkg_code("dft"),
    output:
        table=f"{RESULTS}/tables/reproduction/dft.csv",
    log:
        f"{RESULTS}/logs/dft/reproduction.log",
    benchmark:
        f"{RESULTS}/benchmarks/dft/reproduction.tsv"
    conda:
        "../envs/dft.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        host=DFT["host"],
    script:
        "../scripts/dft_reproduction.py"


REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/dft.csv")
ALL_TARGETS.extend(
    [
        f"{RESULTS}/dft/hull.csv",
        f"{RESULTS}/dft/voltage_profile.csv",
        f"{RESULTS}/dft/voltage_summary.json",
        *DFT_NEB_TABLES.values(),
        f"{RESULTS}/figures/fig1.pdf",
        f"{RESULTS}/figures/fig1.png",
    ]
)
