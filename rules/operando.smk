# Operando XRD (Fig. 4): scans aligned with the cell, batch peak tracking, aggregates.


validate_config(config["operando"], "operando.schema.yaml", "operando")

from intercal.operando.calibration import check_window as op_check_calibration_window
from intercal.operando.calibration import resolve as op_resolve_calibration
from intercal.operando.checks import check_reflections as op_check_reflections
from intercal.operando.checks import x_unit as op_x_unit
from intercal.operando.ridge import sample_earlier as op_sample_earlier
from intercal.operando.ridge import seed_stride as op_seed_stride
from intercal.operando.scans import batches as op_scan_batches
from intercal.operando.scans import write_manifest as op_write_manifest

OPERANDO = section("operando")
OP_SCAN_FILES = resolve_files("operando", "scans")
raw_files(
    {
        "operando.scan_log": OPERANDO["scan_log"],
        "operando.cycling_file": OPERANDO["cycling_file"],
    }
)


# batch b holds scan numbers b*size+1 ... (b+1)*size: a new scan reruns only its batch
OP_BATCHES = op_scan_batches(OP_SCAN_FILES, int(OPERANDO["batch_size"]))
OP_BATCH_IDS = [f"{b:04d}" for b in sorted(OP_BATCHES)]
OP_MATERIALS = {p["name"]: config["materials"][p["name"]] for p in OPERANDO["phases"]}
OP_CROSS = OPERANDO.get("crosscheck", {})
OP_ORDERED = [f for b in sorted(OP_BATCHES) for f in OP_BATCHES[b]]
# 2theta calibration: resolved (d of the standard from materials) and its window checked
# against the tracked phases' reflections and the hardware lines at load time
OP_CAL = op_resolve_calibration(OPERANDO.get("calibration"), config["materials"])
OP_CAL_NOTES = op_check_calibration_window(
    OP_CAL,
    [(p["name"], float(p["a"]), float(p["c"])) for p in OPERANDO["phases"]],
    hardware_peaks_deg=OPERANDO.get("hardware_peaks_deg", []),
    wavelength=float(OPERANDO.get("radiation", {}).get("wavelengths_A", [1.540593])[0]),
)
# every n-th scan, at most max_scans of them: a long series doubles the stride as often as
# needed (stable while scans are added, until the series doubles)
OP_CROSS_STRIDE = int(OP_CROSS.get("every", 10))
while len(OP_ORDERED) > OP_CROSS_STRIDE * int(OP_CROSS.get("max_scans", 200)):
    OP_CROSS_STRIDE *= 2
OP_CROSS_FILES = OP_ORDERED[::OP_CROSS_STRIDE]
# the cross-check compares with the cells as measured (the batch tables) and runs per
# batch on that batch's cross-checked scans: a new scan reruns only its batch's job
OP_CROSS_SET = set(OP_CROSS_FILES)
OP_CROSS_BY_BATCH = {
    f"{b:04d}": [f for f in OP_BATCHES[b] if f in OP_CROSS_SET]
    for b in sorted(OP_BATCHES)
}
OP_CROSS_BATCHES = [b for b, files in OP_CROSS_BY_BATCH.items() if files]
# tracked reflections inside a masked range at a configured cell: error at load
op_check_reflections(OPERANDO)
OP_SEEDING = OPERANDO.get("seeding", {})
# one seed spacing for the whole series (stable while scans are added, until it doubles)
OP_SEED_STRIDE = op_seed_stride(len(OP_ORDERED), int(OP_SEEDING.get("max_scans", 200)))
# one manifest per batch (its scans and seed scans with sizes and times), rewritten only
# when they change: a batch job has one input instead of hundreds of scans, so that a
# workflow start over 10,000 scans does not spend seconds checking every scan per job.
# Written by the main snakemake process only (a cluster job that re-reads the rules must
# not touch them: other batches' jobs would look out of date)
for _op_b, _op_files in OP_BATCHES.items() if workflow.is_main_process else ():
    op_write_manifest(
        f"{RESULTS}/operando/manifests/batch_{_op_b:04d}.json",
        {
            "scans": _op_files,
            "seed_scans": op_sample_earlier(
                OP_ORDERED,
                _op_files[0],
                int(OP_SEEDING.get("max_scans", 200)),
                stride=OP_SEED_STRIDE,
            ),
        },
    )
OP_X_UNIT = op_x_unit(OPERANDO["cell"])


