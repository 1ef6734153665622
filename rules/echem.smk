# Electrochemistry: cells as data (cycling tables, CE, dQ/dV), cut-off series, long cycling,
# rate test, CV (Randles-Sevcik, b-values, charge check), EIS fits. Every experiment optional.
from intercal.errors import InputError
from intercal.io.echem import check_csv_columns

validate_config(config["echem"], "echem.schema.yaml", "echem")

ECHEM = config["echem"]
ECHEM_T = f"{RESULTS}/tables/echem"
ECHEM_FIGS = f"{RESULTS}/figures"
ECHEM_NAME_RE = r"[A-Za-z0-9][A-Za-z0-9._+-]*"


ECHEM_CELLS = {
    name: {**ECHEM.get("cell_defaults", {}), **cell}
    for name, cell in ECHEM.get("cells", {}).items()
}
safe_names(list(ECHEM_CELLS), "echem.cells")
ECHEM_CELL_FILES = {
    name: _echem_files(cell["files"], f"echem.cells.{name}.files")
    for name, cell in ECHEM_CELLS.items()
}
raw_files({f"echem.cells.{n}.files": f for n, f in ECHEM_CELL_FILES.items()})
for _name, _cell in ECHEM_CELLS.items():
    _fmt = _cell.get("csv_format")
    if _fmt is not None and _fmt not in ECHEM.get("csv_formats", {}):
        raise WorkflowError(
            f"{CONFIGFILE}: echem.cells.{_name}.csv_format is {_fmt!r}, not a name under "
            f"echem.csv_formats {sorted(ECHEM.get('csv_formats', {}))}"
        )
    if (
        any(f.lower().endswith(".csv") for f in ECHEM_CELL_FILES[_name])
        and _fmt is None
    ):
        raise WorkflowError(
            f"{CONFIGFILE}: echem.cells.{_name} has .csv files but no csv_format "
            "(a column map under echem.csv_formats)"
        )
    for _f in ECHEM_CELL_FILES[_name]:
        if _f.lower().endswith(".csv"):
            try:
                check_csv_columns(
                    _f, ECHEM["csv_formats"][_fmt], f"echem.csv_formats.{_fmt}"
                )
            except InputError as _err:
                raise WorkflowError(
                    f"{CONFIGFILE}: echem.cells.{_name}: {_err}"
                ) from None


ECHEM_CUTOFF = ECHEM.get("cutoff_series")
ECHEM_LONG = ECHEM.get("long_cycling")
ECHEM_RATE = ECHEM.get("rate_test")
ECHEM_CVCFG = ECHEM.get("cv")
ECHEM_EISCFG = ECHEM.get("eis")
for _exp, _key in ((ECHEM_CUTOFF, "cutoff_series"), (ECHEM_LONG, "long_cycling")):
    if _exp:
        for _name in _exp["cells"]:
            _echem_cell(_name, f"echem.{_key}.cells")
if ECHEM_CUTOFF and "gcd_cell" in ECHEM_CUTOFF:
    _echem_cell(ECHEM_CUTOFF["gcd_cell"], "echem.cutoff_series.gcd_cell")
if ECHEM_RATE:
    _echem_cell(ECHEM_RATE["cell"], "echem.rate_test.cell")
if ECHEM_CVCFG and "cell" in ECHEM_CVCFG:
    _echem_cell(ECHEM_CVCFG["cell"], "echem.cv.cell")
if ECHEM_EISCFG and "cell" in ECHEM_EISCFG:
    _echem_cell(ECHEM_EISCFG["cell"], "echem.eis.cell")
ECHEM_CV = (
    {stem(f): f for f in _echem_files(ECHEM_CVCFG["files"], "echem.cv.files")}
    if ECHEM_CVCFG
    else {}
)
ECHEM_EIS = (
    {stem(f): f for f in _echem_files(ECHEM_EISCFG["files"], "echem.eis.files")}
    if ECHEM_EISCFG
    else {}
)
raw_files(
    {
        "echem.cv.files": list(ECHEM_CV.values()),
        "echem.eis.files": list(ECHEM_EIS.values()),
    }
)
if ECHEM_CVCFG:
    ECHEM_CV_AREA = (
        ECHEM_CELLS[ECHEM_CVCFG["cell"]].get("area_cm2")
        if "cell" in ECHEM_CVCFG
        else ECHEM_CVCFG.get("area_cm2")
    )
    if ECHEM_CV_AREA is None:
        raise WorkflowError(
            f"{CONFIGFILE}: echem.cv needs an electrode area: echem.cv.area_cm2 or a cell "
            "(echem.cv.cell) with area_cm2"
        )


