"""Any study, any subset of techniques: a study folder of its own, optional sections.

Each test makes a study folder outside the checkout (config.yaml + data) and
runs the checkout's Snakefile on it with ``--directory``, as the README's
"Your own study" section does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .wfutil import copy_workflow

pytestmark = pytest.mark.workflow

TECHNIQUES = ("xrd", "operando", "xas", "musr", "echem", "dft")
#: rule-name prefixes of each technique's jobs
PREFIX = {"xrd": "xrd_", "operando": "operando_", "xas": "xas_", "musr": "musr_"}
PREFIX.update({"echem": "echem_", "dft": "dft_"})


@pytest.fixture(scope="module")
def checkout(root, tmp_path_factory):
    """A copy of the workflow (the checkout) that the studies point at."""
    return copy_workflow(root, tmp_path_factory.mktemp("checkout") / "intercal")


def _study(tmp_path: Path, root: Path, cfg: dict) -> Path:
    study = tmp_path / "mystudy"
    study.mkdir()
    (study / "data").symlink_to(root / "data", target_is_directory=True)
    (study / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return study


def _run(checkout: Path, study: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(checkout / "Snakefile"),
        "--directory",
        str(study),
        "--cores",
        "1",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=study.parent)


def _jobs(proc: subprocess.CompletedProcess) -> dict[str, int]:
    jobs, in_table = {}, False
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
            continue
        if in_table:
            if len(parts) == 2 and parts[1].isdigit():
                if parts[0] == "total":
                    break
                jobs[parts[0]] = int(parts[1])
            elif parts and not set(parts[0]) <= {"-"}:
                break
    return jobs


@pytest.fixture(scope="module")
def demo(root):
    return yaml.safe_load((root / "config.yaml").read_text())


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_each_technique_alone_plans_only_its_jobs(technique, checkout, root, demo, tmp_path):
    cfg = {
        "study": {"name": f"{technique} only"},
        "materials": demo["materials"],
        technique: demo[technique],
    }
    study = _study(tmp_path, root, cfg)
    proc = _run(checkout, study, "-n")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    jobs = _jobs(proc)
    assert jobs, proc.stdout[-2000:]
    foreign = [
        j
        for j in jobs
        if j not in ("all", "results_table", "provenance", "code_fingerprint")
        and not j.startswith(PREFIX[technique])
    ]
    # Fig. 2 is built from the Le Bail fits whenever the xrd branch is configured
    assert foreign == (["fig2"] if technique == "xrd" else [])
    assert jobs["results_table"] == 1
    # outputs land in the study folder's results/ (the schema default), not in the checkout
    assert f"{study}/results" in proc.stdout or "results/" in proc.stdout


def test_no_references_means_no_comparison_table(checkout, root, demo, tmp_path):
    cfg = {"study": {"name": "x"}, "materials": demo["materials"], "dft": demo["dft"]}
    study = _study(tmp_path, root, cfg)
    proc = _run(checkout, study, "-n", "--forceall", "--printshellcmds")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "results/tables/results.csv" in proc.stdout
    assert "reproduction.csv" not in proc.stdout


@pytest.mark.parametrize("bad", ["../outside", "/tmp/abs_results", "a/../../b"])
def test_results_dir_must_stay_inside_the_study(bad, checkout, root, demo, tmp_path):
    cfg = {"study": {"name": "x", "results_dir": bad}, "dft": demo["dft"]}
    study = _study(tmp_path, root, cfg)
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "study.results_dir" in out and "Job stats" not in out


def test_incomplete_section_fails_at_load_naming_the_key(checkout, root, demo, tmp_path):
    musr = dict(demo["musr"])
    del musr["calibration"]
    cfg = {"study": {"name": "x"}, "musr": musr}
    study = _study(tmp_path, root, cfg)
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "musr" in out and "calibration" in out and "config.yaml" in out
    assert len(out.splitlines()) < 60, out  # a few lines, not the whole schema


def test_configfile_replaces_the_demo_config(checkout, root, demo, tmp_path):
    """--configfile is not merged into the checkout's config.yaml (no demo leftovers)."""
    study = _study(tmp_path, root, {"study": {"name": "x"}, "dft": demo["dft"]})
    other = study / "other.yaml"
    other.write_text(
        yaml.safe_dump({"study": {"name": "y", "results_dir": "res_y"}, "dft": demo["dft"]})
    )
    proc = _run(checkout, study, "-n", "--configfile", str(other))
    assert proc.returncode == 0, proc.stderr[-2000:]
    jobs = _jobs(proc)
    assert not [j for j in jobs if j.startswith(("musr", "echem", "xas", "xrd", "operando"))]


