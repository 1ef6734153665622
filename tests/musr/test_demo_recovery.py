"""Recovery of the ground truth from the demo data (data/musr)."""

import numpy as np
import pandas as pd
import pytest
import yaml

from intercal.musr.pipeline import aggregate, calibrate_alpha, fit_temperature, reduce_temperature


@pytest.fixture(scope="module")
def cfg(root):
    return yaml.safe_load((root / "config.yaml").read_text())["musr"]


@pytest.fixture(scope="module")
def truth(demo_data):
    path = demo_data / "ground_truth.yaml"
    if path.exists():
        t = yaml.safe_load(path.read_text()).get("musr")
        if t:
            return t
    from intercal.simulate.muon import TRUTH

    return {"alpha": None, "activation_energy_meV": TRUTH["activation_energy_meV"]}


@pytest.mark.slow
def test_full_chain_recovers_truth(cfg, truth, root, monkeypatch):
    monkeypatch.chdir(root)
    cal = cfg["calibration"]
    kw = dict(
        forward=cfg["grouping"]["forward"],
        backward=cfg["grouping"]["backward"],
        background_window_us=cfg["background_window_us"],
    )
    _, _, alpha, alpha_err = calibrate_alpha(cal["file"], field_G=cal["field_G"], **kw)
    if truth.get("alpha"):
        assert abs(alpha - truth["alpha"]) < 3 * alpha_err
    records, reduced, names = [], [], []
    for temp in cfg["temperatures"]:
        red = reduce_temperature(
            temp["runs"],
            alpha=alpha,
            temperature_K=temp["temperature_K"],
            t_max_us=16.0,
            rebin=2,
            **kw,
        )
        rec, _ = fit_temperature(red, t_min_us=0.1, t_max_us=16.0)
        records.append(rec)
        reduced.append(red)
        names.append(temp["name"])
    out = aggregate(records, reduced, names=names, jump_paths=cfg["jump_paths"])
    nu = out["nu_table"]
    r = out["repro"].set_index("quantity")
    assert set(r.loc[["musr.activation_energy", "musr.onset_temperature"], "qc"]) == {""}
    delta, delta_err = r.loc["musr.delta", ["value", "stderr"]]
    assert abs(delta - truth.get("delta_us", 0.36)) < 3 * delta_err
    ea, ea_err = r.loc["musr.activation_energy", ["value", "stderr"]]
    assert ea_err <= 8.0
    assert abs(ea - truth["activation_energy_meV"]) <= ea_err
    onset = r.loc["musr.onset_temperature", "value"]
    assert 150.0 <= onset <= 175.0
    assert isinstance(nu, pd.DataFrame) and np.all(nu.loc[nu.dynamic, "D_Li_cm2_s"] > 0)
