"""Readers: one per instrument format, each returning the same tidy table for its technique."""
