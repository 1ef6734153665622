"""The SLURM path, run for real on a single-node cluster on localhost.

The session fixture starts the cluster with cluster/start_slurm.sh (installing
slurm, munge, slurmdbd and MariaDB from Debian if missing) and stops every
daemon by its pid file at the end, also when a test fails. A representative
branch (per-file jobs plus an aggregate, chosen by cluster/harness.py from what
the workflow has) runs once locally and once with `--workflow-profile
profiles/slurm`; sacct must list its jobs as COMPLETED SLURM jobs and the tables
must equal the local ones (numbers within a relative 1e-9, text exactly). Then
a rule that exits 1 on the cluster must make snakemake fail, show the job's
log, and leave its downstream rule unbuilt.

Opt-in (marker ``cluster``): the default ``pytest`` deselects these tests, and
even when selected by another expression they run only with ``pytest -m cluster``
(an expression naming ``cluster``) or ``INTERCAL_CLUSTER_TEST=1`` in the
environment (.ci/run sets it), because they install system packages and start
daemons. Skipped (with the reason) where the machine is not root or has no
apt-get. If the cluster cannot start, the tests fail under CI=true and skip
otherwise. The static check of profiles/slurm runs in the default selection.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "intercal_cluster_harness", ROOT / "cluster/harness.py"
)
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)

pytestmark = [pytest.mark.workflow]

#: environment variable that opts in to the cluster test (set by .ci/run)
OPT_IN = "INTERCAL_CLUSTER_TEST"


def cluster_opt_in(config) -> bool:
    """True when the run asked for the cluster explicitly (``-m`` names it, or OPT_IN=1)."""
    if os.environ.get(OPT_IN) == "1":
        return True
    expr = config.getoption("markexpr") or ""
    return re.search(r"(?<!not )\bcluster\b", expr) is not None


#: relative tolerance for numbers in the local-vs-SLURM comparison (same code,
#: same machine: the runs are expected to agree to the last digit; 1e-9 leaves
#: room only for floating-point summation order in threaded BLAS)
RTOL = 1e-9

FAILURE_RULES = """
# injected by tests/cluster/test_slurm.py: a job that fails on the cluster
rule cluster_test_fail:
    output:
        "results/cluster_test/fail.txt",
    log:
        "results/logs/cluster_test/fail.log",
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    shell:
        "echo 'CLUSTER-TEST-MARKER: deliberate failure on' $(hostname) > {log}; exit 1"


rule cluster_test_downstream:
    input:
        "results/cluster_test/fail.txt",
    output:
        "results/cluster_test/downstream.txt",
    log:
        "results/logs/cluster_test/downstream.log",
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    shell:
        "cp {input} {output} 2> {log}"
