"""Are the XAS standard errors honest? Scatter / mean esd over noise realisations.

Run: ``python benchmarks/xas_honesty.py [n_realisations]`` (default 20). Each
realisation regenerates the Co K-edge example scans (LiCoO2, Li0.5CoO2 in
transmission, the Li0.75CoO2 mixture in fluorescence) with a new noise seed and
runs the full per-spectrum analysis and the LCF. For every headline quantity it
prints the mean error against the truth, the scatter (standard deviation over
realisations), the mean reported esd and their ratio (honest: 0.7-1.5).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from intercal.simulate import xas as sim
from intercal.xas.fit import lcf_monte_carlo
from intercal.xas.pipeline import process_spectrum

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
SETTINGS = {
    "reference_e0": 7709.0,
    "element": "Co",
    "e0_window": [7712.0, 7730.0],
    "normalization": {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 300.0, "nnorm": 2},
    "fit": {"fit_range": [-20.0, 10.0], "n_pre": 1, "n_edge": 1},
}
SPECTRA = {
    "LiCoO2": ("transmission", "ascii", "dat"),
    "Li0.5CoO2": ("transmission", "ascii", "dat"),
    "Li0.75CoO2": ("fluorescence", "xdi", "xdi"),
}


def lcf_input(res: dict) -> dict:
    """The LCF Monte-Carlo description of one processed spectrum."""
    sp, s = res["spectrum"], res["summary"]
    return {
        "energy": sp.energy_eV.to_numpy(),
        "mu": sp.mu.to_numpy(),
        "noise": sp.mu_noise.to_numpy(),
        "e0": s["e0_eV"],
        "normalization": {k: v for k, v in s["normalization"].items() if k != "e0"},
        "calib_stderr": s["calibration_stderr_eV"],
    }


def realisation(seed: int, placed: dict, n_mc: int = 200) -> dict[str, tuple[float, float, float]]:
    """(value, esd, truth) of each headline quantity for one noise seed."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        truth = sim.generate_licoo2(Path(tmp), seed, placed=placed)
        res = {}
        for sample, (mode, fmt, ext) in SPECTRA.items():
            files = sorted(str(p) for p in Path(tmp).glob(f"CoK_{sample}_*.{ext}"))
            res[sample] = process_spectrum(
                files,
                name=sample,
                sample=sample,
                mode=mode,
                fmt=fmt,
                columns=COLUMNS if fmt == "ascii" else None,
                n_mc=n_mc,
                **SETTINGS,
            )
    edges = truth["edges_eV"]["Co"]
    for sample, r in res.items():
        s = r["summary"]
        out[f"{sample}.edge"] = (s["e0_eV"], s["e0_stderr_eV"], edges[sample])
        pre = truth["preedge_eV"]["Co"].get(sample)
        if pre is not None:
            out[f"{sample}.preedge"] = (s["preedge_eV"], s["preedge_stderr_eV"], pre)
    hi, lo = res["Li0.5CoO2"]["summary"], res["LiCoO2"]["summary"]
    out["edge_shift"] = (
        hi["e0_eV"] - lo["e0_eV"],
        float(np.hypot(hi["e0_stderr_eV"], lo["e0_stderr_eV"])),
        truth["edge_shift_eV"]["Co"],
    )
    tgt = res["Li0.75CoO2"]
    e0 = tgt["summary"]["e0_eV"]
    comps = {k: lcf_input(res[k]) for k in ("LiCoO2", "Li0.5CoO2")}
    mc = lcf_monte_carlo(lcf_input(tgt), comps, e_range=(e0 - 20, e0 + 40), n_draws=n_mc)
    w_mean = mc["draws"].mean(axis=0)  # noise-free-ish centre is the fit itself, below
    from intercal.xas.fit import lcf

    fit = lcf(
        tgt["spectrum"].energy_eV.to_numpy(),
        tgt["spectrum"].norm.to_numpy(),
        {
            k: (res[k]["spectrum"].energy_eV.to_numpy(), res[k]["spectrum"].norm.to_numpy())
            for k in comps
        },
        e_range=(e0 - 20, e0 + 40),
    )
    del w_mean
    w, w_redchi = fit["weights"]["Li0.5CoO2"]
    out["lcf.Li0.5CoO2"] = (w, mc["stderr"]["Li0.5CoO2"], 0.5)
    out["lcf.Li0.5CoO2(redchi esd)"] = (w, w_redchi, 0.5)
    return out


def main(n: int = 20) -> dict[str, dict[str, float]]:
    placed = sim._co_placed()
    runs = [realisation(1000 + i, placed) for i in range(n)]
    table = {}
    print(f"{'quantity':28s} {'mean err':>9s} {'scatter':>9s} {'mean esd':>9s} {'ratio':>6s}")
    for q in runs[0]:
        a = np.array([r[q] for r in runs])
        err = a[:, 0] - a[:, 2]
        scatter = float(np.std(a[:, 0], ddof=1))
        esd = float(np.sqrt(np.mean(a[:, 1] ** 2)))
        table[q] = {"mean_err": float(err.mean()), "scatter": scatter, "esd": esd}
        print(f"{q:28s} {err.mean():9.4f} {scatter:9.4f} {esd:9.4f} {scatter / esd:6.2f}")
    print(f"({n} realisations; ratio = scatter / rms esd, honest within 0.7-1.5)")
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
