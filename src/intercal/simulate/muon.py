"""Forward model of the muSR demo data: LiCrSe2 on an EMU-like instrument (ISIS).

Writes ISIS muon NeXus (IDF v2, HDF5) files in ``data/musr/`` following the
layout of the real EMU file ``EMU00005989_v2.nxs`` (``raw_data_1/...``,
``detector_1/counts`` of shape (spectra, bins), ``histogram_resolution``,
``time_zero_bin``/``first_good_bin`` per spectrum) with the fields of current
ISIS files added where the pulsedTD definition puts them (``dead_time``,
``grouping``, ``time_zero``, ``good_frames``, sample temperature and field
logs).

Physics (richer than the analysis model; independent code):

* 96 detectors, 48 forward and 48 backward, each with its own efficiency,
  asymmetry factor (solid angle), dead time and flat background rate;
* the muon arrives in a pulse of finite width (Gaussian, 80 ns FWHM) around t0;
  the decay positron rate exp(-t/tau_mu)(1 +/- a_i A(t)) is convolved with it
  and integrated over each 16 ns bin (not sampled at the bin centre);
* non-paralysable dead time applied to the expected counts,
  m = n / (1 + n tau_i / (dt * frames)), then Poisson noise;
* polarisation: sample fraction with the dynamic Gaussian Kubo-Toyabe function
  in the strong-collision model (ZF and LF), computed here by direct
  time-marching of the Volterra equation on a 2 ns grid with Richardson
  extrapolation (its own solver, not the analysis code), times a paramagnetic
  exp(-lambda t); plus a non-relaxing background (silver sample holder);
* hop rate nu(T) = nu0 exp(-Ea / kB T) above the onset temperature, 0 below;
* a transverse-field 20 G calibration run (precession, opposite phase in the
  two banks) that fixes the bank efficiency ratio alpha.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from scipy.integrate import cumulative_simpson

TAU_MU = 2.1969811  # muon lifetime (us)
GAMMA_MU = 2.0 * np.pi * 0.01355342  # rad us^-1 G^-1
KB_MEV = 8.617333262e-2  # meV/K

N_DET = 96
N_BINS = 2000
DT = 0.016  # us
SUB = 8  # fine samples per bin (2 ns)
H_FINE = DT / SUB
T0_US = 0.176  # muon pulse centre in the raw time frame (us)
PULSE_FWHM = 0.080  # us
FIRST_GOOD_OFFSET = 8  # bins after t0

TRUTH = {
    "delta_us": 0.36,
    "nu0_MHz": 17.5,
    "activation_energy_meV": 74.0,
    "onset_temperature_K": 158.0,
    "a_sample": 0.200,
    "a_background": 0.030,
    "lambda0_us": 0.03,
    "lambda_T_K_us": 3.0,
    "temperatures_K": [100, 125, 150, 165, 180, 195, 210, 225, 240, 260, 280, 300],
    "fields_G": [0.0, 5.0, 10.0],
    "calibration_field_G": 20.0,
    "calibration_temperature_K": 300.0,
    "calibration_sigma_us": 0.25,
    "events_per_run": 12_000_000,
    "events_calibration": 20_000_000,
}

FIRST_RUN = 95000
FILE_TIME = "2024-03-11T09:00:00"


def hop_rate(temperature_K: float) -> float:
    """True hop rate nu(T) (MHz): Arrhenius above the onset, 0 below."""
    if temperature_K < TRUTH["onset_temperature_K"]:
        return 0.0
    return TRUTH["nu0_MHz"] * np.exp(-TRUTH["activation_energy_meV"] / (KB_MEV * temperature_K))


def paramagnetic_rate(temperature_K: float) -> float:
    """Paramagnetic (Cr3+ electronic) relaxation rate lambda(T) (us^-1)."""
    return TRUTH["lambda0_us"] + TRUTH["lambda_T_K_us"] / temperature_K


# --------------------------------------------------------------------------------------------
# Kubo-Toyabe: the simulator's own solver (time-domain marching)
# --------------------------------------------------------------------------------------------
def _static(t: np.ndarray, delta: float, field_G: float) -> np.ndarray:
    x = (delta * t) ** 2
    if field_G == 0:
        return 1.0 / 3.0 + 2.0 / 3.0 * (1.0 - x) * np.exp(-0.5 * x)
    w = GAMMA_MU * field_G
    integrand = np.exp(-0.5 * x) * np.sin(w * t)
    integral = cumulative_simpson(integrand, x=t, initial=0.0)
    return (
        1.0
        - 2.0 * delta**2 / w**2 * (1.0 - np.exp(-0.5 * x) * np.cos(w * t))
        + 2.0 * delta**4 / w**3 * integral
    )


def _march(f: np.ndarray, nu: float, h: float) -> np.ndarray:
    """Direct time-marching of G = f + nu int f G (trapezoid), O(N^2)."""
    g = np.empty_like(f)
    g[0] = f[0]
    fr = f[::-1].copy()  # fr[-1-k] = f[k]
    denom = 1.0 - 0.5 * nu * h * f[0]
    n_all = len(f)
    for n in range(1, n_all):
        # sum_{k=1}^{n-1} f[n-k] g[k]
        s = np.dot(fr[n_all - n : n_all - 1], g[1:n]) if n > 1 else 0.0
        g[n] = (f[n] + nu * h * (0.5 * f[n] * g[0] + s)) / denom
    return g


def dynamic_kt_reference(t_max: float, h: float, delta: float, nu: float, field_G: float):
    """Dynamic strong-collision Gaussian KT on the grid 0, h, ..., >= t_max.

    Trapezoidal marching on h/2 and h, Richardson-combined (O(h^4)), returned
    on the h grid. For nu == 0 the static function is returned.

    Returns
    -------
    (t, G) : tuple of numpy.ndarray
    """
    n = int(np.ceil(t_max / h)) + 1
    t = np.arange(n) * h
    if nu == 0:
        tf = np.arange(2 * n - 1) * (0.5 * h)
        return t, _static(tf, delta, field_G)[::2]
    tf = np.arange(2 * n - 1) * (0.5 * h)
    f = _static(tf, delta, field_G) * np.exp(-nu * tf)
    g_fine = _march(f, nu, 0.5 * h)[::2]
    g_coarse = _march(f[::2], nu, h)
    return t, (4.0 * g_fine - g_coarse) / 3.0


# --------------------------------------------------------------------------------------------
# instrument
# --------------------------------------------------------------------------------------------
def _instrument(rng: np.random.Generator) -> dict:
    eff = rng.uniform(0.80, 1.10, N_DET)
    eff[48:] *= 0.90  # backward bank less efficient -> alpha ~ 1.1
    asym_factor = rng.uniform(0.90, 1.02, N_DET)
    dead = rng.uniform(0.0035, 0.0090, N_DET)  # us
    background = rng.uniform(0.8e-4, 1.5e-4, N_DET)  # fraction of the t0 rate, per bin
    phase = rng.normal(0.0, 4.0, N_DET)  # deg, TF phase scatter per detector
    return {
        "efficiency": eff,
        "asymmetry_factor": asym_factor,
        "dead_time_us": dead,
        "background_fraction": background,
        "phase_deg": phase,
    }


def _pulse_kernel() -> np.ndarray:
    sigma = PULSE_FWHM / 2.354820045
    k = np.arange(-int(4 * sigma / H_FINE), int(4 * sigma / H_FINE) + 1) * H_FINE
    w = np.exp(-0.5 * (k / sigma) ** 2)
    return w / w.sum()


def _expected(
    inst: dict,
    pol_fine: np.ndarray | None,
    events: float,
    frames: int,
    tf_phase: np.ndarray | None = None,
    tf_omega: float = 0.0,
    tf_envelope: np.ndarray | None = None,
) -> np.ndarray:
    """Expected (dead-time reduced) counts per detector and bin, before Poisson noise."""
    n_fine = N_BINS * SUB
    t_raw = (np.arange(n_fine) + 0.5) * H_FINE  # fine sample centres, raw frame
    kernel = _pulse_kernel()
    half = len(kernel) // 2
    # time since muon arrival on a grid with the same spacing, shifted by t0
    t_since = t_raw - T0_US
    eff = inst["efficiency"]
    weights = eff / eff.sum()
    out = np.empty((N_DET, N_BINS), dtype=float)
    decay = np.where(t_since >= 0, np.exp(-np.clip(t_since, 0, None) / TAU_MU), 0.0)
    for i in range(N_DET):
        sign = 1.0 if i < 48 else -1.0
        a_i = inst["asymmetry_factor"][i]
        if tf_phase is None:
            p = pol_fine
        else:
            ph = np.deg2rad(tf_phase[i])
            p = tf_envelope * np.cos(tf_omega * np.clip(t_since, 0, None) + ph)
            sign = 1.0
        signal = decay * (1.0 + sign * a_i * p)
        signal = np.convolve(np.pad(signal, (half, half)), kernel, mode="valid")
        n0 = events * weights[i] / TAU_MU  # rate at t=0 per us (integral of decay = n0*tau)
        expected = n0 * signal.reshape(N_BINS, SUB).sum(axis=1) * H_FINE
        expected += inst["background_fraction"][i] * n0 * DT
        tau = inst["dead_time_us"][i]
        out[i] = expected / (1.0 + expected * tau / (DT * frames))
    return out


def _poisson(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Poisson counts, one detector after the other (the demo's draw order)."""
    out = np.empty(expected.shape, dtype=np.int32)
    for i in range(expected.shape[0]):
        out[i] = rng.poisson(expected[i])
    return out


