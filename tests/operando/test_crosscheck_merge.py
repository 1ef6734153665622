"""The per-batch cross-check tables merge into one table ordered by scan, field for field."""

import math

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.operando.crosscheck import COLUMNS, merge_tables


def _table(scans, rng):
    rows = []
    for s in scans:
        for ph in ("P1", "P2"):
            r = {c: rng.normal() for c in COLUMNS}
            r.update(scan=s, phase=ph, converged_by="gtol", note="")
            rows.append(r)
    df = pd.DataFrame(rows, columns=COLUMNS)
    if len(df):
        df.loc[0, "z_c"] = math.nan  # a failed Le Bail: no z
        df.loc[1, ["z_a", "z_c"]] = [0.5, -1.5]
    return df


def test_merge_matches_pandas_concat(tmp_path):
    rng = np.random.default_rng(3)
    parts = [_table([21, 31], rng), _table([], rng), _table([1, 11], rng)]
    paths = []
    for k, df in enumerate(parts):
        paths.append(tmp_path / f"crosscheck_{k:04d}.csv")
        df.to_csv(paths[-1], index=False)
    n, within = merge_tables(paths, tmp_path / "merged.csv")
    got = pd.read_csv(tmp_path / "merged.csv", keep_default_na=False, na_values=[""])
    want = pd.concat([p for p in parts if len(p)], ignore_index=True)
    want = want.sort_values("scan", kind="stable").reset_index(drop=True)
    assert n == len(want) == 8 and list(got.columns) == COLUMNS
    assert got["scan"].tolist() == [1, 1, 11, 11, 21, 21, 31, 31]
    assert got["phase"].tolist() == ["P1", "P2"] * 4
    num = [c for c in COLUMNS if c not in ("phase", "converged_by", "note")]
    np.testing.assert_array_equal(got[num].to_numpy(float), want[num].to_numpy(float))
    ok = (want[["z_a", "z_c"]].abs() <= 2).all(axis=1)
    assert within == int(ok.sum())


def test_merge_refuses_a_foreign_table(tmp_path):
    bad = tmp_path / "crosscheck_0000.csv"
    pd.DataFrame({"scan": [1], "phase": ["P"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="cross-check table columns"):
        merge_tables([bad], tmp_path / "merged.csv")