rule operando_align:
    input:
        scan_log=OPERANDO["scan_log"],
        cycling=OPERANDO["cycling_file"],
        code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
    output:
        alignment=f"{RESULTS}/operando/alignment.csv",
        trace=f"{RESULTS}/operando/cycling_trace.csv",
    log:
        f"{RESULTS}/logs/operando/align.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/align.tsv"
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        columns=OPERANDO.get("scan_log_columns", {}),
        clock_offset_s=OPERANDO.get("clock_offset_s"),
        cell=OPERANDO["cell"],
        cycling_csv=OPERANDO.get("cycling_csv", {}),
    script:
        "../scripts/operando_align.py"


rule operando_reference:
    input:
        code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
    output:
        factors=f"{RESULTS}/operando/reference_phases.json",
        patterns=f"{RESULTS}/operando/simulated_patterns.csv",
    log:
        f"{RESULTS}/logs/operando/reference.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/reference.tsv"
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        materials=OP_MATERIALS,
        phases=OPERANDO["phases"],
        reflections=OPERANDO.get("reflections", {}),
        radiation=OPERANDO.get("radiation", {}),
        grid=OPERANDO.get("map_grid_deg", [12.0, 36.0, 0.02]),
    script:
        "../scripts/operando_reference.py"


rule operando_batch:
    input:
        # the batch's scans and the earlier scans its forward ridge pass reads (a sample,
        # never later scans), recorded with their sizes and times in one manifest
        manifest=f"{RESULTS}/operando/manifests/batch_{{batch}}.json",
        factors=f"{RESULTS}/operando/reference_phases.json",
        code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
    output:
        peaks=f"{RESULTS}/operando/batches/batch_{{batch}}.csv",
        intensity_map=f"{RESULTS}/operando/batches/map_{{batch}}.npz",
        calibration=f"{RESULTS}/operando/batches/calibration_{{batch}}.csv",
    log:
        f"{RESULTS}/logs/operando/batch_{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/batch_{{batch}}.tsv"
    wildcard_constraints:
        batch=r"\d{4}",
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        phases=OPERANDO["phases"],
        fit=OPERANDO.get("fit", {}),
        radiation=OPERANDO.get("radiation", {}),
        calibration=OP_CAL,
        reflections=OPERANDO.get("reflections", {}),
        hardware_peaks_deg=OPERANDO.get("hardware_peaks_deg", []),
        seeding=OP_SEEDING,
        calibration_notes=OP_CAL_NOTES,
        grid=OPERANDO.get("map_grid_deg", [12.0, 36.0, 0.02]),
    script:
        "../scripts/operando_batch.py"


rule operando_lattice:
    input:
        batches=expand(
            f"{RESULTS}/operando/batches/batch_{{batch}}.csv", batch=OP_BATCH_IDS
        ),
        maps=expand(f"{RESULTS}/operando/batches/map_{{batch}}.npz", batch=OP_BATCH_IDS),
        calibrations=expand(
            f"{RESULTS}/operando/batches/calibration_{{batch}}.csv", batch=OP_BATCH_IDS
        ),
        alignment=f"{RESULTS}/operando/alignment.csv",
        trace=f"{RESULTS}/operando/cycling_trace.csv",
        code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
    output:
        # the assembled table in a fast binary form (read by the summary, which writes
        # lattice.csv beside it, and by the figures): writing 20,000 rows as text takes
        # longer than assembling them, and a new scan should not wait for it
        lattice=f"{RESULTS}/operando/lattice.parquet",
        intensity_map=f"{RESULTS}/operando/intensity_map.npz",
        calibration=report(
            f"{RESULTS}/operando/calibration.csv",
            caption="../report/operando/calibration.rst",
            category="Operando XRD",
        ),
    log:
        f"{RESULTS}/logs/operando/lattice.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/lattice.tsv"
    # the aggregates and figures a new scan waits for go first when cores are short
    priority: 30
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        qc=OPERANDO.get("qc", {}),
    script:
        "../scripts/operando_lattice.py"


rule operando_summary:
    input:
        lattice=f"{RESULTS}/operando/lattice.parquet",
        trace=f"{RESULTS}/operando/cycling_trace.csv",
        calibration=f"{RESULTS}/operando/calibration.csv",
        code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
    output:
        lattice=f"{RESULTS}/operando/lattice.csv",
        summary=f"{RESULTS}/operando/summary.json",
        table=f"{RESULTS}/operando/summary.csv",
        repro=f"{RESULTS}/tables/reproduction/operando.csv",
    log:
        f"{RESULTS}/logs/operando/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/summary.tsv"
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        states=OPERANDO.get("states", {}),
        transition=OPERANDO.get("transition", {}),
        phases=OPERANDO["phases"],
        qc=OPERANDO.get("qc", {}),
        fit=OPERANDO.get("fit", {}),
        cell=OPERANDO["cell"],
        x_unit=OP_X_UNIT,
    script:
        "../scripts/operando_summary.py"


