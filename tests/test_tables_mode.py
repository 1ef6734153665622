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
