"""Scan alignment with the cycling clock: x from the charge, mean voltage, cycles."""

import numpy as np
import pandas as pd
import pytest

from intercal.errors import InputError
from intercal.operando import align


def _cell(mass_mg=2.0, rate_c=0.1):
    """Two cycles CC at C/10 for 1 Li per CrSe2 (x: 0 -> 1 -> 0 -> 1 -> 0)."""
    cap = align.theoretical_capacity_mAh_g("CrSe2") * mass_mg / 1000.0  # mAh for 1 Li
    i = cap * rate_c  # mA
    t_half = 3600.0 / rate_c
    t = np.arange(0, 4 * t_half + 1, 10.0)
    sgn = np.where(((t // t_half) % 2) == 0, -1.0, 1.0)  # discharge (lithiation) first
    sgn[-1] = sgn[-2]
    volt = 2.0 + 0.5 * np.sin(t / 1000.0)
    return pd.DataFrame({"time_s": t, "voltage_V": volt, "current_mA": sgn * i}), t_half


def test_theoretical_capacity_matches_paper():
    # REFERENCE.md: 127.7 mAh/g = F / (3.6 M(CrSe2))
    assert align.theoretical_capacity_mAh_g("CrSe2") == pytest.approx(127.7, abs=0.05)


def test_x_from_charge_and_cycles():
    cyc, th = _cell()
    scans = pd.DataFrame(
        {"scan": [1, 2, 3, 4], "start_s": [0.0, th - 600, 1.5 * th, 2.5 * th],
         "end_s": [600.0, th, 1.5 * th + 600, 2.5 * th + 600]}
    )  # fmt: skip
    out = align.align_scans(scans, cyc, active_mass_mg=2.0, host_formula="CrSe2", starting_x=0.0)
    # x at mid-scan: 300 s into lithiation -> 300/th, ...
    assert out.x.iloc[0] == pytest.approx(300 / th, abs=1e-6)
    assert out.x.iloc[1] == pytest.approx(
        1 - 300 / th, abs=5e-4
    )  # one 10 s sample at the current switch
    assert out.x.iloc[2] == pytest.approx(
        1 - (0.5 * th + 300) / th, abs=5e-4
    )  # one 10 s sample at the current switch
    assert list(out.direction) == ["lithiation", "lithiation", "delithiation", "lithiation"]
    assert list(out.cycle) == [1, 1, 1, 2]
    # mean voltage: time average of the sine over the first scan
    tt = np.linspace(0, 600, 6001)
    assert out.voltage_V.iloc[0] == pytest.approx(np.mean(2 + 0.5 * np.sin(tt / 1000)), abs=1e-4)


def test_scan_times_from_datetimes_and_seconds():
    log = pd.DataFrame(
        {"scan": [1, 2], "start": ["2026-01-01T10:00:00", "2026-01-01T10:10:00"],
         "end": ["2026-01-01T10:09:00", "2026-01-01T10:19:00"]}
    )  # fmt: skip
    start = align.parse_acquisition_start("01/01/2026 09:59:00.000")
    out = align.scan_times(log, columns={}, cell_start=start)
    assert out.start_s.tolist() == [60.0, 660.0]
    log2 = pd.DataFrame({"n": [1, 2], "t0": [0.0, 600.0], "t1": [590.0, 1190.0]})
    out2 = align.scan_times(
        log2, columns={"scan": "n", "start": "t0", "end": "t1"}, clock_offset_s=30
    )
    assert out2.end_s.tolist() == [620.0, 1220.0]


def test_bad_inputs_raise():
    log = pd.DataFrame({"scan": [1, 1], "start_s": [0.0, 1.0], "end_s": [1.0, 2.0]})
    with pytest.raises(InputError, match="scan 1 appears twice"):
        align.scan_times(log, columns={"start": "start_s", "end": "end_s"}, clock_offset_s=0)
    log = pd.DataFrame({"scan": [1], "start_s": [0.0], "end_s": [1.0]})
    with pytest.raises(InputError, match="clock_offset_s"):
        align.scan_times(log, columns={"start": "start_s", "end": "end_s"})
    with pytest.raises(InputError, match="no column 'begin'"):
        align.scan_times(log, columns={"start": "begin"}, clock_offset_s=0)
    cyc, th = _cell()
    far = pd.DataFrame({"scan": [1], "start_s": [10 * th], "end_s": [10 * th + 5]})
    with pytest.raises(InputError, match="outside the cycling record"):
        align.align_scans(far, cyc, active_mass_mg=2.0, host_formula="CrSe2", starting_x=0.0)
    with pytest.raises(InputError, match="host_formula"):
        align.molar_mass("Xx9Q")
