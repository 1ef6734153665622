"""Figures drawn only from result tables (never by re-fitting)."""
