"""DFT headline rows: the study's host in the names, calculated numbers flagged as esd-less."""

import math

import pandas as pd
import pytest

from intercal.dft.summary import NO_ESD, headline_rows
from intercal.errors import InputError

SUMMARY = {
    "average_voltage_V": 3.9,
    "min_voltage_V": 3.7,
    "max_voltage_V": 4.1,
    "theoretical_capacity_mAh_g": 274.0,
    "stable_x": [0.0, 0.5, 1.0],
}


def test_rows_named_from_config_host_with_nan_esd_and_flag():
    barriers = pd.DataFrame(
        {"x": [0.25, 0.75], "barrier_eV": [0.41, 0.62], "saddle_interior": [True, False]}
    )
    t = headline_rows(SUMMARY, barriers, host="NaFePO4").set_index("quantity")
    assert t.loc["dft.NaFePO4.average_voltage", "value"] == pytest.approx(3.9)
    assert t.loc["dft.NaFePO4.theoretical_capacity", "unit"] == "mAh/g"
    assert t.loc["dft.NaFePO4.stable_configurations", "value"] == 3
    assert t.loc["dft.NaFePO4.neb_barrier.x0.25", "value"] == pytest.approx(0.41)
    # never a silent number: no esd is NaN with a flag, a saddle at an end image is said
    assert all(math.isnan(v) for v in t["stderr"])
    assert (t["qc"].str.contains(NO_ESD)).all()
    assert t.loc["dft.NaFePO4.neb_barrier.x0.75", "qc"].endswith("saddle_at_end")
    assert "saddle_at_end" not in t.loc["dft.NaFePO4.neb_barrier.x0.25", "qc"]


def test_no_neb_gives_no_barrier_rows():
    t = headline_rows(SUMMARY, None, host="TiS2")
    assert len(t) == 5 and not t["quantity"].str.contains("neb").any()


def test_incomplete_summary_is_an_error():
    bad = {k: v for k, v in SUMMARY.items() if k != "max_voltage_V"}
    with pytest.raises(InputError, match=r"lacks \['max_voltage_V'\]"):
        headline_rows(bad, None, host="TiS2")
