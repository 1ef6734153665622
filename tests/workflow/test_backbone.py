"""The workflow loads, validates config before any job runs, and plans what rule all needs."""

import pytest
import yaml

from .wfutil import copy_workflow, planned_jobs, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture()
def workflow(root, tmp_path):
    return copy_workflow(root, tmp_path / "wf")


def test_dry_run_plans_the_results_table(workflow):
    jobs = planned_jobs(workflow)
    assert jobs["results_table"] == 1
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


def test_every_rule_declares_log_benchmark_threads_resources_env_and_script(root):
    import re

    required = ["log:", "benchmark:", "threads:", "resources:", "conda:", "script:"]
    problems = []
    n_rules = 0
    for smk in sorted((root / "rules").glob("*.smk")):
        text = smk.read_text()
        blocks = re.split(r"^\s*rule (\w+):\s*$", text, flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
            body = re.split(r"^\S", body, maxsplit=1, flags=re.M)[
                0
            ]  # up to the next top-level line
            n_rules += 1
            missing = [k for k in required if k not in body]
            if missing:
                problems.append(f"{smk.name}: rule {name} lacks {missing}")
            if "mem_mb" not in body or "runtime" not in body:
                problems.append(f"{smk.name}: rule {name} lacks mem_mb/runtime resources")
    assert n_rules >= 25  # the parser saw the rules
    assert problems == []
