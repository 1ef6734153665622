"""Results written atomically keep ordinary file permissions (not mkstemp's 0600)."""

import os
import stat

import pandas as pd

from intercal.tables import write_csv


def test_atomic_write_gives_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "t.csv"
        write_csv(pd.DataFrame({"a": [1]}), out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        from intercal.figures import style

        fig, _ = style.figure()
        style.save(fig, tmp_path / "f.pdf", tmp_path / "f.png")
        assert stat.S_IMODE((tmp_path / "f.png").stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_qc_text_reads_an_all_empty_qc_column_without_a_pandas_warning():
    import warnings

    import numpy as np
    import pandas as pd

    from intercal.tables import qc_text

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert qc_text(pd.Series([np.nan, np.nan])).tolist() == ["", ""]
        assert qc_text(pd.Series(["at_bound:nu", None, ""])).tolist() == ["at_bound:nu", "", ""]


def test_write_large_csv_is_byte_identical_to_pandas(tmp_path):
    """Every float form (subnormal, 1e16, -0.0, inf, NaN), ints, bools, quoted text and the
    fallbacks (datetime, float32, one column) give the bytes DataFrame.to_csv gives."""
    import numpy as np
    import pandas as pd

    from intercal.tables import _csv_fields, write_csv, write_large_csv

    rng = np.random.default_rng(7)
    n = 3000
    special = [0.0, -0.0, 1e16, 1e15, 1e-5, 1e-4, 5e-324, 2.2250738585072014e-308, 0.1,
               1 / 3, 123456789.0, np.inf, -np.inf, np.nan, 1.7976931348623157e308]  # fmt: skip
    f = rng.standard_normal(n) * 10.0 ** rng.integers(-320, 300, n)
    f[: len(special)] = special
    f[rng.random(n) < 0.3] = np.nan
    words = ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "lost:phase;imprecise"]
    text = [words[i] for i in rng.integers(0, len(words), n)]
    frames = {
        "mixed": pd.DataFrame(
            {
                "x": f,
                "y": np.round(rng.standard_normal(n) * 1e3, 3),
                "n": rng.integers(-(2**62), 2**62, n),
                "ok": rng.random(n) < 0.5,
                "qc": pd.Series(text, dtype="str"),
                "obj": pd.Series(
                    [None if i % 5 == 0 else t for i, t in enumerate(text)], dtype=object
                ),
                "all nan, quoted": np.nan,
            }
        ),
        "empty": pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}),
        "datetime": pd.DataFrame({"t": pd.date_range("2026-01-01", periods=4), "v": 1.5}),
        "float32": pd.DataFrame({"a": np.float32([0.1, 2.5]), "b": [1, 2]}),
        "one column": pd.DataFrame({"a": ["", "x"]}),
    }
    for name, df in frames.items():
        write_csv(df, tmp_path / "pandas.csv")
        write_large_csv(df, tmp_path / "fast.csv")
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes(), name
    # the fast path is the one compared for the mixed table; the others go to pandas
    assert all(_csv_fields(frames["mixed"][c]) is not None for c in frames["mixed"].columns)
    assert _csv_fields(frames["datetime"]["t"]) is None
    assert _csv_fields(frames["float32"]["a"]) is None


def test_atomic_write_replaces_only_on_success_and_leaves_no_temporary(tmp_path):
    import pytest

    from intercal.tables import atomic_write

    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="half written"):
        with atomic_write(target) as tmp:
            tmp.write_text("new, half")
            raise RuntimeError("half written")
    assert target.read_text() == "old\n"
    with atomic_write(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
