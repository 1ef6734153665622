"""Readers: one per instrument format, each returning the same tidy table for its technique.

Every reader failure is an :class:`~intercal.errors.InputError` naming the file (see
:mod:`intercal.io.guard`, which also holds the read-time checks callers use:
:func:`~intercal.io.guard.check_wavelength` and
:func:`~intercal.io.guard.expect_technique`).
"""

from .guard import check_wavelength, expect_technique

__all__ = ["check_wavelength", "expect_technique"]