wildcard_constraints:
    cell=ECHEM_NAME_RE,


rule echem_cell:
    input:
        raw=lambda wc: ECHEM_CELL_FILES[wc.cell],
        code=pkg_code("echem", "io/echem.py"),
    output:
        cycles=f"{ECHEM_T}/cells/{{cell}}_cycles.csv",
        curves=f"{ECHEM_T}/cells/{{cell}}_curves.csv",
        dqdv=f"{ECHEM_T}/cells/{{cell}}_dqdv.csv",
        dqdv_peaks=f"{ECHEM_T}/cells/{{cell}}_dqdv_peaks.csv",
        info=f"{ECHEM_T}/cells/{{cell}}_info.csv",
    log:
        f"{RESULTS}/logs/echem/cell_{{cell}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/echem/cell_{{cell}}.tsv"
    conda:
        "../envs/echem.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cell=lambda wc: ECHEM_CELLS[wc.cell],
        csv=lambda wc: ECHEM.get("csv_formats", {}).get(
            ECHEM_CELLS[wc.cell].get("csv_format")
        ),
        mass_tolerance_percent=ECHEM.get("mass_tolerance_percent", 1.0),
        completion_tolerance_V=ECHEM.get("completion_tolerance_V", 0.05),
        dqdv=ECHEM.get("dqdv", {}),
    script:
        "../scripts/echem_gcpl.py"


if ECHEM_CVCFG:

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
            cycle=ECHEM_CVCFG["cycle"],
            scan_rate=lambda wc: ECHEM_CVCFG.get("scan_rates_mV_s", {}).get(wc.name),
            cathodic_window=ECHEM_CVCFG.get("cathodic_window_V"),
            anodic_window=ECHEM_CVCFG.get("anodic_window_V"),
            cathodic_baseline=ECHEM_CVCFG.get("cathodic_baseline_V"),
            anodic_baseline=ECHEM_CVCFG.get("anodic_baseline_V"),
        script:
            "../scripts/echem_cv.py"


if ECHEM_EISCFG:

    rule echem_eis:
        input:
            raw=lambda wc: ECHEM_EIS[wc.name],
            code=pkg_code("echem", "io/echem.py"),
        output:
            fit=f"{ECHEM_T}/eis/{{name}}_fit.csv",
            curve=f"{ECHEM_T}/eis/{{name}}_curve.csv",
            model=f"{ECHEM_T}/eis/{{name}}_model.csv",
            drt=f"{ECHEM_T}/eis/{{name}}_drt.csv",
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
            weighting=ECHEM_EISCFG.get("weighting", "modulus"),
            ignore_below_x=ECHEM_EISCFG.get("ignore_below_x", False),
            kk_threshold_percent=ECHEM_EISCFG.get("kk_threshold_percent", 2.0),
            kk_c=ECHEM_EISCFG.get("kk_c", 0.85),
            kk_add_cap=ECHEM_EISCFG.get("kk_add_cap", True),
            kk_min_M_per_decade=ECHEM_EISCFG.get("kk_min_M_per_decade", 3.0),
            drt_lambda=ECHEM_EISCFG.get("drt_lambda", 1.0e-2),
        script:
            "../scripts/echem_eis.py"


ECHEM_SUMMARY_CELLS = sorted(
    set(ECHEM_CUTOFF["cells"] if ECHEM_CUTOFF else [])
    | set(ECHEM_LONG["cells"] if ECHEM_LONG else [])
    | ({ECHEM_RATE["cell"]} if ECHEM_RATE else set())
)


#: aggregate tables, each only when its experiment is configured (no header-only files)
ECHEM_SUMMARY_OUT = {
    "cells": f"{ECHEM_T}/cells.csv",
    **({"rate": f"{ECHEM_T}/rate_capability.csv"} if ECHEM_RATE else {}),
    **(
        {"peaks": f"{ECHEM_T}/cv_peaks.csv", "rs": f"{ECHEM_T}/cv_randles_sevcik.csv"}
        if ECHEM_CVCFG
        else {}
    ),
    **({"rct": f"{ECHEM_T}/eis_rct_vs_potential.csv"} if ECHEM_EISCFG else {}),
    "repro": f"{RESULTS}/tables/reproduction/echem.csv",
}


