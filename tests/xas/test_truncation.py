"""A XAS file cut inside its last number (an incomplete transfer) is a named error."""

from pathlib import Path

import pytest

from intercal.errors import InputError
from intercal.io.xas import read_column_ascii, read_xdi

DEMO = Path(__file__).resolve().parents[2] / "data" / "xas"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "LiCoO2" / "data" / "xas"


def _cut(src: Path, dest: Path) -> Path:
    text = src.read_text().rstrip("\n")
    dest.write_text(text[: len(text) - 3])  # lose the last digits and the final newline
    return dest


def test_column_ascii_cut_inside_last_number(tmp_path):
    src = sorted(DEMO.glob("SeK_CrSe2_*.dat"))[0]
    cols = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}
    read_column_ascii(src, cols)  # the intact file reads
    bad = _cut(src, tmp_path / src.name)
    with pytest.raises(InputError, match=rf"{bad.name}.*(cut|truncat)"):
        read_column_ascii(bad, cols)


def test_xdi_cut_inside_last_number(tmp_path):
    src = sorted(EXAMPLE.glob("*.xdi"))[0]
    read_xdi(src)
    bad = _cut(src, tmp_path / src.name)
    with pytest.raises(InputError, match=rf"{bad.name}.*(cut|truncat)"):
        read_xdi(bad)
