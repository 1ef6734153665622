"""Muon spin relaxation analysis: reduction, Kubo-Toyabe models, fits, Arrhenius."""