def _counts(
    rng: np.random.Generator,
    inst: dict,
    pol_fine: np.ndarray | None,
    events: float,
    frames: int,
    tf_phase: np.ndarray | None = None,
    tf_omega: float = 0.0,
    tf_envelope: np.ndarray | None = None,
) -> np.ndarray:
    """Expected counts per detector and bin -> dead time -> Poisson."""
    return _poisson(rng, _expected(inst, pol_fine, events, frames, tf_phase, tf_omega, tf_envelope))


# --------------------------------------------------------------------------------------------
# HDF5 writer (ISIS muon NeXus IDF v2, EMU00005989_v2 layout + pulsedTD extras)
# --------------------------------------------------------------------------------------------
def _group(parent, name: str, nx_class: str):
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    gid = h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl)
    grp = h5py.Group(gid)
    grp.attrs["NX_class"] = np.bytes_(nx_class)
    return grp


def _ds(parent, name: str, value, attrs: dict | None = None, compress: bool = False):
    if isinstance(value, str):
        value = np.array([value.encode()])
    else:
        value = np.asarray(value)
        if value.ndim == 0:
            value = value.reshape(1)
    kw = {"track_times": False}
    if compress:
        kw.update(compression="gzip", compression_opts=9, shuffle=True)
    d = parent.create_dataset(name, data=value, **kw)
    for k, v in (attrs or {}).items():
        d.attrs[k] = np.bytes_(v) if isinstance(v, str) else v
    return d


