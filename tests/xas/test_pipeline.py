"""Recovery of the demo truth through calibration, merging, normalization, fits and LCF."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.io.xas import absorption, read_column_ascii
from intercal.xas.calibrate import calibrate_scan, merge_scans
from intercal.xas.fit import lcf
from intercal.xas.pipeline import process_spectrum, reproduction

from .conftest import COLUMNS, REF_E0

NORM = {"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 350.0, "nnorm": 2}
FIT = {
    "Se": {"fit_range": [-18.0, 6.0], "n_pre": 1, "n_edge": 1},  # window from the data
    "Cr": {"fit_range": [-12.0, 8.0], "n_pre": 1, "n_edge": 1, "pre_window": [-6.0, -1.5]},
}
WINDOW = {"Se": [12662.0, 12680.0], "Cr": [5980.0, 6010.0]}


def _run(folder, el, sample, files=None):
    files = files or sorted(str(p) for p in folder.glob(f"{el}K_{sample}_*.dat"))
    return process_spectrum(
        files,
        name=f"{el}_{sample}",
        sample=sample,
        element=el,
        columns=COLUMNS,
        reference_e0=REF_E0[el],
        e0_window=WINDOW[el],
        normalization=NORM,
        fit=FIT[el],
    )


@pytest.fixture(scope="module")
def processed(xas_sim):
    folder, _ = xas_sim
    keys = [
        ("Se", "CrSe2"),
        ("Se", "LiCrSe2"),
        ("Se", "Li0.6CrSe2"),
        ("Cr", "CrSe2"),
        ("Cr", "LiCrSe2"),
    ]
    return {k: _run(folder, *k) for k in keys}


def test_calibration_shifts_recover_offsets(processed, xas_sim):
    _, truth = xas_sim
    want = {s["file"]: s["calibration_shift_eV"] for s in truth["scans"]}
    for res in processed.values():
        rec = res["record"].set_index("parameter")
        for f, shift in res["summary"]["shifts_eV"].items():
            err = rec.loc[f"shift[{f}]", "stderr"]
            assert shift == pytest.approx(want[f], abs=max(5 * err, 0.03)), f


def test_se_edges_and_preedge_within_acceptance(processed, xas_sim):
    _, truth = xas_sim
    for sample in ("CrSe2", "LiCrSe2"):
        s = processed[("Se", sample)]["summary"]
        true = truth["edges_eV"]["Se"][sample]
        assert abs(s["e0_eV"] - true) < 0.1
        assert abs(s["e0_eV"] - true) < 5 * s["e0_stderr_eV"] + 0.02
    s = processed[("Se", "CrSe2")]["summary"]
    assert abs(s["preedge_eV"] - 12660.2) < 0.1
    assert abs(s["preedge_eV"] - 12660.2) < 5 * s["preedge_stderr_eV"] + 0.03


def test_cr_edge_shift_and_reproduction_rows(processed, xas_sim):
    _, truth = xas_sim
    rows = reproduction(
        [r["summary"] for r in processed.values()],
        {"element": "Cr", "high": "CrSe2", "low": "LiCrSe2"},
    ).set_index("quantity")
    shift = rows.loc["xas.Cr.edge_shift"]
    assert abs(shift.value - truth["cr_edge_shift_eV"]) < 0.1
    assert shift.unit == "eV" and 0 < shift.stderr < 0.1
    for q in ("xas.Se.CrSe2.edge", "xas.Se.CrSe2.preedge", "xas.Se.LiCrSe2.edge"):
        assert np.isfinite(rows.loc[q, "value"]) and rows.loc[q, "unit"] == "eV"
    with pytest.raises(InputError, match="edge_shift names Cr CrSe2 / CrO2"):
        reproduction(
            [r["summary"] for r in processed.values()],
            {"element": "Cr", "high": "CrSe2", "low": "CrO2"},
        )


def test_outputs_shape_and_settled_settings(processed):
    res = processed[("Se", "CrSe2")]
    assert list(res["spectrum"].columns) == [
        "energy_eV",
        "mu",
        "mu_noise",
        "norm",
        "flat",
        "derivative",
    ]
    s = res["summary"]
    assert s["normalization"]["pre1"] == -140.0 and s["normalization"]["nnorm"] == 2
    assert len(s["shifts_eV"]) == 3
    rec = res["record"].set_index("parameter")
    assert rec.loc["fit.pre1_center", "stderr"] > 0
    assert rec.loc["fit_redchi", "unit"] == "stat"
    sp = res["spectrum"]
    post = sp[(sp.energy_eV > s["e0_eV"] + 60) & (sp.energy_eV < s["e0_eV"] + 300)]
    assert post.flat.mean() == pytest.approx(1.0, abs=0.03)
    # half-step below the derivative maximum for this white-line edge, both reported
    assert s["half_step_eV"] < s["e0_eV"]


def test_larch_defaults_when_no_ranges(xas_sim):
    folder, _ = xas_sim
    files = sorted(str(p) for p in folder.glob("CrK_CrSe2_*.dat"))
    res = process_spectrum(
        files,
        name="x",
        sample="CrSe2",
        element="Cr",
        columns=COLUMNS,
        reference_e0=5989.0,
        fit={"enabled": False},
    )
    n = res["summary"]["normalization"]
    assert n["pre2"] < 0 < n["norm1"] < n["norm2"]
    assert math.isnan(res["summary"]["preedge_eV"])


def test_lcf_recovers_mixture(processed, xas_sim):
    _, truth = xas_sim
    tgt = processed[("Se", "Li0.6CrSe2")]
    comps = {
        k: (
            processed[("Se", k)]["spectrum"].energy_eV.to_numpy(),
            processed[("Se", k)]["spectrum"].norm.to_numpy(),
        )
        for k in ("CrSe2", "LiCrSe2")
    }
    e0 = tgt["summary"]["e0_eV"]
    sp = tgt["spectrum"]
    want = truth["lcf"]["Se"]["Li0.6CrSe2"]
    for sum1 in (True, False):
        res = lcf(
            sp.energy_eV.to_numpy(),
            sp.norm.to_numpy(),
            comps,
            e_range=(e0 - 20, e0 + 40),
            sum_to_one=sum1,
        )
        for k, (w, se) in res["weights"].items():
            assert w == pytest.approx(want[k], abs=0.02)
            assert se > 0
        assert res["r_factor"] < 1e-4


def test_reference_without_edge(xas_sim):
    folder, _ = xas_sim
    s = read_column_ascii(folder / "SeK_CrSe2_01.dat", COLUMNS)
    mu, _ = absorption(s)
    rng = np.random.default_rng(0)
    flat_ref = 0.5 + rng.normal(0, 1e-3, s.energy.size)
    with pytest.raises(InputError, match="SeK_CrSe2_01.dat: the reference channel shows no"):
        calibrate_scan("SeK_CrSe2_01.dat", s.energy, mu, flat_ref, reference_e0=12658.0)
    with pytest.raises(InputError, match="no reference channel"):
        calibrate_scan("SeK_CrSe2_01.dat", s.energy, mu, None, reference_e0=12658.0)


def test_scans_that_disagree(xas_sim):
    folder, _ = xas_sim
    scans = []
    for name in ("SeK_CrSe2_01.dat", "SeK_CrSe2_02.dat", "SeK_LiCrSe2_01.dat"):
        s = read_column_ascii(folder / name, COLUMNS)
        mu, ref = absorption(s)
        scans.append(calibrate_scan(name, s.energy, mu, ref, reference_e0=12658.0))
    with pytest.raises(InputError, match=r"SeK_LiCrSe2_01.dat: after calibration its edge"):
        merge_scans(scans, e0_window=(12662, 12680), normalize_kw=NORM)


def test_wrong_reference_energy(xas_sim):
    folder, _ = xas_sim
    s = read_column_ascii(folder / "CrK_CrSe2_01.dat", COLUMNS)
    mu, ref = absorption(s)
    with pytest.raises(
        InputError, match=r"CrK_CrSe2_01.dat \(reference channel\): E0 search window"
    ):
        calibrate_scan("CrK_CrSe2_01.dat", s.energy, mu, ref, reference_e0=7112.0)


def test_figures_from_tables(processed, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from intercal.figures import style
    from intercal.figures.xas import draw_xanes_panel, figure_s4, formula_label

    parts, edges = [], []
    for (el, sample), r in processed.items():
        df = r["spectrum"][["energy_eV", "norm", "flat", "derivative"]].copy()
        df.insert(0, "sample", sample)
        df.insert(0, "element", el)
        df.insert(0, "spectrum", f"{el}_{sample}")
        parts.append(df)
        s = r["summary"]
        edges.append({"spectrum": s["name"], "e0_eV": s["e0_eV"], "preedge_eV": s["preedge_eV"]})
    long = pd.concat(parts)
    fig, (ax,) = style.figure(1, 1, width="single")
    draw_xanes_panel(ax, long, ["Cr_CrSe2", "Cr_LiCrSe2"])
    assert len(ax.lines) == 2  # only the chosen spectra
    assert ax.get_legend().get_title().get_text() == "Cr edge"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CrSe$_{2}$", "LiCrSe$_{2}$"]
    assert formula_label("Li0.6CrSe2") == "Li$_{0.6}$CrSe$_{2}$"
    figure_s4(
        long,
        pd.DataFrame(edges),
        tmp_path / "s4.pdf",
        tmp_path / "s4.png",
        samples=["Se_CrSe2", "Se_LiCrSe2"],
    )
    assert (tmp_path / "s4.png").stat().st_size > 10_000


def test_xdi_input_gives_the_same_edge(processed, xas_sim):
    folder, _ = xas_sim
    files = sorted(str(p) for p in folder.glob("SeK_CrSe2_*.xdi"))
    res = process_spectrum(
        files,
        name="Se_CrSe2",
        sample="CrSe2",
        element="Se",
        fmt="xdi",
        reference_e0=12658.0,
        e0_window=WINDOW["Se"],
        normalization=NORM,
        fit=FIT["Se"],
    )
    want = processed[("Se", "CrSe2")]["summary"]
    assert res["summary"]["e0_eV"] == pytest.approx(want["e0_eV"], abs=1e-6)
    assert res["summary"]["preedge_eV"] == pytest.approx(want["preedge_eV"], abs=1e-6)


def test_cr_shoulder_preedge_is_not_left_on_its_bound(xas_sim):
    """The demo CrO2 shoulder (whole-edge model, fixed window): the first start ends on the
    window's upper bound; starts across the window find the peak inside it."""
    folder, _ = xas_sim
    files = sorted(str(p) for p in folder.glob("CrK_CrO2_*.dat"))
    res = process_spectrum(
        files,
        name="Cr_CrO2",
        sample="CrO2",
        element="Cr",
        columns=COLUMNS,
        reference_e0=REF_E0["Cr"],
        e0_window=WINDOW["Cr"],
        normalization=NORM,
        fit={**FIT["Cr"], "pre_model": "edge"},
        n_mc=20,
    )
    s = res["summary"]
    lo, hi = s["preedge_window"]["window_eV"]
    assert s["qc"]["preedge"] == []
    assert lo + 0.5 < s["preedge_eV"] < hi - 0.5
    assert 0.0 < s["preedge_stderr_eV"] < 0.2
    assert s["preedge_area"] > 3 * s["preedge_area_stderr"]


