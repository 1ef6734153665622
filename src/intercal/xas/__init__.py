"""XANES analysis: energy calibration, merging, normalization, edge/pre-edge fits and LCF.

Modules: :mod:`.edge` (E0 and half-step energies), :mod:`.calibrate` (reference-foil
calibration and merging of repeated scans), :mod:`.normalize` (larch ``pre_edge``),
:mod:`.fit` (lmfit edge model and linear-combination fitting) and :mod:`.pipeline`
(one sample/edge from raw files to tables). larch and lmfit are imported lazily.
"""
