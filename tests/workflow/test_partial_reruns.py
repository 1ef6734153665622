"""Partial reruns: new data or a changed setting reruns only the jobs that read it.

One full build of the demo workflow on a temporary copy (the ``built`` fixture
in conftest.py, about 1.5 min on 2 cores), then each test changes a copy of that
built tree and asserts the exact set of jobs that ``snakemake -n`` plans.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from .wfutil import copy_built, planned_jobs, restore_scan

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

#: aggregates downstream of every technique: the results/reproduction tables and rule all
SUMMARY = {"results_table", "provenance", "all"}
#: the fingerprint of the package modules a rule runs (reruns when a module is edited)
CODE = "code_fingerprint"


@pytest.fixture()
def wf(built, tmp_path):
    return copy_built(built, tmp_path / "wf")


def _config(wf):
    return yaml.safe_load((wf / "config.yaml").read_text())


def _write_config(wf, cfg):
    (wf / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_new_operando_scan_reruns_only_its_batch_and_the_aggregates(wf, root):
    held = sorted((wf / ".withheld").glob("scan_*.xye"))
    assert len(held) == 1
    scan = wf / "data" / "operando" / "scans" / held[0].name
    row = next(
        r
        for r in (root / "data/operando/scan_log.csv").read_text().splitlines()
        if held[0].name in r
    )
    restore_scan(wf, scan, row)
    jobs = planned_jobs(wf)
    assert jobs["operando_batch"] == 1  # only the batch that holds the new scan
    assert jobs.get("operando_crosscheck_batch", 0) <= 1  # only that batch's cross-check
    ran = set(jobs)
    assert ran <= {
        "operando_align",
        "operando_batch",
        "operando_lattice",
        "operando_summary",
        "operando_crosscheck_batch",
        "operando_crosscheck",
        "operando_figure",
        "operando_figure_s18",
        *SUMMARY,
    }, ran
    assert not {r for r in ran if r.startswith(("musr", "xas", "echem", "dft", "xrd"))}


def test_new_muon_run_reruns_only_its_temperature_and_the_aggregates(wf):
    cfg = _config(wf)
    t300 = next(t for t in cfg["musr"]["temperatures"] if t["name"] == "T300K")
    zf = next(r for r in t300["runs"] if r["field_G"] == 0.0)
    new = wf / "data" / "musr" / "EMU00095099.nxs"
    shutil.copy(wf / zf["file"], new)  # a repeated ZF run at 300 K
    t300["runs"].append({"file": "data/musr/EMU00095099.nxs", "field_G": 0.0})
    _write_config(wf, cfg)
    jobs = planned_jobs(wf)
    assert jobs["musr_temperature"] == 1
    assert set(jobs) <= {"musr_temperature", "musr_arrhenius", "musr_figures", "fig2", *SUMMARY}
    assert {"musr_arrhenius", "musr_figures"} <= set(jobs)


def test_one_fit_setting_reruns_only_the_rules_that_use_it(wf):
    cfg = _config(wf)
    cfg["musr"]["arrhenius"]["n_sigma"] = 2.5  # onset criterion of the Arrhenius aggregate
    _write_config(wf, cfg)
    jobs = planned_jobs(wf)
    assert "musr_temperature" not in jobs and "musr_alpha" not in jobs
    assert set(jobs) <= {"musr_arrhenius", "musr_figures", "fig2", *SUMMARY}
    assert jobs["musr_arrhenius"] == 1


def test_style_change_reruns_only_figure_jobs(wf):
    style = wf / "src" / "intercal" / "figures" / "style.py"
    style.write_text(style.read_text().replace('"font.size": 8', '"font.size": 9'))
    jobs = planned_jobs(wf)
    figure_rules = {r for r in jobs if "fig" in r}
    assert figure_rules >= {"dft_figure", "musr_figures", "xas_figures", "operando_figure"}
    assert set(jobs) - figure_rules == {"all", CODE}, jobs
    assert jobs[CODE] == 1  # only the style module's fingerprint


def test_code_change_in_one_technique_reruns_only_its_jobs(wf):
    """Snakemake tracks scripts, not the package they import: pkg_code inputs close the gap."""
    module = wf / "src" / "intercal" / "musr" / "arrhenius.py"
    module.write_text(module.read_text() + "\n# edited\n")
    jobs = planned_jobs(wf)
    assert jobs.get("musr_arrhenius") == 1
    assert {r for r in jobs if not r.startswith("musr")} <= {"fig2", CODE, *SUMMARY}, jobs
    assert jobs[CODE] == 1
