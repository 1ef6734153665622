"""Kubo-Toyabe functions against published reference values and an independent solver."""

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.musr.kt import dynamic_kt, keren, static_kt_lf, static_kt_zf
from intercal.simulate.muon import dynamic_kt_reference

T5 = np.array([0.0, 1.25, 2.5, 3.75, 5.0])
DKT_REF = np.array([1.0, 0.848978, 0.621132, 0.443015, 0.316954])  # converged reference
MANTID = np.array([1.0, 0.850107, 0.625283, 0.449064, 0.323394])  # Mantid unit test


def test_static_zf_reference_values():
    t = np.arange(10) * 2.0 / 9.0
    ref = [0.4500, 0.4260, 0.3604, 0.2697, 0.1750, 0.0951, 0.0419, 0.0181, 0.0194, 0.0372]
    np.testing.assert_allclose(0.45 * static_kt_zf(t, 1.05), ref, atol=1e-4)


def test_dynamic_zf_reference_values():
    np.testing.assert_allclose(dynamic_kt(T5, 0.39, 1.0), DKT_REF, atol=1e-5)
    np.testing.assert_allclose(dynamic_kt(T5, 0.39, 1.0), MANTID, atol=8e-3)


def test_simulator_solver_reference_values():
    t, g = dynamic_kt_reference(5.0, 0.0025, 0.39, 1.0, 0.0)
    np.testing.assert_allclose(g[[0, 500, 1000, 1500, 2000]], DKT_REF, atol=1e-5)


@pytest.mark.parametrize(
    "delta,nu,field", [(0.36, 0.3, 5.0), (0.36, 1.0, 10.0), (0.54, 0.12, 2.127), (0.3, 4.0, 0.0)]
)
def test_dynamic_matches_independent_marching_solver(delta, nu, field):
    t, g = dynamic_kt_reference(16.0, 0.004, delta, nu, field)
    assert np.abs(dynamic_kt(t, delta, nu, field) - g).max() < 1e-5


def test_static_lf_limits():
    t = np.linspace(0, 10, 101)
    # nu -> 0 gives the static function; huge field decouples (G -> 1)
    np.testing.assert_allclose(dynamic_kt(t, 0.4, 0.0, 5.0), static_kt_lf(t, 0.4, 5.0))
    assert np.all(static_kt_lf(t, 0.4, 2000.0) > 0.999)


def test_keren_close_in_fast_fluctuation_limit():
    t = np.linspace(0, 10, 51)
    assert np.abs(keren(t, 0.3, 5.0, 5.0) - dynamic_kt(t, 0.3, 5.0, 5.0)).max() < 2e-3


def test_bad_arguments():
    with pytest.raises(InputError, match="nu must be"):
        dynamic_kt(T5, 0.39, -1.0)
    with pytest.raises(InputError, match="times must be"):
        dynamic_kt(-T5, 0.39, 1.0)
