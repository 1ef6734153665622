"""Whole-pattern Le Bail cross-check of the peak-tracking cells on a subset of scans.

For each selected scan the phases found present by the peak tracking are
refined with :func:`intercal.xrd.lebail.refine` (the Le Bail engine), starting
from the tracked cell, over a 2theta range free of unmodelled lines, with the
electrode's always-present phases (``extra_phases``, e.g. a conductive
additive) and the zero shift and displacement fixed at the scan's 2theta
calibration (the ``cal_zero_shift_deg`` /
``cal_displacement_mm`` columns of the lattice table, i.e. the internal-standard
calibration the tracking used; the keyword values where those columns are absent).
The comparison reports, per scan and phase, both cells and
z = (tracked - Le Bail) / sqrt(esd_t^2 + esd_LB^2).

Profile: over the narrow range (tan(theta) varies by 40 %, three or four reflections)
the angle dependence of the widths (U, V of the Gaussian, Y of the Lorentzian) and the
axial-divergence SH/L cannot be told apart from a constant width or from the cell:
refined together they wander to meaningless values (U ~ 1e4, V ~ -1e4 centideg^2) with
cell esds inflated 10-50x or a cusp where sigma^2 -> 0. So only a constant Gaussian (W)
and Lorentzian (X) width are refined, and the asymmetry (SH/L, Soller acceptance) is
fixed at the diffractometer's constants (``instrument``, from ``xrd.instrument``).

Time: a continuous 2theta scan records each reflection at its own time. The tracked
cells are referred to the scan's mid-time (``*_time_shift_A`` columns of the lattice
table); the Le Bail cell comes from the reflections of the refinement range, measured
at the same times as the tracked reflections (which lie inside that range). So z is
computed against the tracked cell *as measured* (``q_A - q_time_shift_A``; the workflow
passes the batch tables, which hold the cells as measured), both cells being reported.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the merge job runs without pandas (start-up time on every new scan)
    import pandas as pd

#: columns of the cross-check table (an empty table keeps them, so batch tables merge)
COLUMNS = ["scan", "phase", "gof", "converged_by", "note"] + [
    k.format(q=q)
    for q in ("a", "c")
    for k in (
        "{q}_track_A", "{q}_track_meas_A", "{q}_track_esd_A", "{q}_lebail_A",
        "{q}_lebail_esd_A", "z_{q}",
    )
]  # fmt: skip


def crosscheck(
    files: Mapping[int, str],
    lattice: pd.DataFrame,
    *,
    space_groups: Mapping[str, str],
    extra_phases: Sequence[tuple[str, str, dict]] = (),
    two_theta_range_deg: tuple[float, float] = (25.0, 35.5),
    wavelengths: tuple[float, float] = (1.540593, 1.544414),
    zero_shift_deg: float = 0.0,
    displacement_mm: float = 0.0,
    goniometer_radius_mm: float = 240.0,
    instrument: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Le Bail refinement of the scans in ``files`` and comparison with ``lattice``.

    Parameters
    ----------
    files : mapping
        Scan number -> pattern file.
    lattice : DataFrame
        Tracked cells per scan and phase: the batch tables (cells as measured, what
        the workflow passes, so that a new scan does not rerun the cross-check) or
        results/operando/lattice.csv (cells at mid-scan, with ``*_time_shift_A``).
    space_groups : mapping
        Phase name -> space-group symbol.
    extra_phases : sequence of (name, space group, cell)
        Phases always present (e.g. a conductive additive), cell fixed except c.
    two_theta_range_deg, wavelengths, zero_shift_deg, displacement_mm, goniometer_radius_mm
        Refinement range and instrument (deg, angstrom, mm); zero shift and
        displacement only where ``lattice`` has no ``cal_*`` columns.
    instrument : mapping, optional
        Axial-divergence constants ``SHL`` ((S + H)/L) and ``soller_rad`` (Soller
        half-acceptance, rad), fixed; default 0.024 and 0.02 (``xrd.instrument``).

    Returns
    -------
    DataFrame
        ``scan, phase, a_track_A`` (mid-time), ``a_track_meas_A`` (as measured),
        ``a_track_esd_A, a_lebail_A, a_lebail_esd_A, z_a`` (as measured vs Le Bail), the
        same for c, ``gof``, ``converged_by`` and ``note`` (refinement failures are noted,
        not hidden).
    """
    import pandas as pd

    from ..errors import FitError, InputError
    from ..io.xrd import read_pattern
    from ..xrd import lebail

    inst = dict(instrument or {})
    out = []
    for scan, path in files.items():
        pres = lattice[(lattice.scan == scan) & lattice.present.astype(bool)]
        ok = pres[np.isfinite(pres.a_A) & np.isfinite(pres.c_A)]
        if ok.empty:
            continue
        phases = [
            lebail.Phase(r.phase, space_groups[r.phase], {"a": r.a_A, "c": r.c_A})
            for r in ok.itertuples()
        ]
        zero, disp, radius = zero_shift_deg, displacement_mm, goniometer_radius_mm
        if "cal_zero_shift_deg" in pres.columns and len(pres):
            r0 = pres.iloc[0]
            zero, disp = float(r0["cal_zero_shift_deg"]), float(r0["cal_displacement_mm"])
            radius = float(r0.get("cal_radius_mm", radius))
        fixed = ["zero", "displacement", "U", "V", "Y", "SHL"]
        for name, sg, cell in extra_phases:
            phases.append(lebail.Phase(name, sg, dict(cell)))
            fixed.append(f"{name}.a")
        st = lebail.Settings(
            wavelength1_A=wavelengths[0],
            wavelength2_A=wavelengths[1],
            two_theta_range_deg=tuple(two_theta_range_deg),
            zero_deg=zero,
            displacement_um=disp * 1000.0,
            goniometer_radius_mm=radius,
            fixed=tuple(fixed),
            background_terms=4,
            # constant widths: W = 3 centideg^2 (Gaussian FWHM 0.04 deg) and X = 9
            # centideg (Lorentzian FWHM 0.09 deg), i.e. the tracked FWHM of ~0.12 deg
            U=0.0,
            V=0.0,
            W=3.0,
            X=9.0,
            Y=0.0,
            SHL=float(inst.get("SHL", 0.024)),
            soller_rad=inst.get("soller_rad", 0.02),
        )
        note, cells, gof, how = "", {}, math.nan, ""
        try:
            res = lebail.refine(read_pattern(path), phases, st, name=f"scan {scan}")
            cells, gof = res.cells, float(res.stats["gof"])
            how = str(res.stats.get("converged_by", ""))
        except (FitError, InputError, ValueError) as err:
            note = f"Le Bail failed: {err}"
        for r in ok.itertuples():
            lb = cells.get(r.phase, {})
            row = {
                "scan": int(scan),
                "phase": r.phase,
                "gof": gof,
                "converged_by": how,
                "note": note,
            }
            for q in ("a", "c"):
                vt, et = getattr(r, f"{q}_A"), getattr(r, f"{q}_esd_A")
                shift = getattr(r, f"{q}_time_shift_A", 0.0)
                vm = vt - (float(shift) if np.isfinite(shift) else 0.0)
                vl, el = lb.get(q, math.nan), lb.get(f"{q}_esd", math.nan)
                row.update(
                    {
                        f"{q}_track_A": vt,
                        f"{q}_track_meas_A": vm,
                        f"{q}_track_esd_A": et,
                        f"{q}_lebail_A": vl,
                        f"{q}_lebail_esd_A": el,
                        f"z_{q}": (vm - vl) / math.hypot(et, el) if np.isfinite(el) else math.nan,
                    }
                )
            out.append(row)
    return pd.DataFrame(out, columns=COLUMNS) if out else pd.DataFrame(columns=COLUMNS)


def merge_tables(paths: Sequence[str | os.PathLike], out: str | os.PathLike) -> tuple[int, int]:
    """Concatenate per-batch cross-check tables into one, ordered by scan.

    Plain text in, plain text out (the ``csv`` module, no pandas: this job reruns on
    every new scan): each field is copied as written, the rows ordered by scan
    (stable, so phases keep their order within a scan).

    Returns
    -------
    (int, int)
        Rows, and rows whose a and c agree within 2 combined esds.

    Raises
    ------
    InputError
        If a table's header is not :data:`COLUMNS`.
    """
    from ..errors import InputError
    from ..tables import write_text

    rows: list[list[str]] = []
    for p in paths:
        with open(p, newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != COLUMNS:
                raise InputError(
                    f"{p}: cross-check table columns {header} differ from the expected {COLUMNS}"
                )
            rows.extend(r for r in reader if r)
    rows.sort(key=lambda r: int(r[0]))
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    write_text(text.getvalue(), out)
    iz = [COLUMNS.index("z_a"), COLUMNS.index("z_c")]

    def _within(r):
        try:
            return all(abs(float(r[i])) <= 2 for i in iz)
        except ValueError:  # empty (NaN) z
            return False

    return len(rows), sum(_within(r) for r in rows)
