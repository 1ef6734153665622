# Ex-situ powder XRD: one Le Bail refinement per pattern, then the lebail.* rows.


validate_config(config["xrd"], "xrd.schema.yaml", "xrd")

XRD = config["xrd"]
XRD_PATTERNS = list(XRD["patterns"])
safe_names(XRD_PATTERNS, "xrd.patterns")
XRD_CIFS = XRD.get("cif_phases", {})
for _p, _spec in XRD["patterns"].items():
    known_names(
        _spec["phases"],
        [*config.get("materials", {}), *XRD_CIFS],
        f"xrd.patterns.{_p}.phases",
        "materials or xrd.cif_phases",
    )
    known_names(
        [_spec["report_phase"]],
        _spec["phases"],
        f"xrd.patterns.{_p}.report_phase",
        f"xrd.patterns.{_p}.phases",
    )
raw_files(
    {
        **{f"xrd.patterns.{p}.file": s["file"] for p, s in XRD["patterns"].items()},
        **{f"xrd.cif_phases.{n}": f for n, f in XRD_CIFS.items()},
        **(
            {"xrd.instrument_file": XRD["instrument_file"]}
            if "instrument_file" in XRD
            else {}
        ),
        **{
            f"xrd.patterns.{p}.instrument_file": s["instrument_file"]
            for p, s in XRD["patterns"].items()
            if "instrument_file" in s
        },
    }
)


rule xrd_lebail:
    input:
        pattern=lambda wc: XRD["patterns"][wc.pattern]["file"],
        side=xrd_side_files,
        code=pkg_code("xrd", "io/xrd.py"),
    output:
        fit=f"{RESULTS}/xrd/{{pattern}}/fit.csv",
        profile=f"{RESULTS}/xrd/{{pattern}}/profile.csv",
        reflections=f"{RESULTS}/xrd/{{pattern}}/reflections.csv",
        summary=f"{RESULTS}/xrd/{{pattern}}/summary.json",
        cif=f"{RESULTS}/xrd/{{pattern}}/refined.cif",
        pdf=f"{RESULTS}/xrd/{{pattern}}/lebail.pdf",
        png=report(
            f"{RESULTS}/xrd/{{pattern}}/lebail.png",
            caption="../report/xrd/lebail.rst",
            category="XRD",
            labels={"figure": "Le Bail {pattern}"},
        ),
        gsas2=directory(f"{RESULTS}/xrd/{{pattern}}/gsas2"),
    log:
        f"{RESULTS}/logs/xrd/lebail_{{pattern}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xrd/lebail_{{pattern}}.tsv"
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
        summaries=expand(
            f"{RESULTS}/xrd/{{pattern}}/summary.json", pattern=XRD_PATTERNS
        ),
        code=pkg_code("xrd", "io/xrd.py"),
    output:
        table=f"{RESULTS}/tables/reproduction/xrd.csv",
    log:
        f"{RESULTS}/logs/xrd/reproduction.log",
    benchmark:
        f"{RESULTS}/benchmarks/xrd/reproduction.tsv"
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
        f"{RESULTS}/xrd/{{pattern}}/{{f}}",
        pattern=XRD_PATTERNS,
        f=["fit.csv", "lebail.png", "refined.cif", "gsas2"],
    )
)
REPRO_PARTS.append(f"{RESULTS}/tables/reproduction/xrd.csv")
