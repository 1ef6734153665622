"""Le Bail engine: recovery on a pattern with known truth, and explicit failures."""

import numpy as np
import pandas as pd
import pytest

from intercal.errors import FitError
from intercal.xrd.lebail import PatternModel, Phase, Settings, refine


def synthetic(seed=1):
    x = np.arange(15.0, 100.0, 0.02)
    truth = Settings(U=3, V=-1, W=4, X=2, Y=3, SHL=0.03, zero_deg=-0.05, background_terms=3)
    m = PatternModel(x, [Phase("LaB6", "Pm-3m", {"a": 4.15689})], truth, "syn")
    p = m.p0.copy()
    p[m.ib0 : m.ib0 + 3] = [500.0, -100.0, 30.0]
    ev = m.evaluate(p)
    intens = 300.0 * np.exp(-np.arange(len(m.hkl)) * 0.05) * m.mult
    mu = m.calc(ev, intens)
    y = np.random.default_rng(seed).poisson(mu).astype(float)
    df = pd.DataFrame({"two_theta_deg": x, "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})
    w = 1 / np.maximum(y, 1)
    return df, float(np.sqrt(np.sum(w * (y - mu) ** 2) / np.sum(w * y * y)))


START = Settings(U=2, V=-2, W=5, X=1, Y=1, SHL=0.02, background_terms=3, fixed=("displacement",))


def test_recovers_known_cell_within_esd():
    df, rwp_true = synthetic()
    r = refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], START, "syn")
    cell = r.cells["LaB6"]
    assert abs(cell["a"] - 4.15689) < 2 * cell["a_esd"]
    assert r.stats["rwp"] == pytest.approx(rwp_true, rel=0.02)
    assert 0.9 < r.stats["gof"] < 1.1
    zero = r.params.set_index("parameter").loc["zero"]
    assert abs(zero.value + 0.05) < 3 * zero.stderr
    assert r.params.scaled_by_gof[r.params.refined].all()
    assert set(r.profile.columns) >= {"two_theta_deg", "obs", "calc", "background", "diff"}


def test_wrong_space_group_is_an_error():
    df, _ = synthetic()
    # I-centred cubic absences remove half the LaB6 lines: the fit must fail loudly
    with pytest.raises(FitError, match="pattern syn"):
        refine(df, [Phase("LaB6", "Im-3m", {"a": 4.157})], START, "syn")


def test_far_cell_is_an_error():
    df, _ = synthetic()
    with pytest.raises(FitError, match="pattern syn"):
        refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.30})], START, "syn")


def test_asymmetry_at_max_shl_is_flagged_runaway(caplog):
    from dataclasses import replace

    df, _ = synthetic()
    # the synthetic truth has SH/L = 0.03: SH/L is bounded by max_shl, and a fit that ends
    # there carries runaway:SHL (and at_bound:SHL) in its QC flags and a logged warning
    r = refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], START, "syn")
    shl = r.params.set_index("parameter").loc["SHL"]
    assert abs(shl.value - 0.03) < 3 * shl.stderr
    assert "runaway" not in r.stats["qc"]
    r = refine(df, [Phase("LaB6", "Pm-3m", {"a": 4.157})], replace(START, max_shl=0.01), "syn")
    flags = r.stats["qc"].split(";")
    assert "runaway:SHL" in flags and "at_bound:SHL" in flags
    assert r.params.set_index("parameter").value["SHL"] == pytest.approx(0.01)
    assert "SH/L ran away" in caplog.text
