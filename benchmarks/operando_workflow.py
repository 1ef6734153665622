"""Benchmark: a 10,000-scan operando series through the Snakemake branch on 2 cores.

Builds, in a temporary folder, a copy of the workflow (rules/common.smk,
rules/operando.smk, schemas, scripts, envs, report) with a minimal Snakefile and
a synthetic series of N scans (default 10,000): a fast-detector series of the
demo cell, scan k taken over 13 s at 300 + 13.5 k s; each scan file is a
symbolic link to the demo scan measured at that time, and the scan log and
cycling file are the demo ones (data/operando). Then runs
``snakemake --cores 2`` to the lattice table, summary and Fig. 4 and prints
the wall time (target <= 5 min), then appends one scan, reports which jobs a
rerun needs (only its batch plus the aggregates), runs it and prints its wall time
(target <= 15 s) with each rerun job's time.

    python benchmarks/operando_workflow.py [--n 10000] [--batch 250] [--keep]

Not part of the test suite (minutes of CPU).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from cpu_reference import describe as cpu_reference

ROOT = Path(__file__).resolve().parents[1]


def build(tmp: Path, n: int, batch: int) -> None:
    for d in ("rules", "schemas", "scripts", "envs", "report"):
        (tmp / d).mkdir(parents=True, exist_ok=True)
    for smk in ("common.smk", "code.smk", "operando.smk"):
        shutil.copy(ROOT / "rules" / smk, tmp / "rules")
    shutil.copytree(ROOT / "schemas", tmp / "schemas", dirs_exist_ok=True)
    for f in [*(ROOT / "scripts").glob("operando_*.py"), ROOT / "scripts/code_fingerprint.py"]:
        shutil.copy(f, tmp / "scripts")
    for env in ("operando.yaml", "intercal.yaml"):
        shutil.copy(ROOT / "envs" / env, tmp / "envs")
    shutil.copytree(ROOT / "report/operando", tmp / "report/operando", dirs_exist_ok=True)
    # the rules list the package modules they run as inputs (pkg_code): the sources beside
    # the Snakefile
    shutil.copytree(
        ROOT / "src/intercal", tmp / "src/intercal", ignore=shutil.ignore_patterns("__pycache__")
    )
    full = yaml.safe_load((ROOT / "config.yaml").read_text())
    cfg = {k: full[k] for k in ("study", "materials", "operando")}
    op = cfg["operando"]
    demo = ROOT / "data/operando"
    log = pd.read_csv(demo / "scan_log.csv")
    sdir = tmp / "data/operando/scans"
    sdir.mkdir(parents=True)
    rows = []
    t_end = float(log["end_time_s"].max())
    period = (t_end - 300.0) / n
    for k in range(n):
        t0 = 300.0 + k * period
        t1 = t0 + 0.96 * period
        mid = 0.5 * (t0 + t1)
        src = log.iloc[(log["start_time_s"] - mid).abs().argmin()]
        name = f"scan_{k + 1:05d}.xye"
        os.symlink(demo / src["file"], sdir / name)
        rows.append({"scan": k + 1, "start_s": t0, "end_s": t1})
    pd.DataFrame(rows).to_csv(tmp / "data/operando/scan_log.csv", index=False)
    os.symlink(demo / "cell.mpt", tmp / "data/operando/cell.mpt")
    op["scans"] = "data/operando/scans/scan_*.xye"
    op["scan_log"] = "data/operando/scan_log.csv"
    op["scan_log_columns"] = {"scan": "scan", "start": "start_s", "end": "end_s"}
    op["clock_offset_s"] = 0.0
    op["cycling_file"] = "data/operando/cell.mpt"
    op["batch_size"] = batch
    (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (tmp / "Snakefile").write_text(
        'configfile: "config.yaml"\n\n\ninclude: "rules/common.smk"\ninclude: "rules/code.smk"\n'
        'include: "rules/operando.smk"\n\n\nrule all:\n    input:\n        ALL_TARGETS,\n'
        "        REPRO_PARTS,\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="operando_bench_"))
    try:
        build(tmp, args.n, args.batch)
        cmd = ["snakemake", "--cores", "2", "--quiet", "rules"]
        print(f"load average before the run: {os.getloadavg()}; {cpu_reference()}")
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, check=True)
        wall = time.perf_counter() - t0
        lat = pd.read_csv(tmp / "results/operando/lattice.csv")
        print(
            f"{args.n} scans, batch size {args.batch}: workflow wall time {wall:.1f} s "
            f"on 2 cores (target <= 300 s: {'ok' if wall <= 300 else 'MISSED'})"
        )
        print(f"lattice rows: {len(lat)}, scans: {lat.scan.nunique()}")
        # partial rerun: one more scan (its batch + aggregates only)
        log = pd.read_csv(tmp / "data/operando/scan_log.csv")
        last = log.iloc[-1]
        new = int(last.scan) + 1
        os.symlink(
            os.readlink(tmp / f"data/operando/scans/scan_{int(last.scan):05d}.xye"),
            tmp / f"data/operando/scans/scan_{new:05d}.xye",
        )
        log.loc[len(log)] = [new, float(last.end_s), float(last.end_s) + 1.0]
        log.to_csv(tmp / "data/operando/scan_log.csv", index=False)
        dry = subprocess.run(
            ["snakemake", "--cores", "2", "-n", "--quiet", "rules"],
            cwd=tmp, check=True, capture_output=True, text=True,
        )  # fmt: skip
        print("after adding one scan, a rerun needs:\n" + dry.stdout.strip())
        print(cpu_reference())
        load0 = tuple(round(v, 2) for v in os.getloadavg())
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, check=True)
        wall1 = time.perf_counter() - t0
        bench = tmp / "results/benchmarks/operando"
        jobs = {
            f.stem: pd.read_csv(f, sep="\t").iloc[-1]
            for f in sorted(bench.glob("*.tsv"))
            if f.stat().st_mtime >= time.time() - wall1 - 1
        }
        print(
            f"one new scan: rerun wall time {wall1:.1f} s (target <= 15 s: "
            f"{'ok' if wall1 <= 15 else 'MISSED'}, load before {load0}); "
            "jobs (wall/CPU s): "
            + ", ".join(f"{k} {v['s']:.1f}/{v['cpu_time']:.1f}" for k, v in jobs.items())
        )
        print(f"load average after the run: {os.getloadavg()}; {cpu_reference()}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
