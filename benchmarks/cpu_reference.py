"""A fixed CPU workload, timed, to read benchmark figures against this machine's speed.

The 2-core VM these benchmarks were measured on changes speed by up to 2x from minute to
minute with nothing else running (the host's other guests), so a wall or CPU time alone
does not say whether code got faster. The benchmarks print this reference beside their
figures: the same code at a reference of 0.2 s runs about half as long as at 0.4 s.

    python benchmarks/cpu_reference.py
"""

from __future__ import annotations

import time

import numpy as np


def cpu_reference_s(repeats: int = 3) -> float:
    """Median CPU seconds of a fixed workload (a Python loop and a numpy sort)."""
    times = []
    rng = np.random.default_rng(0)
    data = rng.random(1_000_000)
    for _ in range(repeats):
        t0 = time.process_time()
        s = 0
        for i in range(2_000_000):
            s += i * i
        np.sort(data)
        times.append(time.process_time() - t0)
    return float(np.median(times))


def describe() -> str:
    """One line for a benchmark's output."""
    return f"CPU reference workload: {cpu_reference_s():.3f} s (lower = faster machine right now)"


if __name__ == "__main__":
    print(describe())