# the Le Bail cross-check runs only when the config asks for it
if "crosscheck" in OPERANDO:

    rule operando_crosscheck_batch:
        input:
            batch=f"{RESULTS}/operando/batches/batch_{{batch}}.csv",
            scans=lambda wc: OP_CROSS_BY_BATCH[wc.batch],
            code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
        output:
            table=f"{RESULTS}/operando/crosscheck/crosscheck_{{batch}}.csv",
        log:
            f"{RESULTS}/logs/operando/crosscheck_{{batch}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/operando/crosscheck_{{batch}}.tsv"
        wildcard_constraints:
            batch=r"\d{4}",
        conda:
            "../envs/operando.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=30,
        params:
            materials=OP_MATERIALS,
            extra_materials={
                k: config["materials"][k] for k in OP_CROSS.get("extra_phases", [])
            },
            two_theta_range_deg=OP_CROSS.get("two_theta_range_deg", [25.0, 35.5]),
            radiation=OPERANDO.get("radiation", {}),
            # axial-divergence constants of the diffractometer, fixed in the cross-check
            instrument={
                k: config.get("xrd", {}).get("instrument", {}).get(k, default)
                for k, default in (
                    ("SHL", 0.024),
                    ("soller_half_acceptance_rad", 0.02),
                )
            },
        script:
            "../scripts/operando_crosscheck.py"

    rule operando_crosscheck:
        input:
            tables=expand(
                f"{RESULTS}/operando/crosscheck/crosscheck_{{batch}}.csv",
                batch=OP_CROSS_BATCHES,
            ),
            code=pkg_code("operando", "xrd", "io/xrd.py", "io/echem.py"),
        output:
            table=f"{RESULTS}/operando/crosscheck_lebail.csv",
        log:
            f"{RESULTS}/logs/operando/crosscheck.log",
        benchmark:
            f"{RESULTS}/benchmarks/operando/crosscheck.tsv"
        conda:
            "../envs/operando.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../scripts/operando_crosscheck_merge.py"


# Fig. 4 and SI S18 in one job: they read the same tables and map, and are drawn side
# by side (intercal.figures.style.draw_side_by_side) when the job may use two CPUs
rule operando_figure:
    input:
        lattice=f"{RESULTS}/operando/lattice.parquet",
        intensity_map=f"{RESULTS}/operando/intensity_map.npz",
        trace=f"{RESULTS}/operando/cycling_trace.csv",
        patterns=f"{RESULTS}/operando/simulated_patterns.csv",
        code=[*FIGURE_STYLE, *pkg_code("figures/operando.py")],
    output:
        pdf=f"{RESULTS}/figures/fig4.pdf",
        png=report(
            f"{RESULTS}/figures/fig4.png",
            caption="../report/operando/fig4.rst",
            category="Operando XRD",
            labels={"figure": "Fig. 4"},
        ),
        s18_pdf=f"{RESULTS}/figures/si/figS18.pdf",
        s18_png=report(
            f"{RESULTS}/figures/si/figS18.png",
            caption="../report/operando/figS18.rst",
            category="Operando XRD",
            labels={"figure": "Fig. S18"},
        ),
    log:
        f"{RESULTS}/logs/operando/figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/operando/figure.tsv"
    priority: 20
    conda:
        "../envs/operando.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        states=OPERANDO.get("states", {}),
        x_unit=OP_X_UNIT,
        hardware_peaks_deg=OPERANDO.get("hardware_peaks_deg", []),
        hardware_labels=OPERANDO.get("hardware_labels", []),
        phase_order=list(config.get("materials", {})),
    script:
        "../scripts/operando_figure.py"


ALL_TARGETS.extend(
    [
        f"{RESULTS}/operando/lattice.csv",
        f"{RESULTS}/operando/summary.json",
        f"{RESULTS}/operando/calibration.csv",
        f"{RESULTS}/figures/fig4.pdf",
        f"{RESULTS}/figures/fig4.png",
        f"{RESULTS}/figures/si/figS18.png",
    ]
)
if "crosscheck" in OPERANDO:
    ALL_TARGETS.append(f"{RESULTS}/operando/crosscheck_lebail.csv")
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/operando.csv")
