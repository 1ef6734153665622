"""`snakemake --report` builds, with every caption free of docutils system messages.

A markup error in a caption (an unescaped ``*`` in a file pattern, an undefined
``|substitution|``) is not an error for snakemake: the report shows a red
"Docutils System Messages" block instead. These tests build real reports and
fail on any such block, and on the "coroutine ... was never awaited" warnings
that snakemake 9.27 printed with the default disk_mb (snakemake#4280; the
profiles set disk_mb).

- a small study (the demo's ``dft`` section alone, in a study folder of its
  own, 7 jobs) built and reported from scratch;
- the full demo build shared by the slow workflow tests (``built``), which
  holds every caption of the workflow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .wfutil import copy_workflow

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

#: text that docutils puts into the HTML when a caption has a markup problem
DOCUTILS_TRACES = (
    "System Message",
    "system-message",
    "Docutils System Messages",
    "Undefined substitution",
    "Inline emphasis start-string",
    "Inline strong start-string",
)


def _snakemake(workflow: Path, study: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(workflow / "Snakefile")]
    cmd += ["--directory", str(study), "--cores", "1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=study)


def _check_report(proc: subprocess.CompletedProcess, html: Path) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "never awaited" not in out, out[-4000:]
    assert html.stat().st_size > 10_000
    text = html.read_text(errors="replace")
    found = [t for t in DOCUTILS_TRACES if t in text]
    assert not found, f"{html}: docutils messages in the report: {found}"
    assert "{{" not in text.split("<script", 1)[0], "an unrendered Jinja2 expression in a caption"
    return text


def test_small_study_report_has_no_docutils_messages(root, tmp_path):
    workflow = copy_workflow(root, tmp_path / "intercal")
    demo = yaml.safe_load((root / "config.yaml").read_text())
    cfg = {"study": dict(demo["study"], results_dir="results"), "dft": demo["dft"]}
    study = tmp_path / "mystudy"
    study.mkdir()
    (study / "data").symlink_to(root / "data", target_is_directory=True)
    (study / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    build = _snakemake(workflow, study)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    html = study / "results" / "report.html"
    text = _check_report(_snakemake(workflow, study, "--report", str(html)), html)
    # the Fig. 1 caption is rendered with the study's own names (Jinja2 from config)
    host, ion = cfg["dft"]["host"], cfg["dft"]["working_ion"]
    assert f"Mixing energy per {host} formula unit" in text
    assert f"{host}-{ion} pseudo-binary" in text


def test_full_demo_report_has_no_docutils_messages(built, tmp_path):
    html = tmp_path / "report.html"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--report", str(html)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=built)
    _check_report(proc, html)
