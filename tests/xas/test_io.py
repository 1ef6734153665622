"""XAS readers: demo files, real beamline files, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.xas import absorption, read_athena, read_column_ascii, read_scan, read_xdi

from .conftest import COLUMNS

CR_FOIL_COLUMNS = {
    "energy": "mono1_energy_acs",
    "i0": ["albaem02_ch1", "albaem02_ch2"],
    "it": ["albaem02_ch3", "albaem02_ch4"],
}


def test_column_ascii_by_name_and_index(xas_sim):
    folder, _ = xas_sim
    a = read_column_ascii(folder / "SeK_LiCrSe2_01.dat", COLUMNS)
    b = read_column_ascii(folder / "SeK_LiCrSe2_01.dat", {"energy": 0, "i0": 1, "it": 2, "iref": 3})
    np.testing.assert_array_equal(a.channels["it"], b.channels["it"])
    assert a.labels == ["energy", "I0", "It", "Iref"]
    mu, mu_ref = absorption(a)
    np.testing.assert_allclose(mu, np.log(a.channels["i0"] / a.channels["it"]))
    np.testing.assert_allclose(mu_ref, np.log(a.channels["it"] / a.channels["iref"]))


def test_real_cr_foil_summed_channels(realdata):
    scan = read_column_ascii(realdata / "xas" / "Cr-foil_EXAFS_23293.dat", CR_FOIL_COLUMNS)
    assert scan.energy.size == 4096
    assert scan.energy[0] == pytest.approx(5789.0) and scan.energy[-1] == pytest.approx(7109.0)
    mu, mu_ref = absorption(scan)
    assert mu_ref is None
    # README (ParSeq): edge jump 1.977
    from intercal.xas.normalize import normalize

    assert normalize(scan.energy, mu)["edge_step"] == pytest.approx(1.977, rel=0.05)


def test_real_xdi(realdata):
    s = read_xdi(realdata / "xas" / "se_znse_rt.xdi")
    assert s.energy.size == 469
    assert set(s.channels) == {"i0", "it"}
    assert s.header["Element.symbol"] == "Se"


def test_real_athena_project(realdata):
    groups = read_athena(realdata / "xas" / "Se_Standards.prj")
    assert len(groups) == 9
    zn = groups["Se_ZnSe_merge6"]
    assert zn["bkg_e0"] == pytest.approx(12657.75)
    assert zn["energy"].size == 469


def test_nonmonotonic_energy(tmp_path, xas_sim):
    folder, _ = xas_sim
    lines = (folder / "CrK_CrSe2_01.dat").read_text().splitlines()
    first = next(i for i, ln in enumerate(lines) if not ln.startswith("#"))
    lines[first + 5], lines[first + 6] = lines[first + 6], lines[first + 5]
    bad = tmp_path / "swapped.dat"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"swapped\.dat: energy is not strictly increasing"):
        read_column_ascii(bad, COLUMNS)


def test_missing_column(xas_sim):
    folder, _ = xas_sim
    with pytest.raises(InputError, match=r"missing column 'I1' for 'it'.*\['energy', 'I0'"):
        read_column_ascii(folder / "CrK_CrSe2_01.dat", {"energy": "energy", "i0": "I0", "it": "I1"})
    with pytest.raises(InputError, match="column index 9 for 'iref' is out of range"):
        read_column_ascii(folder / "CrK_CrSe2_01.dat", {"energy": 0, "i0": 1, "iref": 9})


def test_transmission_needs_it_and_positive_counts(tmp_path, xas_sim):
    folder, _ = xas_sim
    s = read_scan(folder / "CrK_CrSe2_01.dat", "ascii", {"energy": "energy", "i0": "I0"})
    with pytest.raises(InputError, match="transmission needs channel 'it'"):
        absorption(s)
    s = read_column_ascii(folder / "CrK_CrSe2_01.dat", COLUMNS)
    s.channels["it"][7] = 0.0
    with pytest.raises(InputError, match=r"ln\(I0/It\) needs positive intensities.*row 8"):
        absorption(s)


def test_not_xdi_and_unknown_format(xas_sim):
    folder, _ = xas_sim
    with pytest.raises(InputError, match="not an 'XDI/1.0' version line"):
        read_xdi(folder / "CrK_CrSe2_01.dat")
    with pytest.raises(InputError, match="unknown XAS file format 'spec'"):
        read_scan(folder / "CrK_CrSe2_01.dat", "spec", COLUMNS)
