"""A full build of the demo workflow, shared by the tests that need results."""

from __future__ import annotations

import pytest

from .wfutil import copy_workflow, planned_jobs, snakemake, withhold_last_scan


@pytest.fixture(scope="session")
def built(root, tmp_path_factory):
    """A temporary copy of the workflow after ``snakemake --cores 2`` (do not modify it).

    The last operando scan is held back (``.withheld/``) so that a test can bring
    it in as new data.
    """
    wf = copy_workflow(root, tmp_path_factory.mktemp("built") / "wf")
    withhold_last_scan(wf)
    snakemake(wf)
    assert planned_jobs(wf) == {}, "a second run right after the build must do nothing"
    return wf
