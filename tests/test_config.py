"""config.yaml against the JSON schemas: valid as shipped, typos fail naming the key."""

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

SCHEMA = "schemas/config.schema.yaml"


@pytest.fixture()
def config(root):
    return yaml.safe_load((root / "config.yaml").read_text())


def test_shipped_config_is_valid(root, config):
    validate(copy.deepcopy(config), str(root / SCHEMA))  # raises on any violation
    for section in ("xrd", "operando", "xas", "musr", "echem", "dft"):
        schema = root / "schemas" / f"{section}.schema.yaml"
        assert section in config, f"config.yaml has no {section} section"
        assert schema.exists(), f"{schema} is missing"
        validate(copy.deepcopy(config[section]), str(schema))


def test_misspelt_top_level_key_fails_naming_it(root, config):
    config["materails"] = config.pop("materials")
    with pytest.raises(WorkflowError, match="materails"):
        validate(config, str(root / SCHEMA))


def test_wrong_type_fails_naming_key_and_expected_type(root, config):
    config["materials"]["CrSe2"]["cell"]["a"] = "3.39"
    with pytest.raises(WorkflowError, match=r"'3.39' is not of type 'number'"):
        validate(config, str(root / SCHEMA))


def _walk(node, path, out):
    """Collect paths of schema properties that lack a description."""
    if isinstance(node, dict):
        props = node.get("properties", {})
        for name, sub in props.items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                out.append(f"{path}.{name}")
            _walk(sub, f"{path}.{name}", out)
        for key in ("items", "additionalProperties", "$defs", "patternProperties"):
            if isinstance(node.get(key), dict):
                if key in ("$defs", "patternProperties"):
                    for k, v in node[key].items():
                        _walk(v, f"{path}.{key}.{k}", out)
                else:
                    _walk(node[key], f"{path}[{key}]", out)
        for key in ("oneOf", "anyOf", "allOf"):
            for i, sub in enumerate(node.get(key, [])):
                _walk(sub, f"{path}.{key}[{i}]", out)


def test_every_schema_field_has_a_description(root):
    missing = []
    schemas = sorted((root / "schemas").glob("*.yaml"))
    assert schemas, "no schema files"
    for schema in schemas:
        _walk(yaml.safe_load(schema.read_text()), schema.name, missing)
    assert missing == []
