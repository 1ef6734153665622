"""Formation energies, convex hull and intercalation voltages of Ion_xHost.

Choice of reference (documented, physically motivated): an intercalation
electrode is a pseudo-binary between the host (e.g. MX2) and the working-ion
metal (e.g. Li). The hull is therefore built with pymatgen's
:class:`~pymatgen.analysis.phase_diagram.CompoundPhaseDiagram` whose terminal
compositions are the host and the ion, not the elements: elemental M and X
references (and competing phases such as Li2X) would only add the
conversion-reaction chemistry that intercalation (0 <= x <= 1) excludes, and would
make the hull depend on elemental energies that cancel in every intercalation
voltage. Energies are reported per host formula unit:

- formation energy  E_f(x) = E(Ion_xHost) - E(Host) - x E(Ion metal)
- mixing energy     E_mix(x) = E_f(x) - x E_f(1)  (vs the end members, Fig. 1b)
- energy above hull, per host formula unit

The voltage profile comes from pymatgen's
:class:`~pymatgen.apps.battery.insertion_battery.InsertionElectrode` built
from the stable entries: V = -[E(x2) - E(x1) - (x2 - x1) E(Ion)] / ((x2 - x1) e).
Gravimetric capacities are per gram of host:
1 ion per host formula unit = F / (3.6 M(host)) mAh/g.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from intercal.errors import InputError

#: Faraday constant (C/mol)
FARADAY = 96485.33212


def _entries(configs: pd.DataFrame, host: str, ion: str):
    """pymatgen ComputedEntry per configuration (total supercell energy, eV)."""
    from pymatgen.core import Composition
    from pymatgen.entries.computed_entries import ComputedEntry

    host_comp = Composition(host)
    entries = []
    for row in configs.itertuples(index=False):
        n = int(row.n_formula_units)
        comp = host_comp * n + Composition({ion: int(row.n_li)})
        volume = math.sqrt(3) / 2 * row.a_angstrom**2 * row.c_angstrom * n
        entries.append(
            ComputedEntry(
                comp,
                float(row.energy_per_fu_eV) * n,
                entry_id=str(row.config_id),
                data={"volume": volume},
            )
        )
    return entries


def _check_end_members(configs: pd.DataFrame, source: str) -> None:
    for x_end in (0.0, 1.0):
        if not np.any(np.isclose(configs["x"], x_end, atol=1e-9)):
            raise InputError(
                f"{source}: column 'x' has no configuration at x = {x_end:g}; "
                "the hull needs both end members (host and fully intercalated host)"
            )


def convex_hull(
    configs: pd.DataFrame,
    ion_energy_eV: float,
    *,
    host: str,
    ion: str,
    source: str = "configurations",
    near_hull_meV: float = 10.0,
) -> pd.DataFrame:
    """Formation energies and the convex hull on the host-ion pseudo-binary.

    Parameters
    ----------
    configs : pandas.DataFrame
        From :func:`intercal.dft.io.read_configurations`.
    ion_energy_eV : float
        Energy of the working-ion metal (eV per atom).
    host, ion : str
        Host formula (per formula unit) and working-ion element.
    source : str
        Name of the input (for error messages).
    near_hull_meV : float
        Tolerance (meV per host formula unit) for the ``near_hull`` flag
        (stable within the method's accuracy); does not change ``stable``.

    Returns
    -------
    pandas.DataFrame
        The configurations plus ``formation_energy_eV`` (eV per host formula
        unit vs host + x ion metal), ``mixing_energy_meV`` (meV per host
        formula unit vs the x = 0 and x = 1 end members), ``e_above_hull_meV``
        (meV per host formula unit) and ``stable`` (on the hull), sorted by x.
    """
    from pymatgen.analysis.phase_diagram import CompoundPhaseDiagram
    from pymatgen.core import Composition
    from pymatgen.entries.computed_entries import ComputedEntry

    _check_end_members(configs, source)
    entries = _entries(configs, host, ion)
    ion_entry = ComputedEntry(Composition(ion), ion_energy_eV, entry_id=f"{ion}_metal")
    cpd = CompoundPhaseDiagram(
        [*entries, ion_entry],
        [Composition(host), Composition(ion)],
        normalize_terminal_compositions=False,
    )
    by_id = {e.original_entry.entry_id: e for e in cpd.all_entries}
    stable_ids = {e.original_entry.entry_id for e in cpd.stable_entries}

    out = configs.copy()
    n = out["n_formula_units"].to_numpy(dtype=float)
    out["formation_energy_eV"] = (
        out["energy_per_fu_eV"]
        - out["energy_per_fu_eV"][np.isclose(out["x"], 0.0, atol=1e-9)].min()
        - out["x"] * ion_energy_eV
    )
    e_hull = []
    for cid, n_fu in zip(out["config_id"], n, strict=True):
        te = by_id[cid]
        # pymatgen's e_above_hull is per atom of the transformed (host, ion) composition
        e_hull.append(cpd.get_e_above_hull(te) * te.composition.num_atoms / n_fu)
    out["e_above_hull_meV"] = 1000.0 * np.asarray(e_hull)
    out["stable"] = out["config_id"].isin(stable_ids)
    if not near_hull_meV >= 0:
        raise InputError(f"near_hull_meV: found {near_hull_meV!r}, expected a number >= 0")
    out["near_hull"] = out["e_above_hull_meV"] <= near_hull_meV
    f1 = out.loc[np.isclose(out["x"], 1.0, atol=1e-9), "formation_energy_eV"].min()
    out["mixing_energy_meV"] = 1000.0 * (out["formation_energy_eV"] - out["x"] * f1)
    out = out.sort_values(["x", "energy_per_fu_eV"], kind="stable").reset_index(drop=True)
    cols = [
        "config_id",
        "x",
        "n_li",
        "n_formula_units",
        "site",
        "space_group",
        "energy_per_fu_eV",
        "formation_energy_eV",
        "mixing_energy_meV",
        "e_above_hull_meV",
        "stable",
        "near_hull",
        "a_angstrom",
        "c_angstrom",
    ]
    return out[cols]


def voltage_profile(
    configs: pd.DataFrame,
    ion_energy_eV: float,
    *,
    host: str,
    ion: str,
    source: str = "configurations",
) -> tuple[pd.DataFrame, dict]:
    """Intercalation voltage profile from the stable configurations (pymatgen).

    Parameters
    ----------
    configs : pandas.DataFrame
        From :func:`intercal.dft.io.read_configurations`.
    ion_energy_eV : float
        Energy of the working-ion metal (eV per atom).
    host, ion : str
        Host formula and working-ion element.
    source : str
        Name of the input (for error messages).

    Returns
    -------
    steps : pandas.DataFrame
        One row per voltage step: ``x_start, x_end, voltage_V,
        capacity_start_mAh_g, capacity_end_mAh_g`` (capacity per gram of host).
    summary : dict
        ``average_voltage_V`` (pymatgen), ``average_voltage_direct_V``
        (-(E(x=1) - E(x=0) - E(ion)) from the lowest end-member energies),
        ``theoretical_capacity_mAh_g`` (per g host, x = 0 -> x_max),
        ``capacity_grav_pymatgen_mAh_g`` (pymatgen's, per g of discharged
        material), ``stable_x``, ``framework``.
    """
    from pymatgen.apps.battery.insertion_battery import InsertionElectrode
    from pymatgen.core import Composition
    from pymatgen.entries.computed_entries import ComputedEntry

    hull = convex_hull(configs, ion_energy_eV, host=host, ion=ion, source=source)
    stable = hull[hull["stable"]].drop_duplicates("x")
    stable_ids = set(stable["config_id"])
    entries = [e for e in _entries(configs, host, ion) if e.entry_id in stable_ids]
    ion_entry = ComputedEntry(Composition(ion), ion_energy_eV, entry_id=f"{ion}_metal")
    electrode = InsertionElectrode.from_entries(entries, ion_entry)
    cap_per_x = FARADAY / (3.6 * Composition(host).weight)  # mAh/g per ion per host
    rows = []
    for pair in electrode.voltage_pairs:
        x0, x1 = float(pair.x_charge), float(pair.x_discharge)
        rows.append(
            {
                "x_start": x0,
                "x_end": x1,
                "voltage_V": float(pair.voltage),
                "capacity_start_mAh_g": x0 * cap_per_x,
                "capacity_end_mAh_g": x1 * cap_per_x,
            }
        )
    steps = pd.DataFrame(rows).sort_values("x_start").reset_index(drop=True)
    e0 = hull.loc[np.isclose(hull["x"], 0.0, atol=1e-9), "energy_per_fu_eV"].min()
    e1 = hull.loc[np.isclose(hull["x"], 1.0, atol=1e-9), "energy_per_fu_eV"].min()
    summary = {
        "average_voltage_V": float(electrode.get_average_voltage()),
        "average_voltage_direct_V": float(-(e1 - e0 - ion_energy_eV)),
        "theoretical_capacity_mAh_g": float(steps["capacity_end_mAh_g"].max()),
        "capacity_grav_pymatgen_mAh_g": float(electrode.get_capacity_grav()),
        "max_voltage_V": float(electrode.max_voltage),
        "min_voltage_V": float(electrode.min_voltage),
        "stable_x": [float(v) for v in stable["x"]],
        "framework": electrode.framework_formula,
        "working_ion": ion,
        "capacity_basis": f"per gram of {host}",
    }
    return steps, summary