def _write_run(path: Path, run: dict, counts: np.ndarray, inst: dict, rng) -> None:
    t0_bin = int(round(T0_US / DT))
    first_good = t0_bin + FIRST_GOOD_OFFSET
    with h5py.File(path, "w", track_order=False) as f:
        f.attrs["NeXus_version"] = np.bytes_("4.3.0")
        f.attrs["creator"] = np.bytes_("intercal.simulate.muon (synthetic demo data)")
        f.attrs["file_name"] = np.bytes_(path.name)
        f.attrs["file_time"] = np.bytes_(FILE_TIME)
        r = _group(f, "raw_data_1", "NXentry")
        _ds(r, "definition", "muonTD")
        _ds(r, "idf_version", np.int32(2))
        _ds(r, "program_name", "intercal.simulate", {"version": "0.1.0"})
        _ds(r, "run_number", np.int32(run["run_number"]))
        _ds(r, "title", run["title"])
        _ds(r, "notes", "SYNTHETIC DEMO DATA - not a measurement")
        _ds(r, "start_time", run["start_time"])
        _ds(r, "end_time", run["end_time"])
        _ds(r, "experiment_identifier", "RB0000000")
        _ds(r, "good_frames", np.int32(run["good_frames"]))
        _ds(r, "raw_frames", np.int32(run["raw_frames"]))
        _ds(r, "duration", np.float32(run["duration_s"]), {"units": "second"})
        det = _group(r, "detector_1", "NXdata")
        _ds(
            det,
            "counts",
            counts.astype(np.int32),
            {
                "axes": "[spectrum_index, raw_time_bin]",
                "long_name": "positron_counts",
                "signal": np.int32(1),
                "t0_bin": np.int32(t0_bin),
                "first_good_bin": np.int32(first_good),
                "last_good_bin": np.int32(N_BINS),
                "units": "counts",
                "target": "/raw_data_1/instrument/detector_1/counts",
            },
            compress=True,
        )
        _ds(
            det,
            "histogram_resolution",
            np.float32(DT * 1000),
            {"units": "nano.second"},
        )
        _ds(
            det,
            "raw_time",
            (np.arange(N_BINS) * DT).astype(np.float32),
            {"long_name": "time", "units": "micro.second"},
            compress=True,
        )
        _ds(
            det,
            "corrected_time",
            ((np.arange(N_BINS) + 0.5) * DT - T0_US).astype(np.float32),
            {"units": "microseconds"},
            compress=True,
        )
        _ds(det, "spectrum_index", np.arange(1, N_DET + 1, dtype=np.int32))
        ins = _group(r, "instrument", "NXinstrument")
        _ds(ins, "name", "EMU")
        bl = _group(ins, "beamline", "NXbeamline")
        _ds(bl, "beamline", "EMU")
        src = _group(ins, "source", "NXsource")
        _ds(src, "name", "ISIS")
        _ds(src, "probe", "positive muons")
        _ds(src, "type", "Pulsed Muon Source")
        idet = _group(ins, "detector_1", "NXdetector")
        _ds(idet, "description", "EMU")
        _ds(idet, "orientation", "l")
        _ds(idet, "first_good_bin", np.full(N_DET, first_good, np.int32))
        _ds(idet, "last_good_bin", np.full(N_DET, N_BINS, np.int32))
        _ds(idet, "time_zero_bin", np.full(N_DET, t0_bin, np.int32))
        _ds(
            idet,
            "time_zero",
            np.float32(T0_US),
            {"units": "microseconds", "available": np.int32(1)},
        )
        _ds(idet, "resolution", np.int32(round(DT * 1e6)), {"units": "picoseconds"})
        _ds(
            idet,
            "dead_time",
            inst["dead_time_us"].astype(np.float32),
            {"units": "microseconds", "available": np.int32(1)},
            compress=True,
        )
        grouping = np.where(np.arange(N_DET) < 48, 1, 2).astype(np.int32)
        _ds(idet, "grouping", grouping, {"available": np.int32(1)}, compress=True)
        _ds(idet, "spectrum_index", np.arange(1, N_DET + 1, dtype=np.int32))
        smp = _group(r, "sample", "NXsample")
        _ds(smp, "name", "LiCrSe2")
        _ds(
            smp,
            "temperature_1",
            np.float32(run["temperature_mean_K"]),
            {"units": "Kelvin"},
        )
        _ds(smp, "magnetic_field_1", np.float32(run["field_G"]), {"units": "Gauss"})
        _ds(smp, "magnetic_field_state", run["field_state"])
        env = _group(smp, "temperature_1_env", "NXenvironment")
        _ds(env, "name", "CCR, Lakeshore 340")
        for name, key, unit in (
            ("temperature_log", "temperature_log", "K"),
            ("magnetic_field_log", "field_log", "G"),
        ):
            lg = _group(smp, name, "IXseblock")
            tl, vl = run[key]
            _ds(lg, "value", np.float32(vl.mean()), {"units": unit})
            vlog = _group(lg, "value_log", "NXlog")
            _ds(
                vlog, "time", tl.astype(np.float32), {"start": run["start_time"], "units": "second"}
            )
            _ds(vlog, "value", vl.astype(np.float32), {"units": unit})


