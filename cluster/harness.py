"""Helpers to run the workflow on the local test SLURM cluster.

Used by tests/cluster/test_slurm.py and benchmarks/slurm_overhead.py: start and
stop the cluster (cluster/start_slurm.sh, cluster/stop_slurm.sh), copy the
workflow into a scratch folder, pick a representative branch, run snakemake
locally or with the SLURM executor, list the SLURM jobs of a run and compare the
tables of two runs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_DIR = ROOT / "cluster"
#: scratch folder of the test cluster (config, state, logs, pid files)
SLURM_DIR = Path(os.environ.get("INTERCAL_SLURM_DIR", "/tmp/intercal-slurm"))
#: technique branches, cheapest first: the first that the workflow has and whose
#: dry run stays within MAX_JOBS jobs (per-file jobs plus aggregates) is used
BRANCH_PREFERENCE = ("xas", "echem", "musr", "xrd", "operando", "dft")
MAX_JOBS = 40
#: the backbone's aggregate, built for every study (reproduction.csv needs references)
REPRODUCTION = "results/tables/results.csv"
#: settings for the 2-CPU test node on top of profiles/slurm: group jobs must fit
#: the node, the first status query comes after 2 s instead of 20 s
SLURM_TEST_ARGS = (
    "--workflow-profile",
    "profiles/slurm",
    "--cores",
    "2",
    "--jobs",
    "4",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--latency-wait",
    "10",
)


class ClusterError(RuntimeError):
    """The test cluster could not be started or queried."""


def can_run_cluster() -> str | None:
    """Return why this machine cannot host the test cluster, or None if it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the SLURM test cluster needs root (it starts munged/slurmctld/slurmd)"
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        return "the SLURM test cluster needs apt-get (Debian) to install slurm and munge"
    return None


def cluster_env() -> dict[str, str]:
    """Environment for SLURM clients and snakemake: SLURM_CONF and this Python first on PATH."""
    env = dict(os.environ)
    env["SLURM_CONF"] = str(SLURM_DIR / "etc" / "slurm.conf")
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def cluster_running() -> bool:
    """True when slurmctld and slurmd of SLURM_DIR are alive."""
    run = SLURM_DIR / "run"
    return _alive(run / "slurmctld.pid") and _alive(run / "slurmd.pid")


