"""DFT tables: forward model, readers, hull, voltages and NEB barriers."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from intercal.dft import io, neb, thermo
from intercal.errors import InputError
from intercal.simulate import dft as sim

SEED = 20260218
#: host and working ion of the demo DFT tables
HOST_ION = {"host": "CrSe2", "ion": "Li"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    truth = sim.generate(data_dir, SEED)
    return data_dir / "dft", truth


@pytest.fixture(scope="module")
def tables(generated):
    folder, truth = generated
    configs = io.read_configurations(folder / "configurations.csv")
    refs = io.read_references(folder / "references.csv")
    e_li = io.reference_energy(refs, "Li")
    return configs, e_li, truth


# --- forward model ---------------------------------------------------------------------


def test_generator_is_bit_identical(generated, tmp_path):
    folder, _ = generated
    sim.generate(tmp_path, SEED)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["configurations.csv", "neb_x0.125.csv", "neb_x0.875.csv", "references.csv"]
    match, mismatch, errors = filecmp.cmpfiles(folder, tmp_path / "dft", names, shallow=False)
    assert mismatch == [] and errors == []


def test_bundled_demo_data_is_current(generated, demo_data):
    folder, _ = generated
    bundled = demo_data / "dft"
    if not bundled.is_dir():
        pytest.skip("data/dft not generated yet (python -m intercal.simulate --only dft)")
    names = sorted(p.name for p in folder.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(folder, bundled, names, shallow=False)
    assert mismatch == [] and errors == []


def test_truth_is_the_paper_physics(generated):
    _, truth = generated
    stable = truth["stable_x"]
    assert all(x < 0.08 or x > 0.5 for x in stable)
    assert any(0 < x < 0.08 for x in stable) and any(0.5 < x < 1 for x in stable)
    assert truth["average_voltage_V"] == pytest.approx(2.6, abs=0.05)
    assert truth["neb"]["0.125"]["barrier_eV"] == pytest.approx(0.69, abs=1e-6)
    assert truth["neb"]["0.875"]["barrier_eV"] == pytest.approx(0.51, abs=1e-6)


# --- hull -------------------------------------------------------------------------------


def test_hull_recovers_stable_set(tables):
    configs, e_li, truth = tables
    hull = thermo.convex_hull(configs, e_li, **HOST_ION)
    stable = hull[hull["stable"]]
    np.testing.assert_allclose(sorted(stable["x"]), truth["stable_x"], atol=1e-6)
    assert sorted(stable["config_id"]) == sorted(truth["stable_config_ids"])
    # all stable configurations keep P-3m1 with octahedral Li (paper, Fig. 1b)
    assert set(stable["space_group"]) == {"P-3m1"} and set(stable["site"]) == {"octahedral"}
    np.testing.assert_allclose(stable["e_above_hull_meV"], 0.0, atol=1e-6)
    assert (hull.loc[~hull["stable"], "e_above_hull_meV"] > 1.0).all()


def test_tetrahedral_above_hull_increasingly_with_x(tables):
    configs, e_li, _ = tables
    hull = thermo.convex_hull(configs, e_li, **HOST_ION)
    tet = hull[hull["site"] == "tetrahedral"].sort_values("x")
    assert (tet["e_above_hull_meV"] > 30).all()
    assert np.all(np.diff(tet["e_above_hull_meV"]) > 0)
    # designed penalty (0.35 + 0.25 x) eV per Li, +-1 meV/fu scatter
    np.testing.assert_allclose(
        tet["e_above_hull_meV"], 1000 * tet["x"] * (0.35 + 0.25 * tet["x"]), atol=1.0
    )


def test_c_jumps_between_dilute_and_half_lithiated(tables):
    configs, e_li, _ = tables
    hull = thermo.convex_hull(configs, e_li, **HOST_ION)
    oct_ = hull[(hull["site"] == "octahedral") & (hull["space_group"] == "P-3m1")]
    assert oct_.loc[oct_["x"] <= 0.084, "c_angstrom"].between(5.85, 5.95).all()
    assert oct_.loc[oct_["x"] >= 0.5, "c_angstrom"].between(6.25, 6.35).all()


def test_hull_closed_form_three_points():
    # x = 0, 1/2, 1 with formation energies 0, -1.4, -2.6 eV/fu: the midpoint lies
    # 0.1 eV/fu below the end-member line, hence stable; a second x = 1/2 ordering
    # at -1.25 eV/fu lies 0.15 eV/fu above the hull.
    e_li, e_host = -2.0, -10.0
    rows = [
        ("h", 0, 1, 0.0, 0.0),
        ("m", 1, 2, 0.5, -1.4),
        ("m2", 2, 4, 0.5, -1.25),
        ("f", 1, 1, 1.0, -2.6),
    ]
    configs = pd.DataFrame(
        [
            {
                "config_id": cid,
                "n_li": nl,
                "n_formula_units": n,
                "x": x,
                "site": "octahedral",
                "space_group": "P-3m1",
                "energy_per_fu_eV": e_host + x * e_li + f,
                "a_angstrom": 3.5,
                "c_angstrom": 6.0,
            }
            for cid, nl, n, x, f in rows
        ]
    )
    hull = thermo.convex_hull(configs, e_li, **HOST_ION).set_index("config_id")
    assert hull.loc["m", "stable"] and not hull.loc["m2", "stable"]
    assert hull.loc["m2", "e_above_hull_meV"] == pytest.approx(150.0, abs=1e-6)
    assert hull.loc["m", "mixing_energy_meV"] == pytest.approx(-100.0, abs=1e-6)
    steps, summary = thermo.voltage_profile(configs, e_li, **HOST_ION)
    np.testing.assert_allclose(steps["voltage_V"], [2.8, 2.4], atol=1e-9)
    assert summary["average_voltage_V"] == pytest.approx(2.6, abs=1e-9)


# --- voltages ---------------------------------------------------------------------------


def test_average_voltage_matches_hand_computation(generated, tables):
    folder, _ = generated
    configs, e_li, truth = tables
    # by hand from the raw file: V = -(E(LiCrSe2) - E(CrSe2) - E(Li)) / (1 e)
    raw = pd.read_csv(folder / "configurations.csv", comment="#").set_index("config_id")
    hand = -(raw.loc["oct_x1", "energy_per_fu_eV"] - raw.loc["oct_x0", "energy_per_fu_eV"] - e_li)
    steps, summary = thermo.voltage_profile(configs, e_li, **HOST_ION)
    assert summary["average_voltage_V"] == pytest.approx(hand, abs=1e-9)
    assert summary["average_voltage_direct_V"] == pytest.approx(hand, abs=1e-9)
    assert summary["average_voltage_V"] == pytest.approx(truth["average_voltage_V"], abs=1e-6)
    # capacity-weighted mean of the steps is the average voltage
    w = steps["x_end"] - steps["x_start"]
    assert float((steps["voltage_V"] * w).sum() / w.sum()) == pytest.approx(hand, abs=1e-9)


def test_voltage_steps_recover_truth(tables):
    configs, e_li, truth = tables
    steps, summary = thermo.voltage_profile(configs, e_li, **HOST_ION)
    expected = pd.DataFrame(truth["voltage_steps"])
    np.testing.assert_allclose(steps["x_start"], expected["x_start"], atol=1e-6)
    np.testing.assert_allclose(steps["x_end"], expected["x_end"], atol=1e-6)
    np.testing.assert_allclose(steps["voltage_V"], expected["voltage_V"], atol=1e-5)
    assert np.all(np.diff(steps["voltage_V"]) < 0)  # convex hull -> decreasing voltage
    # plateau ~2.6 V vs Li+/Li and 1 Li per CrSe2 = 127.7 mAh/g (REFERENCE.md)
    assert steps["voltage_V"].between(2.45, 2.75).all()
    assert summary["theoretical_capacity_mAh_g"] == pytest.approx(127.7, abs=0.05)


# --- NEB --------------------------------------------------------------------------------


@pytest.mark.parametrize("label, paper", [("0.125", 0.69), ("0.875", 0.51)])
def test_neb_barriers(generated, label, paper):
    folder, truth = generated
    res = neb.barrier(io.read_neb(folder / f"neb_x{label}.csv"))
    assert res["barrier_eV"] == pytest.approx(truth["neb"][label]["barrier_eV"], abs=1e-5)
    assert res["barrier_eV"] == pytest.approx(paper, abs=0.005)
    assert res["reaction_energy_eV"] == pytest.approx(truth["neb"][label]["end_point_eV"], abs=1e-5)
    assert res["saddle_interior"]


def test_barrier_closed_form():
    path = pd.DataFrame(
        {
            "image": [0, 1, 2, 3, 4],
            "reaction_coordinate_angstrom": [0.0, 0.5, 1.0, 1.5, 2.0],
            "energy_eV": [-10.0, -9.8, -9.5, -9.7, -9.9],
        }
    )
    res = neb.barrier(path)
    assert res["barrier_eV"] == pytest.approx(0.5)
    assert res["reverse_barrier_eV"] == pytest.approx(0.4)
    assert res["saddle_image"] == 2 and res["saddle_coordinate_angstrom"] == 1.0
    monotonic = path.assign(energy_eV=[-10.0, -9.9, -9.8, -9.7, -9.6])
    assert not neb.barrier(monotonic)["saddle_interior"]


# --- bad input --------------------------------------------------------------------------


def _write(tmp_path, text, name="configurations.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


HEAD = "config_id,n_li,n_formula_units,x,site,space_group,energy_per_fu_eV,a_angstrom,c_angstrom\n"


@pytest.mark.parametrize(
    "body, match",
    [
        ("a,0,1,0.0,octahedral,P-3m1,-18.3,3.4\n", r"missing column.*c_angstrom"),
        ("a,0,1,0.0,octahedral,P-3m1,abc,3.4,5.9\n", r"'energy_per_fu_eV', data row 1"),
        ("a,0,1,0.0,interstitial,P-3m1,-18.3,3.4,5.9\n", r"'site', data row 1.*interstitial"),
        ("a,1,8,0.25,octahedral,P-3m1,-18.3,3.4,5.9\n", r"'x', data row 1.*0\.125"),
        (
            "a,0,1,0.0,octahedral,P-3m1,-18.3,3.4,5.9\na,1,1,1,octahedral,P-3m1,-22,3.6,6.3\n",
            r"duplicate id 'a'",
        ),
        ("a,0,1.5,0.0,octahedral,P-3m1,-18.3,3.4,5.9\n", r"'n_formula_units'.*integer"),
    ],
)
def test_bad_configurations(tmp_path, body, match):
    if "c_angstrom" in match:
        text = HEAD.replace(",c_angstrom", "") + body
    else:
        text = HEAD + body
    with pytest.raises(InputError, match=match):
        io.read_configurations(_write(tmp_path, text))


def test_missing_file_and_reference(tmp_path, tables):
    with pytest.raises(InputError, match="file not found"):
        io.read_configurations(tmp_path / "nope.csv")
    refs = io.read_references(
        _write(
            tmp_path,
            "name,formula,structure,energy_per_atom_eV\nNa_metal,Na,bcc,-1.3\n",
            "refs.csv",
        )
    )
    with pytest.raises(InputError, match=r"no row with formula 'Li'"):
        io.reference_energy(refs, "Li", "refs.csv")


def test_hull_needs_end_members(tables):
    configs, e_li, _ = tables
    with pytest.raises(InputError, match=r"no configuration at x = 1"):
        thermo.convex_hull(configs[configs["x"] < 1], e_li, source="cfg.csv", **HOST_ION)


def test_bad_neb(tmp_path):
    head = "image,reaction_coordinate_angstrom,energy_eV\n"
    path = _write(tmp_path, head + "0,0.0,-1\n1,0.5,-0.5\n2,0.4,-0.9\n", "neb.csv")
    with pytest.raises(InputError, match=r"reaction_coordinate_angstrom.*increasing"):
        io.read_neb(path)
    path = _write(tmp_path, head + "0,0.0,-1\n2,0.5,-0.5\n3,1.0,-0.9\n", "neb2.csv")
    with pytest.raises(InputError, match=r"'image'.*expected 0\.\.2"):
        io.read_neb(path)
    path = _write(tmp_path, head + "0,0.0,-1\n1,0.5,-0.5\n", "neb3.csv")
    with pytest.raises(InputError, match=r"2 image\(s\)"):
        io.read_neb(path)


# --- figure -----------------------------------------------------------------------------


def test_fig1_from_tables(generated, tables, tmp_path):
    from intercal.figures.dft import fig1

    folder, _ = generated
    configs, e_li, _ = tables
    hull = thermo.convex_hull(configs, e_li, **HOST_ION)
    steps, _ = thermo.voltage_profile(configs, e_li, **HOST_ION)
    paths = pd.concat(
        [
            neb.relative_path(io.read_neb(folder / f"neb_x{x}.csv"), f"x = {x}", float(x))
            for x in ("0.125", "0.875")
        ]
    )
    barriers = pd.DataFrame(
        [
            {"label": f"x = {x}", **neb.barrier(io.read_neb(folder / f"neb_x{x}.csv"))}
            for x in ("0.125", "0.875")
        ]
    )
    pdf, png = tmp_path / "fig1.pdf", tmp_path / "fig1.png"
    fig = fig1(hull, steps, paths, barriers, pdf, png, **HOST_ION)
    assert pdf.stat().st_size > 10_000 and png.stat().st_size > 50_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:4] == b"%PDF"
    # panel a is split in two (hull region, high-energy configurations), then b and c
    main = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(main) == 3
    assert main[0].get_xlabel() == "x in Li$_x$CrSe$_{2}$"
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sorted(labels) == ["(a)", "(b)", "(c)", "linear scale", "log scale"]
    assert len(fig.axes) == 4
    scales = {ax.get_yscale() for ax in fig.axes if ax.texts}
    assert scales == {"linear", "log"}
    (ax_d,) = [ax for ax in main if ax.get_xlabel().startswith("Reaction coordinate")]
    d_lines = [ln for ln in ax_d.get_lines() if len(ln.get_xdata()) == 9]
    assert len(d_lines) == 2  # both NEB paths drawn with all their images


def test_fig1_without_neb_has_two_panels(tables, tmp_path):
    """A config without dft.neb: hull and voltage panels only, lettered a and b."""
    from intercal.figures.dft import fig1

    configs, e_li, _ = tables
    hull = thermo.convex_hull(configs, e_li, **HOST_ION)
    steps, _ = thermo.voltage_profile(configs, e_li, **HOST_ION)
    pdf, png = tmp_path / "fig1.pdf", tmp_path / "fig1.png"
    fig = fig1(hull, steps, None, None, pdf, png, **HOST_ION)
    assert png.stat().st_size > 20_000
    letters = sorted(t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()[0] == "(")
    assert letters == ["(a)", "(b)"]
    assert not [ax for ax in fig.axes if ax.get_xlabel().startswith("Reaction coordinate")]
