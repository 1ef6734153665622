# XANES for any edge: per-spectrum calibration + merge + normalization + edge/pre-edge fit,
# LCF, aggregation (edges.csv, reproduction part), Athena projects and configured figures.
import re

from intercal.errors import InputError
from intercal.xas.workflow import (
    check_first_files,
    check_section,
    edge_shifts,
    figures as xas_figures,
    samples as xas_samples,
    spectrum_files,
    spectrum_settings,
)

validate_config(config["xas"], "xas.schema.yaml", "xas")

XAS = section("xas")
try:
    check_section(XAS)
    XAS_FILES = {s: spectrum_files(XAS, s) for s in XAS["spectra"]}
except InputError as _err:
    raise WorkflowError(str(_err)) from None
XAS_SPECTRA = list(XAS["spectra"])
safe_names(XAS_SPECTRA, "xas.spectra")
raw_files({f"xas.spectra.{s}.files": f for s, f in XAS_FILES.items()})
try:
    check_first_files(XAS, XAS_FILES)
except InputError as _err:
    raise WorkflowError(f"{CONFIGFILE}: {_err}") from None
XAS_LCF = list(XAS.get("lcf") or {})
XAS_SAMPLES = xas_samples(XAS)
XAS_FIGURES = {f["file"]: f for f in xas_figures(XAS).values()}
XAS_TABLES = f"{RESULTS}/tables/xas"
XAS_ATHENA = XAS.get("athena", True)


wildcard_constraints:
    xas_spec=_xas_alternation(XAS_SPECTRA),
    xas_sample=_xas_alternation(XAS_SAMPLES),
    xas_figfile=_xas_alternation(XAS_FIGURES),


rule xas_spectrum:
    input:
        files=lambda wc: XAS_FILES[wc.xas_spec],
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
        component_summaries=lambda wc: [
            f"{XAS_TABLES}/fits/{c}.json"
            for c in XAS["lcf"][wc.xas_spec]["components"]
        ],
        code=pkg_code("xas", "io/xas.py"),
    output:
        record=f"{XAS_TABLES}/lcf/{{xas_spec}}.csv",
        curve=f"{XAS_TABLES}/lcf/{{xas_spec}}_curve.csv",
        summary=f"{XAS_TABLES}/lcf/{{xas_spec}}.json",
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
        n_mc=XAS.get("monte_carlo_draws", 200),
    script:
        "../scripts/xas_lcf.py"


rule xas_aggregate:
    input:
        summaries=expand(f"{XAS_TABLES}/fits/{{s}}.json", s=XAS_SPECTRA),
        spectra=expand(f"{XAS_TABLES}/spectra/{{s}}.csv", s=XAS_SPECTRA),
        lcf=expand(f"{XAS_TABLES}/lcf/{{s}}.json", s=XAS_LCF),
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
        edge_shift=edge_shifts(XAS),
    script:
        "../scripts/xas_aggregate.py"


rule xas_athena:
    input:
        spectra=lambda wc: [
            f"{XAS_TABLES}/spectra/{s}.csv" for s in XAS_SAMPLES[wc.xas_sample]
        ],
        summaries=lambda wc: [
            f"{XAS_TABLES}/fits/{s}.json" for s in XAS_SAMPLES[wc.xas_sample]
        ],
        code=pkg_code("xas", "io/xas.py"),
    output:
        prj=report(
            f"{XAS_TABLES}/athena/{{xas_sample}}.prj",
            caption="../report/xas/athena.rst",
            category="XAS",
        ),
    log:
        f"{RESULTS}/logs/xas/athena_{{xas_sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/athena_{{xas_sample}}.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/xas_athena.py"


rule xas_figures:
    input:
        long=f"{XAS_TABLES}/spectra_long.csv",
        edges=f"{XAS_TABLES}/edges.csv",
        code=[*FIGURE_STYLE, *pkg_code("figures/xas.py")],
    output:
        pdf=f"{RESULTS}/figures/{{xas_figfile}}.pdf",
        png=report(
            f"{RESULTS}/figures/{{xas_figfile}}.png",
            caption="../report/xas/xanes.rst",
            category="XAS",
            labels={"figure": "XANES {xas_figfile}"},
        ),
    log:
        f"{RESULTS}/logs/xas/figure_{{xas_figfile}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xas/figure_{{xas_figfile}}.tsv"
    conda:
        "../envs/xas.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=lambda wc: XAS_FIGURES[wc.xas_figfile],
    script:
        "../scripts/xas_figures.py"


ALL_TARGETS.extend(
    [f"{XAS_TABLES}/edges.csv"]
    + expand(
        f"{RESULTS}/figures/{{f}}.{{ext}}", f=list(XAS_FIGURES), ext=["pdf", "png"]
    )
    + expand(f"{XAS_TABLES}/lcf/{{s}}.csv", s=XAS_LCF)
    + (
        expand(f"{XAS_TABLES}/athena/{{s}}.prj", s=list(XAS_SAMPLES))
        if XAS_ATHENA
        else []
    )
)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/xas.csv")
