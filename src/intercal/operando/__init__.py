"""Operando XRD: scans aligned with the cell's clock, sequential peak tracking, lattice.

Modules (import them directly; this package stays light so that every job starts fast):

- :mod:`intercal.operando.peaks`   pseudo-Voigt K-alpha1/K-alpha2 doublets and window fits
- :mod:`intercal.operando.lattice` c, a and V of a hexagonal/trigonal cell from d(00l), d(h0l)
- :mod:`intercal.operando.calibration` 2theta zero shift from an internal standard
- :mod:`intercal.operando.align`   scan log + cycling table -> time, voltage, x per scan
- :mod:`intercal.operando.track`   sequential two-phase tracking of a scan series
- :mod:`intercal.operando.summary` delithiated/lithiated states, expansions, transition x
"""
