"""Cell from d(001) and d(101): closed forms, round trip, esd propagation."""

import math

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.operando import lattice


def test_round_trip_crse2_paper_cell():
    a, c = 3.452, 5.869
    t1 = lattice.two_theta_hex(a, c, (0, 0, 1))
    t2 = lattice.two_theta_hex(a, c, (1, 0, 1))
    # paper: CrSe2 (001) near 14.9-15.1 deg, (101) near 33.6-34.0 deg with Cu Ka
    assert 14.8 < t1 < 15.2 and 33.4 < t2 < 34.1
    cell = lattice.hex_cell(t1, 0.001, 1, t2, 0.001, (1, 0, 1))
    assert cell["a"] == pytest.approx(a, abs=1e-10)
    assert cell["c"] == pytest.approx(c, abs=1e-10)
    assert cell["V"] == pytest.approx(math.sqrt(3) / 2 * a * a * c, rel=1e-12)


def test_esds_match_monte_carlo():
    a, c = 3.691, 6.294
    t1 = lattice.two_theta_hex(a, c, (0, 0, 1))
    t2 = lattice.two_theta_hex(a, c, (1, 0, 1))
    s1, s2 = 0.002, 0.003
    cell = lattice.hex_cell(t1, s1, 1, t2, s2, (1, 0, 1))
    rng = np.random.default_rng(3)
    n = 20000
    sims = [
        lattice.hex_cell(t1 + rng.normal(0, s1), s1, 1, t2 + rng.normal(0, s2), s2, (1, 0, 1))
        for _ in range(n)
    ]
    for q in ("a", "c", "V"):
        sd = np.std([s[q] for s in sims])
        assert cell[f"{q}_esd"] == pytest.approx(sd, rel=0.05)


def test_c_from_002_equals_c_from_001():
    c = 6.0
    t1 = lattice.two_theta_hex(3.5, c, (0, 0, 1))
    t2 = lattice.two_theta_hex(3.5, c, (0, 0, 2))
    c1 = lattice.hex_cell(t1, 0.01, 1, np.nan, np.nan, (1, 0, 1))["c"]
    c2 = lattice.hex_cell(t2, 0.01, 2, np.nan, np.nan, (1, 0, 1))["c"]
    assert c1 == pytest.approx(c2, abs=1e-12)


def test_zero_and_displacement_correction_inverts_the_shift():
    tt_true = 30.0
    s, r, z = 0.1, 240.0, 0.03
    obs = tt_true + z - math.degrees(2 * s * math.cos(math.radians(15.0)) / r)
    back = lattice.corrected_two_theta(obs, z, s, r)
    assert back == pytest.approx(tt_true, abs=1e-4)


def test_bad_reflections_raise():
    with pytest.raises(InputError, match="h\\^2\\+hk\\+k\\^2"):
        lattice.hex_cell(15.0, 0.01, 1, 30.0, 0.01, (0, 0, 2))
    with pytest.raises(InputError, match="l > 0"):
        lattice.hex_cell(15.0, 0.01, 0, 30.0, 0.01, (1, 0, 1))


def test_hex_cells_matches_hex_cell_element_by_element():
    """The array version used by the time registration gives hex_cell's numbers, NaNs included."""
    from intercal.operando.lattice import hex_cell, hex_cells

    rng = np.random.default_rng(11)
    n = 200
    t1 = rng.uniform(14.0, 16.0, n)
    t2 = rng.uniform(25.0, 40.0, n)
    e1, e2 = rng.uniform(1e-4, 1e-2, n), rng.uniform(1e-4, 1e-2, n)
    sh = rng.uniform(1e-4, 1e-3, n)
    t1[:5] = np.nan  # no (00l): nothing
    t2[5:10] = np.nan  # no general reflection: c only
    e1[10:15] = np.nan  # no esd of the (00l)
    sh[15:25] = np.nan  # calibration not propagated
    t2[25:30] = 10.0  # d(hkl) incompatible with c: no a
    hkl = np.array([(1, 0, 1)] * (n // 2) + [(1, 1, 0)] * (n - n // 2))
    lam = np.full(n, 1.540593)
    l1 = np.where(np.arange(n) % 3 == 0, 2, 1)
    got = hex_cells(t1, e1, l1, t2, e2, hkl, lam, sh)
    for i in range(n):
        want = hex_cell(t1[i], e1[i], int(l1[i]), t2[i], e2[i], tuple(hkl[i]), lam[i], sh[i])
        for k in ("a", "a_esd", "c", "c_esd", "V", "V_esd"):
            np.testing.assert_allclose(got[k][i], want[k], rtol=1e-12, equal_nan=True, err_msg=k)
    single = np.arange(25, 30)[l1[25:30] == 1]  # (001): c ~ 5.9 A, too short for d(hkl)
    assert single.size and np.isnan(got["a"][single]).all() and np.isfinite(got["c"][25:30]).all()
    with pytest.raises(InputError, match="h\\^2\\+hk\\+k\\^2 must be > 0"):
        hex_cells(t1[:1], e1[:1], [1], t2[:1], e2[:1], [(0, 0, 1)], lam[:1], sh[:1])
