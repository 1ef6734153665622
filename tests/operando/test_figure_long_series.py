"""Fig. 4's lattice panels for a long series: the same points and esd bars, drawn cheaply."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from intercal.figures import operando  # noqa: E402


def test_long_series_draws_every_point_and_bar():
    n = operando.MAX_VECTOR_POINTS + 1
    rng = np.random.default_rng(2)
    t = np.linspace(0, 10, n)
    y = 3.45 + 1e-3 * rng.normal(size=n)
    e = 1e-4 * (1 + rng.random(n))
    fig, ax = plt.subplots()
    operando._points_with_esd(ax, t, y, e, "C0", "P")
    bars, points = ax.lines
    assert points.get_label() == "P" and points.get_rasterized() and bars.get_rasterized()
    np.testing.assert_array_equal(points.get_xdata(), t)
    np.testing.assert_array_equal(points.get_ydata(), y)
    by = np.asarray(bars.get_ydata()).reshape(n, 3)
    np.testing.assert_allclose(by[:, 0], y - e)
    np.testing.assert_allclose(by[:, 1], y + e)
    assert np.isnan(by[:, 2]).all()  # one bar per point, never joined
    plt.close(fig)


def test_short_series_stays_a_vector_errorbar():
    n = 50
    t = np.arange(n, dtype=float)
    fig, ax = plt.subplots()
    operando._points_with_esd(ax, t, np.ones(n), np.full(n, 0.1), "C0", "P")
    (container,) = ax.containers  # matplotlib's ErrorbarContainer
    assert container.get_label() == "P"
    assert not any(a.get_rasterized() for a in ax.lines + ax.collections)
    plt.close(fig)
