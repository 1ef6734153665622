"""Real Athena projects (../shared/realdata/xas): Mn K-edge standards and NiO with a Ni-foil
reference channel. E0 against Athena's stored values, an oxidation-state series, reference
calibration of drifting scans and their merge."""

from __future__ import annotations

import numpy as np
import pytest

from intercal.io.xas import read_athena
from intercal.xas.calibrate import calibrate_scan, merge_scans
from intercal.xas.edge import find_e0

pytestmark = pytest.mark.realdata

MN_WINDOW = (6530.0, 6565.0)
#: formal Mn oxidation state of the single-valence standards (realdata README)
MN_VALENCE = {
    "Mn_foil": 0,
    "MnO": 2,
    "MnCl2": 2,
    "Mn_Oxalate": 2,
    "Rhodochrosite": 2,
    "Mn2O3x": 3,
    "g_MnOOH": 3,
    "Pyrolusite": 4,
    "Ramsdellite": 4,
    "Li2MnO3": 4,
}
#: MnO2-type Mn4+ standards: Athena's stored E0 is the first (shoulder) inflection, our E0 the
#: derivative maximum on the main rise, 4.7-5.8 eV higher; MnOx has a flat-topped derivative
SHOULDER = {"Psilomelane", "Pyrolusite", "Ramsdellite"}


@pytest.fixture(scope="module")
def mn(realdata):
    groups = read_athena(realdata / "xas" / "Mn.prj")
    out = {}
    for name, g in groups.items():
        e0, err = find_e0(g["energy"] + g["eshift"], g["mu"], window=MN_WINDOW, source=name)
        out[name] = (e0, err, g["bkg_e0"])
    return out


def test_mn_e0_matches_athena(mn):
    assert len(mn) == 14
    # exactly the three MnO2-type Mn4+ standards are > 1 eV from Athena's stored E0: Athena
    # stored their first (shoulder) inflection, ours is the derivative maximum (main rise)
    far = {name for name, (e0, _, stored) in mn.items() if abs(e0 - stored) > 1.0}
    assert far == SHOULDER
    for name, (e0, err, stored) in mn.items():
        if name in SHOULDER:
            assert 4.5 < e0 - stored < 6.0, name
        elif name == "MnOx":
            assert abs(e0 - stored) < 1.0, name
        else:
            assert e0 == pytest.approx(stored, abs=0.15), name
            assert np.isfinite(err) and err < 0.1


def test_mn_oxidation_state_series(mn):
    means = {}
    for name, v in MN_VALENCE.items():
        means.setdefault(v, []).append(mn[name][0])
    series = [float(np.mean(means[v])) for v in sorted(means)]
    # Mn0 < Mn2+ < Mn3+ < Mn4+, each step more than 2 eV
    assert np.all(np.diff(series) > 2.0), series
    # mixed-valent Mn3O4 (Mn 2.67+) lies between the Mn0 and Mn4+ means
    assert series[0] < mn["Mn3O4"][0] < series[-1]


@pytest.fixture(scope="module")
def nio(realdata):
    return read_athena(realdata / "xas" / "NiO.prj")


def test_nio_calibration_on_drifting_reference(nio):
    scans = []
    names = sorted(n for n in nio if n.startswith("NiO_"))
    assert len(names) == 10  # NiO_005 is not in the project
    for n in names:
        g, ref = nio[n], nio[f"d_Ref_{n}"]
        np.testing.assert_array_equal(g["energy"], ref["energy"])
        scans.append(
            calibrate_scan(n, g["energy"], g["mu"], ref["mu"], reference_e0=8333.0, n_mc=50)
        )
    shifts = np.array([s.shift for s in scans])
    # the reference E0 drifts by > 4 eV over the series; our shifts follow Athena's own
    assert np.ptp(shifts) > 4.0
    athena = np.array([nio[n]["eshift"] for n in names])
    assert np.max(np.abs(shifts - athena)) < 0.4
    assert np.corrcoef(shifts, athena)[0, 1] > 0.98
    # after calibration the NiO edges agree to a few tenths of an eV
    e0s = [find_e0(s.energy, s.mu, window=(8335, 8355))[0] for s in scans]
    raw = [find_e0(nio[n]["energy"], nio[n]["mu"], window=(8330, 8355))[0] for n in names]
    assert np.std(e0s) < 0.25 < np.std(raw)
    merged = merge_scans(scans, e0_window=(8335, 8355), e0_tolerance_eV=0.6)
    e0, _ = find_e0(merged["energy"], merged["mu"], window=(8335, 8355))
    # Athena's merge of the same scans (its own alignment): derivative maximum 8344.91 eV
    g = nio["NiO"]
    athena_e0, _ = find_e0(g["energy"] + g["eshift"], g["mu"], window=(8335, 8355))
    assert e0 == pytest.approx(athena_e0, abs=0.25)
    # and the merged spectrum itself matches Athena's merge once both are scaled
    common = (merged["energy"] > 8300) & (merged["energy"] < 8450)
    ours = merged["mu"][common]
    theirs = np.interp(merged["energy"][common], g["energy"] + g["eshift"], g["mu"])
    ours = (ours - ours[0]) / (ours[-1] - ours[0])
    theirs = (theirs - theirs[0]) / (theirs[-1] - theirs[0])
    assert np.sqrt(np.mean((ours - theirs) ** 2)) < 0.02
