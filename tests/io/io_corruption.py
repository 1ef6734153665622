"""Crafted corruptions of input files and a judge of how a reader reacts.

Used by the property-based tests in this folder and by
``benchmarks/io_corruption.py`` (which prints the counts per reader).

Outcomes of reading a corrupted copy:

- ``ok``: the reader returned the same result as for the intact file (a harmless
  corruption, e.g. a cut after the last data byte);
- ``named``: an :class:`~intercal.errors.InputError` whose message names the file;
- ``unnamed``: an InputError that does not name the file;
- ``raw``: any other exception (a library error reaching the user);
- ``silent``: the reader returned a different result although the corruption
  must be detected (truncation, NaN/negative injection, ...);
- ``accepted``: a different result for a corruption that may be legitimate data
  (a flipped digit): not judged.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from intercal.errors import InputError

# what a corruption must lead to
SAME_OR_ERROR = "same_or_error"  # truncations: the intact result or a named error
ERROR = "error"  # invalid values: a named error
NO_RAW = "no_raw"  # random damage: anything but a raw exception


@dataclass
class Case:
    label: str
    data: bytes
    expect: str


# ----------------------------------------------------------------------------- comparing
def same_result(a, b) -> bool:
    """True when two reader results hold the same numbers."""
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    if hasattr(a, "table") and hasattr(a, "meta"):  # EchemData
        return same_result(a.table, b.table)
    if hasattr(a, "counts"):  # MuonRun
        if a.counts.shape != b.counts.shape or not np.array_equal(a.counts, b.counts):
            return False
        for k in ("bin_width_us", "t0_us", "temperature_K", "field_G", "first_good_bin"):
            x, y = getattr(a, k), getattr(b, k)
            if not (x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))):
                return False
        return True
    if hasattr(a, "energy") and hasattr(a, "channels"):  # XasScan
        # energies may be converted (keV -> eV): equal to rounding
        if a.energy.shape != b.energy.shape or set(a.channels) != set(b.channels):
            return False
        if not np.allclose(a.energy, b.energy, rtol=1e-12, atol=0):
            return False
        return all(np.array_equal(a.channels[k], b.channels[k]) for k in a.channels)
    if isinstance(a, dict):
        return set(a) == set(b) and all(same_result(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b


def judge(read: Callable, path: Path, intact, expect: str) -> tuple[str, str]:
    """Read ``path`` and classify the outcome; returns (outcome, detail)."""
    try:
        got = read(path)
    except InputError as err:
        msg = str(err)
        return ("named" if str(path) in msg else "unnamed"), msg[:200]
    except Exception as err:  # noqa: BLE001 - classifying raw errors is the point
        return "raw", f"{type(err).__name__}: {str(err)[:160]}"
    if same_result(got, intact):
        return "ok", ""
    if expect == NO_RAW:
        return "accepted", "different result (corruption may be legitimate data)"
    return "silent", "returned a different result without an error"


# ----------------------------------------------------------------------------- mutations
_NUM = re.compile(rb"[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?")


def truncate(data: bytes, frac: float) -> bytes:
    return data[: int(len(data) * frac)]


def cut_last_number(data: bytes, k: int = 3) -> bytes:
    """Drop the final newline and ``k`` more characters: a cut inside the last number."""
    body = data.rstrip(b"\r\n")
    return body[:-k] if k < len(body) else b""


def flip_bytes(data: bytes, positions: list[int], values: list[int]) -> bytes:
    b = bytearray(data)
    for p, v in zip(positions, values, strict=False):
        b[p % len(b)] = v
    return bytes(b)


def data_lines(data: bytes, first_data_line: int) -> list[int]:
    """Indices of lines (0-based) at or after ``first_data_line`` holding numbers only."""
    lines = data.split(b"\n")
    out = []
    for i, ln in enumerate(lines):
        if i < first_data_line or not ln.strip():
            continue
        toks = re.split(rb"[\s,;]+", ln.strip())
        if toks and all(_NUM.fullmatch(t) for t in toks):
            out.append(i)
    return out


def replace_field(data: bytes, line: int, field: int, value: bytes, sep: bytes | None = None):
    """Replace field ``field`` (0-based) of line ``line`` by ``value``."""
    lines = data.split(b"\n")
    ln = lines[line]
    cr = ln.endswith(b"\r")
    if cr:
        ln = ln[:-1]
    if sep is None:
        lead = ln[: len(ln) - len(ln.lstrip())]
        toks = ln.split()
        toks[field] = value
        ln = lead + b" ".join(toks)
    else:
        toks = ln.split(sep)
        toks[field] = value
        ln = sep.join(toks)
    lines[line] = ln + (b"\r" if cr else b"")
    return b"\n".join(lines)


@dataclass
class Target:
    """A file and how to read it, with the columns that must never be NaN/negative."""

    name: str
    path: Path
    read: Callable
    text: bool
    first_data_line: int = 0
    sep: bytes | None = None
    # (field index, injected value, expectation) for text files
    injections: tuple = ()
    extra: tuple = ()  # extra (label, function(bytes) -> bytes, expectation)


def crafted_cases(t: Target, seed: int = 17) -> list[Case]:
    """The fixed set of corruptions used for the counts in the report."""
    data = t.path.read_bytes()
    rng = random.Random(seed)
    cases = [Case("empty file", b"", ERROR)]
    for frac in (0.1, 0.5, 0.9, 0.99):
        cases.append(Case(f"truncated at {frac:.0%}", truncate(data, frac), SAME_OR_ERROR))
    if t.text:
        cases.append(Case("cut inside last number (3 chars)", cut_last_number(data, 3), ERROR))
        cases.append(Case("cut inside last number (1 char)", cut_last_number(data, 1), ERROR))
        lines = data_lines(data, t.first_data_line)
        if lines:
            mid = lines[len(lines) // 2]
            for field, value, expect in t.injections:
                cases.append(
                    Case(
                        f"field {field} of line {mid + 1} = {value.decode()}",
                        replace_field(data, mid, field, value, t.sep),
                        expect,
                    )
                )
            ls = data.split(b"\n")
            ls.insert(mid, b"garbage line ### \xff\xfe")
            cases.append(Case("garbage line in the data", b"\n".join(ls), NO_RAW))
    else:
        cases.append(Case("header only (first 512 bytes)", data[:512], ERROR))
        mid = len(data) // 2
        zeroed = data[:mid] + b"\x00" * 256 + data[mid + 256 :]
        cases.append(Case("256 zero bytes in the middle", zeroed, NO_RAW))
    pos = [rng.randrange(len(data)) for _ in range(8)]
    vals = [rng.randrange(256) for _ in range(8)]
    cases.append(Case("8 random bytes overwritten", flip_bytes(data, pos, vals), NO_RAW))
    for label, fn, expect in t.extra:
        cases.append(Case(label, fn(data), expect))
    return cases


def run_cases(t: Target, workdir: Path) -> list[tuple[str, str, str]]:
    """Write every crafted case beside ``workdir`` (same file name) and judge it."""
    intact = t.read(t.path)
    out = []
    for i, case in enumerate(crafted_cases(t)):
        d = workdir / f"{t.name}_{i}"
        d.mkdir(parents=True, exist_ok=True)
        p = d / t.path.name
        p.write_bytes(case.data)
        outcome, detail = judge(t.read, p, intact, case.expect)
        out.append((case.label, outcome, detail))
    return out


# ----------------------------------------------------------------------------- the files
def _all_counts_zero(data: bytes) -> bytes:
    out = []
    for ln in data.split(b"\n"):
        t = ln.split()
        if len(t) >= 2 and all(_NUM.fullmatch(x) for x in t):
            t[1] = b"0"
            if len(t) > 2:
                t[2] = b"1"
            ln = b" ".join(t)
        out.append(ln)
    return b"\n".join(out)


def _radians(data: bytes) -> bytes:
    out = []
    for ln in data.split(b"\n"):
        t = ln.split()
        if len(t) >= 2 and all(_NUM.fullmatch(x) for x in t):
            t[0] = b"%.7f" % math.radians(float(t[0]))
            ln = b" ".join(t)
        out.append(ln)
    return b"\n".join(out)


def _xrdml_drop_count(data: bytes) -> bytes:
    m = re.search(rb"(<(counts|intensities)[^>]*>)([^<]*)(</)", data)
    vals = m.group(3).split()
    return data[: m.start(3)] + b" ".join(vals[:-1]) + data[m.end(3) :]


def _xrdml_count(value: bytes) -> Callable[[bytes], bytes]:
    def f(data: bytes) -> bytes:
        m = re.search(rb"(<(counts|intensities)[^>]*>)([^<]*)(</)", data)
        vals = m.group(3).split()
        vals[len(vals) // 2] = value
        return data[: m.start(3)] + b" ".join(vals) + data[m.end(3) :]

    return f


def _xrdml_wavelength_nm(data: bytes) -> bytes:
    return data.replace(b'<kAlpha1 unit="Angstrom">', b'<kAlpha1 unit="nm">', 1)


def _gsas_huge(data: bytes) -> bytes:
    return re.sub(
        rb"^(BANK\s+1\s+)(\d+)(\s+)(\d+)", rb"\g<1>999999999\g<3>\g<4>", data, count=1, flags=re.M
    )


def _mpt_header_only(data: bytes) -> bytes:
    n = int(re.search(rb"Nb header lines\s*:\s*(\d+)", data).group(1))
    return b"\n".join(data.split(b"\n")[:n]) + b"\n"


def _mpt_scale_column(col: str, factor: float) -> Callable[[bytes], bytes]:
    def f(data: bytes) -> bytes:
        n = int(re.search(rb"Nb header lines\s*:\s*(\d+)", data).group(1))
        lines = data.split(b"\n")
        cols = lines[n - 1].split(b"\t")
        j = cols.index(col.encode("latin-1"))
        for i in range(n, len(lines)):
            t = lines[i].split(b"\t")
            if len(t) > j and t[j].strip():
                t[j] = b"%.7E" % (float(t[j].replace(b",", b".")) * factor)
                lines[i] = b"\t".join(t)
        return b"\n".join(lines)

    return f


def _mpt_col(path: Path, name: str) -> tuple[int, int]:
    """(first data line index, column index) of an .mpt column."""
    data = path.read_bytes()
    n = int(re.search(rb"Nb header lines\s*:\s*(\d+)", data).group(1))
    cols = data.split(b"\n")[n - 1].split(b"\t")
    return n, cols.index(name.encode("latin-1"))


def targets(data: Path, realdata: Path | None, which: str = "all") -> list[Target]:
    """The files of the corruption pass (demo files always, real files when present)."""
    from intercal.io import echem, xrd

    out: list[Target] = []
    if which in ("all", "xrd"):
        inj = ((1, b"nan", ERROR), (1, b"-5", ERROR), (0, b"inf", ERROR))
        out.append(
            Target(
                "xrd_xye",
                data / "xrd" / "LiCrSe2.xye",
                xrd.read_pattern,
                True,
                injections=inj,
                extra=(
                    ("all counts zero", _all_counts_zero, ERROR),
                    ("2theta in radians", _radians, ERROR),
                ),
            )
        )
        out.append(
            Target(
                "xrd_xrdml",
                data / "xrd" / "LiCrSe2.xrdml",
                xrd.read_pattern,
                True,
                extra=(
                    ("one count dropped", _xrdml_drop_count, ERROR),
                    ("a count is -3", _xrdml_count(b"-3"), ERROR),
                    ("a count is NaN", _xrdml_count(b"NaN"), ERROR),
                    ("kAlpha1 declared in nm", _xrdml_wavelength_nm, ERROR),
                ),
            )
        )
        if realdata is not None:
            out.append(
                Target(
                    "xrd_gsas",
                    realdata / "xrd" / "NIST660CBI.gsas",
                    xrd.read_pattern,
                    True,
                    extra=(("BANK declares 999999999 points", _gsas_huge, ERROR),),
                )
            )
            out.append(
                Target(
                    "xrd_bruker_raw", realdata / "xrd" / "LaB6_Jan2018.raw", xrd.read_pattern, False
                )
            )
    if which in ("all", "echem"):
        for name, p, cols in (
            (
                "echem_gcpl_mpt",
                data / "echem" / "gcpl" / "CrSe2_cutoff_1.00V_01_GCPL.mpt",
                ("time/s", "I/mA"),
            ),
            (
                "echem_cv_mpt",
                data / "echem" / "cv" / "CrSe2_CV_0.4mVs_03_CV.mpt",
                ("time/s", "<I>/mA"),
            ),
            (
                "echem_peis_mpt",
                data / "echem" / "eis" / "CrSe2_EIS_04_1.95V_PEIS.mpt",
                ("time/s", "freq/Hz"),
            ),
            ("operando_cell_mpt", data / "operando" / "cell.mpt", ("time/s", "I/mA")),
        ):
            n, jt = _mpt_col(p, cols[0])
            _, ji = _mpt_col(p, cols[1])
            extra = [("header only", _mpt_header_only, ERROR)]
            if cols[1] != "freq/Hz":
                extra.append(
                    (f"{cols[1]} values in A (x 1e-3)", _mpt_scale_column(cols[1], 1e-3), ERROR)
                )
            out.append(
                Target(
                    name,
                    p,
                    echem.read,
                    True,
                    first_data_line=n,
                    sep=b"\t",
                    injections=((jt, b"nan", ERROR), (ji, b"nan", ERROR)),
                    extra=tuple(extra),
                )
            )
        if realdata is not None:
            e = realdata / "echem"
            out.append(Target("echem_mpr", e / "biologic" / "gcpl.pr_182.1.mpr", echem.read, False))
            out.append(Target("echem_cv_mpr", e / "biologic" / "cv.mpr", echem.read, False))
            n, jt = _mpt_col(e / "biologic" / "cv.mpt", "time/s")
            out.append(
                Target(
                    "echem_real_cv_mpt",
                    e / "biologic" / "cv.mpt",
                    echem.read,
                    True,
                    first_data_line=n,
                    sep=b"\t",
                    injections=((jt, b"nan", ERROR),),
                )
            )
            out.append(Target("echem_neware_nda", e / "neware" / "TestFile.nda", echem.read, False))
            import shutil

            if shutil.which("mdb-export"):
                out.append(
                    Target(
                        "echem_arbin_res",
                        e / "arbin" / "20160805_test001_45_cc_01.res",
                        echem.read,
                        False,
                    )
                )
            out.append(
                Target(
                    "echem_eis_csv",
                    e / "eis" / "exampleData.csv",
                    echem.read_eis_csv,
                    True,
                    sep=b",",
                    injections=((0, b"nan", ERROR), (0, b"-1", ERROR)),
                )
            )
    if which in ("all", "others"):
        from intercal.io import muon, xas

        out.append(
            Target("muon_demo_nxs", data / "musr" / "EMU00095000.nxs", muon.read_muon, False)
        )
        cols = {"energy": "energy", "i0": "I0", "it": "It", "iref": "Iref"}

        def read_dat(p, cols=cols):
            return xas.read_column_ascii(p, cols)

        out.append(
            Target(
                "xas_demo_dat",
                data / "xas" / "CrK_CrSe2_01.dat",
                read_dat,
                True,
                injections=((0, b"nan", ERROR), (1, b"nan", ERROR), (2, b"-5", ERROR)),
            )
        )
        out.append(
            Target(
                "xas_demo_xdi",
                data / "xas" / "CrK_CrSe2_01.xdi",
                xas.read_xdi,
                True,
                injections=((0, b"nan", ERROR), (1, b"nan", ERROR)),
                extra=(
                    (
                        "energy declared keV, values in keV",
                        _xdi_kev,
                        ERROR,
                    ),
                ),
            )
        )
        if realdata is not None:
            m = realdata / "muon"
            out.append(Target("muon_hdf4_v1", m / "emu00031895.nxs", muon.read_muon, False))
            out.append(Target("muon_hdf5_v2", m / "EMU00005989_v2.nxs", muon.read_muon, False))
            out.append(
                Target("muon_psi_bin", m / "deltat_tdc_dolly_1020.bin", muon.read_muon, False)
            )
            out.append(
                Target(
                    "xas_real_xdi",
                    realdata / "xas" / "se_znse_rt.xdi",
                    xas.read_xdi,
                    True,
                    injections=((0, b"nan", ERROR), (2, b"-5", ERROR)),
                )
            )
            out.append(
                Target(
                    "xas_athena_prj", realdata / "xas" / "Se_Standards.prj", xas.read_athena, False
                )
            )
    return out


def _xdi_kev(data: bytes) -> bytes:
    out = []
    for ln in data.split(b"\n"):
        if ln.startswith(b"# Column.1:"):
            ln = b"# Column.1: energy keV"
        t = ln.split()
        if t and not ln.startswith(b"#") and all(_NUM.fullmatch(x) for x in t):
            t[0] = b"%.6f" % (float(t[0]) / 1000.0)
            ln = b"  ".join(t)
        out.append(ln)
    return b"\n".join(out)
