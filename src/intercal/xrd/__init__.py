"""Le Bail whole-pattern refinement of laboratory powder XRD.

Modules (import them explicitly; pymatgen is loaded only by :mod:`.reflections`):

- :mod:`.reflections`: cell constraints per crystal system, reflection lists with
  systematic absences and multiplicities from pymatgen's space-group operations.
- :mod:`.profile`: Thompson-Cox-Hastings pseudo-Voigt with Finger-Cox-Jephcoat axial
  divergence asymmetry, evaluated on windows around each peak.
- :mod:`.lebail`: the pattern model (Ka1/Ka2, zero shift, sample displacement,
  Chebyshev background, several phases) and the refinement (unbiased Le Bail
  intensities solved exactly inside every Levenberg-Marquardt step: variable projection).
- :mod:`.output`: fit record, profile and reflection tables, refined CIF.
"""
