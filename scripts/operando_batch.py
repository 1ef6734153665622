"""Snakemake entry point: one batch of operando scans -> calibration + per-scan, per-phase fits."""

import json
import logging

import numpy as np

from intercal.joblog import job_log
from intercal.operando import ridge, track
from intercal.operando.scans import read_manifest
from intercal.tables import atomic_write, qc_text, write_csv

job_log(snakemake.log[0], filemode="w")
with open(snakemake.input.factors) as fh:
    factors = json.load(fh)["intensity_factors"]
cfg = {
    "phases": snakemake.params.phases,
    "fit": snakemake.params.fit,
    "radiation": snakemake.params.radiation,
    "reflections": snakemake.params.reflections,
    "hardware_peaks_deg": snakemake.params.hardware_peaks_deg,
    "seeding": snakemake.params.seeding,
}
files = read_manifest(snakemake.input.manifest)
settings = track.TrackSettings.from_config(cfg)
settings.intensity_factors = factors
rows, imap, grid, cal = track.fit_batch(
    files["scans"],
    track.phases_from_config(cfg),
    settings,
    grid=tuple(snakemake.params.grid),
    calibration=dict(snakemake.params.calibration),
    group=f"batch {snakemake.wildcards.batch}",
    return_calibration=True,
    seed_files=files["seed_scans"],
    ridge_settings=ridge.settings_from_config(cfg),
)
write_csv(rows, snakemake.output.peaks)
write_csv(cal, snakemake.output.calibration)
# uncompressed: the lattice job reads every batch map on each rerun (decompressing 10,000
# scans costs ~0.3 s there); 2.4 MB per 250 scans
with atomic_write(snakemake.output.intensity_map, suffix=".npz") as tmp:
    np.savez(tmp, scan=rows["scan"].unique(), two_theta_deg=grid, intensity=imap)
for r in cal.itertuples():
    logging.info(
        "calibration %s (%s, scans %d-%d): shift %.5f +- %.5f deg, zero %.5f deg, s %.4f mm",
        r.group, r.method, r.first_scan, r.last_scan, r.shift_deg, r.shift_esd_deg,
        r.zero_shift_deg, r.displacement_mm,
    )  # fmt: skip
for note in snakemake.params.calibration_notes:
    logging.info("%s: the standard is fitted in the scans where it stands free", note)
for r in cal.itertuples():
    if r.basis not in ("all", "", "none"):
        logging.warning("calibration %s: %s", r.group, r.basis)
logging.info(
    "%d scans (seeded by a ridge pass over %d earlier scans), %d phase rows, %d guard hits",
    rows["scan"].nunique(),
    len(files["seed_scans"]),
    len(rows),
    int(rows["guard_hit"].sum()),
)
flagged = rows[qc_text(rows["qc"]).str.len() > 0]
for r in flagged.itertuples():
    logging.warning("scan %d %s: %s", r.scan, r.phase, r.qc)
