"""Reader plausibility: bad metadata or counts fail with an InputError naming file and field."""

import shutil

import h5py
import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.muon import read_muon

RUN = "musr/EMU00095001.nxs"


@pytest.fixture
def copy(demo_data, tmp_path):
    def make(edit=None):
        dst = tmp_path / "run.nxs"
        shutil.copy(demo_data / RUN, dst)
        if edit is not None:
            with h5py.File(dst, "r+") as f:
                edit(f)
        return dst

    return make


def _replace(f, path, value, attrs=None):
    old = dict(f[path].attrs)
    del f[path]
    f[path] = value
    for k, v in {**old, **(attrs or {})}.items():
        f[path].attrs[k] = v


def test_demo_run_reads(copy):
    run = read_muon(copy())
    assert run.t0_us == pytest.approx(0.176) and run.bin_width_us == pytest.approx(0.016)


def test_t0_in_seconds_is_caught(copy):
    path = copy(
        lambda f: _replace(f, "raw_data_1/instrument/detector_1/time_zero", np.float32([1.76e-7]))
    )
    with pytest.raises(InputError, match=r"run.nxs: field 'time_zero'.*seconds"):
        read_muon(path)


def test_t0_units_seconds_converted(copy):
    path = copy(
        lambda f: _replace(
            f,
            "raw_data_1/instrument/detector_1/time_zero",
            np.float64([1.76e-7]),
            {"units": b"seconds"},
        )
    )
    assert read_muon(path).t0_us == pytest.approx(0.176)


def test_t0_outside_histogram(copy):
    path = copy(
        lambda f: _replace(f, "raw_data_1/instrument/detector_1/time_zero", np.float32([500.0]))
    )
    with pytest.raises(InputError, match="time_zero.*inside the histogram"):
        read_muon(path)


def test_negative_counts(copy):
    def edit(f):
        c = f["raw_data_1/detector_1/counts"][()]
        c[3, 100] = -5
        _replace(f, "raw_data_1/detector_1/counts", c)

    with pytest.raises(InputError, match="run.nxs: field 'counts': 1 negative"):
        read_muon(copy(edit))


def test_all_zero_counts(copy):
    def edit(f):
        c = f["raw_data_1/detector_1/counts"][()]
        _replace(f, "raw_data_1/detector_1/counts", np.zeros_like(c))

    with pytest.raises(InputError, match="run.nxs: field 'counts': all zero"):
        read_muon(copy(edit))


def test_nan_dead_time(copy):
    def edit(f):
        d = f["raw_data_1/instrument/detector_1/dead_time"][()]
        d[7] = np.nan
        _replace(f, "raw_data_1/instrument/detector_1/dead_time", d)

    with pytest.raises(InputError, match=r"run.nxs: field 'dead_time'.*spectra \[8\]"):
        read_muon(copy(edit))


@pytest.mark.parametrize(
    "path,value,match",
    [
        ("raw_data_1/sample/temperature_1", np.float32([np.nan]), "temperature"),
        ("raw_data_1/sample/temperature_1", np.float32([-4.0]), "temperature"),
        ("raw_data_1/sample/magnetic_field_1", np.float32([np.inf]), "magnetic_field"),
        ("raw_data_1/detector_1/histogram_resolution", np.float32([16e6]), "bin width"),
    ],
)
def test_metadata_ranges(copy, path, value, match):
    with pytest.raises(InputError, match=f"run.nxs: field '{match}'"):
        read_muon(copy(lambda f: _replace(f, path, value)))


def test_truncated_hdf5_names_path(copy, tmp_path):
    data = copy().read_bytes()
    bad = tmp_path / "cut.nxs"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"cut.nxs: cannot be read .*truncated"):
        read_muon(bad)


@pytest.mark.realdata
def test_truncated_hdf4_names_path(realdata, tmp_path):
    data = (realdata / "muon" / "emu00031895.nxs").read_bytes()
    bad = tmp_path / "cut4.nxs"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"cut4.nxs"):
        read_muon(bad)
