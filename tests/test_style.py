"""Figure labels from the study's names: formulas subscripted only when they are formulas,
voltage axes against the configured reference electrode."""

import pytest

from intercal.figures import style


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("LiCoO2", "LiCoO$_{2}$"),
        ("Li0.5CoO2", "Li$_{0.5}$CoO$_{2}$"),
        ("NaNi0.33Mn0.67O2", "NaNi$_{0.33}$Mn$_{0.67}$O$_{2}$"),
        # user names that are not formulas pass through unchanged
        ("P2-NNMO", "P2-NNMO"),
        ("charged4p3V", "charged4p3V"),
        ("NNMO", "NNMO"),  # 'M' is not an element
        ("sample_1", "sample_1"),
    ],
)
def test_formula_tex_only_for_formulas(name, label):
    assert style.formula_tex(name) == label


def test_reference_ion_sets_voltage_labels():
    try:
        style.set_reference_ion("Na")
        assert style.LABELS["voltage"] == "Voltage (V vs Na$^+$/Na)"
        assert style.LABELS["potential"] == "Potential (V vs Na$^+$/Na)"
        style.set_reference_ion(None)
        assert style.LABELS["voltage"] == "Voltage (V)"
    finally:
        style.set_reference_ion(None)
