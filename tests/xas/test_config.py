"""The xas section of config.yaml validates against schemas/xas.schema.yaml; typos fail."""

from __future__ import annotations

import copy

import jsonschema
import pytest
import yaml


@pytest.fixture(scope="module")
def schema_and_section(root):
    schema = yaml.safe_load((root / "schemas" / "xas.schema.yaml").read_text())
    section = yaml.safe_load((root / "config.yaml").read_text())["xas"]
    return schema, section


def test_config_section_is_valid(schema_and_section):
    schema, section = schema_and_section
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(section, schema)


def test_every_property_is_described(schema_and_section):
    schema, _ = schema_and_section

    def walk(node, path):
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                assert "description" in sub, f"{path}.{key} has no description"
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(schema, "xas")


def test_typo_fails_naming_the_key(schema_and_section):
    schema, section = schema_and_section
    bad = copy.deepcopy(section)
    bad["edges"]["Se"]["fit"]["n_peaks"] = 2
    with pytest.raises(jsonschema.ValidationError, match="n_peaks"):
        jsonschema.validate(bad, schema)
    bad = copy.deepcopy(section)
    bad["mode"] = "transmision"
    with pytest.raises(jsonschema.ValidationError, match="transmision"):
        jsonschema.validate(bad, schema)


def test_workflow_helpers(schema_and_section, root, monkeypatch):
    from intercal.errors import InputError
    from intercal.xas.workflow import spectrum_files, spectrum_settings

    _, section = schema_and_section
    monkeypatch.chdir(root)
    files = spectrum_files(section, "Se_CrSe2")
    assert len(files) == 3 and all(f.endswith(".dat") for f in files)
    kw = spectrum_settings(section, "Cr_CrSe2")
    assert kw["reference_e0"] == 5989.0 and kw["element"] == "Cr"
    bad = copy.deepcopy(section)
    bad["spectra"]["Se_CrSe2"]["files"] = "data/xas/nothing_*.dat"
    with pytest.raises(InputError, match=r"xas.spectra.Se_CrSe2.files names 'data/xas/nothing"):
        spectrum_files(bad, "Se_CrSe2")
    bad["spectra"]["Se_CrSe2"]["edge"] = "Te"
    with pytest.raises(InputError, match="edge is 'Te', not a key of xas.edges"):
        spectrum_settings(bad, "Se_CrSe2")
