"""Forward models that write the demo data set (see data/README.md).

Each module exposes ``generate(data_dir, seed) -> dict`` which writes its
files under ``data_dir/<technique>/`` and returns the ground truth it encodes.
They are independent of the analysis code (DESIGN.md, "Demo data").
"""
