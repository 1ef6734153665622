"""GSAS-II interchange: instrument parameter files (.instprm) and a GSASIIscriptable script.

- :func:`read_instprm` reads a GSAS-II ``.instprm`` (``key:value`` lines, constant-wavelength
  lab data ``Type:PXC``) into :class:`~intercal.xrd.lebail.Settings` fields;
- :func:`instprm_text` writes the refined instrument terms of a
  :class:`~intercal.xrd.lebail.LeBailResult` in the same format (the sample terms, which
  GSAS-II keeps per phase and histogram, follow as ``#`` comment lines that GSAS-II skips);
- :func:`gsas2_script` writes a Python script that sets up the same Le Bail refinement in
  GSAS-II with ``GSASIIscriptable`` (same data, limits, excluded regions, instrument file,
  phases from CIF, refine flags, sample broadening, staged order), so that a user can
  continue there. Writing it needs no GSAS-II; running it does.

Conventions shared with GSAS-II (so that the numbers carry over unchanged): U, V, W of the
Gaussian variance in centideg^2, X (1/cos) and Y (tan) Lorentzian terms in centideg,
SH/L, zero in deg, Bragg-Brentano specimen shift ``Shift`` in um (``-2 s cos(theta)/R``),
size in um and microstrain in ppm.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError

#: .instprm key -> Settings field
_KEYS = {
    "Lam1": "wavelength1_A",
    "Lam2": "wavelength2_A",
    "Lam": "wavelength1_A",
    "I(L2)/I(L1)": "ratio",
    "Zero": "zero_deg",
    "U": "U",
    "V": "V",
    "W": "W",
    "X": "X",
    "Y": "Y",
    "SH/L": "SHL",
}
#: keys read but not used by the Le Bail model
_IGNORED = {"Bank", "Polariz.", "Azimuth", "Source", "Type"}


def read_instprm(path: str | os.PathLike) -> dict:
    """Instrument profile from a GSAS-II ``.instprm`` file.

    Parameters
    ----------
    path : path-like
        The file (first bank only when there are several).

    Returns
    -------
    dict
        Settings fields: wavelength1_A, wavelength2_A (None for ``Lam``), ratio, zero_deg,
        U, V, W (centideg^2), X, Y (centideg), SHL.

    Raises
    ------
    InputError
        Unreadable line, a type other than PXC, a non-zero ``Z`` (the constant Lorentzian
        term, not in this model) or a missing profile key; the message names the file and
        line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise InputError(f"{path}: cannot read the instrument parameter file: {err}") from err
    out: dict = {}
    seen_bank = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lower().startswith("#bank"):
                if seen_bank:
                    break  # only the first bank
                seen_bank = True
            continue
        if ":" not in line:
            raise InputError(f"{path}: line {n}: {raw!r} is not 'key:value'")
        key, val = (t.strip() for t in line.split(":", 1))
        if key == "Type":
            if not val.startswith("PXC"):
                raise InputError(
                    f"{path}: line {n}: Type {val!r}; expected PXC (constant-wavelength X-ray)"
                )
            continue
        if key in _IGNORED:
            continue
        try:
            num = float(val.split(",")[0])
        except ValueError as err:
            raise InputError(f"{path}: line {n}: {key} = {val!r} is not a number") from err
        if key == "Z":
            if num != 0.0:
                raise InputError(
                    f"{path}: line {n}: Z = {num} (constant Lorentzian FWHM); this model has "
                    "X/cos + Y tan only: set Z to 0 and fold it into X"
                )
            continue
        if key in _KEYS:
            out[_KEYS[key]] = num
        if key == "Lam":
            out["wavelength2_A"] = None
            out["ratio"] = 0.0
    missing = [k for k in ("wavelength1_A", "U", "V", "W", "X", "Y") if k not in out]
    if missing:
        raise InputError(f"{path}: instrument parameter file lacks {missing}")
    return out


def _par(result, name: str) -> tuple[float, bool]:
    row = result.params.set_index("parameter")
    return float(row.value[name]), bool(row.refined[name])