def _log(rng, duration_s: float, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, duration_s, 10.0)
    return t, mean + rng.normal(0.0, sd, t.size)


def _timestamp(run_index: int) -> tuple[str, str, float]:
    # runs every 40 min from the fixed start date, each lasting 30 min
    import datetime as _dt

    start = _dt.datetime(2024, 3, 11, 9, 0, 0) + _dt.timedelta(minutes=40 * run_index)
    end = start + _dt.timedelta(minutes=30)
    return start.isoformat(), end.isoformat(), 1800.0


def generate(data_dir: Path, seed: int) -> dict:
    """Write the muSR demo runs into ``data_dir/musr/`` and return the ground truth.

    Parameters
    ----------
    data_dir : pathlib.Path
        The data folder (``data/``).
    seed : int
        Master seed; this module draws from ``default_rng([seed, 0x6D75])``.

    Returns
    -------
    dict
        Ground truth (plain Python types).
    """
    rng = np.random.default_rng([seed, 0x6D75])
    out_dir = Path(data_dir) / "musr"
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("EMU*.nxs"):
        old.unlink()
    inst = _instrument(rng)
    tr = TRUTH
    t_since = (np.arange(N_BINS * SUB) + 0.5) * H_FINE - T0_US
    t_pos = np.clip(t_since, 0.0, None)
    runs_truth = []
    run_index = 0

    # calibration (TF 20 G)
    omega = GAMMA_MU * tr["calibration_field_G"]
    env = (
        tr["a_sample"] * np.exp(-0.5 * (tr["calibration_sigma_us"] * t_pos) ** 2)
        + tr["a_background"]
    )
    bank_phase = np.where(np.arange(N_DET) < 48, 0.0, 180.0) + inst["phase_deg"] + 10.0
    frames = int(rng.integers(20000, 24000))
    counts = _counts(
        rng,
        inst,
        None,
        tr["events_calibration"],
        frames,
        tf_phase=bank_phase,
        tf_omega=omega,
        tf_envelope=env,
    )
    start, end, dur = _timestamp(run_index)
    run_number = FIRST_RUN + run_index
    temp = tr["calibration_temperature_K"]
    name = f"EMU{run_number:08d}.nxs"
    _write_run(
        out_dir / name,
        {
            "run_number": run_number,
            "title": f"LiCrSe2 T={temp:.1f} F={tr['calibration_field_G']:.0f} TF calibration",
            "start_time": start,
            "end_time": end,
            "good_frames": frames,
            "raw_frames": frames + int(rng.integers(2, 40)),
            "duration_s": dur,
            "temperature_mean_K": temp,
            "field_G": tr["calibration_field_G"],
            "field_state": "TF",
            "temperature_log": _log(rng, dur, temp, 0.05),
            "field_log": _log(rng, dur, tr["calibration_field_G"], 0.02),
        },
        counts,
        inst,
        rng,
    )
    runs_truth.append(
        {"file": f"musr/{name}", "run": run_number, "kind": "TF calibration", "field_G": 20.0}
    )
    run_index += 1

    temps_truth = []
    for temp in tr["temperatures_K"]:
        nu = float(hop_rate(temp))
        lam = float(paramagnetic_rate(temp))
        for field in tr["fields_G"]:
            tgrid, g = dynamic_kt_reference(
                float(t_pos.max()) + 0.01, 2 * H_FINE, tr["delta_us"], nu, field
            )
            pol = (
                tr["a_sample"] * np.interp(t_pos, tgrid, g) * np.exp(-lam * t_pos)
                + tr["a_background"]
            )
            frames = int(rng.integers(12000, 16000))
            counts = _counts(rng, inst, pol, tr["events_per_run"], frames)
            start, end, dur = _timestamp(run_index)
            run_number = FIRST_RUN + run_index
            t_actual = temp + float(rng.normal(0.0, 0.05))
            name = f"EMU{run_number:08d}.nxs"
            state = "ZF" if field == 0 else "LF"
            _write_run(
                out_dir / name,
                {
                    "run_number": run_number,
                    "title": f"LiCrSe2 T={temp:.1f} F={field:.0f} {state}",
                    "start_time": start,
                    "end_time": end,
                    "good_frames": frames,
                    "raw_frames": frames + int(rng.integers(2, 40)),
                    "duration_s": dur,
                    "temperature_mean_K": t_actual,
                    "field_G": field,
                    "field_state": state,
                    "temperature_log": _log(rng, dur, t_actual, 0.05),
                    "field_log": _log(rng, dur, field, 0.02),
                },
                counts,
                inst,
                rng,
            )
            runs_truth.append(
                {
                    "file": f"musr/{name}",
                    "run": run_number,
                    "kind": state,
                    "field_G": float(field),
                    "temperature_K": float(temp),
                }
            )
            run_index += 1
        temps_truth.append(
            {"temperature_K": float(temp), "nu_MHz": round(nu, 6), "lambda_us": round(lam, 6)}
        )

    eff = inst["efficiency"]
    a_f = float(np.sum(eff[:48] * inst["asymmetry_factor"][:48]) / eff[:48].sum())
    a_b = float(np.sum(eff[48:] * inst["asymmetry_factor"][48:]) / eff[48:].sum())
    return {
        "description": (
            "LiCrSe2 on an EMU-like spectrometer: TF 20 G calibration and ZF, LF 5 G, LF 10 G "
            "runs per temperature; dynamic Gaussian Kubo-Toyabe (strong collision) x exp(-lambda t)"
        ),
        "delta_us": tr["delta_us"],
        "nu0_MHz": tr["nu0_MHz"],
        "activation_energy_meV": tr["activation_energy_meV"],
        "onset_temperature_K": tr["onset_temperature_K"],
        "a_sample": tr["a_sample"],
        "a_background": tr["a_background"],
        "bank_asymmetry_factor_forward": round(a_f, 6),
        "bank_asymmetry_factor_backward": round(a_b, 6),
        "alpha": round(float(eff[:48].sum() / eff[48:].sum()), 6),
        "dead_time_us_mean": round(float(inst["dead_time_us"].mean()), 6),
        "pulse_fwhm_us": PULSE_FWHM,
        "time_zero_us": T0_US,
        "bin_width_us": DT,
        "temperatures": temps_truth,
        "runs": runs_truth,
    }


