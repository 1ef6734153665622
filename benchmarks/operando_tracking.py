"""Benchmark: operando peak-tracking throughput (scans per second per core).

Runs the sequential tracker of :mod:`intercal.operando.track` over the demo scan
series (data/operando/scans, Cu Ka, 12-36 deg, 1201 points) in one process
(one core), in batches of ``operando.batch_size`` as the workflow does, reading
and the 2theta calibration (internal-standard fit per batch) included, and
prints scans/s. Target: >= 50 scans/s/core.

    python benchmarks/operando_tracking.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import time
from pathlib import Path

import yaml

from intercal.operando import track

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    full = yaml.safe_load((ROOT / "config.yaml").read_text())
    cfg = full["operando"]
    files = sorted(glob.glob(str(ROOT / "data/operando/scans/scan_*.xye")))
    if not files:
        raise SystemExit("no demo scans in data/operando/scans (run python -m intercal.simulate)")
    st = track.TrackSettings.from_config(cfg, full["materials"])
    size = int(cfg["batch_size"])
    phases = track.phases_from_config(cfg)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for i in range(0, len(files), size):
            track.fit_batch(files[i : i + size], phases, st)
        best = min(best, time.perf_counter() - t0)
    rate = len(files) / best
    print(f"operando tracking: {len(files)} scans in {best:.2f} s (best of {args.repeat})")
    print(
        f"scans per second per core: {rate:.1f}  (target >= 50: {'ok' if rate >= 50 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
