"""Reflection lists: absences and multiplicities from pymatgen's operations."""

import pytest

from intercal.errors import InputError
from intercal.xrd.reflections import full_cell, reflections, space_group


def hkls(df):
    return {(int(r.h), int(r.k), int(r.l)): int(r.multiplicity) for r in df.itertuples()}


def test_fcc_absences():
    r = hkls(reflections(space_group("Fm-3m"), (4.0,) * 3 + (90.0,) * 3, 1.0))
    assert set(r) == {(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1), (2, 2, 2), (4, 0, 0)}
    assert r[(1, 1, 1)] == 8 and r[(2, 0, 0)] == 6 and r[(3, 1, 1)] == 24


def test_p63m_screw_axis_and_trigonal_split():
    sg = space_group("P6_3/m")
    r = hkls(reflections(sg, full_cell(sg, {"a": 9.37, "c": 6.88}), 2.0))
    assert (0, 0, 1) not in r and (0, 0, 2) in r
    assert (2, 1, 0) in r and (1, 2, 0) in r  # Laue 6/m: hk0 and kh0 differ
    sg = space_group("P-3m1")
    r = hkls(reflections(sg, full_cell(sg, {"a": 3.3956, "c": 5.9168}), 1.5))
    assert r[(0, 0, 1)] == 2 and r[(1, 0, 0)] == 6 and r[(1, 0, 1)] == 6 and r[(0, 1, 1)] == 6


def test_bad_symbol():
    with pytest.raises(InputError, match="not a Hermann-Mauguin symbol"):
        space_group("P7")
