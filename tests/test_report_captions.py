"""Every report caption (report/**/*.rst) renders without a docutils system message.

Snakemake renders each caption with Jinja2 and then docutils ``publish_parts``;
a markup error (an unescaped ``*`` in a file pattern, an undefined
``|substitution|``) shows up in the HTML report as a red "System Message"
block. This fast check renders every caption the same way, at docutils'
lowest report level (info), so that even a harmless-looking message fails.
tests/workflow/test_report.py builds the real report.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import yaml
from docutils.core import publish_parts

ROOT = Path(__file__).resolve().parents[1]
CAPTIONS = sorted((ROOT / "report").rglob("*.rst"))


class _Job:
    """Stand-in for a job's wildcards/params/input/output: any attribute or key is a
    placeholder that renders as its own name (the real values exist only in a run)."""

    def __init__(self, name: str = "job"):
        self._name = name

    def __getattr__(self, key: str) -> _Job:
        if key.startswith("__"):
            raise AttributeError(key)
        return _Job(f"{self._name}.{key}")

    def __getitem__(self, key) -> _Job:
        return _Job(f"{self._name}[{key}]")

    def __iter__(self):
        return iter(())

    def __str__(self) -> str:
        return f"<{self._name}>"


#: what a caption's Jinja2 code sees (snakemake passes the job's snakemake object):
#: the demo config, and placeholders for the job's own values
SNAKEMAKE = SimpleNamespace(
    config=yaml.safe_load((ROOT / "config.yaml").read_text()),
    **{k: _Job(k) for k in ("wildcards", "params", "input", "output", "log", "resources")},
)


def render(text: str) -> tuple[str, str]:
    """(html body, docutils messages) of one caption, as snakemake renders it.

    Jinja2 as in snakemake (trim_blocks, lstrip_blocks; config = the demo's),
    but strict: an undefined name is an error here, not an empty string.
    """
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    text = env.from_string(text).render(snakemake=SNAKEMAKE, categories={}, files={})
    stream = io.StringIO()
    parts = publish_parts(
        text,
        writer="html",
        settings_overrides={"warning_stream": stream, "report_level": 1, "halt_level": 5},
    )
    return parts["body"], stream.getvalue()


def test_there_are_captions():
    assert len(CAPTIONS) >= 10


@pytest.mark.parametrize("caption", CAPTIONS, ids=lambda p: str(p.relative_to(ROOT / "report")))
def test_caption_renders_without_system_messages(caption):
    body, messages = render(caption.read_text())
    assert not messages, f"{caption.relative_to(ROOT)}:\n{messages}"
    assert "system-message" not in body


@pytest.mark.parametrize(
    "bad, message",
    [("Source: eis/*_fit.csv only", "Inline emphasis"), ("peak current |Ip|", "substitution")],
)
def test_the_check_catches_the_known_mistakes(bad, message):
    _, messages = render(bad)
    assert message in messages


def test_every_caption_is_used_by_a_rule():
    """A caption file that no rule or the Snakefile names is dead text."""
    sources = [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]
    text = "\n".join(p.read_text() for p in sources)
    unused = [str(c.relative_to(ROOT)) for c in CAPTIONS if str(c.relative_to(ROOT)) not in text]
    assert not unused, f"captions used by no rule: {unused}"