rule echem_summary:
    input:
        cycles=echem_cycles(ECHEM_SUMMARY_CELLS),
        info=[f"{ECHEM_T}/cells/{n}_info.csv" for n in ECHEM_CELLS],
        cv=[f"{ECHEM_T}/cv/{n}_peaks.csv" for n in ECHEM_CV],
        cv_info=(
            [f"{ECHEM_T}/cells/{ECHEM_CVCFG['cell']}_info.csv"]
            if ECHEM_CVCFG and "cell" in ECHEM_CVCFG
            else []
        ),
        eis=[f"{ECHEM_T}/eis/{n}_fit.csv" for n in ECHEM_EIS],
        code=pkg_code("echem", "io/echem.py"),
    output:
        **ECHEM_SUMMARY_OUT,
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
        cycle_cells=ECHEM_SUMMARY_CELLS,
        formula=ECHEM.get("host_formula"),
        n_electrons=ECHEM.get("n_electrons", 1),
        cutoff=ECHEM_CUTOFF,
        long=ECHEM_LONG,
        rate=ECHEM_RATE,
        cv=ECHEM_CVCFG,
        cv_area=ECHEM_CV_AREA if ECHEM_CVCFG else None,
        rct=ECHEM_EISCFG["charge_transfer_parameter"] if ECHEM_EISCFG else None,
    script:
        "../scripts/echem_summary.py"


# ---------------------------------------------------------------- figures (from tables only)
# plotting code as input: restyling reruns only the figure jobs, never a fit
ECHEM_FIG_CODE = [*FIGURE_STYLE, *pkg_code("figures/echem.py")]
ECHEM_EIS_TABLES = {
    kind: [f"{ECHEM_T}/eis/{n}_{kind}.csv" for n in ECHEM_EIS]
    for kind in ("fit", "curve", "model", "drt")
}
ECHEM_FIG_OUT = []


