"""The global fit on three demo temperatures: Delta modes, covariance, exports."""

import numpy as np
import pytest
import yaml

from intercal.musr.export import mantid_table, write_msr
from intercal.musr.global_fit import TemperatureData, fit_global
from intercal.musr.pipeline import datasets_from_table, fit_temperature, reduce_temperature

pytestmark = pytest.mark.slow  # ~35 s on one free core

NAMES = ["T150K", "T210K", "T300K"]


@pytest.fixture(scope="module")
def stage1(root):
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        cfg = yaml.safe_load((root / "config.yaml").read_text())["musr"]
        temps = [t for t in cfg["temperatures"] if t["name"] in NAMES]
        out = []
        for t in temps:
            red = reduce_temperature(
                t["runs"],
                alpha=1.1002,
                forward="1-48",
                backward="49-96",
                background_window_us=cfg["background_window_us"],
                temperature_K=t["temperature_K"],
            )
            rec, _ = fit_temperature(red, t_min_us=0.1, t_max_us=16.0)
            out.append((t, red, rec))
    finally:
        os.chdir(cwd)
    return out


def _seed(rec):
    v = rec.set_index("parameter")
    return {
        "delta": v.loc["delta", "value"],
        "delta_stderr": v.loc["delta", "stderr"],
        **{k: v.loc[k, "value"] for k in ("nu", "a0", "a_bg", "lam")},
    }


def _fit(stage1, mode):
    data = [
        TemperatureData(t["name"], t["temperature_K"], datasets_from_table(red))
        for t, red, _ in stage1
    ]
    return fit_global(data, [_seed(rec) for _, _, rec in stage1], delta_mode=mode)


def test_shared_delta_error_reaches_every_nu(stage1, demo_data):
    g = _fit(stage1, "shared")
    assert abs(g.value("delta") - 0.36) < 3 * g.error("delta")
    cov = g.covariance
    for n in NAMES[1:]:
        k = f"nu_{n}"
        # variance of nu with Delta free vs with Delta held at its value (conditional)
        cond = cov.loc[k, k] - cov.loc[k, "delta"] ** 2 / cov.loc["delta", "delta"]
        assert cov.loc[k, k] > 1.02 * cond
    assert g.stats["errors_scaled_by_redchi"] == int(g.stats["redchi"] > 1)
    gt = yaml.safe_load((demo_data / "ground_truth.yaml").read_text())["musr"]["temperatures"]
    truth = {f"T{t['temperature_K']:g}K": t["nu_MHz"] for t in gt}
    truth = {n: truth[n] for n in NAMES[1:]}
    for n, nu in truth.items():
        assert abs(g.value(f"nu_{n}") - nu) < 3 * g.error(f"nu_{n}")


def test_free_delta_reproduces_the_per_temperature_fits(stage1):
    g = _fit(stage1, "free")
    for t, _, rec in stage1:
        v = rec.set_index("parameter")
        assert g.value(f"nu_{t['name']}") == pytest.approx(v.loc["nu", "value"], abs=1e-3)
        assert g.value(f"delta_{t['name']}") == pytest.approx(v.loc["delta", "value"], abs=1e-3)


def test_linear_delta_and_exports(stage1):
    g = _fit(stage1, "linear")
    assert abs(g.value("delta_slope")) < 3 * g.error("delta_slope") + 1e-4
    temps = [t for t, _, _ in stage1]
    msr = write_msr(
        g,
        temps,
        alpha=1.1,
        grouping={"forward": "1-48", "backward": "49-96"},
        t_min_us=0.1,
        t_max_us=16.0,
        rebin=2,
    )
    assert msr.count("\nRUN ") == 9 and "fun2 = par2 + par3 * map6" in msr
    assert "dynGssKTLF     fun1  fun2  map2" in msr
    tab = mantid_table(g, temps)
    assert list(tab.columns) == ["Name", "Value", "Error"]
    nu = tab[tab["Name"].str.endswith(".Nu")]
    assert len(nu) == 9 and np.all(np.isfinite(nu["Error"]))
