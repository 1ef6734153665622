"""Low statistics (10x fewer counts) and constructed failure cases on forward-model data.

The simulator's runs (intercal.simulate.muon.write_series) go through the same
calls as the workflow: alpha, per-temperature fits, global fit, onset, Arrhenius.
"""

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.musr.pipeline import analyse_section, calibrate_alpha
from intercal.simulate.muon import write_series

TEMPS = [120.0, 150.0, 180.0, 210.0, 240.0, 270.0, 300.0]


@pytest.fixture(scope="module")
def low_stats(tmp_path_factory):
    return write_series(
        tmp_path_factory.mktemp("low"), seed=7, temperatures_K=TEMPS, count_scale=0.1
    )


@pytest.mark.slow
def test_low_statistics_chain_completes(low_stats):
    out = analyse_section(low_stats["config"])
    r = out["repro"].set_index("quantity")
    ea, ea_err = r.loc["musr.activation_energy", ["value", "stderr"]]
    assert np.isfinite(ea_err) and 0 < ea_err < 15
    assert abs(ea - low_stats["truth"]["activation_energy_meV"]) < 3 * ea_err
    assert 150.0 <= r.loc["musr.onset_temperature", "value"] <= 180.0
    nu = out["nu_table"]
    assert not (nu["nu_stderr_MHz"] == 0).any()
    # Delta shared: one value, its error in every nu
    assert nu["delta_us"].nunique() == 1


@pytest.mark.slow
def test_low_statistics_onset_from_config_skips_detection(low_stats):
    out = analyse_section(low_stats["config"], onset_K=165.0)
    r = out["repro"].set_index("quantity")
    assert r.loc["musr.onset_temperature", "value"] == 165.0
    assert "onset_from_config" in r.loc["musr.onset_temperature", "qc"]
    assert out["nu_table"].loc[out["nu_table"]["used_in_arrhenius"], "temperature_K"].min() == 180


@pytest.mark.slow
def test_swapped_grouping_is_an_error_naming_it(low_stats):
    cal = low_stats["config"]["calibration"]
    with pytest.raises(InputError, match=r"grouping forward '49-96' / backward '1-48'.*swapped"):
        calibrate_alpha(cal["file"], field_G=cal["field_G"], forward="49-96", backward="1-48")