def start_cluster(accounting: bool = True, timeout: float = 600) -> bool:
    """Start the test cluster; return True if this call started it (False: already up).

    Raises ClusterError with the script's output when it fails.
    """
    if cluster_running():
        return False
    cmd = ["bash", str(CLUSTER_DIR / "start_slurm.sh"), "--dir", str(SLURM_DIR)]
    if not accounting:
        cmd.append("--no-accounting")
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=cluster_env(), check=False
    )
    if proc.returncode != 0:
        raise ClusterError(
            f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return True


def stop_cluster() -> str:
    """Stop every daemon of the test cluster by its pid file; return the script's output."""
    proc = subprocess.run(
        ["bash", str(CLUSTER_DIR / "stop_slurm.sh"), "--dir", str(SLURM_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.stdout + proc.stderr


def copy_workflow(dest: Path, source: Path | None = None) -> Path:
    """Copy the workflow (without results/ and .snakemake/) into dest and return dest.

    The source is this checkout, or the folder INTERCAL_WORKFLOW_SOURCE names. The
    list of what a copy needs lives in one place, tests/workflow/wfutil.py, which the
    workflow tests and benchmarks use too.
    """
    source = Path(os.environ.get("INTERCAL_WORKFLOW_SOURCE", ROOT)) if source is None else source
    spec = importlib.util.spec_from_file_location(
        "intercal_wfutil", ROOT / "tests" / "workflow" / "wfutil.py"
    )
    wfutil = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wfutil)
    dest.mkdir(parents=True, exist_ok=True)
    return wfutil.copy_workflow(source, dest)


@dataclass
class Run:
    """One snakemake invocation."""

    args: list[str]
    returncode: int
    output: str
    seconds: float
    run_id: str | None = field(default=None)


def snakemake(workdir: Path, args: list[str], timeout: float = 900) -> Run:
    """Run ``python -m snakemake ARGS`` in workdir; output is stdout and stderr together."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=workdir,
        env=cluster_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - t0
    match = re.search(r"SLURM run ID: (\S+)", proc.stdout)
    return Run(args, proc.returncode, proc.stdout, seconds, match.group(1) if match else None)


def job_counts(workdir: Path, targets: list[str]) -> dict[str, int] | None:
    """Jobs per rule that a local run of targets would execute, or None if it cannot.

    Uses a dry run with --forceall so that existing outputs do not hide jobs.
    """
    run = snakemake(
        workdir,
        ["-n", "--forceall", "--cores", "1", "--workflow-profile", "none", *targets],
        timeout=300,
    )
    if run.returncode != 0:
        return None
    counts: dict[str, int] = {}
    in_stats = False
    for line in run.output.splitlines():
        if line.startswith("Job stats"):
            in_stats = True
            continue
        if in_stats:
            m = re.match(r"^(\S+)\s+(\d+)\s*$", line)
            if m and m.group(1) != "total":
                counts[m.group(1)] = int(m.group(2))
            elif m:
                break
    return counts or None


def pick_targets(workdir: Path) -> tuple[list[str], dict[str, int]]:
    """Choose a representative branch: per-file jobs plus an aggregate.

    INTERCAL_SLURM_TARGETS (space-separated paths) overrides the choice. Otherwise
    the first technique of BRANCH_PREFERENCE whose partial reproduction table
    builds with at most MAX_JOBS jobs, including a rule with several jobs
    (per-file) and at least two rules; else the backbone's results table.
    Returns the targets and the dry run's jobs per rule.
    """
    override = os.environ.get("INTERCAL_SLURM_TARGETS", "").split()
    if override:
        counts = job_counts(workdir, override)
        if counts is None:
            raise ClusterError(f"INTERCAL_SLURM_TARGETS={override} do not build (dry run failed)")
        return override, counts
    for tech in BRANCH_PREFERENCE:
        target = f"results/tables/reproduction/{tech}.csv"
        counts = job_counts(workdir, [target])
        if counts is None:
            continue
        total = sum(counts.values())
        if total <= MAX_JOBS and len(counts) >= 2 and max(counts.values()) >= 2:
            return [target], counts
    counts = job_counts(workdir, [REPRODUCTION])
    if counts is None:
        raise ClusterError(f"the workflow cannot build {REPRODUCTION} (dry run failed)")
    return [REPRODUCTION], counts


def slurm_jobs(run_id: str) -> list[dict[str, str]]:
    """SLURM jobs of one snakemake run (job name = run id): id, state, comment, exit code.

    Reads ``sacct`` when accounting runs, else the job completion log
    (jobcomp/filetxt) that start_slurm.sh configures.
    """
    proc = subprocess.run(
        [
            "sacct",
            "-X",
            "--parsable2",
            "--noheader",
            "--starttime",
            "now-1days",
            "--name",
            run_id,
            "--format=JobIdRaw,State,ExitCode,Comment%300",
        ],
        capture_output=True,
        text=True,
        env=cluster_env(),
        check=False,
    )
    if proc.returncode == 0:
        rows = []
        for line in proc.stdout.splitlines():
            jobid, state, exitcode, comment = (line.split("|") + ["", "", "", ""])[:4]
            rows.append({"jobid": jobid, "state": state, "exit": exitcode, "comment": comment})
        return rows
    jobcomp = SLURM_DIR / "log" / "jobcomp.log"
    if not jobcomp.is_file():
        raise ClusterError(f"sacct failed ({proc.stderr.strip()}) and {jobcomp} is absent")
    rows = []
    for line in jobcomp.read_text().splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("Name") == run_id:
            rows.append(
                {
                    "jobid": fields.get("JobId", ""),
                    "state": fields.get("JobState", ""),
                    "exit": fields.get("ExitCode", ""),
                    "comment": "",
                }
            )
    return rows


def wait_for_accounting(run_id: str, n_expected: int, timeout: float = 30) -> list[dict]:
    """slurm_jobs(run_id) once it lists n_expected finished jobs (slurmdbd lags a little)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = slurm_jobs(run_id)
        done = [r for r in rows if r["state"] not in ("PENDING", "RUNNING", "")]
        if len(done) >= n_expected or time.monotonic() > deadline:
            return rows
        time.sleep(1)


# ---------------------------------------------------------------- comparing outputs

TABLE_SUFFIXES = (".csv", ".tsv", ".json", ".npz")
#: not results: timing and logs differ between any two runs
SKIP_PARTS = ("logs", "benchmarks")


def result_tables(workdir: Path) -> list[str]:
    """Relative paths of the tables under workdir/results (logs and benchmarks excluded)."""
    base = workdir / "results"
    found = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and path.suffix in TABLE_SUFFIXES and rel.parts[0] not in SKIP_PARTS:
            found.append(str(rel))
    return found


def _close(a: float, b: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))


def _compare_json(a, b, where: str, rtol: float, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            out.append(f"{where}: keys differ {sorted(set(a) ^ set(b))}")
        for k in set(a) & set(b):
            _compare_json(a[k], b[k], f"{where}.{k}", rtol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: lengths {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _compare_json(x, y, f"{where}[{i}]", rtol, out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not _close(float(a), float(b), rtol):
            out.append(f"{where}: {a!r} != {b!r}")
    elif a != b:
        out.append(f"{where}: {a!r} != {b!r}")


def compare_results(dir_a: Path, dir_b: Path, rtol: float = 1e-9) -> tuple[list[str], list[str]]:
    """Compare the result tables of two runs.

    Text cells must be equal; numbers equal within the relative tolerance rtol
    (NaN equals NaN). Returns (files compared, differences); no difference means
    the runs agree.
    """
    import numpy as np
    import pandas as pd

    files_a, files_b = result_tables(dir_a), result_tables(dir_b)
    diffs = [f"only in {dir_a.name}: {f}" for f in sorted(set(files_a) - set(files_b))]
    diffs += [f"only in {dir_b.name}: {f}" for f in sorted(set(files_b) - set(files_a))]
    common = sorted(set(files_a) & set(files_b))
    for rel in common:
        pa, pb = dir_a / "results" / rel, dir_b / "results" / rel
        if pa.read_bytes() == pb.read_bytes():
            continue
        if pa.suffix in (".csv", ".tsv"):
            sep = "\t" if pa.suffix == ".tsv" else ","
            ta, tb = pd.read_csv(pa, sep=sep), pd.read_csv(pb, sep=sep)
            if list(ta.columns) != list(tb.columns) or ta.shape != tb.shape:
                diffs.append(f"{rel}: shape/columns {ta.shape} {list(ta.columns)} != {tb.shape}")
                continue
            for col in ta.columns:
                ca, cb = ta[col], tb[col]
                if pd.api.types.is_numeric_dtype(ca) and pd.api.types.is_numeric_dtype(cb):
                    va, vb = ca.to_numpy(float), cb.to_numpy(float)
                    ok = np.isclose(va, vb, rtol=rtol, atol=0.0, equal_nan=True)
                    if not ok.all():
                        i = int(np.flatnonzero(~ok)[0])
                        diffs.append(f"{rel}: column {col} row {i}: {va[i]!r} != {vb[i]!r}")
                elif not ca.astype(str).equals(cb.astype(str)):
                    diffs.append(f"{rel}: text column {col} differs")
        elif pa.suffix == ".json":
            _compare_json(json.loads(pa.read_text()), json.loads(pb.read_text()), rel, rtol, diffs)
        elif pa.suffix == ".npz":
            with np.load(pa) as za, np.load(pb) as zb:
                if set(za.files) != set(zb.files):
                    diffs.append(f"{rel}: arrays {za.files} != {zb.files}")
                    continue
                for key in za.files:
                    xa, xb = za[key], zb[key]
                    if xa.shape != xb.shape:
                        diffs.append(f"{rel}:{key}: shape {xa.shape} != {xb.shape}")
                    elif xa.dtype.kind in "fc" and not np.allclose(
                        xa, xb, rtol=rtol, atol=0.0, equal_nan=True
                    ):
                        diffs.append(f"{rel}:{key}: values differ")
                    elif xa.dtype.kind not in "fc" and not np.array_equal(xa, xb):
                        diffs.append(f"{rel}:{key}: values differ")
    return common, diffs
