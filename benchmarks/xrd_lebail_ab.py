"""Interleaved A/B timing of the Le Bail engine: this checkout against another source tree.

On a machine whose CPU speed drifts (a shared VM: the same code can read 30 % apart a
minute later), one benchmark run cannot tell whether a change made refinement faster.
This runs the demo's first pattern and the 1,038-reflection triclinic pattern of
``benchmarks/xrd_lebail.py`` in fresh processes, alternating the two source trees, and
prints the CPU seconds per refinement (median of ``--repeats``) of every run:

    git worktree add /tmp/old <commit>
    python benchmarks/xrd_lebail_ab.py /tmp/old/src [--pairs 3] [--repeats 5]

Not part of the test suite (minutes of CPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(which: str, repeats: int) -> None:
    """Refine one pattern ``repeats`` times (after a warm-up); print median CPU s and Rwp."""
    import logging

    import numpy as np
    import pandas as pd
    import yaml

    from intercal.io.xrd import read_pattern
    from intercal.simulate import xrd_exsitu
    from intercal.xrd.config import phases_from_config, settings_from_config
    from intercal.xrd.lebail import Phase, Settings, refine

    if which == "demo":
        cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
        name, spec = next(iter(cfg["xrd"]["patterns"].items()))
        args = (
            read_pattern(ROOT / spec["file"]),
            phases_from_config(name, spec["phases"], cfg["materials"]),
            settings_from_config(cfg["xrd"], name),
        )
    else:
        tt, counts, _, truth = xrd_exsitu.simulate_triclinic()
        ig = xrd_exsitu.instrument_gsas2()
        tri = pd.DataFrame(
            {"two_theta_deg": tt, "intensity": counts, "esd": np.sqrt(np.maximum(counts, 1))}
        )
        start = {
            k: truth[k] * (1.0005 if k in "abc" else 1.0)
            for k in ("a", "b", "c", "alpha", "beta", "gamma")
        }
        st = Settings(
            U=ig["U"], V=ig["V"], W=ig["W"], X=ig["X"], Y=ig["Y"], SHL=ig["SHL"],
            soller_rad=ig["soller_half_acceptance_rad"], background_terms=12,
            fixed=("SHL",), cutoff_fwhm=30.0,
        )  # fmt: skip
        args = (tri, [Phase("tri", "P-1", start)], st)
    logging.disable(logging.WARNING)
    refine(*args, which)  # warm-up: imports, space-group tables
    cpu = []
    for _ in range(repeats):
        t0 = time.process_time()
        res = refine(*args, which)
        cpu.append(time.process_time() - t0)
    print(f"{statistics.median(cpu):.3f} {100 * res.stats['rwp']:.5f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("other_src", help="the other tree's src folder (e.g. a git worktree's)")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--worker", choices=("demo", "triclinic"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.repeats)
        return
    trees = {"this": str(ROOT / "src"), "other": str(Path(args.other_src).resolve())}
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    for which, repeats in (("demo", args.repeats), ("triclinic", max(1, args.repeats // 2))):
        runs: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(args.pairs):
            for label, src in trees.items():
                env = dict(os.environ, PYTHONPATH=src, OMP_NUM_THREADS="1")
                env["OPENBLAS_NUM_THREADS"] = "1"
                out = subprocess.run(
                    [sys.executable, __file__, args.other_src, "--worker", which,
                     "--repeats", str(repeats)],
                    env=env, check=True, capture_output=True, text=True,
                )  # fmt: skip
                cpu, rwp = (float(v) for v in out.stdout.split()[-2:])
                runs[label].append(cpu)
                print(f"{which:9s} {label:5s} {cpu:.3f} s CPU (Rwp {rwp:.5f} %)", flush=True)
        for label, v in runs.items():
            print(f"{which:9s} {label:5s} median of the runs {statistics.median(v):.3f} s")


if __name__ == "__main__":
    main()
