# XANES: per sample/edge calibration + merge + normalization + edge fit, LCF, aggregation, figures.
import re

from intercal.xas.workflow import spectrum_files, spectrum_settings

validate_config(config["xas"], "xas.schema.yaml", "xas")

XAS = section("xas")
XAS_SPECTRA = list(XAS["spectra"])
XAS_LCF = list(XAS.get("lcf", {}))
XAS_TABLES = f"{RESULTS}/tables/xas"


wildcard_constraints:
    xas_spec="|".join(re.escape(s) for s in XAS_SPECTRA),


rule xas_spectrum:
    input:
        files=lambda wc: spectrum_files(XAS, wc.xas_spec),
        code=pkg_code("xas", "io/xas.py"),
    output:
        spectrum=f"{XAS_TABLES}/spectra/{{xas_spec}}.csv",
        record=f"{XAS_TABLES}/fits/{{xas_spec}}.csv",
        summary=f"{XAS_TABLES}/fits/{{xas_spec}}.json",
        fit_curve=f"{XAS_TABLES}/fits/{{xas_spec}}_curve.csv",
    log:
        f"{RESULTS}/logs/xas/spectrum_{{xas_spec}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/spectrum_{{xas_spec}}.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=lambda wc: spectrum_settings(XAS, wc.xas_spec),
    script:
        "../scripts/xas_spectrum.py"


rule xas_lcf:
    input:
        target=f"{XAS_TABLES}/spectra/{{xas_spec}}.csv",
        target_summary=f"{XAS_TABLES}/fits/{{xas_spec}}.json",
        components=lambda wc: [
            f"{XAS_TABLES}/spectra/{c}.csv"
            for c in XAS["lcf"][wc.xas_spec]["components"]
        ],
        code=pkg_code("xas", "io/xas.py"),
    output:
        record=f"{XAS_TABLES}/lcf/{{xas_spec}}.csv",
        curve=f"{XAS_TABLES}/lcf/{{xas_spec}}_curve.csv",
    log:
        f"{RESULTS}/logs/xas/lcf_{{xas_spec}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/lcf_{{xas_spec}}.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        components=lambda wc: XAS["lcf"][wc.xas_spec]["components"],
        range_eV=lambda wc: XAS["lcf"][wc.xas_spec]["range_eV"],
        sum_to_one=lambda wc: XAS["lcf"][wc.xas_spec].get("sum_to_one", True),
    script:
        "../scripts/xas_lcf.py"


rule xas_aggregate:
    input:
        summaries=expand(f"{XAS_TABLES}/fits/{{s}}.json", s=XAS_SPECTRA),
        spectra=expand(f"{XAS_TABLES}/spectra/{{s}}.csv", s=XAS_SPECTRA),
        code=pkg_code("xas", "io/xas.py"),
    output:
        repro=f"{RESULTS}/tables/reproduction/xas.csv",
        edges=f"{XAS_TABLES}/edges.csv",
        long=f"{XAS_TABLES}/spectra_long.csv",
    log:
        f"{RESULTS}/logs/xas/aggregate.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/aggregate.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        edge_shift=XAS.get("edge_shift"),
    script:
        "../scripts/xas_aggregate.py"


rule xas_figures:
    input:
        long=f"{XAS_TABLES}/spectra_long.csv",
        edges=f"{XAS_TABLES}/edges.csv",
        code=[*FIGURE_STYLE, *pkg_code("figures/xas.py")],
    output:
        s4_pdf=report(
            f"{RESULTS}/figures/si/figS4.pdf",
            caption="../report/xas/figS4.rst",
            category="XAS",
        ),
        s4_png=report(
            f"{RESULTS}/figures/si/figS4.png",
            caption="../report/xas/figS4.rst",
            category="XAS",
        ),
        cr_pdf=report(
            f"{RESULTS}/figures/xas/cr_xanes.pdf",
            caption="../report/xas/cr_xanes.rst",
            category="XAS",
        ),
        cr_png=report(
            f"{RESULTS}/figures/xas/cr_xanes.png",
            caption="../report/xas/cr_xanes.rst",
            category="XAS",
        ),
    log:
        f"{RESULTS}/logs/xas/figures.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/figures.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cr_spectra=XAS.get("figures", {}).get("cr_xanes", []),
        se_spectra=XAS.get("figures", {}).get("se_xanes", []),
    script:
        "../scripts/xas_figures.py"


ALL_TARGETS.extend(
    [
        f"{XAS_TABLES}/edges.csv",
        f"{RESULTS}/figures/si/figS4.pdf",
        f"{RESULTS}/figures/si/figS4.png",
        f"{RESULTS}/figures/xas/cr_xanes.pdf",
        f"{RESULTS}/figures/xas/cr_xanes.png",
    ]
    + expand(f"{XAS_TABLES}/lcf/{{s}}.csv", s=XAS_LCF)
)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/xas.csv")
