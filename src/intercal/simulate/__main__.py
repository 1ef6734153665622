"""Write the demo data set: ``python -m intercal.simulate [--data-dir data] [--seed 20260218]``.

Every generator is called with the same fixed seed (each derives its own
independent stream from it), so the output is bit-identical on every run.
The merged ground truth goes to ``<data-dir>/ground_truth.yaml`` with one
top-level key per technique. ``--only musr echem`` regenerates some parts and
keeps the other sections of ground_truth.yaml.

``--example LiCoO2 [--examples-dir examples]`` writes the bundled example
study's data instead (each technique's generator, each with its own fixed
seed, into ``examples/LiCoO2/data/<technique>/`` with a truth.yaml there).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import yaml

#: technique key -> module under intercal.simulate, in generation order
GENERATORS: dict[str, str] = {
    "xrd": "xrd_exsitu",
    "operando": "operando",
    "xas": "xas",
    "musr": "muon",
    "echem": "echem",
    "dft": "dft",
}

DEFAULT_SEED = 20260218  # the paper's acceptance date

#: example study -> the generator CLIs that write its parts (module, args); {dir} is the
#: example folder
EXAMPLES: dict[str, list[tuple[str, list[str]]]] = {
    "LiCoO2": [
        ("xrd_exsitu", ["--example", "LiCoO2", "--out", "{dir}"]),
        ("operando", ["--example", "LiCoO2", "--out", "{dir}/data/operando"]),
        ("xas", ["--example", "LiCoO2", "--out", "{dir}/data/xas"]),
        ("echem", ["--example", "LiCoO2", "--dir", "{dir}"]),
    ]
}


def write_example(name: str, folder: Path) -> None:
    """Run every generator of one example study (each a fixed-seed CLI of its module)."""
    import subprocess

    for module, args in EXAMPLES[name]:
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", f"intercal.simulate.{module}"]
        cmd += [a.format(dir=folder) for a in args]
        subprocess.run(cmd, check=True)
        print(f"{name}/{module}: written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intercal.simulate", description=__doc__)
    parser.add_argument("--data-dir", default="data", type=Path, help="output folder (data/)")
    parser.add_argument("--seed", default=DEFAULT_SEED, type=int, help="master random seed")
    parser.add_argument(
        "--only", nargs="*", choices=sorted(GENERATORS), help="regenerate only these parts"
    )
    parser.add_argument(
        "--example", choices=sorted(EXAMPLES), help="write this example study's data instead"
    )
    parser.add_argument(
        "--examples-dir", default="examples", type=Path, help="folder of the example studies"
    )
    args = parser.parse_args(argv)
    if args.example:
        write_example(args.example, args.examples_dir / args.example)
        return 0
    parts = args.only or list(GENERATORS)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    truth_path = args.data_dir / "ground_truth.yaml"
    truth = yaml.safe_load(truth_path.read_text()) if truth_path.exists() else {}
    truth = truth or {}
    truth["seed"] = args.seed
    for key in parts:
        t0 = time.perf_counter()
        module = importlib.import_module(f"intercal.simulate.{GENERATORS[key]}")
        truth[key] = module.generate(args.data_dir, args.seed)
        print(f"{key}: written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    ordered = {"seed": truth.pop("seed")}
    ordered.update({k: truth[k] for k in GENERATORS if k in truth})
    header = (
        "# Ground truth encoded in the synthetic demo data (see data/README.md).\n"
        "# Written by `python -m intercal.simulate`; do not edit by hand.\n"
    )
    truth_path.write_text(header + yaml.safe_dump(ordered, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
