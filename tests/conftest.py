"""Shared fixtures: paths to the project, the demo data and ../shared/realdata.

Every test that takes the ``realdata`` fixture is marked ``realdata``
automatically (so ``pytest -m realdata`` selects all of them, including ones
written later without the marker line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the ``realdata`` fixture with ``realdata``.

    Runs before the ``-m`` selection (tryfirst), so the marker counts there.
    """
    for item in items:
        if "realdata" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)


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
