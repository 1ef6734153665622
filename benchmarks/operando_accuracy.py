"""Per-scan accuracy of the operando branch against a forward model's per-scan truth.

Runs the branch's steps as the rules do (alignment, intensity factors from the configured
structures, batch tracking seeded by the ridge pass, cells at mid-scan) on a study folder and
prints, per phase, max and rms |a - a_true| and |c - c_true| over the single-phase scans
(true fraction > 0.995) and the two-phase scans (both phases present), the pulls
(error / esd), the scans where a phase present in the truth was not detected, the
``imprecise`` flags, and the summary's transition x.

    python benchmarks/operando_accuracy.py                        # the demo (data/operando)
    python benchmarks/operando_accuracy.py --study examples/LiCoO2 \\
        --config config.operando.yaml --truth data/operando/truth_per_scan.csv

Not part of the test suite (~10 s; imports pymatgen for the intensity factors).
"""

from __future__ import annotations

import argparse
import glob
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from intercal.io.echem import read_cycler
from intercal.operando import align, ridge, structure, summary, track
from intercal.operando.scans import batches

ROOT = Path(__file__).resolve().parents[1]


def run(study: Path, cfg_file: str, truth_file: str) -> None:
    os.chdir(study)
    full = yaml.safe_load(Path(cfg_file).read_text())
    cfg = full["operando"]
    cell = cfg["cell"]
    cyc = read_cycler(cfg["cycling_file"], csv=dict(cfg.get("cycling_csv", {})) or None)
    start = None
    if "acquisition_start" in cyc.meta:
        start = align.parse_acquisition_start(cyc.meta["acquisition_start"])
    times = align.scan_times(
        pd.read_csv(cfg["scan_log"], comment="#"),
        columns=cfg.get("scan_log_columns", {}),
        clock_offset_s=cfg.get("clock_offset_s"),
        cell_start=start,
    )
    opts = dict(
        active_mass_mg=float(cell.get("active_mass_mg") or cyc.meta["active_mass_mg"]),
        host_formula=cell["host_formula"],
        starting_x=float(cell["starting_x"]),
        lithiation_current=cell.get("lithiation_current", "negative"),
        first_direction=cell.get("first_direction", "lithiation"),
        x_reset=cell.get("x_reset"),
    )
    al = align.align_scans(times, cyc.table, **opts)
    t, _, _, x, cycle, x_off = align.cycling_x(cyc.table, **opts)
    trace = pd.DataFrame({"time_s": t, "x": x, "cycle": cycle})
    st = track.TrackSettings.from_config(cfg, full["materials"])
    refl = cfg.get("reflections", {})
    f_hkl = tuple(refl.get("fraction", refl.get("c", [0, 0, 1])))
    st.intensity_factors = {
        p["name"]: structure.intensity_factor(
            structure.build_structure(full["materials"][p["name"]], {"a": p["a"], "c": p["c"]}),
            f_hkl,
        )
        for p in cfg["phases"]
    }
    files = sorted(glob.glob(cfg["scans"]))
    groups = batches(files, int(cfg["batch_size"]))
    ordered = [f for b in sorted(groups) for f in groups[b]]
    rs = ridge.settings_from_config(cfg)
    seeding = cfg.get("seeding", {})
    max_seed = int(seeding.get("max_scans", 200))
    stride = ridge.seed_stride(len(ordered), max_seed)  # as the workflow does
    parts = []
    for b in sorted(groups):
        fb = groups[b]
        r, _, _ = track.fit_batch(
            fb, track.phases_from_config(cfg), st, ridge_settings=rs,
            seed_files=ridge.sample_earlier(ordered, fb[0], max_seed, stride=stride),
        )  # fmt: skip
        parts.append(r)
    states, tr, qc = cfg.get("states", {}), cfg.get("transition", {}), cfg.get("qc", {})
    lat = summary.assemble_lattice(
        pd.concat(parts, ignore_index=True), al, trace=trace,
        max_cell_esd=qc.get("max_cell_esd_A"),
    )  # fmt: skip
    res = summary.summarize(
        lat, trace, cycle=int(states.get("cycle", 1)), window_x=float(states.get("window_x", 0.1)),
        lithiated_phase=tr.get("phase"), transition_fraction=float(tr.get("fraction", 0.5)),
        first_direction=cell.get("first_direction", "lithiation"), x_offset=x_off,
        max_lost_scans=int(qc.get("max_lost_scans", 2)),
        min_sigma=float(cfg.get("fit", {}).get("min_sigma", 5.0)),
    )  # fmt: skip
    truth = pd.read_csv(truth_file)
    names = [p["name"] for p in cfg["phases"]]
    print(f"{study}: {lat.scan.nunique()} scans, phases {names}")
    for ph in names:
        r = lat[lat.phase == ph].merge(truth, on="scan")
        f = r[f"fraction_{ph}"] if f"fraction_{ph}" in r else pd.Series(1.0, index=r.index)
        flagged = r.qc.fillna("").str.contains(f"imprecise:{ph}")
        for lab, m in (
            ("single-phase", f > 0.995),
            ("two-phase", (f > 0.005) & (f <= 0.995)),
            ("two-phase, not flagged imprecise", (f > 0.005) & (f <= 0.995) & ~flagged),
        ):
            s = r[m & r.present]
            if not m.any():
                continue
            da, dc = s.a_A - s[f"a_{ph}_A"], s.c_A - s[f"c_{ph}_A"]
            pa, pc = da / s.a_esd_A, dc / s.c_esd_A
            print(
                f"  {ph} {lab}: {int(m.sum())} scans, {len(s)} present; "
                f"|a-a_true| max {da.abs().max():.5f} rms {np.sqrt(np.nanmean(da**2)):.5f} A; "
                f"|c-c_true| max {dc.abs().max():.5f} rms {np.sqrt(np.nanmean(dc**2)):.5f} A; "
                f"pull sd a {pa.std():.2f} c {pc.std():.2f}"
            )
        miss = r[(f > 0.005) & ~r.present]
        if len(miss):
            fr = miss[f"fraction_{ph}"]
            lst = ", ".join(f"{n} ({v:.3f})" for n, v in zip(miss.scan, fr, strict=True))
            print(f"  {ph} not detected (scan (true fraction at mid-scan)): {lst}")
        print(f"  {ph} flagged imprecise: {int(flagged.sum())} scans")
        false = r[(f <= 0.005) & r.present]
        print(f"  {ph} reported present where absent: {len(false)} scans")
    print(f"  detection limits (fraction): {res.get('detection_limit_fraction')}")
    print(f"  transition_x {res.get('transition_x')} +- {res.get('transition_x_esd')}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--study", default=str(ROOT))
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--truth", default="data/operando/ground_truth_operando.csv")
    args = ap.parse_args()
    run(Path(args.study).resolve(), args.config, args.truth)


if __name__ == "__main__":
    main()