if ECHEM_CUTOFF or ECHEM_CVCFG or ECHEM_EISCFG:
    ECHEM_GCD_CELL = (
        ECHEM_CUTOFF.get("gcd_cell", next(iter(ECHEM_CUTOFF["cells"])))
        if ECHEM_CUTOFF
        else None
    )

    rule echem_fig3:
        input:
            first=(
                [f"{ECHEM_T}/cells/{n}_curves.csv" for n in ECHEM_CUTOFF["cells"]]
                if ECHEM_CUTOFF
                else []
            ),
            gcd=[f"{ECHEM_T}/cells/{ECHEM_GCD_CELL}_curves.csv"] if ECHEM_CUTOFF else [],
            info=(
                [f"{ECHEM_T}/cells/{n}_info.csv" for n in ECHEM_CUTOFF["cells"]]
                if ECHEM_CUTOFF
                else []
            ),
            cv=[f"{ECHEM_T}/cv/{n}_curves.csv" for n in ECHEM_CV],
            rs=[f"{ECHEM_T}/cv_randles_sevcik.csv"] if ECHEM_CVCFG else [],
            eis_fit=ECHEM_EIS_TABLES["fit"],
            eis_curve=ECHEM_EIS_TABLES["curve"],
            eis_model=ECHEM_EIS_TABLES["model"],
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("fig3"),
            png=report(
                f"{ECHEM_FIGS}/fig3.png",
                caption="../report/echem/fig3.rst",
                category="Electrochemistry",
                labels={"figure": "Fig. 3"},
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
            reference_ion=ECHEM["reference_ion"],
            cutoffs=ECHEM_CUTOFF["cells"] if ECHEM_CUTOFF else {},
            limit=ECHEM_CUTOFF.get("limit", "lower") if ECHEM_CUTOFF else "lower",
            cells=ECHEM_CELLS,
            gcd_cell=ECHEM_GCD_CELL,
            gcd_cycles=(
                ECHEM_CUTOFF.get("gcd_cycles", [2, 3, 4, 5]) if ECHEM_CUTOFF else []
            ),
            cv_cycle=ECHEM_CVCFG["cycle"] if ECHEM_CVCFG else None,
            eis_title=ECHEM_EISCFG.get("title", "") if ECHEM_EISCFG else "",
        script:
            "../scripts/echem_fig3.py"


if ECHEM_LONG:

    rule echem_figS10:
        input:
            long=echem_cycles(ECHEM_LONG["cells"]),
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/figS10"),
            png=report(
                f"{ECHEM_FIGS}/si/figS10.png",
                caption="../report/echem/figS10.rst",
                category="Electrochemistry",
                labels={"figure": "Fig. S10"},
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
            reference_ion=ECHEM["reference_ion"],
            cutoffs=ECHEM_LONG["cells"],
            limit=ECHEM_LONG.get("limit", "lower"),
            cells=ECHEM_CELLS,
            retention_cycle=ECHEM_LONG["retention_cycle"],
        script:
            "../scripts/echem_figS10.py"


if ECHEM_CVCFG:

    rule echem_figS13:
        input:
            peaks=f"{ECHEM_T}/cv_peaks.csv",
            rs=f"{ECHEM_T}/cv_randles_sevcik.csv",
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/figS13"),
            png=report(
                f"{ECHEM_FIGS}/si/figS13.png",
                caption="../report/echem/figS13.rst",
                category="Electrochemistry",
                labels={"figure": "Fig. S13"},
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
        params:
            reference_ion=ECHEM["reference_ion"],
        script:
            "../scripts/echem_figS13.py"


if ECHEM_RATE:

    rule echem_figS14:
        input:
            cycles=f"{ECHEM_T}/cells/{ECHEM_RATE['cell']}_cycles.csv",
            curves=f"{ECHEM_T}/cells/{ECHEM_RATE['cell']}_curves.csv",
            rate=f"{ECHEM_T}/rate_capability.csv",
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/figS14"),
            png=report(
                f"{ECHEM_FIGS}/si/figS14.png",
                caption="../report/echem/figS14.rst",
                category="Electrochemistry",
                labels={"figure": "Fig. S14"},
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
            reference_ion=ECHEM["reference_ion"],
            cell=ECHEM_RATE["cell"],
        script:
            "../scripts/echem_figS14.py"


if ECHEM_EISCFG:

    rule echem_figS15:
        input:
            eis_fit=ECHEM_EIS_TABLES["fit"],
            eis_curve=ECHEM_EIS_TABLES["curve"],
            eis_model=ECHEM_EIS_TABLES["model"],
            rct=f"{ECHEM_T}/eis_rct_vs_potential.csv",
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/figS15"),
            png=report(
                f"{ECHEM_FIGS}/si/figS15.png",
                caption="../report/echem/figS15.rst",
                category="Electrochemistry",
                labels={"figure": "Fig. S15"},
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
        params:
            reference_ion=ECHEM["reference_ion"],
            title=ECHEM_EISCFG.get("title", ""),
        script:
            "../scripts/echem_figS15.py"


if ECHEM_EISCFG:

    rule echem_fig_drt:
        input:
            drt=ECHEM_EIS_TABLES["drt"],
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/echem_drt"),
            png=report(
                f"{ECHEM_FIGS}/si/echem_drt.png",
                caption="../report/echem/drt.rst",
                category="Electrochemistry",
                labels={"figure": "echem_drt"},
            ),
        log:
            f"{RESULTS}/logs/echem/fig_drt.log",
        benchmark:
            f"{RESULTS}/benchmarks/echem/fig_drt.tsv"
        conda:
            "../envs/echem.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            reference_ion=ECHEM["reference_ion"],
            names=list(ECHEM_EIS),
            title=ECHEM_EISCFG.get("title", ""),
        script:
            "../scripts/echem_fig_drt.py"


if ECHEM_CELLS:

    rule echem_fig_dqdv:
        input:
            dqdv=[f"{ECHEM_T}/cells/{n}_dqdv.csv" for n in ECHEM_CELLS],
            peaks=[f"{ECHEM_T}/cells/{n}_dqdv_peaks.csv" for n in ECHEM_CELLS],
            info=[f"{ECHEM_T}/cells/{n}_info.csv" for n in ECHEM_CELLS],
            code=ECHEM_FIG_CODE,
        output:
            pdf=_echem_fig("si/echem_dqdv"),
            png=report(
                f"{ECHEM_FIGS}/si/echem_dqdv.png",
                caption="../report/echem/dqdv.rst",
                category="Electrochemistry",
                labels={"figure": "echem_dqdv"},
            ),
        log:
            f"{RESULTS}/logs/echem/fig_dqdv.log",
        benchmark:
            f"{RESULTS}/benchmarks/echem/fig_dqdv.tsv"
        conda:
            "../envs/echem.yaml"
        threads: 1
        resources:
            mem_mb=1500,
            runtime=10,
        params:
            reference_ion=ECHEM["reference_ion"],
            cells=list(ECHEM_CELLS),
        script:
            "../scripts/echem_fig_dqdv.py"


ALL_TARGETS.extend(rules.echem_summary.output)
ALL_TARGETS.extend(ECHEM_FIG_OUT)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/echem.csv")
