"""Exception types shared by every part of the package.

Every error names the file, the field or line, what was found and what was
expected (see DESIGN.md, "Conventions").
"""

from __future__ import annotations

from collections.abc import Iterable


class InputError(ValueError):
    """Bad input: a file, a column, a config key or an argument is wrong."""


class FitError(RuntimeError):
    """A fit did not converge or converged to something unphysical."""


def closest_name(name: object, names: Iterable[object]) -> str | None:
    """The name in ``names`` closest to ``name`` (a misspelling), or None when none is close.

    Used by every "did you mean ...?" in the package's messages (config keys, names that
    refer to other config entries, reference quantities).
    """
    import difflib

    match = difflib.get_close_matches(str(name), [str(n) for n in names], n=1)
    return match[0] if match else None
