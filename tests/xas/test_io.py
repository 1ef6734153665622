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


# --- plausibility of what the reader returns (issue 17) -------------------------------


def _rewrite_energy(src, dst, factor, unit_tag=None):
    lines = src.read_text().splitlines()
    out = []
    for ln in lines:
        if ln.startswith("#"):
            if unit_tag and ln.startswith("# Column.1:"):
                ln = f"# Column.1: energy {unit_tag}"
            out.append(ln)
            continue
        toks = ln.split()
        toks[0] = f"{float(toks[0]) * factor:.6f}"
        out.append("  ".join(toks))
    dst.write_text("\n".join(out) + "\n")


def test_xdi_energy_in_kev_is_honoured(tmp_path, xas_sim):
    folder, _ = xas_sim
    ev = read_xdi(folder / "CrK_CrSe2_01.xdi")
    kev = tmp_path / "kev.xdi"
    _rewrite_energy(folder / "CrK_CrSe2_01.xdi", kev, 1e-3, "keV")
    got = read_xdi(kev)
    np.testing.assert_allclose(got.energy, ev.energy, atol=1e-3)
    bad = tmp_path / "mev.xdi"
    _rewrite_energy(folder / "CrK_CrSe2_01.xdi", bad, 1.0, "meV")
    with pytest.raises(InputError, match=r"mev\.xdi: XDI Column.1 gives energy unit 'meV'"):
        read_xdi(bad)


def test_undeclared_kev_is_rejected_and_declared_kev_read(tmp_path, xas_sim):
    folder, _ = xas_sim
    kev = tmp_path / "kev.dat"
    _rewrite_energy(folder / "CrK_CrSe2_01.dat", kev, 1e-3)
    with pytest.raises(InputError, match=r"kev\.dat: energy column runs 5\.8.*implausible in eV"):
        read_column_ascii(kev, COLUMNS)
    s = read_column_ascii(kev, COLUMNS, energy_unit="keV")
    ref = read_column_ascii(folder / "CrK_CrSe2_01.dat", COLUMNS)
    np.testing.assert_allclose(s.energy, ref.energy, atol=1e-3)


def test_swapped_i0_it_is_a_negative_edge_step(xas_sim):
    from intercal.io.xas import check_edge_direction

    folder, _ = xas_sim
    swapped = {"energy": "energy", "i0": "It", "it": "I0", "iref": "Iref"}
    s = read_column_ascii(folder / "CrK_CrSe2_01.dat", swapped)
    mu, _ = absorption(s)
    with pytest.raises(InputError, match=r"CrK_CrSe2_01.dat: negative edge step.*swapped"):
        check_edge_direction(s.path, s.energy, mu, what="sample mu", window=(5980, 6010))
    good = read_column_ascii(folder / "CrK_CrSe2_01.dat", COLUMNS)
    mu, _ = absorption(good)
    check_edge_direction(good.path, good.energy, mu, what="sample mu", window=(5980, 6010))


def test_swapped_channels_fail_the_pipeline(xas_sim):
    from intercal.xas.pipeline import process_spectrum

    folder, _ = xas_sim
    with pytest.raises(InputError, match="negative edge step in the sample mu"):
        process_spectrum(
            [str(folder / "CrK_CrSe2_01.dat")],
            name="x",
            sample="CrSe2",
            element="Cr",
            columns={"energy": "energy", "i0": "It", "it": "I0", "iref": "Iref"},
            reference_e0=5989.0,
        )


def test_header_mode_must_match_config(xas_sim):
    folder, _ = xas_sim
    s = read_column_ascii(folder / "CrK_CrSe2_01.dat", {**COLUMNS, "ifluor": "It"})
    with pytest.raises(
        InputError,
        match=r"header says mode 'transmission' but the configured mode is "
        r"'fluorescence'; give this scan its own spectrum entry",
    ):
        absorption(s, "fluorescence")


def test_edge_outside_window_is_named(xas_sim):
    from intercal.xas.pipeline import process_spectrum

    folder, _ = xas_sim
    with pytest.raises(InputError, match=r"edge energy outside the configured window.*6020"):
        process_spectrum(
            [str(folder / "CrK_CrSe2_01.dat")],
            name="x",
            sample="CrSe2",
            element="Cr",
            columns=COLUMNS,
            reference_e0=5989.0,
            e0_window=(6020.0, 6040.0),
            n_mc=20,
        )
    with pytest.raises(InputError, match="edge energy outside the configured window: the scan"):
        process_spectrum(
            [str(folder / "CrK_CrSe2_01.dat")],
            name="x",
            sample="CrSe2",
            element="Cr",
            columns=COLUMNS,
            reference_e0=5989.0,
            e0_window=(7700.0, 7730.0),
            n_mc=20,
        )
