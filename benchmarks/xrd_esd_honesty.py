"""Scatter / mean esd of a and c over 20 Poisson realisations of a nanocrystalline,
anisotropically broadened forward-model pattern (LiCoO2-like R-3m, 30 nm perpendicular and
10 nm along c, microstrain 1e-3, demo instrument held fixed; target 0.7-1.5).

Usage: ``python benchmarks/xrd_esd_honesty.py [n_realisations]``. The realisations are drawn
from the forward model's expected counts (not from the fit), each refined from the same
starting values as a user would.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from intercal.simulate import powder  # noqa: E402
from intercal.simulate import xrd_exsitu as X  # noqa: E402
from intercal.xrd.lebail import Phase, Settings, refine  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
expected, _, _ = X.simulate_single_phase(
    X.LICOO2, "LiCoO2", powder.SampleBroadening(30.0, 10.0, 1e-3, 1e-3)
)
ig = X.instrument_gsas2()
st = Settings(
    U=ig["U"], V=ig["V"], W=ig["W"], X=ig["X"], Y=ig["Y"], SHL=ig["SHL"],
    soller_rad=ig["soller_half_acceptance_rad"], background_terms=12,
    two_theta_range_deg=(10.0, 80.0),
    sample={"LiCoO2": {"size_um": 0.1, "size_axial_um": 0.1, "mustrain_ppm": 500.0,
                       "axis": [0, 0, 1]}},
)  # fmt: skip
rng = np.random.default_rng(20260218)
vals = {"a": [], "c": []}
esds = {"a": [], "c": []}
for _ in range(n):
    y = rng.poisson(expected).astype(float)
    df = pd.DataFrame({"two_theta_deg": X.grid(), "intensity": y, "esd": np.sqrt(np.maximum(y, 1))})
    cell = refine(df, [Phase("LiCoO2", "R-3m", {"a": 2.816, "c": 14.05})], st, "nano").cells
    for k in vals:
        vals[k].append(cell["LiCoO2"][k])
        esds[k].append(cell["LiCoO2"][f"{k}_esd"])
for k in vals:
    v, e = np.array(vals[k]), np.array(esds[k])
    bias = (v.mean() - X.LICOO2[k]) / (v.std(ddof=1) / np.sqrt(n))
    print(
        f"nano LiCoO2.{k}: scatter/esd = {v.std(ddof=1) / e.mean():.3f} over {n} realisations, "
        f"mean - truth = {bias:+.2f} standard errors of the mean"
    )
