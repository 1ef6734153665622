"""Are the XAS standard errors honest? Scatter / mean esd over noise realisations.

Run: ``python benchmarks/xas_honesty.py [n_realisations]`` (default 20). Each
realisation regenerates every Co K-edge example scan (LiCoO2, Li0.5CoO2 in
transmission, the Li0.75CoO2 mixture in fluorescence, each with its Co-foil
reference channel) with a new noise seed and runs the full per-spectrum
analysis and the LCF (:func:`intercal.simulate.xas_honesty.realisation`, shared
with tests/xas/test_honesty.py). For every headline quantity it prints the mean
error against the truth, the scatter (standard deviation over realisations),
the rms reported esd and their ratio (honest: 0.7-1.5).

What the esds include: E0 = Monte-Carlo redraws of the merge's measured per-point
noise, plus the calibration error (reference-channel E0 noise) in quadrature; LCF
weight = Monte-Carlo redraws of the target's and end members' per-point noise and of
their calibration shifts, each draw renormalized and refitted. Not included: the
model error (bias) of the E0 estimator (see intercal.xas.edge) and a wrong end-member
set.
"""

from __future__ import annotations

import sys

from intercal.simulate import xas as sim
from intercal.simulate.xas_honesty import ratios, realisation


def main(n: int = 20) -> dict[str, dict[str, float]]:
    placed = sim._co_placed()
    runs = [realisation(1000 + i, placed, n_mc=200) for i in range(n)]
    table = ratios(runs)
    print(f"{'quantity':28s} {'mean err':>9s} {'scatter':>9s} {'rms esd':>9s} {'ratio':>6s}")
    for q, t in table.items():
        print(f"{q:28s} {t['mean_err']:9.4f} {t['scatter']:9.4f} {t['esd']:9.4f} {t['ratio']:6.2f}")
    print(f"({n} realisations; ratio = scatter / rms esd, honest within 0.7-1.5)")
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
