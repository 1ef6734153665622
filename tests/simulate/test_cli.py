"""The documented command `python -m intercal.simulate` regenerates data/ byte for byte."""

from __future__ import annotations

import filecmp

import yaml

from intercal.simulate.__main__ import GENERATORS, main


def test_ground_truth_has_every_part(demo_data):
    truth = yaml.safe_load((demo_data / "ground_truth.yaml").read_text())
    assert truth["seed"] == 20260218
    assert set(GENERATORS) <= set(truth)


def test_cli_regenerates_parts_identically(demo_data, tmp_path):
    # the cheap parts through the real entry point; the others have their own
    # byte-identity tests in tests/simulate/
    assert main(["--data-dir", str(tmp_path), "--only", "xrd", "dft"]) == 0
    for part in ("xrd", "dft"):
        cmp = filecmp.dircmp(demo_data / part, tmp_path / part)
        assert cmp.left_only == [] and cmp.right_only == []
        _, mismatch, errors = filecmp.cmpfiles(
            demo_data / part, tmp_path / part, cmp.common_files, shallow=False
        )
        assert mismatch == [] and errors == [], (part, mismatch, errors)
    new = yaml.safe_load((tmp_path / "ground_truth.yaml").read_text())
    old = yaml.safe_load((demo_data / "ground_truth.yaml").read_text())
    assert new["xrd"] == old["xrd"] and new["dft"] == old["dft"]


def test_unknown_part_is_refused(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path), "--only", "neutrons"])
    assert "invalid choice: 'neutrons'" in capsys.readouterr().err
