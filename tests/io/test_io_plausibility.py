"""One test per read-time plausibility / truncation check of io/xrd.py, io/echem.py,
io/guard.py and the stale-temp cleanup of tables.py (issue 17)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.echem import read, read_eis_csv, read_mpt
from intercal.io.guard import (
    check_finite_rows,
    check_wavelength,
    expect_technique,
    reading,
)
from intercal.io.xrd import read_gsas, read_pattern
from intercal.tables import remove_stale_temps, write_csv, write_text

DATA = Path(__file__).resolve().parents[2] / "data"
GCPL = DATA / "echem" / "gcpl" / "CrSe2_cutoff_1.00V_01_GCPL.mpt"
CV = DATA / "echem" / "cv" / "CrSe2_CV_0.4mVs_03_CV.mpt"
PEIS = DATA / "echem" / "eis" / "CrSe2_EIS_04_1.95V_PEIS.mpt"
XYE = DATA / "xrd" / "LiCrSe2.xye"
XRDML = DATA / "xrd" / "LiCrSe2.xrdml"


def _copy(src: Path, tmp_path: Path, edit=None, name=None) -> Path:
    data = src.read_bytes()
    if edit is not None:
        data = edit(data)
    p = tmp_path / (name or src.name)
    p.write_bytes(data)
    return p


def _xy(tmp_path, x, y, name="p.xy"):
    p = tmp_path / name
    p.write_text("".join(f"{a:.6f} {b:.1f}\n" for a, b in zip(x, y, strict=True)))
    return p


def _mpt_header_n(data: bytes) -> int:
    return int(re.search(rb"Nb header lines\s*:\s*(\d+)", data).group(1))


def _mpt_edit_column(col: str, fn):
    def edit(data: bytes) -> bytes:
        n = _mpt_header_n(data)
        lines = data.split(b"\n")
        cols = lines[n - 1].split(b"\t")
        j = cols.index(col.encode())
        for i in range(n, len(lines)):
            t = lines[i].split(b"\t")
            if len(t) > j:
                t[j] = fn(i - n, t[j])
                lines[i] = b"\t".join(t)
        return b"\n".join(lines)

    return edit


# ------------------------------------------------------------------ every error names the file
def test_library_failure_becomes_named_input_error(tmp_path):
    p = tmp_path / "x.dat"
    with pytest.raises(InputError, match=r"x\.dat: test block: ZeroDivisionError"):
        with reading(p, "test block"):
            1 / 0  # noqa: B018
    with pytest.raises(InputError, match=r"x\.dat: .*more data than fits in memory"):
        with reading(p, "test block"):
            raise MemoryError


def test_header_only_mpt_is_named_error(tmp_path):
    data = GCPL.read_bytes()
    n = _mpt_header_n(data)
    p = _copy(GCPL, tmp_path, lambda d: b"\n".join(d.split(b"\n")[:n]) + b"\n")
    with pytest.raises(InputError, match=rf"{p.name}: no data rows after the {n} header lines"):
        read(p)


def test_garbage_mpr_names_the_file(tmp_path):
    p = tmp_path / "bad.mpr"
    p.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + b"\x00" * 100)
    with pytest.raises(InputError, match=r"bad\.mpr: galvani cannot read"):
        read(p)
    (tmp_path / "empty.mpr").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.mpr: the file is empty"):
        read(tmp_path / "empty.mpr")


def test_all_zero_pattern_is_named_error(tmp_path):
    p = _xy(tmp_path, np.linspace(10, 80, 500), np.zeros(500))
    with pytest.raises(InputError, match=r"p\.xy: all 500 intensities are zero"):
        read_pattern(p)


# ------------------------------------------------------------------ truncation
def test_text_cut_inside_last_number(tmp_path):
    p = _copy(XYE, tmp_path, lambda d: d.rstrip(b"\n")[:-2])
    with pytest.raises(InputError, match=r"LiCrSe2\.xye: line \d+: .*truncated inside the last"):
        read_pattern(p)
    q = _copy(GCPL, tmp_path, lambda d: d.rstrip(b"\n")[:-5])
    with pytest.raises(InputError, match=r"GCPL\.mpt: line \d+: .*truncated"):
        read(q)


def test_complete_file_without_final_newline_is_accepted(tmp_path):
    p = _copy(XYE, tmp_path, lambda d: d.rstrip(b"\n"))
    assert len(read_pattern(p)) == len(read_pattern(XYE))


def test_gsas_absurd_point_count_checked_before_allocating(tmp_path):
    p = tmp_path / "huge.gsas"
    p.write_text(
        "title\nBANK 1 999999999 99999999 CONST 1000.0 1.0 0 0 STD\n" + " 1000" * 10 + "\n"
    )
    t0 = time.perf_counter()
    with pytest.raises(
        InputError, match=r"huge\.gsas: truncated: BANK 1 declares 999999999 points"
    ):
        read_gsas(p)
    assert time.perf_counter() - t0 < 1.0


def test_xrdml_count_list_disagreeing_with_list_positions(tmp_path):
    def edit(d: bytes) -> bytes:
        m = re.search(
            rb"<startPosition>([^<]*)</startPosition>\s*<endPosition>([^<]*)</endPosition>", d
        )
        c = re.search(rb"<counts[^>]*>([^<]*)</counts>", d).group(1).split()
        x = np.linspace(float(m.group(1)), float(m.group(2)), len(c) + 1)
        lst = b"<listPositions>" + b" ".join(b"%.5f" % v for v in x) + b"</listPositions>"
        return d[: m.start()] + lst + d[m.end() :]

    p = _copy(XRDML, tmp_path, edit)
    with pytest.raises(InputError, match=r"LiCrSe2\.xrdml: .*lists \d+ positions but <counts>"):
        read_pattern(p)


def test_xrdml_attenuation_list_length(tmp_path):
    def edit(d: bytes) -> bytes:
        return d.replace(
            b"</counts>", b"</counts><beamAttenuationFactors>1 1 1</beamAttenuationFactors>"
        )

    p = _copy(XRDML, tmp_path, edit)
    with pytest.raises(InputError, match=r"<beamAttenuationFactors> has 3 values"):
        read_pattern(p)


@pytest.mark.realdata
def test_neware_nda_cut_at_half_is_named_error(realdata, tmp_path):
    p = _copy(realdata / "echem" / "neware" / "TestFile.nda", tmp_path, lambda d: d[: len(d) // 2])
    with pytest.raises(InputError, match=r"TestFile\.nda: truncated: 3497 records .* end record"):
        read(p)


@pytest.mark.realdata
def test_arbin_res_truncated_is_named_error(realdata, tmp_path):
    if shutil.which("mdb-export") is None:
        pytest.skip("mdb-export (mdbtools) is not installed: cannot read Arbin .res")
    src = realdata / "echem" / "arbin" / "20160805_test001_45_cc_01.res"
    p = _copy(src, tmp_path, lambda d: d[: len(d) // 2 + 100])
    with pytest.raises(InputError, match=r"_01\.res: truncated: \d+ bytes is not a whole number"):
        read(p)
    # cut on a page boundary: mdb-export exits 0 but reports pages beyond EOF
    q = _copy(src, tmp_path, lambda d: d[: 200 * 4096], name="paged.res")
    with pytest.raises(InputError, match=r"paged\.res: truncated or damaged Access database"):
        read(q)


# ------------------------------------------------------------------ plausibility: diffraction
def test_two_theta_in_radians_rejected(tmp_path):
    x = np.deg2rad(np.linspace(10, 80, 400))
    p = _xy(tmp_path, x, 100 + 10 * np.sin(x * 50) ** 2)
    with pytest.raises(InputError, match=r"p\.xy: .*looks like 2theta in radians"):
        read_pattern(p)
    assert len(read_pattern(p, radians_check=False)) == 400  # a genuine low-angle scan


def test_two_theta_outside_0_180_rejected(tmp_path):
    p = _xy(tmp_path, np.linspace(100, 200, 300), np.full(300, 50.0))
    with pytest.raises(
        InputError, match=r"p\.xy: 2theta runs from 100 to 200 deg; expected .*0-180"
    ):
        read_pattern(p)


def test_xrdml_declared_units_honoured(tmp_path):
    ref = read_pattern(XRDML)
    rad = _copy(
        XRDML,
        tmp_path,
        lambda d: re.sub(
            rb'(<positions axis="2Theta" unit=")deg(">\s*<startPosition>)([^<]*)'
            rb"(</startPosition>\s*<endPosition>)([^<]*)",
            lambda m: (
                m.group(1)
                + b"rad"
                + m.group(2)
                + b"%.12f" % np.deg2rad(float(m.group(3)))
                + m.group(4)
                + b"%.12f" % np.deg2rad(float(m.group(5)))
            ),
            d,
        ),
        name="rad.xrdml",
    )
    np.testing.assert_allclose(read_pattern(rad).two_theta_deg, ref.two_theta_deg, rtol=1e-9)
    nm = _copy(
        XRDML,
        tmp_path,
        lambda d: d.replace(b'<kAlpha1 unit="Angstrom">1.540593', b'<kAlpha1 unit="nm">0.1540593'),
        name="nm.xrdml",
    )
    assert read_pattern(nm).attrs["wavelength1_A"] == pytest.approx(1.540593)
    bad = _copy(
        XRDML,
        tmp_path,
        lambda d: d.replace(b'2Theta" unit="deg">', b'2Theta" unit="grad">'),
        name="g.xrdml",
    )
    with pytest.raises(InputError, match=r"g\.xrdml: .*unit 'grad'"):
        read_pattern(bad)
    wl = _copy(
        XRDML,
        tmp_path,
        lambda d: d.replace(b'<kAlpha1 unit="Angstrom">', b'<kAlpha1 unit="nm">'),
        name="w.xrdml",
    )
    with pytest.raises(InputError, match=r"w\.xrdml: <kAlpha1> is 15.4059 A; expected .*0.1-10 A"):
        read_pattern(wl)


def test_negative_and_nan_counts_rejected(tmp_path):
    def counts(value):
        def edit(d):
            m = re.search(rb"(<counts[^>]*>)([^<]*)", d)
            v = m.group(2).split()
            v[10] = value
            return d[: m.start(2)] + b" ".join(v) + d[m.end(2) :]

        return edit

    with pytest.raises(InputError, match=r"neg\.xrdml: point 11: negative counts"):
        read_pattern(_copy(XRDML, tmp_path, counts(b"-3"), name="neg.xrdml"))
    with pytest.raises(InputError, match=r"nan\.xrdml: point 11: intensity is nan"):
        read_pattern(_copy(XRDML, tmp_path, counts(b"NaN"), name="nan.xrdml"))


def test_file_wavelength_checked_against_config(tmp_path):
    assert read_pattern(XRDML, wavelength_A=1.5406).attrs["wavelength1_A"] == pytest.approx(
        1.540593
    )
    with pytest.raises(
        InputError, match=r"LiCrSe2\.xrdml: the file states wavelength 1.54059 A but config"
    ):
        read_pattern(XRDML, wavelength_A=1.78897)  # Co Ka1
    read_pattern(XYE, wavelength_A=1.78897)  # the .xye states none: nothing to compare
    with pytest.raises(
        InputError, match=r"f\.raw: the file states wavelength 0.70930 A .* 1.54060 A"
    ):
        check_wavelength(0.7093, 1.5406, "f.raw")
    check_wavelength(1.5418, 1.5406, "f.raw")  # Ka average vs Ka1: within 0.2 %


# ------------------------------------------------------------------ plausibility: BioLogic
def _with_mass(text: bytes):
    return lambda d: re.sub(
        rb"Mass of active material : [^\r\n]*", b"Mass of active material : " + text, d
    )


def test_header_mass_in_grams_converted_and_flagged(tmp_path, caplog):
    p = _copy(GCPL, tmp_path, _with_mass(b"4.500 g"))
    with caplog.at_level(logging.WARNING):
        d = read(p)
    assert d.meta["active_mass_mg"] == pytest.approx(4500.0)
    assert "active_mass_mg_above_1000mg" in d.meta["qc"]
    assert "4.500 g" in caplog.text and "check the unit" in caplog.text
    assert read(GCPL).meta["active_mass_mg"] == pytest.approx(2.7)
    assert "qc" not in read(GCPL).meta


def test_header_mass_negative_or_unknown_unit_rejected(tmp_path):
    p = _copy(GCPL, tmp_path, _with_mass(b"-2.700 mg"), name="neg.mpt")
    with pytest.raises(
        InputError,
        match=r"neg\.mpt: header field 'Mass of active material' = '-2.700 mg'; expected a pos",
    ):
        read(p)
    q = _copy(GCPL, tmp_path, _with_mass(b"2.700 kg"), name="kg.mpt")
    with pytest.raises(
        InputError, match=r"kg\.mpt: header field 'Mass of active material' has unit 'kg'"
    ):
        read(q)
    r = _copy(GCPL, tmp_path, _with_mass(b"nan mg"), name="nan.mpt")
    with pytest.raises(
        InputError, match=r"nan\.mpt: header field 'Mass of active material' = 'nan mg' is not"
    ):
        read(r)


def test_technique_exposed_and_checked(tmp_path):
    gcpl, cv, peis = read(GCPL), read(CV), read(PEIS)
    assert (
        gcpl.meta["technique_code"],
        cv.meta["technique_code"],
        peis.meta["technique_code"],
    ) == (
        "GCPL",
        "CV",
        "PEIS",
    )
    with pytest.raises(InputError, match=r"_CV\.mpt: the file is a CV measurement; expected GCPL"):
        read(CV, technique="GCPL")
    with pytest.raises(
        InputError, match=r"GCPL\.mpt: the file is a GCPL measurement; expected PEIS or GEIS"
    ):
        expect_technique(gcpl, ["PEIS", "GEIS"], GCPL)
    expect_technique(peis.meta, "PEIS", PEIS)
    assert read_mpt(GCPL, technique="GCPL").meta["technique_code"] == "GCPL"


@pytest.mark.realdata
def test_mpr_technique_from_settings(realdata):
    bio = realdata / "echem" / "biologic"
    assert read(bio / "cv.mpr").meta["technique_code"] == "CV"
    assert read(bio / "gcpl.pr_182.1.mpr", technique="GCPL").meta["technique_code"] == "GCPL"
    with pytest.raises(InputError, match=r"cv\.mpr: the file is a CV measurement; expected GCPL"):
        read(bio / "cv.mpr", technique="GCPL")


def test_column_units_honoured(tmp_path):
    ref = read(GCPL).table

    def rename(old: bytes, new: bytes, scale: float | None = None):
        def edit(d):
            n = _mpt_header_n(d)
            lines = d.split(b"\n")
            lines[n - 1] = lines[n - 1].replace(old, new)
            d = b"\n".join(lines)
            if scale is not None:
                d = _mpt_edit_column(
                    new.decode().strip("\t"), lambda i, v: b"%.9E" % (float(v) * scale)
                )(d)
            return d

        return edit

    amps = _copy(GCPL, tmp_path, rename(b"\tI/mA\t", b"\tI/A\t", 1e-3), name="amps.mpt")
    np.testing.assert_allclose(read(amps).table.current_mA, ref.current_mA, rtol=1e-8)
    hours = _copy(GCPL, tmp_path, rename(b"\ttime/s\t", b"\ttime/h\t", 1 / 3600), name="hours.mpt")
    np.testing.assert_allclose(read(hours).table.time_s, ref.time_s, rtol=1e-8)
    odd = _copy(GCPL, tmp_path, rename(b"\tI/mA\t", b"\tI/furlong\t"), name="odd.mpt")
    with pytest.raises(InputError, match=r"odd\.mpt: column 'I/furlong' has unit 'furlong'"):
        read(odd)


def test_current_in_amps_under_mA_header_rejected(tmp_path):
    p = _copy(GCPL, tmp_path, _mpt_edit_column("I/mA", lambda i, v: b"%.7E" % (float(v) * 1e-3)))
    with pytest.raises(
        InputError, match=r"GCPL\.mpt: the current column 'I/mA' integrates to .*\(ratio 0.001\)"
    ):
        read(p)


def test_nan_current_or_time_names_the_rows(tmp_path):
    p = _copy(GCPL, tmp_path, _mpt_edit_column("I/mA", lambda i, v: b"NaN" if i in (5, 9) else v))
    with pytest.raises(
        InputError, match=r"GCPL\.mpt: column 'I/mA' is NaN/inf at data rows 6, 10; expected"
    ):
        read(p)
    q = _copy(
        GCPL,
        tmp_path,
        _mpt_edit_column("time/s", lambda i, v: b"nan" if i == 3 else v),
        name="t.mpt",
    )
    with pytest.raises(InputError, match=r"t\.mpt: column 'time_s' is NaN/inf at data row 4"):
        read(q)
    with pytest.raises(InputError, match=r"f\.csv: column 'x' is NaN/inf at data rows 1, 3"):
        check_finite_rows({"x": [np.nan, 1.0, np.inf]}, ["x"], "f.csv", "integrated")


def test_scan_rate_must_be_positive(tmp_path):
    p = _copy(CV, tmp_path, lambda d: re.sub(rb"(dE/dt\s+)(\S+)", rb"\g<1>0.000", d, count=1))
    with pytest.raises(InputError, match=r"_CV\.mpt: settings 'dE/dt' is 0.0 mV/s; expected > 0"):
        read(p)


def test_scan_rate_checked_against_the_potential_sweep(tmp_path):
    def edit(d):
        return re.sub(rb"(dE/dt unit\s+)mV/s", rb"\g<1>V/s  ", d, count=1)

    p = _copy(CV, tmp_path, edit)
    assert b"V/s  " in p.read_bytes()
    with pytest.raises(
        InputError, match=r"_CV\.mpt: the scan rate is declared as 400 mV/s but .* 0\.399\d mV/s"
    ):
        read(p)
    assert read(CV).meta["scan_rate_mV_s"] == pytest.approx(0.4)


@pytest.mark.realdata
def test_eis_csv_frequency_positive(realdata, tmp_path):
    src = realdata / "echem" / "eis" / "exampleData.csv"
    p = _copy(src, tmp_path, lambda d: b"-" + d)
    with pytest.raises(
        InputError, match=r"exampleData\.csv: line 1: frequency -\S+ Hz, expected > 0"
    ):
        read_eis_csv(p)


# ------------------------------------------------------------------ tables: stale temp files
def test_stale_temp_files_removed_on_next_write(tmp_path):
    target = tmp_path / "figS4.pdf"
    stale = tmp_path / ".figS4.pdf.ab12cd_9.pdf"
    fresh = tmp_path / ".figS4.pdf.zz99yy88.pdf"
    other = tmp_path / ".figS4.pdf.bak.ab12cd_9.tmp"  # another target's temp file
    for f in (stale, fresh, other):
        f.write_bytes(b"%PDF-1.4 trunc")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_text("x", target)
    assert target.read_text() == "x"
    assert not stale.exists() and fresh.exists() and other.exists()
    assert remove_stale_temps(target, max_age_s=-1) == [fresh]


def test_stale_temp_cleanup_for_csv(tmp_path):
    import pandas as pd

    stale = tmp_path / ".t.csv.k3j4h5g6.tmp"
    stale.write_text("half")
    os.utime(stale, (0, 0))
    write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
