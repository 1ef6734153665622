"""Per-batch manifests: one input per batch job that follows its scans exactly."""

import os

import pytest

from intercal.errors import InputError
from intercal.operando.scans import read_manifest, write_manifest


def _scans(tmp_path, n):
    files = []
    for k in range(1, n + 1):
        f = tmp_path / f"scan_{k:04d}.xye"
        f.write_text(f"10.0 {k} 1.0\n")
        files.append(str(f))
    return files


def test_manifest_rewritten_only_when_its_scans_change(tmp_path):
    files = _scans(tmp_path, 4)
    man = tmp_path / "results" / "batch_0000.json"
    assert write_manifest(man, {"scans": files[1:], "seed_scans": files[:1]})
    assert read_manifest(man) == {"scans": files[1:], "seed_scans": files[:1]}
    mtime = man.stat().st_mtime_ns
    # the same scans: untouched, so Snakemake sees nothing new
    assert not write_manifest(man, {"scans": files[1:], "seed_scans": files[:1]})
    assert man.stat().st_mtime_ns == mtime
    # a new scan, or an edited one, rewrites it
    (tmp_path / "more").mkdir()
    new = _scans(tmp_path / "more", 1)
    assert write_manifest(man, {"scans": files[1:] + new, "seed_scans": files[:1]})
    with open(files[2], "a") as fh:
        fh.write("10.1 5 1.0\n")
    assert write_manifest(man, {"scans": files[1:] + new, "seed_scans": files[:1]})
    assert read_manifest(man)["scans"] == files[1:] + new


def test_read_manifest_refuses_a_changed_or_missing_scan(tmp_path):
    files = _scans(tmp_path, 2)
    man = tmp_path / "batch_0000.json"
    write_manifest(man, {"scans": files, "seed_scans": []})
    with open(files[0], "a") as fh:
        fh.write("10.1 5 1.0\n")
    with pytest.raises(InputError, match="changed since the workflow recorded it"):
        read_manifest(man)
    write_manifest(man, {"scans": files, "seed_scans": []})
    os.unlink(files[1])
    with pytest.raises(InputError, match="no longer there"):
        read_manifest(man)
