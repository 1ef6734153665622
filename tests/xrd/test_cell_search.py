"""Convergence from literature cells 0.5-1 % off (coarse cell search), and the QC flag for a
refined zero shift and displacement together."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError
from intercal.simulate import xrd_exsitu as X
from intercal.xrd.lebail import Phase, Settings, refine

#: a P2-type layered oxide (P6_3/mmc): transition metal 2a, Na 2b, O 4f
P2 = {
    "a": 2.8893,
    "c": 11.1512,
    "space_group": "P6_3/mmc",
    "species": ["Mn", "Na", "O"],
    "coords": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.25], [1.0 / 3.0, 2.0 / 3.0, 0.0905]],
    "b_iso": {"Mn": 0.4, "Na": 1.5, "O": 0.6},
}


@pytest.fixture(scope="module")
def pattern():
    # zero shift 0 (held fixed below), specimen displacement 20 um (refined)
    expected, _, _ = X.simulate_single_phase(P2, "P2", None, zero_shift_deg=0.0)
    y = np.random.default_rng(5).poisson(expected).astype(float)
    return pd.DataFrame(
        {"two_theta_deg": X.grid(), "intensity": y, "esd": np.sqrt(np.maximum(y, 1.0))}
    )


def _settings(**kw) -> Settings:
    ig = X.instrument_gsas2()
    base = dict(
        U=ig["U"], V=ig["V"], W=ig["W"], X=ig["X"], Y=ig["Y"], SHL=ig["SHL"],
        soller_rad=ig["soller_half_acceptance_rad"], background_terms=12, fixed=("SHL",),
    )  # fmt: skip
    return Settings(**{**base, **kw})


def _fit(pattern, fa, fc, **kw):
    cell = {"a": P2["a"] * fa, "c": P2["c"] * fc}
    return refine(pattern, [Phase("P2", "P6_3/mmc", cell)], _settings(**kw), "p2")


@pytest.mark.parametrize(
    "fa, fc",
    [
        (0.995, 0.995),
        (1.01, 0.99),
        pytest.param(1.005, 0.995, marks=pytest.mark.slow),
        pytest.param(0.99, 0.99, marks=pytest.mark.slow),
        pytest.param(1.01, 1.01, marks=pytest.mark.slow),
    ],
)
def test_cell_converges_from_literature_start(pattern, fa, fc):
    r = _fit(pattern, fa, fc, fixed=("SHL", "zero"))
    cell = r.cells["P2"]
    for k in ("a", "c"):
        assert abs(cell[k] - P2[k]) < 2.0 * cell[f"{k}_esd"], (fa, fc, k, cell)
    assert r.stats["qc"] == "" and r.stats["gof"] < 1.2
    # the given cell (when it failed) or the searched one: never more than the start's error
    assert r.stats["cell_search_moved_pct"] <= 1.6


def test_start_too_far_off_fails_loudly(pattern):
    # 2.5 % off in both lengths: beyond the +-1.5 % search; a FitError, not a wrong cell
    with pytest.raises(FitError, match="cell search"):
        _fit(pattern, 1.025, 1.025, fixed=("SHL", "zero"))


def test_cell_search_can_be_switched_off(pattern):
    with pytest.raises(FitError, match="pattern p2"):
        _fit(pattern, 0.99, 0.99, fixed=("SHL", "zero"), cell_search_pct=0.0)


def test_zero_and_displacement_refined_together_are_flagged(pattern, caplog):
    with caplog.at_level(logging.WARNING):
        r = _fit(pattern, 1.0, 1.0)
    assert abs(r.stats["corr_zero_displacement"]) > 0.95
    assert "correlated:zero,displacement" in r.stats["qc"].split(";")
    assert "fixed: [zero]" in caplog.text
    cell = r.cells["P2"]
    for k in ("a", "c"):  # the cell itself is still right, with inflated esds
        assert abs(cell[k] - P2[k]) < 2.0 * cell[f"{k}_esd"]


@pytest.mark.parametrize("fixed", ["zero", "displacement"])
def test_one_of_zero_and_displacement_is_not_flagged(pattern, fixed):
    r = _fit(pattern, 1.0, 1.0, fixed=("SHL", fixed))
    assert np.isnan(r.stats["corr_zero_displacement"])
    assert "correlated" not in r.stats["qc"]
