"""Provenance page of a run: the config used and the software versions.

Written as a small self-contained HTML file for the Snakemake report, so a
reader of the report sees exactly which settings and package versions made
the numbers.
"""

from __future__ import annotations

import html
import platform
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

#: distributions whose versions matter for the numbers
PACKAGES = (
    "intercal",
    "numpy",
    "scipy",
    "pandas",
    "lmfit",
    "matplotlib",
    "pymatgen",
    "xraylarch",
    "h5py",
    "galvani",
    "impedance",
    "pyimpspec",
    "NewareNDA",
    "snakemake",
)


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution ("not installed" when absent)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def render(config: Mapping[str, Any], configfile: str, vers: Mapping[str, str]) -> str:
    """HTML page with the study's name, the config file's content and the versions."""
    import yaml

    study = config.get("study", {})
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in vers.items()
    )
    cfg = yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=None, width=100)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{font-family:sans-serif;font-size:13px;margin:1em}"
        "td{border:1px solid #bbb;padding:2px 6px}table{border-collapse:collapse}"
        "pre{background:#f6f6f6;padding:0.5em;font-size:11px}</style></head><body>"
        f"<h1>{html.escape(str(study.get('name', 'study')))}: provenance</h1>"
        f"<p>{html.escape(str(study.get('description', '')))}</p>"
        f"<p>Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.</p>"
        f"<h2>Software</h2><table>{rows}</table>"
        f"<h2>Configuration ({html.escape(configfile)}, with schema defaults filled in)</h2>"
        f"<pre>{html.escape(cfg)}</pre></body></html>\n"
    )
