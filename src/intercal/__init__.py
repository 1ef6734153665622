"""intercal: analysis pipeline for intercalation-electrode studies.

Light on purpose: importing :mod:`intercal` must stay fast, because every
Snakemake job pays the start-up cost. Heavy libraries (pymatgen, larch) are
imported only inside the sub-modules that need them.
"""

__version__ = "0.1.0"
