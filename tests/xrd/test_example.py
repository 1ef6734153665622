"""The XRD part of the LiCoO2 example study: its config fragment refines its pattern to the
forward model's truth; esds honest over 20 noise realisations (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from intercal.io.xrd import read_pattern
from intercal.workflow import validate_section
from intercal.xrd.config import phases_from_config, settings_from_config
from intercal.xrd.lebail import refine

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "LiCoO2"


@pytest.fixture(scope="module")
def example():
    cfg = yaml.safe_load((EX / "config.xrd.yaml").read_text())
    truth = yaml.safe_load((EX / "data" / "xrd" / "truth.yaml").read_text())
    validate_section(cfg["xrd"], ROOT / "schemas" / "xrd.schema.yaml", section="xrd")
    assert set(cfg) == {"materials", "xrd"}  # only its own section (+ materials)
    return cfg, truth


def _fit(cfg, pattern=None):
    spec = cfg["xrd"]["patterns"]["LiCoO2"]
    return refine(
        read_pattern(EX / spec["file"]) if pattern is None else pattern,
        phases_from_config("LiCoO2", spec["phases"], cfg["materials"]),
        settings_from_config(cfg["xrd"], "LiCoO2", base=EX),
        "LiCoO2",
    )


@pytest.fixture(scope="module")
def fit(example):
    return _fit(example[0])


def test_example_cell_within_two_esd(example, fit):
    _, truth = example
    t = truth["phases"]["LiCoO2"]
    cell = fit.cells["LiCoO2"]
    for k in ("a", "c"):
        assert abs(cell[k] - t[f"{k}_A"]) < 2 * cell[f"{k}_esd"], (k, cell[k], t[f"{k}_A"])
    # (zero and displacement both refined: flagged as correlated, nothing else)
    assert fit.stats["qc"] == "correlated:zero,displacement" and fit.stats["gof"] < 1.1


def test_example_sample_broadening(example, fit):
    _, truth = example
    g = truth["phases"]["LiCoO2"]["gsas2"]
    par = fit.params.set_index("parameter")
    assert par.value["LiCoO2.size_axial"] == pytest.approx(g["size_axial_um"], rel=0.05)
    assert par.value["LiCoO2.size"] == pytest.approx(g["size_um"], rel=0.1)
    assert not par.refined["U"]  # instrument from the .instprm, held fixed


@pytest.mark.slow
def test_example_esds_are_honest(example, fit):
    cfg, _ = example
    base = fit.profile
    rng = np.random.default_rng(7)
    vals, esds = {"a": [], "c": []}, {"a": [], "c": []}
    for _ in range(20):
        y = rng.poisson(base.calc.to_numpy()).astype(float)
        pat = pd.DataFrame(
            {"two_theta_deg": base.two_theta_deg, "intensity": y, "esd": np.sqrt(np.maximum(y, 1))}
        )
        cell = _fit(cfg, pat).cells["LiCoO2"]
        for k in vals:
            vals[k].append(cell[k])
            esds[k].append(cell[f"{k}_esd"])
    for k in vals:
        ratio = np.std(vals[k], ddof=1) / np.mean(esds[k])
        print(f"LiCoO2.{k}: scatter/esd = {ratio:.3f}")
        assert 0.7 <= ratio <= 1.5, (k, ratio)
