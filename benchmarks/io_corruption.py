"""Corruption pass over every reader: crafted damaged copies of demo and real files.

Prints, per file/reader, how many crafted cases gave a named InputError, an error
without the file name, a raw library exception or a silent wrong result
(see tests/io/io_corruption.py for the cases and the judge).

Usage (from the checkout; ../shared/realdata, or $INTERCAL_REALDATA, is used when
present)::

    python benchmarks/io_corruption.py [xrd|echem|others|all] [-v]
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "io"))

from io_corruption import run_cases, targets  # noqa: E402


def main(argv: list[str]) -> int:
    which = next((a for a in argv if not a.startswith("-")), "all")
    verbose = "-v" in argv
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    realdata = ROOT.parent / "shared" / "realdata"
    for cand in (realdata, Path(os.environ.get("INTERCAL_REALDATA", realdata))):
        if cand.is_dir():
            realdata = cand
            break
    else:
        realdata = None
    total = Counter()
    print(
        f"{'file':22s} {'cases':>5s} {'ok':>4s} {'named':>5s} {'unnamed':>7s} {'raw':>4s} "
        f"{'silent':>6s} {'accepted':>8s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for t in targets(ROOT / "data", realdata, which):
            res = run_cases(t, Path(tmp))
            c = Counter(o for _, o, _ in res)
            total.update(c)
            total["cases"] += len(res)
            print(
                f"{t.name:22s} {len(res):5d} {c['ok']:4d} {c['named']:5d} {c['unnamed']:7d} "
                f"{c['raw']:4d} {c['silent']:6d} {c['accepted']:8d}"
            )
            for label, outcome, detail in res:
                if verbose or outcome in ("raw", "silent", "unnamed"):
                    print(f"    {outcome:8s} {label}: {detail}")
    print(
        f"{'TOTAL':22s} {total['cases']:5d} {total['ok']:4d} {total['named']:5d} "
        f"{total['unnamed']:7d} {total['raw']:4d} {total['silent']:6d} {total['accepted']:8d}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
