"""DFT tables of an intercalation host: readers, convex hull, voltages, NEB barriers.

Light on import: pymatgen is imported only inside :mod:`intercal.dft.thermo`.

- :mod:`intercal.dft.io`: read the configuration, reference and NEB tables.
- :mod:`intercal.dft.thermo`: formation energies and convex hull (pymatgen
  ``CompoundPhaseDiagram`` on the host-ion pseudo-binary) and the
  intercalation voltage profile (pymatgen ``InsertionElectrode``).
- :mod:`intercal.dft.neb`: barrier of a nudged-elastic-band energy path.
"""