def test_missing_raw_file_fails_before_any_job(checkout, root, demo, tmp_path):
    xrd = yaml.safe_load(yaml.safe_dump(demo["xrd"]))
    first = next(iter(xrd["patterns"]))
    xrd["patterns"][first]["file"] = "data/xrd/no_such_pattern.xye"
    study = _study(
        tmp_path, root, {"study": {"name": "x"}, "materials": demo["materials"], "xrd": xrd}
    )
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "no_such_pattern.xye" in out and f"xrd.patterns.{first}.file" in out


def test_misspelt_csv_column_fails_at_load_naming_the_key(checkout, root, tmp_path):
    """A cycler CSV column map is checked against the file's header before any job runs."""
    ex = root / "examples" / "LiCoO2"
    cfg = yaml.safe_load((ex / "config.echem.yaml").read_text())
    cfg["echem"]["csv_formats"]["lab_cycler"]["columns"]["voltage"] = "Voltage(V)"
    study = tmp_path / "mystudy"
    study.mkdir()
    (study / "data").symlink_to(ex / "data", target_is_directory=True)
    (study / "config.yaml").write_text(yaml.safe_dump({"study": {"name": "x"}, **cfg}))
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "echem.csv_formats.lab_cycler.columns.voltage = 'Voltage(V)'" in out, out[-2000:]
    assert "'Voltage (V)'" in out  # the file's own column names are listed
    assert "Job stats" not in out


def test_phase_not_in_materials_fails_at_load_with_a_suggestion(checkout, root, demo, tmp_path):
    xrd = yaml.safe_load(yaml.safe_dump(demo["xrd"]))
    first = next(iter(xrd["patterns"]))
    phase = xrd["patterns"][first]["phases"][0]
    xrd["patterns"][first]["phases"][0] = phase.lower()
    study = _study(
        tmp_path, root, {"study": {"name": "x"}, "materials": demo["materials"], "xrd": xrd}
    )
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert f"xrd.patterns.{first}.phases: {phase.lower()!r} is not defined in materials" in out
    assert f"did you mean {phase!r}?" in out
    assert "Job stats" not in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("column", "xas.spectra.{spec} (columns, format, energy_unit)"),
        ("reference", "xas.edges.{edge}.reference_e0_eV = 8979 eV is outside the scan"),
    ],
)
def test_xas_column_or_edge_mistake_fails_at_load(change, expected, checkout, root, demo, tmp_path):
    """A misspelt column or another element's foil E0 is found before any job runs."""
    xas = yaml.safe_load(yaml.safe_dump(demo["xas"]))
    spec = next(iter(xas["spectra"]))
    edge = xas["spectra"][spec]["edge"]
    if change == "column":
        xas["columns"]["i0"] = "I0_typo"
    else:
        xas["edges"][edge]["reference_e0_eV"] = 8979.0
    study = _study(tmp_path, root, {"study": {"name": "x"}, "xas": xas})
    proc = _run(checkout, study, "-n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert expected.format(spec=spec, edge=edge) in out, out[-2000:]
    if change == "column":
        assert "I0_typo" in out
    assert "Job stats" not in out
