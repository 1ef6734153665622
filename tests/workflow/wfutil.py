"""Helpers for tests that run snakemake on a temporary copy of the workflow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

#: what a copy of the workflow needs (results/ and .snakemake/ are left behind)
WORKFLOW_ITEMS = [
    "Snakefile",
    "config.yaml",
    "rules",
    "scripts",
    "schemas",
    "envs",
    "profiles",
    "report",
    "data",
    "src/intercal",  # package code is an input of every rule (pkg_code)
]


def copy_workflow(root: Path, dest: Path, items=WORKFLOW_ITEMS) -> Path:
    """Copy the workflow files into ``dest`` (the package itself stays installed)."""
    for item in items:
        src = root / item
        if not src.exists():
            continue
        target = dest / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, target)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` with the interpreter running the tests."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
            f"{proc.stderr[-4000:]}"
        )
    return proc


def copy_built(src: Path, dest: Path) -> Path:
    """Copy a workflow that has run, with its results and .snakemake metadata.

    Modification times are kept (copy2), so snakemake sees the copy as up to date.
    """
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    return dest


def planned_jobs(workdir: Path, *targets: str) -> Counter:
    """Jobs that ``snakemake -n`` would run, as a Counter of rule names."""
    proc = snakemake(workdir, "-n", *targets)
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return Counter()
    m = re.search(r"Job stats:\njob\s+count\n[-\s]+\n(.*?)\ntotal\s+\d+", text, re.S)
    if not m:
        raise AssertionError(f"no job stats in snakemake -n output:\n{text[-3000:]}")
    jobs = Counter()
    for line in m.group(1).splitlines():
        name, count = line.split()
        jobs[name] = int(count)
    return jobs


def withhold_last_scan(workdir: Path) -> tuple[Path, str]:
    """Remove the last operando scan and its scan-log row from a workflow copy.

    Returns the removed scan's path and log line, for :func:`restore_scan`: a
    build without the scan followed by its return is the "new scan arrives"
    case, on data that stay inside the cycling file's time range.
    """
    scans = sorted((workdir / "data" / "operando" / "scans").glob("scan_*.xye"))
    last = scans[-1]
    keep = workdir / ".withheld" / last.name
    keep.parent.mkdir(exist_ok=True)
    shutil.move(last, keep)
    log = workdir / "data" / "operando" / "scan_log.csv"
    lines = log.read_text().splitlines()
    row = next(line for line in reversed(lines) if last.name in line)
    lines.remove(row)
    log.write_text("\n".join(lines) + "\n")
    return last, row


def restore_scan(workdir: Path, scan: Path, row: str) -> None:
    """Put back a scan removed by :func:`withhold_last_scan` (file and log row)."""
    shutil.move(workdir / ".withheld" / scan.name, scan)
    log = workdir / "data" / "operando" / "scan_log.csv"
    log.write_text(log.read_text() + row + "\n")
