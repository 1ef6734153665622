"""The workflow loads, validates config before any job runs, and plans what rule all needs."""

import pytest
import yaml

from .wfutil import copy_workflow, planned_jobs, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture()
def workflow(root, tmp_path):
    return copy_workflow(root, tmp_path / "wf")


def test_dry_run_plans_the_reproduction_table(workflow):
    jobs = planned_jobs(workflow)
    assert jobs["reproduction_table"] == 1
    assert jobs["render_reproduction"] == 1
    assert jobs["all"] == 1


def test_config_typo_fails_before_any_job_naming_the_key(workflow):
    cfg = yaml.safe_load((workflow / "config.yaml").read_text())
    cfg["study"]["results_dri"] = cfg["study"].pop("results_dir")
    (workflow / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(workflow, "-n", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "results_dri" in out
    assert "Job stats" not in out


def test_wrong_type_fails_naming_the_expected_type(workflow):
    cfg = yaml.safe_load((workflow / "config.yaml").read_text())
    cfg["materials"]["LiCrSe2"]["cell"]["c"] = "six"
    (workflow / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(workflow, "-n", check=False)
    assert proc.returncode != 0
    assert "'six' is not of type 'number'" in proc.stdout + proc.stderr
