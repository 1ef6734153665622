"""Seconds per Le Bail refinement of a demo pattern on one core (target <= 0.5 s for CrSe2).

Usage: ``python benchmarks/xrd_lebail.py [pattern] [repeats]`` (pattern from config.yaml
``xrd.patterns``, default CrSe2). BLAS threads are pinned to 1 before numpy is imported;
one untimed warm-up run loads pymatgen and the space-group tables, then the median of
``repeats`` timed refinements is reported (the reflection list is rebuilt in each one).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from intercal.io.xrd import read_pattern  # noqa: E402
from intercal.xrd.config import phases_from_config, settings_from_config  # noqa: E402
from intercal.xrd.lebail import refine  # noqa: E402

root = Path(__file__).resolve().parents[1]
cfg = yaml.safe_load((root / "config.yaml").read_text())
name = sys.argv[1] if len(sys.argv) > 1 else "CrSe2"
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
spec = cfg["xrd"]["patterns"][name]
pattern = read_pattern(root / spec["file"])


def once():
    t = time.perf_counter()
    r = refine(
        pattern=pattern,
        phases=phases_from_config(name, spec["phases"], cfg["materials"]),
        settings=settings_from_config(cfg["xrd"], name),
        name=name,
    )
    return time.perf_counter() - t, r


once()  # warm-up: imports, space-group cache
times, results = zip(*(once() for _ in range(repeats)), strict=True)
r = results[-1]
print(
    f"{name}: {len(pattern)} points, {r.stats['cycles']} cycles, "
    f"{statistics.median(times):.3f} s per refinement (median of {repeats}; "
    f"min {min(times):.3f}, max {max(times):.3f}); Rwp {100 * r.stats['rwp']:.3f} %"
)
