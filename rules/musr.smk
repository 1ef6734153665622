# muSR: alpha from the TF calibration run, one job per temperature (reduce its ZF + LF runs,
# Kubo-Toyabe fit with Delta free: the cached first stage), then the aggregate: one global
# fit over all temperatures seeded by them (Delta shared / linear / free), onset, Arrhenius
# fit with the nu covariance, D_Li, musrfit .msr + Mantid table, and the figures.
import re

validate_config(config["musr"], "musr.schema.yaml", "musr")

MUSR = section("musr")
MUSR_TEMPS = {t["name"]: t for t in MUSR["temperatures"]}
safe_names(MUSR_TEMPS, "musr.temperatures.name")
raw_files(
    {
        "musr.calibration.file": MUSR["calibration"]["file"],
        "musr.temperatures.runs.file": [
            r["file"] for t in MUSR["temperatures"] for r in t["runs"]
        ],
    }
)
MUSR_TABLES = f"{RESULTS}/tables/musr"


wildcard_constraints:
    musr_t="|".join(re.escape(s) for s in MUSR_TEMPS),


rule musr_alpha:
    input:
        run=MUSR["calibration"]["file"],
        code=pkg_code("musr", "io/muon.py"),
    output:
        record=f"{MUSR_TABLES}/alpha_fit.csv",
        curve=f"{MUSR_TABLES}/alpha_curve.csv",
        alpha=f"{MUSR_TABLES}/alpha.json",
    log:
        f"{RESULTS}/logs/musr/alpha.log",
    benchmark:
        f"{RESULTS}/benchmarks/musr/alpha.tsv"
    conda:
        "../envs/musr.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        calibration=MUSR["calibration"],
        grouping=MUSR.get("grouping"),
        dead_time=MUSR["dead_time_correction"],
        background_window_us=MUSR["background_window_us"],
    script:
        "../scripts/musr_alpha.py"


rule musr_temperature:
    input:
        runs=lambda wc: [r["file"] for r in MUSR_TEMPS[wc.musr_t]["runs"]],
        alpha=f"{MUSR_TABLES}/alpha.json",
        code=pkg_code("musr", "io/muon.py"),
    output:
        reduced=f"{MUSR_TABLES}/reduced/{{musr_t}}.csv",
        record=f"{MUSR_TABLES}/fits/{{musr_t}}.csv",
        curves=f"{MUSR_TABLES}/fits/{{musr_t}}_curves.csv",
    log:
        f"{RESULTS}/logs/musr/temperature_{{musr_t}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/musr/temperature_{{musr_t}}.tsv"
    conda:
        "../envs/musr.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        temperature=lambda wc: MUSR_TEMPS[wc.musr_t],
        grouping=MUSR.get("grouping"),
        dead_time=MUSR["dead_time_correction"],
        background_window_us=MUSR["background_window_us"],
        reduction=MUSR["reduction"],
        fit=MUSR["fit"],
    script:
        "../scripts/musr_temperature.py"


rule musr_arrhenius:
    input:
        records=expand(f"{MUSR_TABLES}/fits/{{musr_t}}.csv", musr_t=MUSR_TEMPS),
        reduced=expand(f"{MUSR_TABLES}/reduced/{{musr_t}}.csv", musr_t=MUSR_TEMPS),
        alpha=f"{MUSR_TABLES}/alpha.json",
        code=pkg_code("musr", "io/muon.py"),
    output:
        nu_table=f"{MUSR_TABLES}/nu_vs_temperature.csv",
        record=f"{MUSR_TABLES}/arrhenius_fit.csv",
        global_record=f"{MUSR_TABLES}/global_fit.csv",
        covariance=f"{MUSR_TABLES}/global_covariance.csv",
        curves=f"{MUSR_TABLES}/final_curves.csv",
        msr=f"{MUSR_TABLES}/global_fit.msr",
        mantid=f"{MUSR_TABLES}/global_fit_mantid_parameters.csv",
        repro=f"{RESULTS}/tables/reproduction/musr.csv",
    log:
        f"{RESULTS}/logs/musr/arrhenius.log",
    benchmark:
        f"{RESULTS}/benchmarks/musr/arrhenius.tsv"
    conda:
        "../envs/musr.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        names=list(MUSR_TEMPS),
        background_window_us=MUSR["background_window_us"],
        temperatures=MUSR["temperatures"],
        grouping=MUSR.get("grouping"),
        reduction=MUSR["reduction"],
        fit=MUSR["fit"],
        arrhenius=MUSR["arrhenius"],
        jump_paths=MUSR["jump_paths"],
    script:
        "../scripts/musr_arrhenius.py"


rule musr_figures:
    input:
        nu_table=f"{MUSR_TABLES}/nu_vs_temperature.csv",
        record=f"{MUSR_TABLES}/arrhenius_fit.csv",
        curves=f"{MUSR_TABLES}/final_curves.csv",
        code=[*FIGURE_STYLE, *pkg_code("figures/musr.py")],
    output:
        s8_pdf=f"{RESULTS}/figures/si/figS8.pdf",
        s8_png=report(
            f"{RESULTS}/figures/si/figS8.png",
            caption="../report/musr/figS8.rst",
            category="muSR",
            labels={"figure": "Fig. S8"},
        ),
        s7_pdf=f"{RESULTS}/figures/si/figS7.pdf",
        s7_png=report(
            f"{RESULTS}/figures/si/figS7.png",
            caption="../report/musr/figS7.rst",
            category="muSR",
            labels={"figure": "Fig. S7"},
        ),
    log:
        f"{RESULTS}/logs/musr/figures.log",
    benchmark:
        f"{RESULTS}/benchmarks/musr/figures.tsv"
    conda:
        "../envs/musr.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    script:
        "../scripts/musr_figures.py"


ALL_TARGETS.extend(
    [
        f"{MUSR_TABLES}/nu_vs_temperature.csv",
        f"{RESULTS}/figures/si/figS7.pdf",
        f"{RESULTS}/figures/si/figS8.pdf",
    ]
)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/musr.csv")
