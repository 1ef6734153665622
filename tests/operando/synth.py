"""Small synthetic operando scans for the unit tests (not the demo-data forward model).

Each phase contributes K-alpha1/K-alpha2 pseudo-Voigt doublets at the positions of
its (001), (100), (002) and (101) reflections (plus (102), (110)), on a sloping
background, with Poisson noise.
"""

from __future__ import annotations

import math

import numpy as np

LAM1, LAM2 = 1.540593, 1.544427
HKLS = {(0, 0, 1): 1.0, (1, 0, 0): 0.15, (0, 0, 2): 0.25, (1, 0, 1): 0.6, (1, 0, 2): 0.2}


def tt(a, c, hkl, lam=LAM1):
    h, k, l = hkl
    inv = 4 / (3 * a * a) * (h * h + h * k + k * k) + l * l / (c * c)
    return 2 * math.degrees(math.asin(lam * math.sqrt(inv) / 2))


def pv(x, c, w, eta):
    dx = (x - c) / w
    g = 2 * math.sqrt(math.log(2) / math.pi) / w * np.exp(-4 * math.log(2) * dx * dx)
    lo = 2 / (math.pi * w) / (1 + 4 * dx * dx)
    return (1 - eta) * g + eta * lo


def pattern(phases, rng, x=None, scale=400.0, bg=150.0, fwhm=0.12, eta=0.4, extra=()):
    """phases: list of (a, c, weight). extra: list of (centre, area) single peaks."""
    if x is None:
        x = np.arange(12.0, 36.0, 0.02)
    y = bg + 1.5 * (x - 24.0) + 0.0 * x
    for a, c, wgt in phases:
        for hkl, rel in HKLS.items():
            t1 = tt(a, c, hkl)
            t2 = tt(a, c, hkl, LAM2)
            y = y + scale * wgt * rel * (pv(x, t1, fwhm, eta) + 0.5 * pv(x, t2, fwhm, eta))
    for cen, area in extra:
        y = y + area * pv(x, cen, 0.1, 0.5)
    obs = rng.poisson(y).astype(float)
    return x, obs, np.sqrt(np.maximum(obs, 1.0))
