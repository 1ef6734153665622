"""Le Bail whole-pattern refinement of laboratory powder XRD.

Modules (import them explicitly; pymatgen is loaded only by :mod:`.reflections`):

- :mod:`.reflections`: cell constraints per crystal system, reflection lists with
  systematic absences and multiplicities from pymatgen's space-group operations.
- :mod:`.profile`: Thompson-Cox-Hastings pseudo-Voigt with Finger-Cox-Jephcoat axial
  divergence asymmetry, evaluated on windows around each peak.
- :mod:`.lebail`: the pattern model (Ka1/Ka2, zero shift, sample displacement,
  Chebyshev background, several phases) and the refinement (unbiased Le Bail
  intensities solved exactly inside every Levenberg-Marquardt step: variable projection).
- :mod:`.output`: fit record (with QC flags), reproduction part, refined CIF, GSAS-II export.
- :mod:`.gsas2`: GSAS-II ``.instprm`` read/write and a GSASIIscriptable script of the fit.
- :mod:`.cif`: phases started from a CIF (its own symmetry operations), refined cell written
  back into it.
- :mod:`.config`: Le Bail inputs from the ``xrd:`` / ``materials:`` config sections.

Sample broadening (GSAS-II parametrisation: size in um, microstrain in ppm, isotropic or
uniaxial along an hkl axis) adds to an instrument profile that is then held fixed; see
report/xrd/guide.md for what to refine for an accurate cell.
"""
