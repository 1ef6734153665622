"""The conda envs in envs/ name the same packages as pyproject.toml, at compatible versions."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"py-lmfit": "lmfit", "newarenda": "NewareNDA", "pytables": "tables"}
# needed by the orchestrator, not inside rule environments
ORCHESTRATOR_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_deps(root):
    data = tomllib.loads((root / "pyproject.toml").read_text())
    return {_norm(Requirement(r).name): Requirement(r) for r in data["project"]["dependencies"]}


def _env_pins(path):
    env = yaml.safe_load(path.read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # pip: section
            for item in dep.get("pip", []):
                if item.startswith("-e") or item.startswith("."):
                    continue
                req = Requirement(item)
                spec = next(iter(req.specifier), None)
                pins[_norm(req.name)] = spec.version if spec else None
            continue
        name, _, version = dep.partition("=")
        name = name.strip()
        if name in ("python", "pip"):
            continue
        pins[_norm(CONDA_TO_PYPI.get(name, name))] = version.strip("=") or None
    return pins


def test_every_env_package_is_declared_and_compatible(root):
    deps = _pyproject_deps(root)
    envs = sorted((root / "envs").glob("*.yaml"))
    assert envs
    problems = []
    for env in envs:
        for name, version in _env_pins(env).items():
            if name not in deps:
                problems.append(f"{env.name}: {name} is not in pyproject dependencies")
                continue
            if version is None:
                problems.append(f"{env.name}: {name} is not pinned")
                continue
            # a conda pin like 2.4 means 2.4.*: its lowest release must satisfy the bound
            if not deps[name].specifier.contains(Version(version), prereleases=True):
                problems.append(f"{env.name}: {name}={version} violates pyproject {deps[name]}")
    assert problems == []


def test_envs_together_cover_pyproject(root):
    deps = set(_pyproject_deps(root)) - {_norm(n) for n in ORCHESTRATOR_ONLY}
    covered = set()
    for env in (root / "envs").glob("*.yaml"):
        covered |= set(_env_pins(env))
    assert sorted(deps - covered) == []
