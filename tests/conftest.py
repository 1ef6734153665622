"""Shared fixtures: paths to the project, the demo data and ../shared/realdata.

Tests are marked by the fixtures they use (``realdata`` -> realdata, ``built``
-> slow, ``slurm_cluster`` -> cluster), so ``pytest -m realdata`` selects every
real-data test and the default selection stays fast, also for tests written
later without the marker lines.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REALDATA = ROOT.parent / "shared" / "realdata"


#: fixture -> markers that every test using it (directly or through another fixture) gets
FIXTURE_MARKS = {
    "realdata": ("realdata",),  # reads ../shared/realdata
    "built": ("slow", "workflow"),  # a full build of the demo study
    "slurm_cluster": ("cluster", "slow"),  # installs and starts a SLURM cluster
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark tests by the fixtures they use (FIXTURE_MARKS), before ``-m`` selects.

    ``pytest -m realdata`` thus selects every test that reads the real data, and
    the default selection (``-m 'not slow and not cluster'``) never builds the
    whole demo or starts the SLURM cluster, even for a test written without the
    marker lines. With INTERCAL_DUMP_MARKERS=<file> the markers of every
    collected test are written there as JSON (tests/test_markers.py reads it).
    """
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marks in FIXTURE_MARKS.items():
            if fixture in used:
                for mark in marks:
                    item.add_marker(getattr(pytest.mark, mark))
    dump = os.environ.get("INTERCAL_DUMP_MARKERS")
    if dump:
        record = {
            item.nodeid: {
                "markers": sorted({m.name for m in item.iter_markers()}),
                "fixtures": sorted(getattr(item, "fixturenames", ())),
            }
            for item in items
        }
        Path(dump).write_text(json.dumps(record, indent=1))


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
