"""The Co K-edge example (another 3d-metal edge): per-spectrum modes, generic row names,
LCF with Monte-Carlo errors, Athena export, normalization settings, config checks."""

from __future__ import annotations

import copy
import gzip
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from intercal.errors import InputError
from intercal.xas.pipeline import edge_table, process_spectrum, reproduction, run_lcf

from .conftest import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "LiCoO2"


def _settings(section, sid, folder):
    from intercal.xas.workflow import spectrum_settings

    kw = spectrum_settings(section, sid)
    kw["n_mc"] = 100
    pattern = section["spectra"][sid]["files"].split("/")[-1]
    files = sorted(str(p) for p in Path(folder).glob(pattern))
    return files, kw


@pytest.fixture(scope="module")
def section():
    return yaml.safe_load((EXAMPLE / "config.xas.yaml").read_text())["xas"]


@pytest.fixture(scope="module")
def processed(section, co_sim):
    folder, _ = co_sim
    out = {}
    for sid in section["spectra"]:
        files, kw = _settings(section, sid, folder)
        out[sid] = process_spectrum(files, **kw)
    return out


def test_example_config_validates(section, root):
    import jsonschema

    from intercal.xas.workflow import check_section, figures

    schema = yaml.safe_load((root / "schemas" / "xas.schema.yaml").read_text())
    jsonschema.validate(section, schema)
    check_section(section)
    # E0 settings per spectrum: degree 7 from the section, the noisy fluorescence one 5
    from intercal.xas.workflow import spectrum_settings

    assert spectrum_settings(section, "Co_LiCoO2")["e0_degree"] == 7
    assert spectrum_settings(section, "Co_Li0.75CoO2")["e0_degree"] == 5
    assert spectrum_settings(section, "Co_Li0.75CoO2")["e0_half_width_eV"] == 1.5
    # no figures section: one figure per edge, reference-mode spectra left out
    assert figures(section) == {
        "Co_xanes": {
            "spectra": ["Co_LiCoO2", "Co_Li0.5CoO2", "Co_Li0.75CoO2"],
            "derivative": False,
            "xlim_eV": None,
            "file": "xas/Co_xanes",
            "title": "Co edge",
        }
    }


def test_committed_example_is_reproducible(tmp_path, co_placed):
    from intercal.simulate.xas import generate_licoo2

    generate_licoo2(tmp_path, 20260301, placed=co_placed)
    for p in sorted((EXAMPLE / "data" / "xas").glob("CoK_*")):
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name
    truth = yaml.safe_load((EXAMPLE / "data" / "xas" / "truth.yaml").read_text())
    assert truth["edges_eV"]["Co"]["LiCoO2"] == 7721.0
    assert truth["edge_shift_eV"]["Co"] > 0


def test_modes_per_spectrum_and_recovery(processed, co_sim):
    _, truth = co_sim
    s = {k: v["summary"] for k, v in processed.items()}
    assert s["Co_Li0.75CoO2"]["mode"] == "fluorescence"
    assert s["Co_foil"]["mode"] == "reference"
    # the foil measured in the reference channel sits at its tabulated E0
    assert s["Co_foil"]["e0_eV"] == pytest.approx(7709.0, abs=0.02)
    for sid, sample in [("Co_LiCoO2", "LiCoO2"), ("Co_Li0.5CoO2", "Li0.5CoO2")]:
        true = truth["edges_eV"]["Co"][sample]
        # degree-7 local polynomial: within 1 esd here (degree 5 read +0.023/+0.029 eV, 3 esd)
        assert abs(s[sid]["e0_eV"] - true) < 2 * s[sid]["e0_stderr_eV"]
    mix = s["Co_Li0.75CoO2"]
    assert abs(mix["e0_eV"] - truth["edges_eV"]["Co"]["Li0.75CoO2"]) < 3 * mix["e0_stderr_eV"]
    # per-scan calibration recovered (fluorescence files in keV, XDI)
    want = {t["file"]: t["calibration_shift_eV"] for t in truth["scans"]}
    for res in processed.values():
        for f, shift in res["summary"]["shifts_eV"].items():
            assert shift == pytest.approx(want[f], abs=0.05), f


def test_generic_rows_edge_table_and_normalization(processed, section):
    sums = [r["summary"] for r in processed.values()]
    rows = reproduction(sums, section["edge_shift"]).set_index("quantity")
    for q in (
        "xas.Co.LiCoO2.edge",
        "xas.Co.LiCoO2.preedge",
        "xas.Co.LiCoO2.preedge_area",
        "xas.Co.Li0.5CoO2.edge",
        "xas.Co.Li0.75CoO2.edge",
        "xas.Co.Co-foil.edge",
    ):
        assert np.isfinite(rows.loc[q, "value"]) and rows.loc[q, "stderr"] > 0, q
    assert "xas.Co.Co-foil.preedge" not in rows.index  # no fit in reference mode
    assert rows.loc["xas.Co.edge_shift", "value"] > 0.5
    assert list(rows.columns) == ["value", "stderr", "unit", "qc"]
    tab = edge_table(sums).set_index("spectrum")
    assert tab.loc["Co_LiCoO2", "pre1_eV"] == -140.0
    assert tab.loc["Co_LiCoO2", "nnorm"] == 2
    assert tab.loc["Co_LiCoO2", "norm_e0_eV"] == pytest.approx(tab.loc["Co_LiCoO2", "e0_eV"])
    assert tab.loc["Co_LiCoO2", "preedge_window_method"] == "second_derivative"
    assert "monte_carlo" in tab.loc["Co_LiCoO2", "e0_stderr_method"]


