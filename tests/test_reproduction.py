"""The results table, reference values from config, and the comparison check."""

import math
import re

import pandas as pd
import pytest
import yaml

from intercal.errors import InputError
from intercal.reproduction import (
    COLUMNS,
    RESULT_COLUMNS,
    check,
    compare,
    judge,
    load_references,
    main,
    merge_results,
    render_markdown,
    z_score,
)


@pytest.fixture(scope="module")
def demo_refs(root):
    refs, source = load_references(yaml.safe_load((root / "config.yaml").read_text()))
    assert source
    return refs


def _part(*rows):
    return pd.DataFrame(rows)


def test_demo_references_follow_reference_md(root, demo_refs):
    """The demo config carries exactly REFERENCE.md's rows, in order, with their units."""
    ref_md = root.parent / "shared" / "REFERENCE.md"
    if not ref_md.exists():
        pytest.skip("../shared/REFERENCE.md is absent")
    rows = [
        [c.strip() for c in line.split("|")[1:4]]
        for line in ref_md.read_text().splitlines()
        if line.startswith("| ") and "." in line.split("|")[1] and "quantity" not in line
    ]
    rows = [r for r in rows if r[0].split(".")[0] in {"lebail", "operando", "xas", "musr", "echem"}]
    assert [r[0] for r in rows] == [r["quantity"] for r in demo_refs]
    assert [r[1] for r in rows] == [r["unit"] for r in demo_refs]
    # the paper value as printed in REFERENCE.md (first number of the cell)
    for (q, _, printed), ref in zip(rows, demo_refs, strict=True):
        if "value" in ref and printed[0].isdigit():
            number = float(re.match(r"[0-9.]+(e-?[0-9]+)?", printed).group(0))
            if q != "musr.onset_temperature":
                assert ref["value"] == pytest.approx(number), q


def test_results_table_keeps_user_names_and_flags():
    part = _part(
        {"quantity": "xrd.TiS2.a", "value": 3.4, "stderr": 1e-4, "unit": "angstrom", "qc": ""},
        {"quantity": "xrd.TiS2.c", "value": math.nan, "stderr": math.nan, "unit": "angstrom"},
    )
    res = merge_results([part], ["xrd.csv"])
    assert list(res.columns) == RESULT_COLUMNS
    assert list(res.quantity) == ["xrd.TiS2.a", "xrd.TiS2.c"]
    assert res.qc.tolist() == ["", "no_value"]


def test_results_reject_duplicates_and_missing_columns():
    a = _part({"quantity": "musr.Ea", "value": 1, "stderr": 1, "unit": "meV"})
    with pytest.raises(InputError, match=r"b.csv: quantity 'musr.Ea' given twice \(also in a.csv"):
        merge_results([a, a], ["a.csv", "b.csv"])
    with pytest.raises(InputError, match=r"missing columns \['stderr'\]"):
        merge_results([a.drop(columns="stderr")])


def test_compare_keeps_reference_order_and_computes_z(demo_refs):
    res = merge_results(
        [_part({"quantity": "musr.activation_energy", "value": 80.0, "stderr": 6.0, "unit": "meV"})]
    )
    table = compare(res, demo_refs)
    assert list(table.columns) == COLUMNS
    assert list(table.quantity) == [r["quantity"] for r in demo_refs]
    row = table.set_index("quantity").loc["musr.activation_energy"]
    assert row.z == pytest.approx((80.0 - 74.0) / math.sqrt(6.0**2 + 8.0**2))
    assert math.isnan(table.set_index("quantity").loc["lebail.CrSe2.a"].value)


def test_compare_rejects_a_unit_mismatch(demo_refs):
    res = merge_results(
        [_part({"quantity": "musr.activation_energy", "value": 0.08, "stderr": 0.01, "unit": "eV"})]
    )
    with pytest.raises(InputError, match=r"musr.activation_energy has unit 'meV' in config"):
        compare(res, demo_refs)


def test_z_empty_when_neither_side_has_an_error():
    assert math.isnan(z_score(125.0, math.nan, 125.3, math.nan))
    assert z_score(125.0, 0.1, 125.3, math.nan) == pytest.approx(-3.0)


@pytest.mark.parametrize(
    ("tol", "value", "stderr", "ok"),
    [
        ({"esd": 2.0}, 3.3957, 0.0001, True),
        ({"esd": 2.0}, 3.3960, 0.0001, False),
        ({"esd": 2.0}, 3.3956, math.nan, False),
        ({"abs": 0.05}, 0.54, math.nan, True),
        ({"abs": 0.05}, 0.56, math.nan, False),
        ({"rel": 0.1}, 1.05e-8, 1e-10, True),
        ({"rel": 0.1}, 1.12e-8, 1e-10, False),
        ({"range": [150, 175]}, 149.0, 5.0, False),
        ({"range": [150, 175]}, 160.0, 5.0, True),
        ({"positive": True}, -0.3, 0.05, False),
        ({"negative": True}, -0.3, 0.05, True),
        ({}, 1.0, 0.1, None),
    ],
)
def test_judge_kinds(tol, value, stderr, ok):
    ref = {"quantity": "q", "unit": "u", "value": 3.3956 if "esd" in tol else 0.5, "tolerance": tol}
    if "rel" in tol:
        ref["value"] = 1e-8
    assert judge(value, stderr, ref)[0] is ok


