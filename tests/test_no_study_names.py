"""Nothing study-specific in code (issue 14, point 4).

Greps src/ (outside src/intercal/simulate/, where the demo's forward models
legitimately encode the demo study), rules/, scripts/ and report/ (captions) for the demo study's
materials, edges, cut-off keys and paper numbers, and fails listing every
file:line. Comments and docstrings count too: a reader of the code should not
need the demo study to understand it (examples in docstrings can use a neutral
placeholder such as ``<host>`` or ``LiMO2``).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: folders searched (report/: the captions every study's report shows), and the one folder
#: left out (forward models of the demo data)
SEARCHED = ("src", "rules", "scripts", "report")
EXCLUDED = (ROOT / "src" / "intercal" / "simulate",)
SUFFIXES = {".py", ".smk", ".yaml", ".yml", ".json", ".rst", ".md", ".txt", ".mplstyle"}

#: (what, regular expression): the demo study's names and numbers
FORBIDDEN = [
    ("host/lithiated formula", r"CrSe_?\{?2|CrSe\$?_"),
    ("impurity phase", r"Cr_?2O_?3|\bCrO_?2\b"),
    ("internal standard", r"(?i)graphite"),
    ("element of the demo (Cr, Se)", r"\b(?:Cr|Se)\b(?!\w)"),
    ("edge energy of the demo (Cr K 5989 eV, Se K 12658 eV)", r"\b(?:5989|1265[0-9]|12660)\b"),
    (
        "paper cut-off used as a key",
        r"""\[\s*["'](?:0\.75|1\.0|2\.0)["']\s*\]|["'](?:0\.75|1\.0|2\.0)["']\s*:""",
    ),
    ("paper number (Ea 74 meV, 7.67 % c expansion)", r"\b74\s*meV|\b7\.67\b"),
    ("the paper", r"Adv\.\s*Sci|Li et al\."),
]


def _files():
    for top in SEARCHED:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or path.suffix not in SUFFIXES:
                continue
            if any(ex in path.parents for ex in EXCLUDED) or "__pycache__" in path.parts:
                continue
            yield path


def find_study_names() -> list[str]:
    """Every ``file:line: what: text`` where a study-specific name appears."""
    patterns = [(what, re.compile(rx)) for what, rx in FORBIDDEN]
    hits = []
    for path in _files():
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            for what, rx in patterns:
                if rx.search(line):
                    rel = path.relative_to(ROOT)
                    hits.append(f"{rel}:{n}: {what}: {line.strip()[:100]}")
    return hits


def test_the_grep_finds_what_it_should(tmp_path):
    """The patterns catch the demo's names and leave ordinary code alone."""
    samples = {
        'host = "CrSe2"': True,
        r'label = r"x in Li$_x$CrSe$_2$"': True,
        "cfg['0.75']": True,
        '"2.0": 3': True,
        "Cr2O3 impurity": True,
        "the Graphite 002 line": True,
        "edge at 5989 eV": True,
        "Ea = 74 meV": True,
        "E0 = element_edge(config)": False,
        "cutoff = float(key)": False,
        "scale = 2.0  # factor": False,
        "Crystal = Selection()": False,
    }
    patterns = [re.compile(rx) for _, rx in FORBIDDEN]
    for text, expected in samples.items():
        assert any(rx.search(text) for rx in patterns) is expected, text


def test_no_study_names_in_code():
    hits = find_study_names()
    assert not hits, f"{len(hits)} study-specific names in code:\n" + "\n".join(hits)
