"""CPU seconds per Le Bail refinement on one core: demo patterns (target <= 0.5 s), the
fluorapatite real pattern (325 reflections in range) and a simulated triclinic P-1 pattern
with ~1,000 reflections in 10-90 deg (:func:`intercal.simulate.xrd_exsitu.simulate_triclinic`;
target <= 3 s).

Usage: ``python benchmarks/xrd_lebail.py [repeats]``. BLAS threads are pinned to 1 before
numpy is imported; one untimed warm-up run per pattern loads pymatgen and the space-group
tables, then the median of ``repeats`` refinements is reported as process CPU time (the
machine is shared, so wall time is printed beside it but is not the measure; the load
average is printed first). The FAP line needs ../shared/realdata (skipped with a note when
absent).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from cpu_reference import describe as cpu_reference  # noqa: E402

from intercal.io.xrd import read_gsas_prm, read_pattern  # noqa: E402
from intercal.simulate import xrd_exsitu  # noqa: E402
from intercal.xrd.config import phases_from_config, settings_from_config  # noqa: E402
from intercal.xrd.lebail import Phase, Settings, refine  # noqa: E402

root = Path(__file__).resolve().parents[1]
cfg = yaml.safe_load((root / "config.yaml").read_text())
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def bench(label, pattern, phases, settings, target):
    refine(pattern, phases, settings, label)  # warm-up
    cpu, wall = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        r = refine(pattern, phases, settings, label)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    n_refl = int(len(r.reflections))
    med = statistics.median(cpu)
    print(
        f"{label}: {len(pattern)} points, {n_refl} reflections in range "
        f"(x2 with Ka2), {r.stats['cycles']} cycles, {med:.3f} s CPU per refinement "
        f"(median of {repeats}; wall {statistics.median(wall):.3f} s), target <= {target} s: "
        f"{'ok' if med <= target else 'SLOW'}; Rwp {100 * r.stats['rwp']:.3f} %"
    )


print(f"load average (1, 5, 15 min): {os.getloadavg()}; {cpu_reference()}")
for name, spec in cfg["xrd"]["patterns"].items():
    bench(
        name,
        read_pattern(root / spec["file"]),
        phases_from_config(name, spec["phases"], cfg["materials"]),
        settings_from_config(cfg["xrd"], name),
        0.5,
    )

_cands = (root.parent / "shared/realdata", root.parents[1] / "shared/realdata")
real = next((p for p in _cands if p.is_dir()), None)
if real is None:
    print("FAP: ../shared/realdata absent, skipped")
else:
    prm = read_gsas_prm(real / "xrd" / "INST_XRY.PRM")
    st = Settings(
        wavelength1_A=prm["wavelength1_A"], wavelength2_A=prm["wavelength2_A"],
        ratio=prm["ratio"], U=prm["U"], V=prm["V"], W=prm["W"], X=1.0, Y=1.0, SHL=0.0,
        zero_deg=prm["zero_deg"], background_terms=12, fixed=("zero", "SHL"),
    )  # fmt: skip
    bench(
        "FAP (realdata)",
        read_pattern(real / "xrd" / "FAP.XRA"),
        [Phase("FAP", "P6_3/m", {"a": 9.3717, "c": 6.8859})],
        st,
        3.0,
    )

tt, counts, _, truth = xrd_exsitu.simulate_triclinic()
ig = xrd_exsitu.instrument_gsas2()
tri = pd.DataFrame(
    {"two_theta_deg": tt, "intensity": counts, "esd": np.sqrt(np.maximum(counts, 1))}
)
start = {
    k: truth[k] * (1.0005 if k in "abc" else 1.0) for k in ("a", "b", "c", "alpha", "beta", "gamma")
}
for cutoff in (30.0, 20.0):
    st = Settings(
        U=ig["U"], V=ig["V"], W=ig["W"], X=ig["X"], Y=ig["Y"], SHL=ig["SHL"],
        soller_rad=ig["soller_half_acceptance_rad"], background_terms=12, fixed=("SHL",),
        cutoff_fwhm=cutoff,
    )  # fmt: skip
    bench(
        f"triclinic P-1 (simulated, cutoff {cutoff:g} FWHM)",
        tri,
        [Phase("tri", "P-1", start)],
        st,
        3.0,
    )
print(cpu_reference())
