"""Throughput of the XANES chain: spectra per second through calibration + normalization + edge fit.

Run: ``python benchmarks/xas_throughput.py`` (one core). Uses freshly simulated demo scans.
Prints the time per stage and the spectra per second (target >= 20).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from intercal.io.xas import absorption, read_column_ascii
from intercal.simulate import xas as sim
from intercal.xas.calibrate import calibrate_scan
from intercal.xas.edge import find_e0
from intercal.xas.fit import fit_edge
from intercal.xas.normalize import normalize

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
NORM = {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 350.0, "nnorm": 2}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim.generate(Path(tmp), 1)
        files = sorted((Path(tmp) / "xas").glob("*.dat"))
        scans = []
        for f in files:
            s = read_column_ascii(f, COLUMNS)
            scans.append((f.name, s.energy, *absorption(s)))
    normalize(scans[0][1], scans[0][2])  # warm up larch imports
    t = {"calibrate": 0.0, "normalize": 0.0, "fit": 0.0}
    n = 0
    for _ in range(3):
        for name, e, mu, ref in scans:
            el = "Cr" if name.startswith("Cr") else "Se"
            t0 = time.perf_counter()
            c = calibrate_scan(name, e, mu, ref, reference_e0=sim.REF_E0[el])
            e0, _ = find_e0(c.energy, c.mu)
            t1 = time.perf_counter()
            nrm = normalize(c.energy, c.mu, e0=e0, **NORM)
            t2 = time.perf_counter()
            if el == "Se":
                fit_edge(c.energy, nrm["norm"], e0, fit_range=(-18, 6))
            else:
                fit_edge(c.energy, nrm["norm"], e0, fit_range=(-12, 8), pre_window=(-6, -1.5))
            t3 = time.perf_counter()
            t["calibrate"] += t1 - t0
            t["normalize"] += t2 - t1
            t["fit"] += t3 - t2
            n += 1
    total = sum(t.values())
    for k, v in t.items():
        print(f"{k:10s} {1000 * v / n:7.1f} ms per spectrum")
    print(f"spectra per second (calibration + normalization + edge fit): {n / total:.1f}")


if __name__ == "__main__":
    main()
