"""Wall time of one workflow branch run locally vs. on the local SLURM test cluster.

Usage (root, Debian): python benchmarks/slurm_overhead.py [TARGET ...]

Starts the single-node cluster with cluster/start_slurm.sh unless it is already
up (and then stops it again at the end), copies the workflow into a scratch
folder twice, runs the same targets (default: the branch that
tests/cluster/test_slurm.py picks, see cluster/harness.py) once with
`--cores 2` and once with `--workflow-profile profiles/slurm` (plus the 2-CPU
test-node settings in harness.SLURM_TEST_ARGS), and prints:

- wall time local and SLURM, the number of snakemake jobs and of SLURM jobs;
- the overhead per SLURM job: (T_slurm - T_local) / n_slurm_jobs, which holds
  the queue wait, one snakemake start-up inside the allocation (workflow parse)
  and the status-poll latency (first query 2 s after submission here, 20 s in
  profiles/slurm, then every +10 s);
- the same SLURM run without the profile's groups (one SLURM job per
  snakemake job), to show what grouping saves, unless --no-ungrouped is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "intercal_cluster_harness", ROOT / "cluster/harness.py"
)
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)


def _slurm_jobs(run: harness.Run) -> int:
    return len(re.findall(r"submitted with SLURM jobid", run.output))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="targets (default: picked branch)")
    parser.add_argument("--no-ungrouped", action="store_true", help="skip the run without groups")
    args = parser.parse_args()

    reason = harness.can_run_cluster()
    if reason:
        print(f"cannot benchmark: {reason}")
        return 1
    started = harness.start_cluster()
    try:
        with tempfile.TemporaryDirectory(prefix="intercal-slurm-bench-") as tmp:
            tmp = Path(tmp)
            local_dir = harness.copy_workflow(tmp / "local")
            if args.targets:
                targets = args.targets
                counts = harness.job_counts(local_dir, targets) or {}
            else:
                targets, counts = harness.pick_targets(local_dir)
            n_jobs = sum(counts.values())
            print(f"targets: {' '.join(targets)}")
            print(f"snakemake jobs: {n_jobs} {counts}")

            local = harness.snakemake(local_dir, ["--cores", "2", *targets])
            if local.returncode != 0:
                print(local.output[-3000:])
                return 1
            print(f"local  --cores 2                  : {local.seconds:7.1f} s")

            runs = [("SLURM  profiles/slurm (grouped)    ", [])]
            if not args.no_ungrouped:
                # an empty --groups overrides the profile's groups: one SLURM job per job
                runs.append(("SLURM  profiles/slurm, no groups  ", ["--groups", "none=none"]))
            for label, extra in runs:
                wdir = harness.copy_workflow(tmp / f"slurm{len(extra)}")
                run = harness.snakemake(wdir, [*extra, *harness.SLURM_TEST_ARGS, *targets])
                if run.returncode != 0:
                    print(run.output[-3000:])
                    return 1
                n_slurm = _slurm_jobs(run)
                per_job = (run.seconds - local.seconds) / max(n_slurm, 1)
                print(
                    f"{label}: {run.seconds:7.1f} s, {n_slurm} SLURM jobs, "
                    f"overhead {run.seconds - local.seconds:6.1f} s "
                    f"= {per_job:5.1f} s per SLURM job"
                )
    finally:
        if started:
            harness.stop_cluster()
    return 0


if __name__ == "__main__":
    sys.exit(main())
