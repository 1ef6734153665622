"""Exception types shared by every part of the package.

Every error names the file, the field or line, what was found and what was
expected (see DESIGN.md, "Conventions").
"""


class InputError(ValueError):
    """Bad input: a file, a column, a config key or an argument is wrong."""


class FitError(RuntimeError):
    """A fit did not converge or converged to something unphysical."""
