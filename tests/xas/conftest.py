"""Fixtures of the XAS tests: a freshly simulated demo set (seeded) with its truth."""

from __future__ import annotations

import pytest

from intercal.simulate import xas as sim

COLUMNS = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
REF_E0 = {"Cr": 5989.0, "Se": 12658.0}


@pytest.fixture(scope="session")
def xas_sim(tmp_path_factory):
    """(folder with the scans, ground truth) for seed 20260218 (the demo seed)."""
    out = tmp_path_factory.mktemp("xas_demo")
    truth = sim.generate(out, 20260218)
    return out / "xas", truth
