"""Shared fixtures: paths to the project, the demo data and ../shared/realdata."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def root() -> Path:
    """The workflow's top folder."""
    return ROOT


@pytest.fixture(scope="session")
def demo_data() -> Path:
    """The bundled demo data folder (data/)."""
    return DATA


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata, or skip with the reason when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent (needs ../shared beside the project)")
    return REALDATA
