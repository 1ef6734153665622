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
    "src/intercal/figures/style.py",
]


def copy_workflow(root: Path, dest: Path) -> Path:
    """Copy the workflow files into ``dest`` (the package itself stays installed)."""
    for item in WORKFLOW_ITEMS:
        src = root / item
        if not src.exists():
            continue
        target = dest / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target)
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
