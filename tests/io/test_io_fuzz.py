"""Property-based tests: random truncations and corruptions of demo and real files.

For every reader of io/xrd.py and io/echem.py, a damaged copy (same file name, in a
temporary folder) must give either the correct table or an InputError whose
message names the file; never a raw library exception.

- truncation at any byte: the intact table, or a named error; for text formats that
  declare no point count (.xy/.xye, .mpt), a cut exactly at a line end leaves a valid
  shorter file, whose correct table is the matching prefix of the intact one;
- NaN/inf/negative written into a column that must hold finite (non-negative)
  numbers: a named error;
- random bytes overwritten: a named error or some table, never a raw exception.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib
from io_corruption import (  # noqa: E402
    ERROR,
    NO_RAW,
    SAME_OR_ERROR,
    data_lines,
    judge,
    replace_field,
    same_result,
    targets,
)

DATA = Path(__file__).resolve().parents[2] / "data"
DEMO = ["xrd_xye", "xrd_xrdml", "echem_gcpl_mpt", "echem_cv_mpt", "echem_peis_mpt"]
DEMO += ["operando_cell_mpt"]
REAL = ["xrd_gsas", "xrd_bruker_raw", "echem_mpr", "echem_cv_mpr", "echem_real_cv_mpt"]
REAL += ["echem_neware_nda", "echem_arbin_res", "echem_eis_csv"]
SLOW_READ = {"echem_neware_nda", "echem_arbin_res"}
PARAMS = DEMO + [pytest.param(n, marks=pytest.mark.realdata) for n in REAL]
# text formats without a declared point count: a cut at a line end is a valid shorter file
NO_COUNT = {"xrd_xye", "echem_gcpl_mpt", "echem_cv_mpt", "echem_peis_mpt"}
NO_COUNT |= {"operando_cell_mpt", "echem_real_cv_mpt", "echem_eis_csv"}


# INTERCAL_FUZZ_EXAMPLES=500 explores further (random, not derandomized)
EXPLORE = int(os.environ.get("INTERCAL_FUZZ_EXAMPLES", "0"))


def _settings(name, n=30):
    n = EXPLORE or n
    return settings(
        max_examples=max(8, n // 3) if name in SLOW_READ else n,
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _target(name, request):
    realdata = None
    if name in REAL:
        realdata = request.getfixturevalue("realdata")
        if name == "echem_arbin_res":
            import shutil

            if shutil.which("mdb-export") is None:
                pytest.skip("mdb-export (mdbtools) is not installed: cannot read Arbin .res")
    which = "xrd" if name.startswith("xrd") else "echem"
    for t in targets(DATA, realdata, which):
        if t.name == name:
            return t
    raise LookupError(name)


def _prefix_ok(got, intact) -> bool:
    """``got`` equals the first rows of ``intact`` (a valid shorter text file)."""
    a = getattr(got, "table", got)
    b = getattr(intact, "table", intact)
    return 0 < len(a) < len(b) and same_result(a, b.iloc[: len(a)].reset_index(drop=True))


@pytest.mark.parametrize("name", PARAMS)
def test_truncation_gives_intact_table_or_named_error(name, request):
    t = _target(name, request)
    data = t.path.read_bytes()
    intact = t.read(t.path)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / t.path.name

        @_settings(name)
        @given(cut=st.integers(min_value=0, max_value=len(data) - 1))
        def prop(cut):
            p.write_bytes(data[:cut])
            outcome, detail = judge(t.read, p, intact, SAME_OR_ERROR)
            at_line_end = data[cut : cut + 1] in (b"\n", b"\r") or data[cut - 1 : cut] == b"\n"
            if outcome == "silent" and name in NO_COUNT and at_line_end:
                assert _prefix_ok(t.read(p), intact), f"cut at line end {cut}: not a prefix"
                return
            assert outcome in ("ok", "named"), f"{name} cut at byte {cut}: {outcome}: {detail}"

        prop()


@pytest.mark.parametrize("name", PARAMS)
def test_overwritten_bytes_never_raise_a_raw_exception(name, request):
    t = _target(name, request)
    data = t.path.read_bytes()
    intact = t.read(t.path)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / t.path.name

        @_settings(name, 25)
        @given(
            edits=st.lists(
                st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)),
                min_size=1,
                max_size=8,
            )
        )
        def prop(edits):
            b = bytearray(data)
            for pos, val in edits:
                b[pos] = val
            p.write_bytes(bytes(b))
            outcome, detail = judge(t.read, p, intact, NO_RAW)
            assert outcome in ("ok", "named", "accepted"), f"{name} {edits}: {outcome}: {detail}"

        prop()


INJECT = [n for n in DEMO + REAL if n not in ("xrd_xrdml", "xrd_gsas", "xrd_bruker_raw")]
INJECT = [n for n in INJECT if n not in ("echem_mpr", "echem_cv_mpr", "echem_neware_nda")]
INJECT = [n for n in INJECT if n != "echem_arbin_res"]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.realdata) if n in REAL else n for n in INJECT]
)
def test_invalid_values_in_checked_columns_are_named_errors(name, request):
    t = _target(name, request)
    data = t.path.read_bytes()
    intact = t.read(t.path)
    lines = data_lines(data, t.first_data_line)
    fields = [(f, v) for f, v, e in t.injections if e == ERROR]
    assert lines and fields
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / t.path.name

        @_settings(name, 20)
        @given(
            line=st.sampled_from(lines),
            fv=st.sampled_from(fields),
            bad=st.sampled_from([b"nan", b"inf", b"NaN"]),
        )
        def prop(line, fv, bad):
            field, value = fv
            # the target's own injection (e.g. "-5" for counts) or a non-finite value
            value = bad if value in (b"nan", b"inf") else value
            p.write_bytes(replace_field(data, line, field, value, t.sep))
            outcome, detail = judge(t.read, p, intact, ERROR)
            assert outcome == "named", f"{name} line {line + 1} field {field}={value}: {detail}"

        prop()
