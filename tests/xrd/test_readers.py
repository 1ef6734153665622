"""Readers: real files (GSAS STD, Bruker RAW1.01) and clear errors for bad input."""

import numpy as np
import pytest

from intercal.errors import InputError
from intercal.io.xrd import read_gsas_prm, read_pattern


def test_gsas_std_real(realdata):
    d = read_pattern(realdata / "xrd" / "NIST660CBI.gsas")
    assert len(d) == 8378
    assert d.two_theta_deg.iloc[0] == pytest.approx(15.0066)
    assert np.diff(d.two_theta_deg).mean() == pytest.approx(0.0131303)
    assert d.intensity.iloc[0] == 2364
    assert list(d.columns) == ["two_theta_deg", "intensity", "esd"]


def test_fap_and_prm(realdata):
    d = read_pattern(realdata / "xrd" / "FAP.XRA")
    assert len(d) == 5753
    assert d.two_theta_deg.iloc[0] == pytest.approx(15.0)
    assert d.intensity.iloc[0] == 609
    prm = read_gsas_prm(realdata / "xrd" / "INST_XRY.PRM")
    assert prm["wavelength1_A"] == 1.5405 and prm["wavelength2_A"] == 1.5443
    assert prm["ratio"] == 0.5


def test_bruker_raw101_real(realdata):
    d = read_pattern(realdata / "xrd" / "LaB6_Jan2018.raw")
    assert len(d) == 3040
    assert d.two_theta_deg.iloc[0] == pytest.approx(10.0)
    assert d.two_theta_deg.iloc[1] - d.two_theta_deg.iloc[0] == pytest.approx(0.0197448)
    assert d.attrs["wavelength1_A"] == pytest.approx(1.5406)
    assert d.attrs["goniometer_radius_mm"] == 250.0
    # the strongest LaB6 line (110) sits near 30.4 deg
    assert 30.2 < d.two_theta_deg[d.intensity.idxmax()] < 30.5


def test_xy_roundtrip_and_errors(tmp_path):
    f = tmp_path / "a.xye"
    f.write_text("# header\n10.0 100 10\n10.1 121 11\n10.2 144 12\n")
    d = read_pattern(f)
    assert d.esd.tolist() == [10, 11, 12]
    f.write_text("10.0 100\n10.2 121\n10.1 144\n")
    with pytest.raises(InputError, match=r"line 3: 2theta 10.1 does not increase"):
        read_pattern(f)
    f.write_text("10.0 100\n10.1 -5\n")
    with pytest.raises(InputError, match=r"line 2: negative counts"):
        read_pattern(f)
    f.write_text("10.0 100\n10.1 nan\n")
    with pytest.raises(InputError, match=r"line 2: intensity is nan"):
        read_pattern(f)
    f.write_text("10.0 100 3\n10.1 5\n")
    with pytest.raises(InputError, match=r"line 2: found 2 columns, expected 3"):
        read_pattern(f)


def test_unknown_and_truncated(tmp_path, realdata):
    f = tmp_path / "x.foo"
    f.write_text("1 2\n")
    with pytest.raises(InputError, match="unknown pattern format"):
        read_pattern(f)
    src = (realdata / "xrd" / "NIST660CBI.gsas").read_text().splitlines()
    g = tmp_path / "t.gsas"
    g.write_text("\n".join(src[:100]) + "\n")
    with pytest.raises(InputError, match=r"t.gsas: truncated: BANK 1 declares 8378 points"):
        read_pattern(g)
    raw = (realdata / "xrd" / "LaB6_Jan2018.raw").read_bytes()
    r = tmp_path / "t.raw"
    r.write_bytes(raw[:5000])
    with pytest.raises(InputError, match=r"t.raw: truncated"):
        read_pattern(r)


def test_xrdml_and_csv(tmp_path):
    x = tmp_path / "s.xrdml"
    x.write_text(
        '<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">'
        "<xrdMeasurement><usedWavelength><kAlpha1>1.5406</kAlpha1><kAlpha2>1.5444</kAlpha2>"
        "<ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength><scan><dataPoints>"
        '<positions axis="2Theta" unit="deg"><startPosition>10</startPosition>'
        "<endPosition>10.2</endPosition></positions>"
        '<intensities unit="counts">4 9 16</intensities></dataPoints></scan>'
        "</xrdMeasurement></xrdMeasurements>"
    )
    d = read_pattern(x)
    assert d.two_theta_deg.tolist() == pytest.approx([10.0, 10.1, 10.2])
    assert d.esd.tolist() == [2, 3, 4]
    assert d.attrs["ratio"] == 0.5
    x.write_text(x.read_text()[:200])
    with pytest.raises(InputError, match="not well-formed XML"):
        read_pattern(x)
    c = tmp_path / "s.csv"
    c.write_text("2theta,counts\n10,4\n10.1,x\n")
    with pytest.raises(InputError, match=r"line 3: column 'counts'"):
        read_pattern(c)
