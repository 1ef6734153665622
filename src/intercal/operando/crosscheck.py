"""Whole-pattern Le Bail cross-check of the peak-tracking cells on a subset of scans.

For each selected scan the phases found present by the peak tracking are
refined with :func:`intercal.xrd.lebail.refine` (the Le Bail engine), starting
from the tracked cell, over a 2theta range free of unmodelled lines, with the
electrode's graphite as an extra phase and the zero shift and displacement
fixed at the scan's 2theta calibration (the ``cal_zero_shift_deg`` /
``cal_displacement_mm`` columns of the lattice table, i.e. the internal-standard
calibration the tracking used; the keyword values where those columns are absent).
The comparison reports, per scan and phase, both cells and
z = (tracked - Le Bail) / sqrt(esd_t^2 + esd_LB^2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


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
) -> pd.DataFrame:
    """Le Bail refinement of the scans in ``files`` and comparison with ``lattice``.

    Parameters
    ----------
    files : mapping
        Scan number -> pattern file.
    lattice : DataFrame
        results/operando/lattice.csv.
    space_groups : mapping
        Phase name -> space-group symbol.
    extra_phases : sequence of (name, space group, cell)
        Phases always present (e.g. graphite), cell fixed except c.
    two_theta_range_deg, wavelengths, zero_shift_deg, displacement_mm, goniometer_radius_mm
        Refinement range and instrument (deg, angstrom, mm); zero shift and
        displacement only where ``lattice`` has no ``cal_*`` columns.

    Returns
    -------
    DataFrame
        ``scan, phase, a_track_A, a_track_esd_A, a_lebail_A, a_lebail_esd_A, z_a,``
        the same for c, ``gof`` and ``note`` (refinement failures are noted, not hidden).
    """
    from ..errors import FitError, InputError
    from ..io.xrd import read_pattern
    from ..xrd import lebail

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
        fixed = ["zero", "displacement"]
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
            U=0.6,
            V=-0.3,
            W=0.2,
            X=4.0,
            Y=9.0,
        )
        note, cells, gof = "", {}, math.nan
        try:
            res = lebail.refine(read_pattern(path), phases, st, name=f"scan {scan}")
            cells, gof = res.cells, float(res.stats["gof"])
        except (FitError, InputError, ValueError) as err:
            note = f"Le Bail failed: {err}"
        for r in ok.itertuples():
            lb = cells.get(r.phase, {})
            row = {"scan": int(scan), "phase": r.phase, "gof": gof, "note": note}
            for q in ("a", "c"):
                vt, et = getattr(r, f"{q}_A"), getattr(r, f"{q}_esd_A")
                vl, el = lb.get(q, math.nan), lb.get(f"{q}_esd", math.nan)
                row.update(
                    {
                        f"{q}_track_A": vt,
                        f"{q}_track_esd_A": et,
                        f"{q}_lebail_A": vl,
                        f"{q}_lebail_esd_A": el,
                        f"z_{q}": (vt - vl) / math.hypot(et, el) if np.isfinite(el) else math.nan,
                    }
                )
            out.append(row)
    return pd.DataFrame(out)