def test_lcf_weights_with_monte_carlo_errors(processed, co_sim):
    _, truth = co_sim
    tgt = processed["Co_Li0.75CoO2"]
    comps = {k: processed[k] for k in ("Co_LiCoO2", "Co_Li0.5CoO2")}
    res = run_lcf(
        (tgt["spectrum"], tgt["summary"]),
        {k: (v["spectrum"], v["summary"]) for k, v in comps.items()},
        range_eV=(-20.0, 40.0),
        n_mc=100,
    )
    w, se = res["weights"]["Li0.5CoO2"]
    assert abs(w - truth["lcf"]["Co"]["Li0.75CoO2"]["Li0.5CoO2"]) < 3 * se
    rec = res["record"].set_index("parameter")
    redchi = rec.loc["weight_stderr_redchi[Co_Li0.5CoO2]", "value"]
    # correlated, renormalized points: the measured error is well above lmfit's scaled one
    assert se > 2 * redchi
    assert "monte_carlo(100)" in rec.loc["weight[Co_Li0.5CoO2]", "note"]
    assert rec.loc["errors_scaled_by_redchi", "value"] == 0.0


def test_athena_project_round_trip(processed, tmp_path, monkeypatch):
    from intercal.io.xas import read_athena
    from intercal.xas.athena import write_athena

    groups = []
    for sid in ("Co_LiCoO2", "Co_foil"):
        sp, s = processed[sid]["spectrum"], processed[sid]["summary"]
        groups.append(
            {
                "label": sid,
                "energy": sp.energy_eV.to_numpy(),
                "mu": sp.mu.to_numpy(),
                "e0": s["e0_eV"],
                "edge_step": s["edge_step"],
                "normalization": s["normalization"],
            }
        )
    path = tmp_path / "LiCoO2.prj"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_athena(path, groups)
    # byte-reproducible: no timestamp, no random group keys, no gzip mtime
    again = tmp_path / "again.prj"
    time.sleep(1.1)
    write_athena(again, groups)
    assert again.read_bytes() == path.read_bytes()
    assert b"created at 1970-01-01T00:00:00" in gzip.decompress(path.read_bytes())
    back = read_athena(path)
    assert sorted(back) == ["Co_LiCoO2", "Co_foil"]
    g = back["Co_LiCoO2"]
    np.testing.assert_allclose(g["energy"], groups[0]["energy"], atol=1e-3)
    np.testing.assert_allclose(g["mu"], groups[0]["mu"], rtol=1e-6)
    assert g["bkg_e0"] == pytest.approx(groups[0]["e0"], abs=1e-3)
    from larch.io import read_athena as larch_read

    bkg = next(
        grp.athena_params.bkg
        for grp in larch_read(str(path), do_preedge=False).groups.values()
        if grp.label == "Co_LiCoO2"
    )
    # the settled (resolved) normalization travels; norm2 = 300 eV unless the merged grid
    # ends earlier (larch then clips it to the last point)
    nrm = groups[0]["normalization"]
    assert (bkg.pre1, bkg.pre2, bkg.nor1, bkg.nnorm) == (-140.0, -30.0, 60.0, 2)
    assert bkg.nor2 == pytest.approx(nrm["norm2"], abs=1e-3) and 295.0 < bkg.nor2 <= 300.0


def test_normalize_fixed_matches_larch(processed):
    from intercal.xas.normalize import normalize, normalize_fixed

    sp = processed["Co_LiCoO2"]["spectrum"]
    e, mu = sp.energy_eV.to_numpy(), sp.mu.to_numpy()
    for kw in ({"pre1": -140.0, "pre2": -30.0, "norm1": 60.0, "norm2": 300.0, "nnorm": 2}, {}):
        full = normalize(e, mu, e0=7721.0, **kw)
        settled = {k: full[k] for k in ("pre1", "pre2", "norm1", "norm2", "nnorm", "nvict")}
        np.testing.assert_allclose(
            normalize_fixed(e, mu, e0=7721.0, **settled), full["norm"], atol=1e-10
        )


def test_config_cross_checks(section):
    from intercal.xas.workflow import check_section, spectrum_settings

    bad = copy.deepcopy(section)
    bad["spectra"]["Co_Li0.75CoO2"]["sample"] = "LiCoO2"
    with pytest.raises(InputError, match="both have edge 'Co' and sample 'LiCoO2'"):
        check_section(bad)
    bad = copy.deepcopy(section)
    bad["spectra"]["Co_Li0.75CoO2"]["format"] = "ascii"
    bad["spectra"]["Co_Li0.75CoO2"]["columns"] = {"energy": "energy", "i0": "I0"}
    with pytest.raises(InputError, match=r"Co_Li0.75CoO2 \(mode fluorescence.*needs columns"):
        check_section(bad)
    bad = copy.deepcopy(section)
    bad["figures"] = {"panel": ["Co_LiCoO2", "Co_nothing"]}
    with pytest.raises(InputError, match="xas.figures.panel names spectrum 'Co_nothing'"):
        check_section(bad)
    bad = copy.deepcopy(section)
    bad["edge_shift"] = [{"element": "Co", "high": "Li0.5CoO2", "low": "LiMnO2"}]
    with pytest.raises(InputError, match=r"edge_shift\[0\].low is 'LiMnO2'"):
        check_section(bad)
    kw = spectrum_settings(section, "Co_Li0.75CoO2")
    assert (kw["mode"], kw["fmt"], kw["columns"]) == ("fluorescence", "xdi", dict(COLUMNS))
    kw = spectrum_settings(section, "Co_foil")
    assert kw["mode"] == "reference" and kw["fit"] == {"enabled": False}
    assert kw["e0_window"] is None
