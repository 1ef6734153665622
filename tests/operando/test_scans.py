"""Scan reading: the fast path for plain .xye files gives what io.xrd reads, faults go there."""

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.xrd import read_pattern
from intercal.operando.scans import _read_plain_xye, read_scan


def _write(path, text):
    path.write_text(text)
    return path


def test_fast_path_equals_the_full_reader(tmp_path):
    x = 12.0 + 0.02 * np.arange(50)
    y = 100 + np.arange(50)
    body = "".join(f"{a:.5f} {b} {np.sqrt(b):.3f}\n" for a, b in zip(x, y, strict=True))
    f = _write(tmp_path / "scan_0001.xye", "# header\n# columns: 2theta counts esd\n" + body)
    fast = _read_plain_xye(f)
    assert fast is not None
    full = read_pattern(f)
    for got, col in zip(fast, ("two_theta_deg", "intensity", "esd"), strict=True):
        assert np.array_equal(got, full[col].to_numpy(float))


@pytest.mark.parametrize(
    ("tail", "match"),
    [
        ("30.00000 12", "line 54"),  # cut inside the last line (no final newline)
        ("30.00000 12 x\n", "expected numbers"),
        ("11.00000 12 3.4\n", "does not increase"),
        ("30.00000 -5 3.4\n", "negative counts"),
    ],
)
def test_faults_go_to_the_full_reader_and_are_named(tmp_path, tail, match):
    x = 12.0 + 0.02 * np.arange(50)
    body = "".join(f"{a:.5f} 100 10.0\n" for a in x)
    f = _write(tmp_path / "scan_0002.xye", "# h\n# h\n# h\n" + body + tail)
    assert _read_plain_xye(f) is None
    with pytest.raises(InputError, match=match):
        read_scan(f)