def instprm_text(result) -> str:
    """GSAS-II ``.instprm`` text of the refined instrument terms of a Le Bail result.

    The sample terms (size um, microstrain ppm) and the specimen shift follow as comment
    lines; GSAS-II reads them from the script (:func:`gsas2_script`), not from here.
    """
    s = result.settings
    lines = [
        "#GSAS-II instrument parameter file; do not add/delete items!",
        f"#written by intercal from the Le Bail fit of pattern {result.name}",
        "Type:PXC",
        "Bank:1.0",
    ]
    if s.wavelength2_A and s.ratio > 0:
        lines += [f"Lam1:{s.wavelength1_A:.6f}", f"Lam2:{s.wavelength2_A:.6f}"]
    else:
        lines.append(f"Lam:{s.wavelength1_A:.6f}")
    lines += [f"Zero:{_par(result, 'zero')[0]:.6f}", "Polariz.:0.7", "Azimuth:0.0"]
    if s.wavelength2_A and s.ratio > 0:
        lines.append(f"I(L2)/I(L1):{s.ratio:.4f}")
    for k in ("U", "V", "W", "X", "Y"):
        lines.append(f"{k}:{_par(result, k)[0]:.6g}")
    lines += ["Z:0.0", f"SH/L:{_par(result, 'SHL')[0]:.6g}"]
    lines.append(f"#Shift (specimen displacement, um): {_par(result, 'displacement')[0]:.4f}")
    lines.append(f"#Gonio. radius (mm): {s.goniometer_radius_mm}")
    for r in result.params.itertuples(index=False):
        base = r.parameter.split(".")[-1]
        if base in ("size", "size_axial", "mustrain", "mustrain_axial"):
            lines.append(f"#{r.parameter} ({r.unit}): {r.value:.6g} +- {r.stderr:.3g}")
    for ph, keys in (s.phase_profile or {}).items():
        names = keys if not isinstance(keys, dict) else list(keys)
        for k in names:
            v = _par(result, f"{ph}.{k}")[0]
            lines.append(f"#{ph}.{k} (phase's own profile term): {v:.6g}")
    return "\n".join(lines) + "\n"


def _literal(v) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)