"""


def test_profile_names_rules_that_exist(root):
    """Every rule that profiles/slurm groups or gives resources exists in rules/*.smk."""
    profile = yaml.safe_load((root / "profiles/slurm/config.yaml").read_text())
    assert profile["executor"] == "slurm"
    defined = set()
    for smk in (root / "rules").glob("*.smk"):
        defined |= set(re.findall(r"^rule (\w+):", smk.read_text(), flags=re.M))
    grouped = dict(item.split("=", 1) for item in profile.get("groups", []))
    named = set(grouped) | set(profile.get("set-resources", {}))
    assert named, "profiles/slurm names no rule (groups / set-resources)"
    missing = sorted(named - defined)
    assert not missing, f"profiles/slurm names rules that rules/*.smk does not define: {missing}"
    components = dict(item.split("=", 1) for item in profile.get("group-components", []))
    assert set(components) == set(grouped.values()), (
        f"group-components {sorted(components)} != groups {sorted(set(grouped.values()))}"
    )
    assert all(int(n) >= 2 for n in components.values())
    for key in ("mem_mb", "runtime"):
        assert key in profile["default-resources"]


@pytest.fixture(scope="session")
def slurm_cluster(pytestconfig):
    """A running single-node SLURM cluster; stopped at the end of the session."""
    if not cluster_opt_in(pytestconfig):
        pytest.skip(
            "the SLURM cluster test apt-installs slurm, munge and MariaDB and starts five "
            f"daemons: opt in with `pytest -m cluster` or {OPT_IN}=1"
        )
    reason = harness.can_run_cluster()
    if reason:
        pytest.skip(reason)
    try:
        started = harness.start_cluster()
    except (harness.ClusterError, OSError) as err:
        msg = f"could not start the SLURM test cluster: {err}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield harness.SLURM_DIR
    finally:
        if started:
            print(harness.stop_cluster())


@dataclass
class BranchRuns:
    targets: list[str]
    counts: dict[str, int]
    local_dir: Path
    slurm_dir: Path
    local: harness.Run
    slurm: harness.Run


@pytest.fixture(scope="module")
def branch_runs(slurm_cluster, tmp_path_factory) -> BranchRuns:
    """The same branch run locally and on the cluster, each in its own copy."""
    base = tmp_path_factory.mktemp("slurm_wf")
    local_dir = harness.copy_workflow(base / "local")
    slurm_dir = harness.copy_workflow(base / "slurm")
    targets, counts = harness.pick_targets(local_dir)
    print(f"branch: {targets}, jobs per rule {counts}")
    local = harness.snakemake(local_dir, ["--cores", "2", *targets])
    assert local.returncode == 0, f"local run failed:\n{local.output[-5000:]}"
    slurm = harness.snakemake(slurm_dir, [*harness.SLURM_TEST_ARGS, *targets])
    print(f"local {local.seconds:.1f} s, SLURM {slurm.seconds:.1f} s")
    return BranchRuns(targets, counts, local_dir, slurm_dir, local, slurm)


@pytest.mark.cluster
@pytest.mark.slow
def test_branch_runs_as_slurm_jobs(branch_runs):
    run = branch_runs.slurm
    assert run.returncode == 0, f"SLURM run failed:\n{run.output[-8000:]}"
    for target in branch_runs.targets:
        assert (branch_runs.slurm_dir / target).is_file(), f"{target} not built"
    assert run.run_id, "no 'SLURM run ID' in the output: the slurm executor did not run"
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", run.output)
    assert submitted, f"no job was submitted to SLURM:\n{run.output[-3000:]}"
    rows = harness.wait_for_accounting(run.run_id, len(submitted))
    by_id = {r["jobid"]: r for r in rows}
    assert set(submitted) <= set(by_id), (
        f"sacct/jobcomp lists {sorted(by_id)} for run {run.run_id}, snakemake submitted {submitted}"
    )
    states = {j: by_id[j]["state"] for j in submitted}
    assert all(s == "COMPLETED" for s in states.values()), states
    # the workflow's jobs: all but `localrules`, all in SLURM; grouped per-file
    # jobs share SLURM jobs, so there are fewer SLURM jobs than snakemake jobs
    n_jobs = sum(branch_runs.counts.values())
    assert len(submitted) <= n_jobs
    profile = yaml.safe_load((harness.ROOT / "profiles/slurm/config.yaml").read_text())
    grouped = {item.split("=", 1)[0] for item in profile.get("groups", [])}
    if any(branch_runs.counts.get(rule, 0) >= 2 for rule in grouped):
        assert "Group job" in run.output
        assert len(submitted) < n_jobs, (
            f"{len(submitted)} SLURM jobs for {n_jobs} snakemake jobs: grouping had no effect"
        )


@pytest.mark.cluster
@pytest.mark.slow
def test_slurm_tables_equal_local_tables(branch_runs):
    assert branch_runs.slurm.returncode == 0, "SLURM run failed (see the test above)"
    compared, diffs = harness.compare_results(branch_runs.local_dir, branch_runs.slurm_dir, RTOL)
    assert compared, "no result table to compare"
    for target in branch_runs.targets:
        assert str(Path(target).relative_to("results")) in compared
    assert not diffs, "SLURM and local results differ:\n" + "\n".join(diffs[:20])


@pytest.mark.cluster
@pytest.mark.slow
def test_failing_cluster_job_stops_the_run(branch_runs):
    """A rule that exits 1 in SLURM: non-zero exit, its log shown, downstream not built."""
    wf = branch_runs.slurm_dir
    (wf / "rules/zz_cluster_test.smk").write_text(FAILURE_RULES)
    snakefile = wf / "Snakefile"
    snakefile.write_text(snakefile.read_text() + '\ninclude: "rules/zz_cluster_test.smk"\n')
    run = harness.snakemake(
        wf,
        [*harness.SLURM_TEST_ARGS, "--retries", "0", "results/cluster_test/downstream.txt"],
        timeout=400,
    )
    assert run.returncode != 0, f"snakemake succeeded although a job failed:\n{run.output}"
    assert "Error in rule cluster_test_fail" in run.output
    # show-failed-logs: the rule's log (written on the compute node) is printed
    assert "CLUSTER-TEST-MARKER: deliberate failure on" in run.output, run.output[-5000:]
    assert not (wf / "results/cluster_test/fail.txt").exists()
    assert not (wf / "results/cluster_test/downstream.txt").exists()
    assert "(Rule: cluster_test_downstream)" not in run.output
    # the job really ran, and failed, in SLURM; its SLURM log is kept
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", run.output)
    assert len(submitted) == 1, run.output[-3000:]
    rows = harness.wait_for_accounting(run.run_id, 1)
    assert [r["state"] for r in rows if r["jobid"] == submitted[0]] == ["FAILED"], rows
    slurm_logs = list((wf / ".snakemake/slurm_logs").rglob(f"{submitted[0]}.log"))
    assert slurm_logs, "the failed job's SLURM log was not kept"
