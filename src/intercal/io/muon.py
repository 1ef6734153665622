"""Readers for muon histogram files, all returning one shape (:class:`MuonRun`).

Formats:

* ISIS muon NeXus IDF v2 in HDF5 (``raw_data_1/...``; "muonTD" as written by
  musrfit any2many and our simulator, "pulsedTD" as written by the ISIS DAE);
* ISIS muon NeXus IDF v1 in HDF5 (``run/histogram_data_1/...``) or in HDF4
  (the format of EMU/MuSR files before ~2013; read with pyhdf);
* PSI-BIN ("1N") histogram files (PSI GPS/Dolly/LTF/GPD).

Conventions of the returned table: ``counts[spectrum, bin]`` (int64) for one
period; bin ``i`` (0-based) covers raw times ``[i dt, (i+1) dt)`` and its
centre relative to muon arrival is ``time_us = (i + 0.5) dt - t0_us``.
``first_good_bin`` is 0-based. Missing required metadata (counts, bin width,
t0, temperature, field) raises :class:`~intercal.errors.InputError` naming the
file and the field; optional fields (dead times, grouping, good frames) are
``None`` when absent, and the reduction step that needs one raises then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError


@dataclass
class MuonRun:
    """Histograms of one muon run (one period) and the metadata needed to reduce them."""

    path: str
    format: str
    run_number: int
    title: str
    counts: np.ndarray  # (n_spectra, n_bins)
    bin_width_us: float
    t0_us: float
    first_good_bin: int
    temperature_K: float
    field_G: float
    good_frames: int | None = None
    dead_time_us: np.ndarray | None = None
    grouping: np.ndarray | None = None
    last_good_bin: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_spectra(self) -> int:
        return self.counts.shape[0]

    @property
    def time_us(self) -> np.ndarray:
        """Bin centres relative to t0 (us)."""
        return (np.arange(self.counts.shape[1]) + 0.5) * self.bin_width_us - self.t0_us

    def to_frame(self) -> pd.DataFrame:
        """Long table: time_us, spectrum, counts (one row per bin and spectrum)."""
        n_s, n_b = self.counts.shape
        return pd.DataFrame(
            {
                "time_us": np.tile(self.time_us, n_s),
                "spectrum": np.repeat(np.arange(1, n_s + 1), n_b),
                "counts": self.counts.ravel(),
            }
        )

    def metadata(self) -> dict:
        """Scalar metadata as a plain dict (for logs and tables)."""
        return {
            "path": self.path,
            "format": self.format,
            "run_number": self.run_number,
            "title": self.title,
            "n_spectra": self.n_spectra,
            "n_bins": int(self.counts.shape[1]),
            "bin_width_us": self.bin_width_us,
            "t0_us": self.t0_us,
            "first_good_bin": self.first_good_bin,
            "good_frames": self.good_frames,
            "temperature_K": self.temperature_K,
            "field_G": self.field_G,
            "dead_times": self.dead_time_us is not None,
            "grouping": self.grouping is not None,
        }


def _err(path, fieldname: str, what: str) -> InputError:
    return InputError(f"{path}: field {fieldname!r}: {what}")


def _str(value) -> str:
    v = np.asarray(value)
    if v.dtype.kind in "SU" or v.dtype == object:
        items = [x.decode(errors="replace") if isinstance(x, bytes) else str(x) for x in v.ravel()]
        # HDF4 char arrays come as arrays of single characters
        joined = "".join(items) if all(len(x) <= 1 for x in items) else " ".join(items)
        return joined.strip().strip("\x00").strip()
    return str(v.ravel()[0]) if v.size else ""


def _scalar(value) -> float:
    return float(np.asarray(value).ravel()[0])


def _unit_scale_time(units: str, path, fieldname: str) -> float:
    """Factor converting a time in ``units`` to microseconds."""
    u = units.lower().replace(" ", "")
    if u in ("microseconds", "microsecond", "micro.second", "us", "micro.seconds", "usec"):
        return 1.0
    if u in ("nanoseconds", "nanosecond", "nano.second", "ns", "nano.seconds"):
        return 1e-3
    if u in ("picoseconds", "picosecond", "pico.second", "ps"):
        return 1e-6
    if u in ("seconds", "second", "s", "sec"):
        return 1e6
    if u in ("milliseconds", "millisecond", "milli.second", "ms"):
        return 1e3
    raise _err(path, fieldname, f"unknown time unit {units!r} (expected micro/nano/pico seconds)")


def _field_in_gauss(value: float, units: str, path, fieldname: str) -> float:
    u = units.lower().strip()
    if u in ("gauss", "g", ""):
        return value
    if u in ("tesla", "t"):
        return value * 1e4
    if u in ("mt", "millitesla"):
        return value * 10.0
    raise _err(path, fieldname, f"unknown field unit {units!r} (expected Gauss or Tesla)")


def _temperature_in_K(value: float, units: str, path, fieldname: str) -> float:
    u = units.lower().strip()
    if u in ("kelvin", "k", ""):
        return value
    if u in ("celsius", "c", "degc"):
        return value + 273.15
    raise _err(path, fieldname, f"unknown temperature unit {units!r} (expected Kelvin)")


def _select_period(counts: np.ndarray, n_det: int | None, period: int, path, fieldname: str):
    """Return the (n_spectra, n_bins) block of ``period`` (1-based)."""
    if counts.ndim == 3:
        if not 1 <= period <= counts.shape[0]:
            raise _err(path, fieldname, f"period {period} requested, file has {counts.shape[0]}")
        return counts[period - 1]
    if counts.ndim != 2:
        raise _err(path, fieldname, f"expected 2 or 3 dimensions, found shape {counts.shape}")
    if n_det is None or n_det == counts.shape[0]:
        if period != 1:
            raise _err(path, fieldname, f"period {period} requested, file has 1")
        return counts
    if counts.shape[0] % n_det:
        raise _err(
            path, fieldname, f"{counts.shape[0]} spectra is not a multiple of {n_det} detectors"
        )
    n_per = counts.shape[0] // n_det
    if not 1 <= period <= n_per:
        raise _err(path, fieldname, f"period {period} requested, file has {n_per}")
    return counts[(period - 1) * n_det : period * n_det]


# --------------------------------------------------------------------------------------------
# HDF5 (IDF v2 and v1)
# --------------------------------------------------------------------------------------------
def _h5get(f, paths: list[str]):
    for p in paths:
        if p in f:
            return f[p]
    return None


def _attr(obj, name, default=None):
    if obj is None or name not in obj.attrs:
        return default
    v = obj.attrs[name]
    if isinstance(v, bytes | np.bytes_):
        return v.decode(errors="replace")
    if isinstance(v, np.ndarray) and v.dtype.kind == "S":
        return _str(v)
    return v


def _read_hdf5_v2(f, path: str, period: int) -> MuonRun:
    r = f["raw_data_1"]
    cds = _h5get(r, ["detector_1/counts", "instrument/detector_1/counts"])
    if cds is None:
        raise _err(path, "raw_data_1/detector_1/counts", "missing")
    raw = np.asarray(cds[()], dtype=np.int64)
    idet = r["instrument/detector_1"] if "instrument/detector_1" in r else None
    n_det = None
    sidx = _h5get(r, ["detector_1/spectrum_index", "instrument/detector_1/spectrum_index"])
    if sidx is not None and raw.ndim == 2:
        n_det = len(sidx)
    counts = _select_period(raw, n_det, period, path, "raw_data_1/detector_1/counts")
    n_spec, n_bins = counts.shape
    # bin width
    dt = None
    hr = _h5get(
        r, ["detector_1/histogram_resolution", "instrument/detector_1/histogram_resolution"]
    )
    if hr is not None:
        dt = _scalar(hr[()]) * _unit_scale_time(
            _attr(hr, "units", "nano.second"), path, "histogram_resolution"
        )
    elif idet is not None and "resolution" in idet:
        res = idet["resolution"]
        dt = _scalar(res[()]) * _unit_scale_time(
            _attr(res, "units", "picoseconds"), path, "resolution"
        )
    if dt is None or not dt > 0:
        raise _err(path, "raw_data_1/detector_1/histogram_resolution", "missing or not > 0")
    # t0
    t0 = None
    tz = _h5get(r, ["instrument/detector_1/time_zero", "detector_1/time_zero"])
    if tz is not None:
        t0 = _scalar(tz[()]) * _unit_scale_time(
            _attr(tz, "units", "microseconds"), path, "time_zero"
        )
        t0 = round(t0, 6)  # stored as float32
    else:
        tzb = _h5get(r, ["instrument/detector_1/time_zero_bin"])
        if tzb is not None:
            bins = np.asarray(tzb[()]).ravel()
            if np.ptp(bins) != 0:
                raise _err(path, "time_zero_bin", f"differs between spectra: {np.unique(bins)}")
            t0 = float(bins[0]) * dt
        elif _attr(cds, "t0_bin") is not None:
            t0 = float(_attr(cds, "t0_bin")) * dt
    if t0 is None:
        raise _err(path, "raw_data_1/instrument/detector_1/time_zero", "missing (no t0 given)")
    # first good bin
    fgb = _h5get(r, ["instrument/detector_1/first_good_bin"])
    if fgb is not None:
        fg = np.asarray(fgb[()]).ravel()
        first_good = int(fg.max())
    elif _attr(cds, "first_good_bin") is not None:
        first_good = int(_attr(cds, "first_good_bin"))
    else:
        raise _err(path, "raw_data_1/instrument/detector_1/first_good_bin", "missing")
    lgb = _h5get(r, ["instrument/detector_1/last_good_bin"])
    last_good = int(np.asarray(lgb[()]).ravel().min()) if lgb is not None else n_bins
    # frames
    gf = _h5get(r, ["good_frames", "periods/good_frames"])
    good_frames = None
    if gf is not None:
        vals = np.asarray(gf[()]).ravel()
        good_frames = int(vals[period - 1] if vals.size > 1 else vals[0])
    # dead time / grouping
    dts = _h5get(r, ["instrument/detector_1/dead_time", "detector_1_events/dead_time"])
    dead = None
    if dts is not None and int(_attr(dts, "available", 1)) != 0:
        dead = np.asarray(dts[()], dtype=float).ravel() * _unit_scale_time(
            _attr(dts, "units", "microseconds"), path, "dead_time"
        )
        dead = _per_period(dead, n_spec, period, path, "instrument/detector_1/dead_time")
    grp = _h5get(r, ["instrument/detector_1/grouping"])
    grouping = None
    if grp is not None and int(_attr(grp, "available", 1)) != 0:
        grouping = np.asarray(grp[()], dtype=int).ravel()
        grouping = _per_period(grouping, n_spec, period, path, "instrument/detector_1/grouping")
    # sample environment
    smp = r["sample"] if "sample" in r else None
    if smp is None:
        raise _err(path, "raw_data_1/sample", "missing")
    tds = _h5get(smp, ["temperature", "temperature_1", "temperature_log/value"])
    if tds is None:
        raise _err(path, "raw_data_1/sample/temperature", "missing")
    temp = _temperature_in_K(
        _scalar(tds[()]), _attr(tds, "units", "Kelvin"), path, "sample/temperature"
    )
    fds = _h5get(smp, ["magnetic_field", "magnetic_field_1", "magnetic_field_log/value"])
    if fds is None:
        raise _err(path, "raw_data_1/sample/magnetic_field", "missing")
    fieldv = _field_in_gauss(
        _scalar(fds[()]), _attr(fds, "units", "Gauss"), path, "sample/magnetic_field"
    )
    title = _str(r["title"][()]) if "title" in r else ""
    run_number = int(_scalar(r["run_number"][()])) if "run_number" in r else 0
    return MuonRun(
        path=path,
        format="ISIS NeXus v2 (HDF5)",
        run_number=run_number,
        title=title,
        counts=counts,
        bin_width_us=dt,
        t0_us=t0,
        first_good_bin=first_good,
        last_good_bin=last_good,
        temperature_K=temp,
        field_G=fieldv,
        good_frames=good_frames,
        dead_time_us=dead,
        grouping=grouping,
        extra={"definition": _str(r["definition"][()]) if "definition" in r else ""},
    )


def _per_period(arr: np.ndarray, n_spec: int, period: int, path, fieldname: str) -> np.ndarray:
    if arr.size == n_spec:
        return arr
    if arr.size % n_spec == 0 and arr.size >= period * n_spec:
        return arr[(period - 1) * n_spec : period * n_spec]
    raise _err(path, fieldname, f"has {arr.size} values for {n_spec} spectra")


# --------------------------------------------------------------------------------------------
# IDF v1 (HDF4 via pyhdf, or HDF5): flat dictionary of datasets by NeXus path
# --------------------------------------------------------------------------------------------
def _hdf4_tree(path: str) -> dict[str, tuple[np.ndarray, dict]]:
    """All SDS of an HDF4 NeXus file keyed by group path ('run/histogram_data_1/counts')."""
    import pyhdf.V  # noqa: F401  (registers HDF.vgstart)
    from pyhdf.HDF import HC, HDF
    from pyhdf.SD import SD, SDC

    hdf = HDF(path)
    v = hdf.vgstart()
    sd = SD(path, SDC.READ)
    groups = {}
    children = set()
    ref = -1
    while True:
        try:
            ref = v.getid(ref)
        except Exception:  # pyhdf raises HDF4Error at the end of the list
            break
        vg = v.attach(ref)
        groups[ref] = (vg._name, vg.tagrefs())
        for tag, r in groups[ref][1]:
            if tag == HC.DFTAG_VG:
                children.add(r)
        vg.detach()
    out: dict[str, tuple[np.ndarray, dict]] = {}

    def walk(ref, prefix, depth=0):
        name, tagrefs = groups[ref]
        p = f"{prefix}/{name}" if prefix else name
        for tag, r in tagrefs:
            if tag == HC.DFTAG_VG and r in groups and depth < 10:
                walk(r, p, depth + 1)
            elif tag == HC.DFTAG_NDG:
                try:
                    ds = sd.select(sd.reftoindex(r))
                except Exception:  # not an SDS (e.g. a dimension record)
                    continue
                dname = ds.info()[0]
                out[f"{p}/{dname}"] = (np.asarray(ds.get()), ds.attributes())
                ds.endaccess()

    for ref in groups:
        if ref not in children:
            walk(ref, "")
    v.end()
    sd.end()
    hdf.close()
    return out


def _h5_tree(f) -> dict[str, tuple[np.ndarray, dict]]:
    import h5py

    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            attrs = {k: (_attr(obj, k)) for k in obj.attrs}
            out[name] = (np.asarray(obj[()]), attrs)

    f.visititems(visit)
    return out


def _v1_find(tree: dict, suffix: str):
    hits = [k for k in tree if k.endswith("/" + suffix) or k == suffix]
    return tree[hits[0]] if hits else None


def _read_v1(tree: dict, path: str, period: int, fmt: str) -> MuonRun:
    def need(suffix):
        got = _v1_find(tree, suffix)
        if got is None:
            raise _err(path, suffix, "missing")
        return got

    counts_all, cattrs = need("histogram_data_1/counts")
    counts_all = np.asarray(counts_all, dtype=np.int64)
    # v1 stores all periods one after the other: spectra = periods x detectors
    sw = _v1_find(tree, "run/switching_states")
    frames_period = _v1_find(tree, "beam/frames_period")
    if sw is not None:
        n_per = max(int(_scalar(sw[0])), 1)
    elif frames_period is not None:
        n_per = np.asarray(frames_period[0]).size
    else:
        n_per = 1
    n_det = counts_all.shape[0] // n_per
    counts = _select_period(counts_all, n_det, period, path, "histogram_data_1/counts")
    n_spec, n_bins = counts.shape
    res, rattrs = need("histogram_data_1/resolution")
    dt = _scalar(res) * _unit_scale_time(
        rattrs.get("units", "picoseconds"), path, "histogram_data_1/resolution"
    )
    if not dt > 0:
        raise _err(path, "histogram_data_1/resolution", f"not > 0: {dt}")
    # t0: corrected_time (bin centres minus t0) is what Mantid/musrfit use when present
    ct = _v1_find(tree, "histogram_data_1/corrected_time")
    tz = _v1_find(tree, "histogram_data_1/time_zero")
    if ct is not None:
        ctv = np.asarray(ct[0], dtype=float).ravel()
        scale = _unit_scale_time(ct[1].get("units", "microseconds"), path, "corrected_time")
        t0_all = (np.arange(ctv.size) + 0.5) * dt - ctv * scale
        # float32 axes accumulate ~1e-4 us over 2000 bins: take t0 from the first bins
        t0 = round(float(np.mean(t0_all[:8])), 5)
        if np.max(np.abs(t0_all - t0)) > 0.05 * dt:
            raise _err(path, "histogram_data_1/corrected_time", "is not on a uniform grid of dt")
    elif tz is not None:
        t0 = _scalar(tz[0]) * _unit_scale_time(
            tz[1].get("units", "microseconds"), path, "time_zero"
        )
    elif "t0_bin" in cattrs:
        t0 = float(cattrs["t0_bin"]) * dt
    else:
        raise _err(path, "histogram_data_1/time_zero", "missing (no t0)")
    if "first_good_bin" in cattrs:
        first_good = int(cattrs["first_good_bin"])
    else:
        raise _err(path, "histogram_data_1/counts@first_good_bin", "missing")
    last_good = int(cattrs.get("last_good_bin", n_bins))
    fr = _v1_find(tree, "run/frames_period") or _v1_find(tree, "frames_period")
    good_frames = None
    if fr is not None and np.asarray(fr[0]).size >= period:
        good_frames = int(np.asarray(fr[0]).ravel()[period - 1])
    else:
        fr = _v1_find(tree, "run/frames") or _v1_find(tree, "frames")
        if fr is not None:
            good_frames = int(_scalar(fr[0]))
    dts = _v1_find(tree, "detector/deadtimes") or _v1_find(tree, "deadtimes")
    dead = None
    if dts is not None and int(dts[1].get("available", 1)) != 0:
        dead = np.asarray(dts[0], dtype=float).ravel() * _unit_scale_time(
            dts[1].get("units", "microseconds"), path, "deadtimes"
        )
        dead = _per_period(dead, n_spec, period, path, "deadtimes")
    grp = _v1_find(tree, "histogram_data_1/grouping")
    grouping = None
    if grp is not None and int(grp[1].get("available", 1)) != 0:
        g = np.asarray(grp[0], dtype=int).ravel()
        g = _per_period(g, n_spec, period, path, "grouping")
        grouping = g if np.any(g > 0) else None
    tv = _v1_find(tree, "sample/temperature")
    if tv is None:
        raise _err(path, "sample/temperature", "missing")
    temp = _temperature_in_K(
        _scalar(tv[0]), str(tv[1].get("units", "Kelvin")), path, "sample/temperature"
    )
    fv = _v1_find(tree, "sample/magnetic_field")
    if fv is None:
        raise _err(path, "sample/magnetic_field", "missing")
    fieldv = _field_in_gauss(
        _scalar(fv[0]), str(fv[1].get("units", "Gauss")), path, "sample/magnetic_field"
    )
    title = _str(need("run/title")[0]) if _v1_find(tree, "run/title") else ""
    num = _v1_find(tree, "run/number")
    return MuonRun(
        path=path,
        format=fmt,
        run_number=int(_scalar(num[0])) if num is not None else 0,
        title=title,
        counts=counts,
        bin_width_us=dt,
        t0_us=t0,
        first_good_bin=first_good,
        last_good_bin=last_good,
        temperature_K=temp,
        field_G=fieldv,
        good_frames=good_frames,
        dead_time_us=dead,
        grouping=grouping,
    )


# --------------------------------------------------------------------------------------------
# PSI-BIN
# --------------------------------------------------------------------------------------------
def _psi_number(text: str, path, fieldname: str) -> tuple[float, str]:
    m = re.search(r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)", text)
    if not m:
        raise _err(path, fieldname, f"no number in header text {text!r}")
    return float(m.group(1)), m.group(2)


def read_psi_bin(path: str | Path) -> MuonRun:
    """Read a PSI-BIN ("1N") histogram file.

    The header layout (1024 bytes, little-endian) follows PSI's
    ``MuSR_td_PSI_bin`` reader. ``counts`` holds all histograms (e.g. Forw,
    Back, Left, Rite); ``extra`` holds their labels, the per-histogram t0 and
    first/last good bins (0-based). No dead times (continuous source).
    """
    path = str(path)
    data = Path(path).read_bytes()
    if len(data) < 1024 or data[:2] != b"1N":
        raise _err(path, "format id", f"expected PSI-BIN '1N', found {data[:2]!r}")
    i16 = lambda off: int(np.frombuffer(data, "<i2", 1, off)[0])  # noqa: E731
    n_bins = i16(28)
    n_hist = i16(30)
    if n_hist <= 0 or n_bins <= 0:
        raise _err(path, "header", f"{n_hist} histograms of {n_bins} bins")
    if i16(134) != 1:
        raise _err(path, "header khidaf", "more than one histogram per record is not supported")
    n_rec_hist = i16(132)
    rec_len = i16(130)
    dt = float(np.frombuffer(data, "<f4", 1, 1012)[0])
    if dt == 0:
        dt = 625e-6 / 8.0 * 2.0 ** i16(2)
    t0b = np.frombuffer(data, "<i2", 16, 458)[:n_hist].astype(int)
    fgb = np.frombuffer(data, "<i2", 16, 490)[:n_hist].astype(int)
    lgb = np.frombuffer(data, "<i2", 16, 522)[:n_hist].astype(int)
    labels = [
        data[948 + 4 * i : 952 + 4 * i].decode(errors="replace").strip() for i in range(n_hist)
    ]
    temps = np.frombuffer(data, "<f4", 4, 716)
    sample = data[138:148].decode(errors="replace").strip()
    field_txt = data[158:168].decode(errors="replace").strip()
    temp_txt = data[148:158].decode(errors="replace").strip()
    comment = data[860:922].decode(errors="replace").strip()
    counts = np.empty((n_hist, n_bins), dtype=np.int64)
    for h in range(n_hist):
        off = 1024 + h * n_rec_hist * rec_len * 4
        if off + 4 * n_bins > len(data):
            raise _err(path, f"histogram {h + 1}", "file is truncated")
        counts[h] = np.frombuffer(data, "<i4", n_bins, off)
    fval, funit = _psi_number(field_txt, path, "field")
    fieldv = _field_in_gauss(fval, funit or "G", path, "field")
    if temps[0] != 0:
        temp = float(temps[0])
    else:
        tval, tunit = _psi_number(temp_txt, path, "temperature")
        temp = _temperature_in_K(tval, tunit or "K", path, "temperature")
    if len(set(t0b.tolist())) > 1:
        # per-histogram t0 differ: keep the first as the run t0 and all of them in extra
        pass
    return MuonRun(
        path=path,
        format="PSI-BIN",
        run_number=i16(6),
        title=comment or sample,
        counts=counts,
        bin_width_us=dt,
        t0_us=(float(t0b[0]) + 0.5) * dt,
        first_good_bin=int(fgb[0]),
        last_good_bin=int(lgb[0]),
        temperature_K=temp,
        field_G=fieldv,
        extra={
            "labels": labels,
            "t0_bin": t0b.tolist(),
            "first_good_bin": fgb.tolist(),
            "last_good_bin": lgb.tolist(),
            "sample": sample,
        },
    )


# --------------------------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------------------------
#: plausible ranges of the run metadata (units of MuonRun)
BIN_WIDTH_RANGE_US = (1e-5, 1.0)
TEMPERATURE_RANGE_K = (0.0, 2000.0)
FIELD_MAX_G = 1e5


def check_run(run: MuonRun) -> MuonRun:
    """Plausibility of a read run; InputError naming the file, the field, found and expected.

    Checks: bin width finite in 1e-5..1 us; t0 finite, inside the histogram and not a
    (near) zero (a t0 stored in seconds read as us, e.g. 1.8e-7 -> 0); first good
    bin inside the histogram; temperature finite in 0..2000 K; field finite with
    |B| < 1e5 G; counts finite, none negative and not all zero; dead times (when
    present) finite.
    """
    p = run.path
    lo, hi = BIN_WIDTH_RANGE_US
    dt = run.bin_width_us
    if not np.isfinite(dt) or not lo <= dt <= hi:
        raise _err(p, "bin width", f"found {dt!r} us, expected {lo:g}-{hi:g} us")
    n_bins = run.counts.shape[1]
    t0 = run.t0_us
    if not np.isfinite(t0) or not 0.0 <= t0 < n_bins * dt:
        raise _err(
            p, "time_zero", f"found {t0!r} us, expected 0-{n_bins * dt:g} us (inside the histogram)"
        )
    if t0 < 1e-3 * dt:
        raise _err(
            p,
            "time_zero",
            f"found {t0!r} us, far below one bin ({dt:g} us): a t0 in seconds read as "
            "microseconds? Expected the muon arrival time in us",
        )
    if not 0 <= run.first_good_bin < n_bins:
        raise _err(p, "first_good_bin", f"found {run.first_good_bin}, expected 0-{n_bins - 1}")
    tlo, thi = TEMPERATURE_RANGE_K
    if not np.isfinite(run.temperature_K) or not tlo < run.temperature_K < thi:
        raise _err(p, "temperature", f"found {run.temperature_K!r} K, expected {tlo:g}-{thi:g} K")
    if not np.isfinite(run.field_G) or abs(run.field_G) >= FIELD_MAX_G:
        raise _err(
            p, "magnetic_field", f"found {run.field_G!r} G, expected |B| < {FIELD_MAX_G:g} G"
        )
    c = run.counts
    if np.any(c < 0):
        raise _err(
            p, "counts", f"{int(np.sum(c < 0))} negative values (min {c.min()}), expected >= 0"
        )
    if not np.any(c > 0):
        raise _err(p, "counts", "all zero, expected positron counts")
    if run.dead_time_us is not None:
        d = np.asarray(run.dead_time_us, float)
        # negative dead times occur in real calibrations (EMU 31895); NaN/inf never
        if not np.all(np.isfinite(d)):
            bad = np.flatnonzero(~np.isfinite(d))
            raise _err(
                p,
                "dead_time",
                f"{bad.size} non-finite values (spectra {(bad + 1)[:5].tolist()}), "
                "expected finite dead times (us)",
            )
    return run


def _open_error(path: str, err: Exception) -> InputError:
    return InputError(
        f"{path}: cannot be read as a muon NeXus file ({type(err).__name__}: {err}); "
        "truncated or damaged?"
    )


def read_muon(path: str | Path, period: int = 1) -> MuonRun:
    """Read a muon histogram file of any supported format (detected from its content).

    Parameters
    ----------
    path : str or Path
        ISIS NeXus (HDF5 v1/v2, HDF4 v1) or PSI-BIN file.
    period : int
        Period to return (1-based) for multi-period ISIS files.

    Returns
    -------
    MuonRun
    """
    path = str(path)
    if not Path(path).is_file():
        raise InputError(f"{path}: file not found")
    head = Path(path).read_bytes()[:8]
    if head[:2] == b"1N":
        return check_run(read_psi_bin(path))
    if head == b"\x89HDF\r\n\x1a\n":
        import h5py

        try:
            with h5py.File(path, "r") as f:
                if "raw_data_1" in f:
                    return check_run(_read_hdf5_v2(f, path, period))
                tree = _h5_tree(f)
        except (OSError, KeyError, RuntimeError) as err:
            raise _open_error(path, err) from err
        return check_run(_read_v1(tree, path, period, "ISIS NeXus v1 (HDF5)"))
    if head[:4] == b"\x0e\x03\x13\x01":
        from pyhdf.error import HDF4Error

        try:
            tree = _hdf4_tree(path)
        except (HDF4Error, OSError, IndexError) as err:
            raise _open_error(path, err) from err
        return check_run(_read_v1(tree, path, period, "ISIS NeXus v1 (HDF4)"))
    raise InputError(
        f"{path}: unknown muon file format (first bytes {head!r}); "
        "expected HDF5/HDF4 NeXus or PSI-BIN"
    )