def test_target_judges_against_another_value_with_the_reason(demo_refs):
    ref = next(r for r in demo_refs if r["quantity"] == "operando.c_expansion")
    ok, why = judge(7.25, 0.01, ref)
    assert ok and "7.2414" in why and "contradicts" in why
    assert judge(7.67, 0.01, ref)[0] is False


def test_check_requires_rows_of_required_techniques(demo_refs):
    table = compare(merge_results([]), demo_refs)
    assert check(table, demo_refs) == []
    assert check(table, demo_refs, ["musr"]) == [
        "musr.activation_energy: no value",
        "musr.onset_temperature: no value",
    ]


def test_render_flags_deviations_qc_and_missing_rows(demo_refs):
    res = merge_results(
        [
            _part(
                {
                    "quantity": "lebail.CrSe2.a",
                    "value": 3.39571,
                    "stderr": 6e-5,
                    "unit": "angstrom",
                },
                {"quantity": "lebail.CrSe2.c", "value": 5.93, "stderr": 2e-4, "unit": "angstrom"},
                {
                    "quantity": "echem.diffusion_lithiation",
                    "value": 9.23e-9,
                    "stderr": 3e-11,
                    "unit": "cm2/s",
                    "qc": "semi_infinite_invalid",
                },
            )
        ]
    )
    text = render_markdown(res, compare(res, demo_refs), demo_refs, title="Demo")
    comparison = text.split("## All headline numbers")[0]
    lines = {
        line.split("|")[1].strip(): line
        for line in comparison.splitlines()
        if line.startswith("| ")
    }
    assert "| 3.39571(6) | 3.3956(6) | angstrom |" in lines["lebail.CrSe2.a"]
    assert "| ok |" in lines["lebail.CrSe2.a"]
    assert "DEVIATES" in lines["lebail.CrSe2.c"]
    assert "not produced" in lines["musr.activation_energy"]
    assert "| 150-175 |" in lines["musr.onset_temperature"]
    row = lines["echem.diffusion_lithiation"]
    assert "within tolerance" in row and "z\\| = 16.0 > 3" in row and "semi_infinite_invalid" in row
    assert text.startswith("# Demo")
    for line in text.splitlines():
        if line.startswith("| ") and "reference" not in line and "this run" not in line:
            n = len(line.replace("\\|", "").split("|"))
            assert n in (6, 9), line


def test_no_references_means_results_only():
    res = merge_results(
        [_part({"quantity": "xrd.TiS2.a", "value": 3.4, "stderr": 1e-4, "unit": "angstrom"})]
    )
    text = render_markdown(res)
    assert "Comparison" not in text and "xrd.TiS2.a" in text and "3.40000(10)" in text


def test_check_cli_uses_the_config_tolerances(tmp_path, demo_refs, root):
    res = merge_results(
        [_part({"quantity": "musr.activation_energy", "value": 90.0, "stderr": 2.0, "unit": "meV"})]
    )
    table = tmp_path / "reproduction.csv"
    compare(res, demo_refs).to_csv(table, index=False)
    assert main(["check", str(table), "--config", str(root / "config.yaml")]) == 1
    res.loc[0, "value"] = 73.0
    compare(res, demo_refs).to_csv(table, index=False)
    assert main(["check", str(table), "--config", str(root / "config.yaml")]) == 0
    assert (
        main(["check", str(table), "--config", str(root / "config.yaml"), "--require", "xas"]) == 1
    )


def test_malformed_reference_fails_naming_it():
    with pytest.raises(InputError, match=r"references.values\[0\] \(q\): tolerance"):
        load_references(
            {
                "references": {
                    "values": [{"quantity": "q", "unit": "u", "tolerance": {"abs": 1, "rel": 1}}]
                }
            }
        )


def test_unproduced_reference_suggests_the_run_s_row_name(tmp_path, capsys):
    """A reference named after the pattern instead of the phase: the table and the check
    say which row the run has instead."""
    import yaml

    from intercal.reproduction import main

    res = merge_results(
        [
            pd.DataFrame(
                [
                    {"quantity": "lebail.P2-NNMO.a", "value": 2.8895, "stderr": 3e-4},
                    {"quantity": "lebail.P2-NNMO.c", "value": 11.152, "stderr": 1e-3},
                ]
            ).assign(unit="angstrom")
        ]
    )
    refs = [
        {"quantity": "lebail.pristine.a", "unit": "angstrom", "value": 2.8893,
         "tolerance": {"esd": 2}},
        {"quantity": "lebail.P2NNMO.c", "unit": "angstrom", "value": 11.1512,
         "tolerance": {"esd": 2}},
    ]  # fmt: skip
    comp = compare(res, refs)
    text = render_markdown(res, comp, refs)
    assert "not produced (did you mean lebail.P2-NNMO.c?)" in text
    assert "not produced (no row of that name)" in text or "did you mean lebail.P2-NNMO.a" in text
    comp.to_csv(tmp_path / "reproduction.csv", index=False)
    res.to_csv(tmp_path / "results.csv", index=False)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"references": {"values": refs}}))
    cfg = str(tmp_path / "config.yaml")
    rc = main(["check", str(tmp_path / "reproduction.csv"), "--config", cfg, "--require", "lebail"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "lebail.P2NNMO.c" in out and "did you mean lebail.P2-NNMO.c?" in out