# --------------------------------------------------------------------------------------------
# noise realisations for tests and benchmarks (not the demo data set)
# --------------------------------------------------------------------------------------------
def write_series(
    out_dir: Path,
    *,
    seed: int,
    temperatures_K: list[float] | None = None,
    fields_G: list[float] | None = None,
    count_scale: float = 1.0,
    cache: dict | None = None,
    instrument_seed: int = 1,
) -> dict:
    """Write one noise realisation of a ZF/LF temperature series and its TF calibration run.

    The instrument (efficiencies, dead times ...) and the frame counts are fixed
    by ``instrument_seed``; only the Poisson noise changes with ``seed``, so the
    expensive expected counts can be shared between realisations through
    ``cache`` (a dict the caller keeps).

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder for the run files (created).
    seed : int
        Seed of the counting noise.
    temperatures_K, fields_G : list of float, optional
        Default: the demo's temperatures and fields (TRUTH).
    count_scale : float
        Events per run relative to the demo (0.1 = 10x fewer counts).
    cache : dict, optional
        Expected counts keyed by run kind, temperature, field and scale.
    instrument_seed : int
        Seed of the instrument constants.

    Returns
    -------
    dict
        ``config``: a musr config section for these files (paths absolute);
        ``truth``: Ea (meV), nu0 (MHz), delta (us^-1), onset (K), nu(T) (MHz), alpha.
    """
    tr = TRUTH
    temps = list(tr["temperatures_K"] if temperatures_K is None else temperatures_K)
    fields = list(tr["fields_G"] if fields_G is None else fields_G)
    cache = {} if cache is None else cache
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inst = _instrument(np.random.default_rng([instrument_seed, 0x6D75]))
    rng = np.random.default_rng([seed, 0x5E71])
    t_pos = np.clip((np.arange(N_BINS * SUB) + 0.5) * H_FINE - T0_US, 0.0, None)
    frames_cal, frames_run = 22000, 14000

    key = ("cal", count_scale, instrument_seed)
    if key not in cache:
        env = (
            tr["a_sample"] * np.exp(-0.5 * (tr["calibration_sigma_us"] * t_pos) ** 2)
            + tr["a_background"]
        )
        phase = np.where(np.arange(N_DET) < 48, 0.0, 180.0) + inst["phase_deg"] + 10.0
        cache[key] = _expected(
            inst,
            None,
            tr["events_calibration"] * count_scale,
            frames_cal,
            tf_phase=phase,
            tf_omega=GAMMA_MU * tr["calibration_field_G"],
            tf_envelope=env,
        )
    run_index = 0

    def write(name, expected, temp, field, frames, state):
        nonlocal run_index
        start, end, dur = _timestamp(run_index)
        _write_run(
            out_dir / name,
            {
                "run_number": FIRST_RUN + run_index,
                "title": f"simulated T={temp:.1f} F={field:.0f} {state}",
                "start_time": start,
                "end_time": end,
                "good_frames": frames,
                "raw_frames": frames + 10,
                "duration_s": dur,
                "temperature_mean_K": temp,
                "field_G": field,
                "field_state": state,
                "temperature_log": (np.array([0.0, 10.0]), np.array([temp, temp])),
                "field_log": (np.array([0.0, 10.0]), np.array([field, field])),
            },
            _poisson(rng, expected),
            inst,
            rng,
        )
        run_index += 1
        return str(out_dir / name)

    cal_file = write(
        "cal.nxs",
        cache[key],
        tr["calibration_temperature_K"],
        tr["calibration_field_G"],
        frames_cal,
        "TF",
    )
    temperatures = []
    nus = []
    for temp in temps:
        nu = float(hop_rate(temp))
        lam = float(paramagnetic_rate(temp))
        nus.append(nu)
        runs = []
        for field in fields:
            k = ("run", float(temp), float(field), count_scale, instrument_seed)
            if k not in cache:
                tgrid, g = dynamic_kt_reference(
                    float(t_pos.max()) + 0.01, 2 * H_FINE, tr["delta_us"], nu, field
                )
                pol = (
                    tr["a_sample"] * np.interp(t_pos, tgrid, g) * np.exp(-lam * t_pos)
                    + tr["a_background"]
                )
                cache[k] = _expected(inst, pol, tr["events_per_run"] * count_scale, frames_run)
            state = "ZF" if field == 0 else "LF"
            name = f"T{temp:g}K_F{field:g}G.nxs"
            runs.append(
                {
                    "file": write(name, cache[k], temp, field, frames_run, state),
                    "field_G": float(field),
                }
            )
        temperatures.append({"name": f"T{temp:g}K", "temperature_K": float(temp), "runs": runs})
    config = {
        "calibration": {"file": cal_file, "field_G": tr["calibration_field_G"]},
        "grouping": {"forward": "1-48", "backward": "49-96"},
        "dead_time_correction": True,
        "background_window_us": [25.0, 31.0],
        "reduction": {"t_max_us": 16.0, "rebin": 2, "temperature_tolerance_K": 2.0},
        "fit": {"t_min_us": 0.1, "t_max_us": 16.0, "method": "exact", "delta_mode": "shared"},
        "arrhenius": {"onset_K": None, "n_sigma": 2.0, "nu_min_MHz": 0.02},
        "temperatures": temperatures,
    }
    eff = inst["efficiency"]
    truth = {
        "activation_energy_meV": tr["activation_energy_meV"],
        "nu0_MHz": tr["nu0_MHz"],
        "delta_us": tr["delta_us"],
        "onset_temperature_K": tr["onset_temperature_K"],
        "nu_MHz": dict(zip([t["name"] for t in temperatures], nus, strict=True)),
        "alpha": float(eff[:48].sum() / eff[48:].sum()),
    }
    return {"config": config, "truth": truth}
