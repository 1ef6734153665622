"""Benchmark: dynamic KT evaluations per second and one global ZF+LF fit at one temperature.

Run: python benchmarks/musr_kt.py  (from the workflow folder; needs data/musr).
"""

import time

import numpy as np
import yaml

from intercal.musr.kt import dynamic_kt
from intercal.musr.pipeline import fit_temperature, reduce_temperature

t = np.arange(0.1, 16.0, 0.032)
n = 200
t0 = time.perf_counter()
for i in range(n):
    dynamic_kt(t, 0.36, 0.2 + 0.001 * i, 5.0)
dt = time.perf_counter() - t0
print(f"dynamic KT (LF 5 G, {t.size} times to 16 us): {n / dt:.0f} evaluations/s")

cfg = yaml.safe_load(open("config.yaml"))["musr"]
temp = next(x for x in cfg["temperatures"] if x["temperature_K"] == 240.0)
red = reduce_temperature(
    temp["runs"],
    alpha=1.1,
    forward="1-48",
    backward="49-96",
    background_window_us=cfg["background_window_us"],
    t_max_us=16.0,
    rebin=2,
)
best = np.inf
for _ in range(3):
    t0 = time.perf_counter()
    rec, _ = fit_temperature(red, t_min_us=0.1, t_max_us=16.0)
    best = min(best, time.perf_counter() - t0)
print(f"global ZF+LF5+LF10 fit at 240 K ({len(red)} points): {best:.3f} s (target <= 1 s)")
