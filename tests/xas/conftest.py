"""Fixtures of the XAS tests: freshly simulated demo and Co K-edge example sets (seeded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intercal.simulate import xas as sim

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
REF_E0 = {"Cr": 5989.0, "Se": 12658.0}

_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata (beside the checkout, or two levels up for a worktree), else skip."""
    candidates = [
        os.environ.get("INTERCAL_REALDATA"),
        _ROOT.parent / "shared" / "realdata",
        _ROOT.parent.parent / "shared" / "realdata",
    ]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    pytest.skip(f"real data folder ../shared/realdata is absent (looked in {candidates[1:]})")


@pytest.fixture(scope="session")
def xas_sim(tmp_path_factory):
    """(folder with the scans, ground truth) for seed 20260218 (the demo seed)."""
    out = tmp_path_factory.mktemp("xas_demo")
    truth = sim.generate(out, 20260218)
    return out / "xas", truth


@pytest.fixture(scope="session")
def co_placed():
    """Placed Co K-edge materials (cached: the placement takes a few seconds)."""
    return sim._co_placed()


@pytest.fixture(scope="session")
def co_sim(tmp_path_factory, co_placed):
    """(folder, truth) of the Co K-edge example scans (the committed example's seed)."""
    out = tmp_path_factory.mktemp("co_example")
    truth = sim.generate_licoo2(out, 20260301, placed=co_placed)
    return out, truth