def gsas2_script(
    result,
    data_file: str,
    instprm_file: str,
    cif_files: dict[str, str],
    gpx_file: str | None = None,
) -> str:
    """Python source of a GSASIIscriptable script that repeats this Le Bail refinement.

    Parameters
    ----------
    result : LeBailResult
        The refinement to repeat (settings, refine flags, refined starting values).
    data_file, instprm_file : str
        Paths of the pattern (xye) and the .instprm, relative to the script's folder.
    cif_files : dict
        Phase name -> CIF path (relative to the script's folder); phases without a CIF are
        listed in a comment (GSAS-II needs a phase file).
    gpx_file : str, optional
        Project file name (default ``<pattern>.gpx``).

    Returns
    -------
    str
        The script (check with ``ast.parse``; it imports GSAS-II only when run).
    """
    s = result.settings
    par = result.params.set_index("parameter")
    refined = {k for k, v in par.refined.items() if v}
    tth = result.profile.two_theta_deg
    lo, hi = float(tth.iloc[0]), float(tth.iloc[-1])
    inst_flags = [g for k, g in (("U", "U"), ("V", "V"), ("W", "W"), ("X", "X"), ("Y", "Y"),
                                 ("SHL", "SH/L"), ("zero", "Zero")) if k in refined]  # fmt: skip
    sample_flags = ["Shift"] if "displacement" in refined else []
    cell_refined = any(n.split(".")[-1] in ("a", "b", "c", "alpha", "beta", "gamma")
                       for n in refined)  # fmt: skip
    gpx = gpx_file or f"{result.name}.gpx"
    phases = [ph.name for ph in result.phases]
    missing = [p for p in phases if p not in cif_files]
    sample_lines = []
    for ph, spec in (s.sample or {}).items():
        if ph not in cif_files:
            continue
        for kind, key in (("Size", "size"), ("Mustrain", "mustrain")):
            if f"{ph}.{key}" not in par.index:
                continue
            vi = float(par.value[f"{ph}.{key}"])
            ax_name = f"{ph}.{key}_axial"
            uni = ax_name in par.index
            va = float(par.value[ax_name]) if uni else vi
            mix = float(spec.get(f"{key}_mix", 1.0))
            flags = [f"{ph}.{key}" in refined, uni and ax_name in refined, False]
            axis = [int(v) for v in spec.get("axis", [0, 0, 1])]
            sample_lines += [
                f"hap = phases[{ph!r}].data['Histograms'][hist.name]",
                f"hap[{kind!r}][0] = {'uniaxial' if uni else 'isotropic'!r}",
                f"hap[{kind!r}][1][:3] = [{vi!r}, {va!r}, {mix!r}]",
                f"hap[{kind!r}][2][:3] = {flags!r}",
                f"hap[{kind!r}][3] = {axis!r}",
            ]
    stages_py = []
    if s.stages:
        for st in s.stages:
            stages_py.append(sorted(set(st)))
    bkg = {"type": "chebyschev-1", "no. coeffs": int(s.background_terms), "refine": True}
    text = f'''"""GSAS-II Le Bail refinement of pattern {result.name}, as intercal refined it.

Written by intercal (no GSAS-II needed to write it). Run it with the Python that has GSAS-II:
    python {Path(gpx).stem}_gsas2.py
It creates {gpx} beside this script, refines in GSAS-II and prints the cells and Rwp.
intercal's result for comparison: Rwp {100 * result.stats["rwp"]:.3f} %, cells
{_cells_comment(result)}
"""

import os

try:
    from GSASII import GSASIIscriptable as G2sc
except ImportError:  # older GSAS-II installations
    import GSASIIscriptable as G2sc

HERE = os.path.dirname(os.path.abspath(__file__))
gpx = G2sc.G2Project(newgpx=os.path.join(HERE, {gpx!r}))
hist = gpx.add_powder_histogram(
    os.path.join(HERE, {data_file!r}), os.path.join(HERE, {instprm_file!r})
)
# fitted range and excluded regions (GSAS-II keeps excluded regions after the limits)
hist.set_refinements({{"Limits": [{lo!r}, {hi!r}]}})
for region in {[list(map(float, r)) for r in (s.exclude_deg or ())]!r}:
    hist.data["Limits"].append(region)
sp = hist.data["Sample Parameters"]
sp["Type"] = "Bragg-Brentano"
sp["Gonio. radius"] = {float(s.goniometer_radius_mm)!r}
sp["Shift"] = [{float(par.value["displacement"])!r}, False]
hist.set_refinements({{"Background": {bkg!r}}})

phases = {{}}
'''
    for ph in phases:
        if ph in cif_files:
            text += (
                f"phases[{ph!r}] = gpx.add_phase(os.path.join(HERE, {cif_files[ph]!r}), "
                f"phasename={ph!r}, histograms=[hist])\n"
            )
    if missing:
        text += f"# phases without a CIF (add them by hand): {missing!r}\n"
    text += """for ph in phases.values():
    # Le Bail: intensities extracted, no structure factors; the scale is not refined
    ph.set_HAP_refinements({"LeBail": True, "Scale": False}, histograms=[hist])
"""
    for ph in phases:
        if ph in cif_files:
            c = result.cells[ph]
            text += (
                f"phases[{ph!r}].data['General']['Cell'][1:8] = ["
                + ", ".join(repr(float(c[k])) for k in ("a", "b", "c", "alpha", "beta", "gamma"))
                + f", {float(c['volume'])!r}"
                + "]\n"
            )
    text += "\n".join(sample_lines) + ("\n" if sample_lines else "")
    # first a Le Bail extraction with the background only, then the positions, then widths
    stage_list = ["{'set': {}}"]
    if stages_py:
        text += f"# the staged order used by intercal: {stages_py!r}\n"
    stage_list.append(repr({"set": {"Cell": cell_refined, "Sample Parameters": sample_flags}}))
    if inst_flags:
        stage_list.append(repr({"set": {"Instrument Parameters": inst_flags}}))
    text += "gpx.data['Controls']['data']['max cyc'] = 10\n"
    text += "gpx.do_refinements([\n" + "".join(f"    {st},\n" for st in stage_list) + "])\n"
    text += """for name, ph in phases.items():
    print(name, "cell", ph.get_cell())
print("Rwp (%)", hist.get_wR())
"""
    return text


def _cells_comment(result) -> str:
    parts = []
    for ph, c in result.cells.items():
        parts.append(
            f"{ph}: a {c['a']:.6f}({c['a_esd']:.6f}) b {c['b']:.6f} c {c['c']:.6f}"
            f"({c['c_esd']:.6f}) alpha {c['alpha']:.4f} beta {c['beta']:.4f} "
            f"gamma {c['gamma']:.4f}"
        )
    return "; ".join(parts)


def xye_text(result) -> str:
    """The fitted points (excluded regions removed) as .xye: 2theta (deg), counts, esd."""
    pr = result.profile
    lines = [f"# pattern {result.name}: 2theta_deg counts esd (the points intercal fitted)"]
    for t, y, e in zip(pr.two_theta_deg, pr.obs, pr.esd, strict=True):
        lines.append(f"{t:.6f} {y:.6g} {e:.6g}")
    return "\n".join(lines) + "\n"
