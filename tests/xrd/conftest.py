"""XRD test fixtures: the real-data folder also where a git worktree sits one level deeper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [
    Path(os.environ["INTERCAL_REALDATA"]) if os.environ.get("INTERCAL_REALDATA") else None,
    ROOT.parent / "shared" / "realdata",
    ROOT.parent.parent / "shared" / "realdata",  # worktrees under <project>/../wt/<name>
]


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata (or $INTERCAL_REALDATA), or skip with the reason when absent."""
    for c in CANDIDATES:
        if c is not None and c.is_dir():
            return c
    pytest.skip(f"real data folder absent (looked in {[str(c) for c in CANDIDATES if c]})")
