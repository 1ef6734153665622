"""Monte-Carlo check of the demo acceptance: edge, pre-edge and Cr shift over several seeds.

Run: ``python benchmarks/xas_recovery.py [n_seeds]``. For each seed the forward model is
regenerated and the four reproduction quantities are recovered; prints mean error, scatter
and mean reported esd (an honest esd has scatter / esd ~ 1).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from intercal.simulate import xas as sim
from intercal.xas.pipeline import process_spectrum

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
NORM = {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 350.0, "nnorm": 2}
FIT = {
    "Se": {"fit_range": [-18.0, 6.0], "n_pre": 1, "n_edge": 1, "pre_window": [-15.0, -4.0]},
    "Cr": {"fit_range": [-12.0, 8.0], "n_pre": 1, "n_edge": 1, "pre_window": [-6.0, -1.5]},
}


def run(folder: Path, el: str, sample: str) -> dict:
    files = sorted(str(p) for p in folder.glob(f"{el}K_{sample}_*.dat"))
    return process_spectrum(
        files,
        name=f"{el}_{sample}",
        sample=sample,
        element=el,
        columns=COLUMNS,
        reference_e0=sim.REF_E0[el],
        normalization=NORM,
        fit=FIT[el],
    )["summary"]


def main(n: int = 6) -> None:
    rows: dict[str, list[tuple[float, float]]] = {}
    for seed in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            truth = sim.generate(Path(tmp), 1000 + seed)
            folder = Path(tmp) / "xas"
            s = {
                k: run(folder, *k)
                for k in [("Se", "CrSe2"), ("Se", "LiCrSe2"), ("Cr", "CrSe2"), ("Cr", "LiCrSe2")]
            }
        t = truth["edges_eV"]
        rows.setdefault("Se.CrSe2.edge", []).append(
            (s[("Se", "CrSe2")]["e0_eV"] - t["Se"]["CrSe2"], s[("Se", "CrSe2")]["e0_stderr_eV"])
        )
        rows.setdefault("Se.LiCrSe2.edge", []).append(
            (
                s[("Se", "LiCrSe2")]["e0_eV"] - t["Se"]["LiCrSe2"],
                s[("Se", "LiCrSe2")]["e0_stderr_eV"],
            )
        )
        rows.setdefault("Se.CrSe2.preedge", []).append(
            (
                s[("Se", "CrSe2")]["preedge_eV"] - truth["preedge_eV"]["Se"]["CrSe2"],
                s[("Se", "CrSe2")]["preedge_stderr_eV"],
            )
        )
        hi, lo = s[("Cr", "CrSe2")], s[("Cr", "LiCrSe2")]
        rows.setdefault("Cr.edge_shift", []).append(
            (
                hi["e0_eV"] - lo["e0_eV"] - truth["cr_edge_shift_eV"],
                float(np.hypot(hi["e0_stderr_eV"], lo["e0_stderr_eV"])),
            )
        )
    print(f"{'quantity':18s} {'mean err':>9s} {'max |err|':>9s} {'scatter':>8s} {'mean esd':>8s}")
    for q, v in rows.items():
        a = np.array(v)
        print(
            f"{q:18s} {a[:, 0].mean():9.3f} {np.abs(a[:, 0]).max():9.3f} "
            f"{a[:, 0].std(ddof=1):8.3f} {a[:, 1].mean():8.3f}   (eV, {n} seeds)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
