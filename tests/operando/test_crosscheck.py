"""Le Bail cross-check of the tracked cells on every 10th demo scan (issue 4)."""

import glob

import numpy as np
import pandas as pd
import pytest
import yaml

from intercal.io.echem import read as read_cycling
from intercal.operando import align, summary, track
from intercal.operando.crosscheck import crosscheck
from intercal.operando.scans import scan_number


def test_crosscheck_converges_and_agrees(demo_data, root):
    d = demo_data / "operando"
    if not (d / "ground_truth_operando.csv").exists():
        pytest.skip("demo data data/operando absent (run python -m intercal.simulate)")
    full = yaml.safe_load((root / "config.yaml").read_text())
    cfg, mats = full["operando"], full["materials"]
    cyc = read_cycling(d / "cell.mpt")
    start = align.parse_acquisition_start(cyc.meta["acquisition_start"])
    times = align.scan_times(
        pd.read_csv(d / "scan_log.csv"), columns=cfg["scan_log_columns"], cell_start=start
    )
    al = align.align_scans(
        times, cyc.table, active_mass_mg=cyc.meta["active_mass_mg"], host_formula="CrSe2",
        starting_x=0.0,
    )  # fmt: skip
    st = track.TrackSettings.from_config(cfg, mats)
    files = sorted(glob.glob(str(d / "scans" / "scan_*.xye")))
    size = int(cfg["batch_size"])
    parts = [
        track.fit_batch(files[i : i + size], track.phases_from_config(cfg), st)[0]
        for i in range(0, len(files), size)
    ]
    lat = summary.assemble_lattice(pd.concat(parts, ignore_index=True), al)
    cross = cfg["crosscheck"]
    sub = {scan_number(f): f for f in files[:: int(cross["every"])]}
    inst = full["xrd"]["instrument"]
    tab = crosscheck(
        sub,
        lat,
        space_groups={p["name"]: mats[p["name"]]["space_group"] for p in cfg["phases"]},
        extra_phases=[(k, mats[k]["space_group"], mats[k]["cell"]) for k in cross["extra_phases"]],
        two_theta_range_deg=tuple(cross["two_theta_range_deg"]),
        wavelengths=tuple(cfg["radiation"]["wavelengths_A"]),
        instrument={"SHL": inst["SHL"], "soller_rad": inst["soller_half_acceptance_rad"]},
    )
    assert set(tab.scan) == set(sub)
    assert (tab.note == "").all(), tab.note[tab.note != ""].tolist()
    assert tab.converged_by.isin(["shift", "chi2", "stalled"]).all()
    z = tab[["z_a", "z_c"]].to_numpy()
    assert np.isfinite(z).all()
    assert np.abs(z).max() < 3.0, tab[["scan", "phase", "z_a", "z_c"]]
