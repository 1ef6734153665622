"""Workflow benchmarks: cold rebuild, no-op rerun, one new operando scan, wall vs ideal.

Run from the top of the repository::

    python benchmarks/workflow.py [--cores 2]

It copies the workflow to a temporary folder (results there, not here) and prints:
- cold full rebuild of the demo data (target <= 3 min on 2 cores),
- a no-op rerun (target <= 5 s),
- one new operando scan added to the series (target <= 15 s),
- wall time against the ideal, sum of job CPU times / cores (target ratio <= 1.5),
  from the `benchmark:` files every rule writes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "workflow"))
from wfutil import copy_workflow, restore_scan, withhold_last_scan  # noqa: E402


def run(workdir: Path, cores: int, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), "--quiet", "all", *args],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def job_cpu_seconds(workdir: Path) -> tuple[float, float, int]:
    """Sum of wall (s) and CPU seconds over the benchmark files, and the job count."""
    wall = cpu = 0.0
    n = 0
    for tsv in (workdir / "results" / "benchmarks").rglob("*.tsv"):
        df = pd.read_csv(tsv, sep="\t")
        wall += float(df["s"].iloc[-1])
        cpu += float(df["cpu_time"].iloc[-1])
        n += 1
    return wall, cpu, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wf = copy_workflow(ROOT, Path(tmp) / "wf")
        # the last operando scan is held back and "arrives" after the cold build
        scan, row = withhold_last_scan(wf)
        cold = run(wf, args.cores)
        wall, cpu, n = job_cpu_seconds(wf)
        noop = run(wf, args.cores)
        print(f"cold full rebuild ({args.cores} cores): {cold:7.1f} s   (target <= 180 s)")
        print(f"no-op rerun:                      {noop:7.1f} s   (target <= 5 s)")
        ideal = cpu / args.cores
        print(
            f"jobs: {n}; sum of job CPU times {cpu:.1f} s, sum of job wall times {wall:.1f} s; "
            f"ideal wall = CPU / cores = {ideal:.1f} s; ratio cold / ideal = {cold / ideal:.2f}"
            "   (target <= 1.5)"
        )
        restore_scan(wf, scan, row)
        one = run(wf, args.cores)
        print(f"one new operando scan:            {one:7.1f} s   (target <= 15 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
