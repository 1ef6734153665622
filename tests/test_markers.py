"""The test selection the README promises: markers follow the fixtures a test uses.

One ``pytest --collect-only -m ""`` in a subprocess records every test's
markers (tests/conftest.py, INTERCAL_DUMP_MARKERS); the checks below read it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> dict:
    dump = tmp_path_factory.mktemp("markers") / "markers.json"
    env = dict(os.environ, INTERCAL_DUMP_MARKERS=str(dump))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-m",
        "",
        "-p",
        "no:cacheprovider",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(dump.read_text())


def _with(collected: dict, fixture: str) -> dict:
    return {k: v for k, v in collected.items() if fixture in v["fixtures"]}


def test_every_realdata_test_is_marked(collected):
    users = _with(collected, "realdata")
    assert len(users) >= 20, sorted(users)
    unmarked = [k for k, v in users.items() if "realdata" not in v["markers"]]
    assert not unmarked
    # tests that load the fixture dynamically (request.getfixturevalue) carry the
    # marker themselves: the selection holds at least every fixture user
    marked = {k for k, v in collected.items() if "realdata" in v["markers"]}
    assert marked >= set(users)


def test_cluster_and_full_builds_are_opt_in(collected):
    cluster = _with(collected, "slurm_cluster")
    assert cluster, "no test uses the slurm_cluster fixture"
    assert all({"cluster", "slow"} <= set(v["markers"]) for v in cluster.values())
    built = _with(collected, "built")
    assert all("slow" in v["markers"] for v in built.values())


def test_default_selection_leaves_out_slow_and_cluster():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow and not cluster'" in cfg["addopts"]
    declared = {m.split(":", 1)[0] for m in cfg["markers"]}
    assert {"realdata", "workflow", "slow", "cluster"} <= declared
