"""Honest esds of the operando headline numbers: scatter / mean esd over noise realisations.

Two small synthetic series (tests/operando/synth.py: K-alpha doublets, Poisson noise),
each fitted by the tracker and summarised by :func:`intercal.operando.summary.summarize`
for ``--n`` (default 20) independent noise realisations:

* a solid solution, x 0 -> 1 -> 0 in 41 scans, a = 3.45 + 0.10 x, c = 5.87 + 0.30 x:
  the end-state cells (``a_lithiated``, ``c_lithiated``, ``c_delithiated``), the
  expansions and the Vegard slopes;
* a two-phase reaction, fraction of the second phase 0.5 (1 + tanh((x - 0.5)/0.06)) over
  x 0 -> 1 in 26 scans: ``transition_x``.

Prints, per quantity, the scatter of the values, the mean esd and their ratio (target
0.7-1.5), and the mean deviation from the truth in units of the scatter.

    python benchmarks/operando_esd.py [--n 20]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intercal.operando import summary, track  # noqa: E402
from tests.operando.synth import pattern  # noqa: E402


def _lattice(rows, x, direction):
    df = pd.DataFrame(rows)
    n = len(x)
    al = pd.DataFrame(
        {
            "scan": np.arange(1, n + 1), "time_s": np.arange(n) * 600.0 + 300.0,
            "x": x, "direction": direction, "cycle": 1,
        }
    )  # fmt: skip
    al["time_h"] = al.time_s / 3600
    al["voltage_V"] = 2.0
    lat = df.merge(al, on="scan")
    trace = pd.DataFrame({"time_s": np.linspace(0, n * 600.0, 20 * n)})
    trace["x"] = np.interp(trace.time_s, al.time_s, al.x)
    return lat, trace


def solid_solution(rng):
    x = np.concatenate([np.linspace(0, 1, 21), np.linspace(1, 0, 21)[1:]])
    a, c = 3.45 + 0.10 * x, 5.87 + 0.30 * x
    tr = track.Tracker([track.PhaseSpec("P", 3.45, 5.87)])
    rows = []
    for k in range(x.size):
        xx, yy, ss = pattern([(a[k], c[k], 1.0)], rng)
        rows += [{"scan": k + 1, **r} for r in tr.fit_scan(xx, yy, ss)]
    lat, trace = _lattice(rows, x, ["lithiation"] * 21 + ["delithiation"] * 20)
    res = summary.summarize(lat, trace, cycle=1, window_x=0.1, lithiated_phase=None)
    return {
        "a_lithiated": (res["a_lithiated"], res["a_lithiated_esd"], 3.55),
        "c_lithiated": (res["c_lithiated"], res["c_lithiated_esd"], 6.17),
        "c_delithiated": (res["c_delithiated"], res["c_delithiated_esd"], 5.87),
        "c_expansion_pct": (res["c_expansion_pct"], res["c_expansion_pct_esd"], 100 * 0.30 / 5.87),
        "a_slope": (*res["slopes"]["P"]["a"], 0.10),
        "c_slope": (*res["slopes"]["P"]["c"], 0.30),
    }


def two_phase(rng):
    x = np.linspace(0, 1, 26)
    f = 0.5 * (1 + np.tanh((x - 0.5) / 0.06))
    tr = track.Tracker([track.PhaseSpec("A", 3.452, 5.869), track.PhaseSpec("B", 3.691, 6.294)])
    rows = []
    for k in range(x.size):
        xx, yy, ss = pattern([(3.452, 5.869, 1 - f[k]), (3.691, 6.294, f[k])], rng)
        rows += [{"scan": k + 1, **r} for r in tr.fit_scan(xx, yy, ss)]
    lat, _ = _lattice(rows, x, ["lithiation"] * x.size)
    cells = summary.majority_cell(lat)
    xt, xe, _ = summary.transition_x(lat, cells, "B", 1, 0.5)
    return {"transition_x": (xt, xe, 0.5)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    res: dict[str, list] = {}
    for _ in range(args.n):
        for d in (solid_solution(rng), two_phase(rng)):
            for k, v in d.items():
                res.setdefault(k, []).append(v)
    print(f"{'quantity':18s} {'truth':>10s} {'mean':>10s} {'scatter':>10s} {'mean esd':>10s} "
          f"{'ratio':>6s} {'bias/sc':>7s}")  # fmt: skip
    for k, v in res.items():
        arr = np.array(v, float)
        sc, me = arr[:, 0].std(ddof=1), np.nanmean(arr[:, 1])
        bias = (arr[:, 0].mean() - arr[0, 2]) / sc if sc > 0 else math.nan
        print(f"{k:18s} {arr[0, 2]:10.5f} {arr[:, 0].mean():10.5f} {sc:10.2e} {me:10.2e} "
              f"{sc / me:6.2f} {bias:7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
