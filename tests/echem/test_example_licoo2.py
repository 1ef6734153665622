"""The LiCoO2 example's echem part: a charge-first cathode from CSV cycler exports."""

from __future__ import annotations

import filecmp

import pandas as pd
import pytest
import yaml

from intercal.echem import cells, pipeline
from intercal.simulate.echem import generate_example_licoo2


@pytest.fixture(scope="module")
def example(root):
    study = root / "examples" / "LiCoO2"
    if not (study / "config.echem.yaml").exists():
        pytest.skip("examples/LiCoO2 absent")
    cfg = yaml.safe_load((study / "config.echem.yaml").read_text())["echem"]
    truth = yaml.safe_load((study / "data" / "echem" / "truth.yaml").read_text())
    return study, cfg, truth


def _tables(study, cfg, name):
    cell = {**cfg.get("cell_defaults", {}), **cfg["cells"][name]}
    fmt = cfg["csv_formats"][cell["csv_format"]]
    return cells.cell_tables(name, cell, [str(study / cell["files"])], csv=fmt)


def _summary(cfg, cycles):
    """The summary job's call on the example's cut-off series and rate test."""
    return pipeline.summary(
        cycles=cycles,
        infos=[],
        formula=cfg["host_formula"],
        n_electrons=cfg["n_electrons"],
        cutoff=cfg["cutoff_series"],
        rate=cfg["rate_test"],
    )


def test_summary_rows_recover_truth(example):
    study, cfg, truth = example
    cycles = {n: _tables(study, cfg, n)["cycles"] for n in cfg["cells"]}
    out = _summary(cfg, cycles)
    rows = out["repro"].set_index("quantity")
    assert rows.loc["echem.theoretical_capacity", "value"] == pytest.approx(
        truth["theoretical_capacity_mAh_g"], abs=0.1
    )
    for v, t in truth["formation"].items():
        assert rows.loc[f"echem.first_charge_cutoff_{v}V", "value"] == pytest.approx(
            t["first_charge_mAh_g"], rel=1e-6
        )
        assert rows.loc[f"echem.capacity_cutoff_{v}V", "value"] == pytest.approx(
            t["first_discharge_mAh_g"], rel=1e-6
        )
        assert rows.loc[f"echem.first_cycle_ce_cutoff_{v}V", "value"] == pytest.approx(
            t["first_cycle_ce_percent"], abs=1e-4
        )
    steps = truth["rate"]["steps"]
    assert rows.loc["echem.rate_retention_1C", "value"] == pytest.approx(
        steps[3]["retention_percent"], abs=1e-4
    )
    assert "echem.rate_retention_0.1C_step6" in rows.index
    # practical capacity of LiCoO2 at 4.2 V: about half of the 274 mAh/g of one Li
    assert 130 < rows.loc["echem.capacity_cutoff_4.2V", "value"] < 150
    # charge first: the first half cycle of every cycle is a charge that ends at the upper limit
    c = cycles["LCO_4.2V"]
    assert (c.first_half == "charge").all() and c.charge_end_V.iloc[0] == pytest.approx(4.2)


def test_generator_is_byte_reproducible(example, tmp_path):
    study, _, _ = example
    generate_example_licoo2(tmp_path, 20260218)
    for f in (study / "data" / "echem").iterdir():
        assert filecmp.cmp(f, tmp_path / "data" / "echem" / f.name, shallow=False), f.name


def test_size_is_small(example):
    study, _, _ = example
    total = sum(f.stat().st_size for f in (study / "data" / "echem").iterdir())
    assert total < 3e6
    assert isinstance(pd.read_csv(study / "data" / "echem" / "LCO_rate_4.2V.csv"), pd.DataFrame)


def test_current_in_wrong_units_is_flagged_not_silent(example, caplog):
    """Capacity counters in mAh read as uAh (like A read as mA): 1000x off, flagged."""
    study, cfg, _ = example
    cfg = yaml.safe_load(yaml.safe_dump(cfg))
    fmt = cfg["csv_formats"][cfg["cell_defaults"]["csv_format"]]
    fmt["units"]["capacity"] = "uAh"  # the file is in mAh: capacities 1000x too small
    cycles = {n: _tables(study, cfg, n)["cycles"] for n in cfg["cells"]}
    with caplog.at_level("WARNING"):
        out = _summary(cfg, cycles)
    rows = out["repro"].set_index("quantity")
    assert rows.loc["echem.capacity_cutoff_4.2V", "value"] < 1.0
    assert "capacity_implausible:LCO_4.2V" in rows.loc["echem.capacity_cutoff_4.2V", "qc"]
    assert "capacity_implausible:LCO_rate" in rows.loc["echem.rate_retention_1C", "qc"]
    assert "check its units" in caplog.text


def test_plausible_cells_carry_only_the_no_esd_flag(example):
    study, cfg, _ = example
    cycles = {n: _tables(study, cfg, n)["cycles"] for n in cfg["cells"]}
    bad = pipeline.capacity_plausibility(cycles, 274.0)
    assert bad == {}
    assert pipeline.capacity_plausibility(cycles, 274.0 * 1000)  # 1000x: all flagged