def test_merge_noise_matrix_is_the_interpolated_noise():
    """Two repeats offset by half a grid step: the merge's noise map reproduces the noise of
    the mean over realisations, per point and between neighbours (interpolation correlates
    them), which white noise of the same per-point variance would not."""
    from intercal.xas.calibrate import CalibratedScan

    e = np.arange(7670.0, 7730.0, 0.2)
    clean = 0.5 + np.arctan((e - 7700.0) / 2.0) / np.pi
    rng = np.random.default_rng(5)

    def scans():
        return [
            CalibratedScan("a", e, clean + rng.normal(0, 1e-3, e.size), None, np.nan, 0.0, 0.0),
            CalibratedScan(
                "b",
                e + 0.1,
                np.interp(e + 0.1, e, clean) + rng.normal(0, 1e-3, e.size),
                None,
                np.nan,
                0.0,
                0.0,
            ),
        ]

    m = merge_scans(scans(), e0_window=(7690.0, 7710.0))
    L = m["noise_matrix"]
    np.testing.assert_allclose(np.sqrt(np.sum(L**2, axis=1)), m["mu_noise"])
    draws = np.array([merge_scans(scans(), e0_window=(7690.0, 7710.0))["mu"] for _ in range(60)])
    resid = draws - draws.mean(axis=0)
    core = slice(30, -30)
    assert np.std(resid[:, core]) == pytest.approx(
        np.sqrt(np.mean(m["mu_noise"][core] ** 2)), rel=0.1
    )
    cov = L @ L.T
    lag1 = np.mean(np.diag(cov, 1)[30:-30]) / np.mean(np.diag(cov)[30:-30])
    real = np.mean(resid[:, 30:-31] * resid[:, 31:-30]) / np.mean(resid[:, core] ** 2)
    assert lag1 > 0.05 and real == pytest.approx(lag1, abs=0.05)
