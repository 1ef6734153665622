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


def test_draw_side_by_side_runs_every_task_and_names_a_failed_child(tmp_path):
    import os

    from intercal.figures.style import draw_side_by_side

    def touch(name):
        return lambda: (tmp_path / name).write_text(str(os.getpid()))

    draw_side_by_side([("first", touch("a")), ("second", touch("b")), ("third", touch("c"))])
    pids = {(tmp_path / n).read_text() for n in "abc"}
    assert (tmp_path / "a").read_text() == str(os.getpid())  # the first task in this process
    if len(os.sched_getaffinity(0)) > 1:
        assert len(pids) == 3  # the others in children, at the same time

    def fail():
        raise ValueError("broken figure")

    with pytest.raises(RuntimeError, match="Fig. S99 failed"):
        draw_side_by_side([("first", touch("d")), ("Fig. S99", fail)])
    assert (tmp_path / "d").exists()
    with pytest.raises(ValueError, match="broken figure"):
        draw_side_by_side([("first", fail), ("second", touch("e"))])
    assert (tmp_path / "e").exists()


def test_element_symbols_are_pymatgens():
    """The figure labels' element table is pymatgen's (which it saves importing)."""
    from pymatgen.core.periodic_table import Element

    assert style.ELEMENT_SYMBOLS == set(Element.__members__)
    assert style.is_formula("D2O") and not style.is_formula("Xx2O")
