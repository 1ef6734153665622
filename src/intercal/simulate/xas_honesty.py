"""One noise realisation of the Co K-edge example, analysed: the shared setup of the XAS
esd-honesty test (tests/xas/test_honesty.py) and benchmark (benchmarks/xas_honesty.py).

Each realisation regenerates every scan of the LiCoO2 example (end members LiCoO2 and
Li0.5CoO2 in transmission, the Li0.75CoO2 mixture in fluorescence, each scan with its own
Co-foil reference channel) with a new noise seed, so the counting noise of the target, of
the end members and of every reference channel (hence every calibration) is redrawn, and
runs the full per-spectrum analysis and the LCF. That is exactly what the Monte-Carlo LCF
esd redraws (target and end-member noise, their calibration errors), so scatter over
realisations / reported esd measures its honesty.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from . import xas as sim

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
#: the example study's settings (examples/LiCoO2/config.xas.yaml)
SETTINGS = {
    "element": "Co",
    "reference_e0": sim.CO_REF_E0,
    "e0_window": [7712.0, 7732.0],
    "normalization": {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 300.0, "nnorm": 2},
    "fit": {"fit_range": [-20.0, 10.0], "n_pre": 1, "n_edge": 1},
}
#: sample -> (mode, reader format, file extension, E0 polynomial degree)
SPECTRA = {
    "LiCoO2": ("transmission", "ascii", "dat", 7),
    "Li0.5CoO2": ("transmission", "ascii", "dat", 7),
    "Li0.75CoO2": ("fluorescence", "xdi", "xdi", 5),
}
LCF_TARGET = "Li0.75CoO2"
LCF_COMPONENTS = ("LiCoO2", "Li0.5CoO2")
LCF_RANGE_EV = (-20.0, 40.0)


def realisation(
    seed: int, placed: dict | None = None, n_mc: int = 100
) -> dict[str, tuple[float, float, float]]:
    """Analyse one noise realisation of the Co K-edge example.

    Parameters
    ----------
    seed : int
        Noise seed of :func:`intercal.simulate.xas.generate_licoo2`.
    placed : dict, optional
        Cached material placement (``intercal.simulate.xas._co_placed()``).
    n_mc : int
        Monte-Carlo draws of the E0 and LCF standard errors.

    Returns
    -------
    dict
        Quantity -> (value, reported esd, truth): ``<sample>.edge`` (eV),
        ``<sample>.preedge`` (eV, end members), ``edge_shift`` (eV),
        ``lcf.weight`` (Monte-Carlo esd) and ``lcf.weight.redchi`` (the same
        weight with lmfit's reduced-chi-square esd, for comparison).
    """
    from ..xas.pipeline import process_spectrum, run_lcf

    placed = placed or sim._co_placed()
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        truth = sim.generate_licoo2(Path(tmp), seed, placed=placed)
        for sample, (mode, fmt, ext, degree) in SPECTRA.items():
            files = sorted(str(p) for p in Path(tmp).glob(f"CoK_{sample}_*.{ext}"))
            res[sample] = process_spectrum(
                files,
                name=sample,
                sample=sample,
                mode=mode,
                fmt=fmt,
                columns=COLUMNS if fmt == "ascii" else None,
                e0_degree=degree,
                n_mc=n_mc,
                **SETTINGS,
            )
    s = {k: v["summary"] for k, v in res.items()}
    edges = truth["edges_eV"]["Co"]
    out = {}
    for sample, sm in s.items():
        out[f"{sample}.edge"] = (sm["e0_eV"], sm["e0_stderr_eV"], edges[sample])
        pre = truth["preedge_eV"]["Co"].get(sample)
        if pre is not None:
            out[f"{sample}.preedge"] = (sm["preedge_eV"], sm["preedge_stderr_eV"], pre)
    hi, lo = s["Li0.5CoO2"], s["LiCoO2"]
    out["edge_shift"] = (
        hi["e0_eV"] - lo["e0_eV"],
        float(np.hypot(hi["e0_stderr_eV"], lo["e0_stderr_eV"])),
        truth["edge_shift_eV"]["Co"],
    )
    lcf = run_lcf(
        (res[LCF_TARGET]["spectrum"], s[LCF_TARGET]),
        {k: (res[k]["spectrum"], s[k]) for k in LCF_COMPONENTS},
        range_eV=LCF_RANGE_EV,
        n_mc=n_mc,
    )
    true_w = truth["lcf"]["Co"][LCF_TARGET]["Li0.5CoO2"]
    w, se = lcf["weights"]["Li0.5CoO2"]
    out["lcf.weight"] = (w, se, true_w)
    rec = lcf["record"].set_index("parameter")
    out["lcf.weight.redchi"] = (w, float(rec.loc["weight_stderr_redchi[LiCoO2]", "value"]), true_w)
    return out


def ratios(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per quantity: mean error vs truth, scatter (sd over runs), rms esd and their ratio."""
    table = {}
    for q in runs[0]:
        a = np.array([r[q] for r in runs], float)
        scatter = float(np.std(a[:, 0], ddof=1))
        esd = float(np.sqrt(np.mean(a[:, 1] ** 2)))
        table[q] = {
            "mean_err": float(np.mean(a[:, 0] - a[:, 2])),
            "scatter": scatter,
            "esd": esd,
            "ratio": scatter / esd if esd > 0 else float("nan"),
            "esd_finite": bool(np.all(np.isfinite(a[:, 1]))),
        }
    return table
