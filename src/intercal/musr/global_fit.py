"""One global Kubo-Toyabe fit over every temperature (ZF and LF runs of all temperatures).

Model of run (temperature i, field B)::

    A(t) = a0_i G_KT(Delta_i, nu_i, B, t) exp(-lam_i t) + a_bg_i

with the hop rate ``nu_i`` free per temperature, the asymmetries ``a0_i``,
``a_bg_i`` and the paramagnetic rate ``lam_i`` per temperature (shared by its
fields, as in the per-temperature fits), and the field width Delta

* ``shared``: one Delta for every temperature (the default: Delta is set by
  the nuclear dipole fields and does not depend on T);
* ``linear``: Delta(T) = delta + delta_slope (T - T_ref), T_ref the mean temperature;
* ``free``: one Delta per temperature (the per-temperature fits, joined).

The per-temperature fits (Delta free) are the cached first stage: their values
seed this fit. Because Delta is one parameter of one fit, its uncertainty is
in every nu_i through the covariance matrix, and from there in Ea and nu0.

Errors: the covariance is inv(J^T J) of the error-weighted residuals at the
minimum. It is multiplied by the reduced chi-square only when that is > 1
(musrfit/Mantid convention: never scaled down); the record says which
(``errors_scaled_by_redchi``). Parameters at a bound other than nu = 0 are held
out of the covariance and get NaN errors and a QC flag. nu = 0 (the static
limit, the lower bound) is held out too but keeps its own conditional
curvature error (uncorrelated with the rest), used by the onset rule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..errors import FitError, InputError
from ..tables import fit_record
from .fit import KTDataset
from .kt import default_step, kubo_toyabe

log = logging.getLogger(__name__)

#: parameter bounds (value units: us^-1, MHz, asymmetry, asymmetry, us^-1)
BOUNDS = {
    "delta": (1e-3, 5.0),
    "nu": (0.0, 50.0),
    "a0": (0.0, 0.5),
    "a_bg": (-0.1, 0.3),
    "lam": (0.0, 10.0),
    "delta_slope": (-0.05, 0.05),
}
UNITS = {
    "delta": "us^-1",
    "delta_slope": "us^-1/K",
    "nu": "MHz",
    "a0": "",
    "a_bg": "",
    "lam": "us^-1",
}
DELTA_MODES = ("shared", "linear", "free")


@dataclass
class TemperatureData:
    """The reduced ZF/LF spectra of one temperature.

    Attributes
    ----------
    name : str
        The temperature's config name (used in parameter names).
    temperature_K : float
        Sample temperature (K).
    datasets : list of KTDataset
        One per field.
    """

    name: str
    temperature_K: float
    datasets: list[KTDataset]


@dataclass
class GlobalResult:
    """Result of :func:`fit_global`."""

    names: list[str]
    parameters: list[str]
    values: np.ndarray
    stderr: np.ndarray
    covariance: pd.DataFrame
    record: pd.DataFrame
    curves: pd.DataFrame
    flags: dict[str, list[str]]
    stats: dict
    delta_mode: str
    t_ref_K: float
    extra: dict = field(default_factory=dict)

    def value(self, name: str) -> float:
        return float(self.values[self.parameters.index(name)])

    def error(self, name: str) -> float:
        return float(self.stderr[self.parameters.index(name)])

    def delta_at(self, i: int) -> tuple[float, float]:
        """Delta (us^-1) and its stderr at temperature index ``i``."""
        name = self.names[i]
        if self.delta_mode == "free":
            return self.value(f"delta_{name}"), self.error(f"delta_{name}")
        if self.delta_mode == "shared":
            return self.value("delta"), self.error("delta")
        # linear: propagate (delta, slope) through the covariance
        d = self.value("delta") + self.value("delta_slope") * self.extra["dT"][i]
        c = self.covariance.loc[["delta", "delta_slope"], ["delta", "delta_slope"]].to_numpy()
        g = np.array([1.0, self.extra["dT"][i]])
        return d, float(np.sqrt(g @ c @ g)) if np.all(np.isfinite(c)) else np.nan


def _param_layout(names: Sequence[str], delta_mode: str) -> list[tuple[str, str, int | None]]:
    """(parameter name, base, temperature index or None) in vector order."""
    out: list[tuple[str, str, int | None]] = []
    if delta_mode == "shared":
        out.append(("delta", "delta", None))
    elif delta_mode == "linear":
        out += [("delta", "delta", None), ("delta_slope", "delta_slope", None)]
    elif delta_mode == "free":
        out += [(f"delta_{n}", "delta", i) for i, n in enumerate(names)]
    else:
        raise InputError(f"musr.fit.delta_mode: expected one of {DELTA_MODES}, got {delta_mode!r}")
    for base in ("nu", "a0", "a_bg", "lam"):
        out += [(f"{base}_{n}", base, i) for i, n in enumerate(names)]
    return out


def fit_global(
    temps: Sequence[TemperatureData],
    seeds: Sequence[dict],
    *,
    delta_mode: str = "shared",
    method: str = "exact",
    t_min_us: float = 0.1,
    t_max_us: float = 16.0,
    max_nfev: int = 60,
) -> GlobalResult:
    """Fit every temperature at once (see the module docstring for the model).

    Parameters
    ----------
    temps : sequence of TemperatureData
        All temperatures, each with its ZF/LF spectra.
    seeds : sequence of dict
        Start values per temperature from the per-temperature fits: ``delta``,
        ``delta_stderr``, ``nu``, ``a0``, ``a_bg``, ``lam`` (missing keys get defaults).
    delta_mode : {"shared", "linear", "free"}
        How Delta depends on temperature.
    method : {"exact", "keren"}
        Dynamic KT solver.
    t_min_us, t_max_us : float
        Fit window (us).
    max_nfev : int
        Maximum number of model evaluations of the optimiser.

    Returns
    -------
    GlobalResult
    """
    if not temps:
        raise InputError("fit_global: no temperatures")
    if len(seeds) != len(temps):
        raise InputError(f"fit_global: {len(seeds)} seeds for {len(temps)} temperatures")
    names = [t.name for t in temps]
    if len(set(names)) != len(names):
        raise InputError(f"fit_global: temperature names must be unique, got {names}")
    layout = _param_layout(names, delta_mode)
    pnames = [p[0] for p in layout]
    idx = {p: k for k, p in enumerate(pnames)}
    temps_K = np.array([t.temperature_K for t in temps], float)
    t_ref = float(temps_K.mean())
    dT = temps_K - t_ref

    # data inside the window
    data = []
    for t in temps:
        sets = []
        for d in t.datasets:
            tt = np.asarray(d.time_us, float)
            a = np.asarray(d.asymmetry, float)
            e = np.asarray(d.asymmetry_err, float)
            m = (tt >= t_min_us) & (tt <= t_max_us) & np.isfinite(a) & (e > 0)
            if m.sum() < 10:
                raise InputError(
                    f"fit_global: {t.name} field {d.field_G} G has {m.sum()} points in "
                    f"{t_min_us}-{t_max_us} us (need >= 10)"
                )
            sets.append((tt[m], a[m], e[m], float(d.field_G), d.label))
        data.append(sets)
    n_data = sum(len(s[0]) for sets in data for s in sets)

    # start values
    def _seed(s, key, default):
        v = s.get(key, default)
        return default if v is None or not np.isfinite(v) else float(v)

    d_seed = np.array([_seed(s, "delta", 0.35) for s in seeds])
    d_err = np.array([_seed(s, "delta_stderr", np.inf) for s in seeds])
    w = np.where(np.isfinite(d_err) & (d_err > 0), 1.0 / np.maximum(d_err, 1e-12) ** 2, 0.0)
    d_common = float(np.sum(w * d_seed) / np.sum(w)) if w.sum() > 0 else float(np.median(d_seed))
    x0 = np.zeros(len(layout))
    for k, (_, base, i) in enumerate(layout):
        if base == "delta":
            x0[k] = d_seed[i] if i is not None else d_common
        elif base == "delta_slope":
            x0[k] = 0.0
        elif base == "nu":
            nu = max(_seed(seeds[i], "nu", 0.1), 0.0)
            if delta_mode != "free" and nu > d_seed[i] > 0:
                # motional narrowing: keep the relaxation rate Delta^2/nu of the seed
                nu = nu * (d_common / d_seed[i]) ** 2
            x0[k] = nu
        elif base == "a0":
            x0[k] = _seed(seeds[i], "a0", 0.2)
        elif base == "a_bg":
            x0[k] = _seed(seeds[i], "a_bg", 0.02)
        elif base == "lam":
            x0[k] = _seed(seeds[i], "lam", 0.05)
    lo = np.array([BOUNDS[b][0] for _, b, _ in layout])
    hi = np.array([BOUNDS[b][1] for _, b, _ in layout])
    span = hi - lo
    x0 = np.clip(x0, lo + 1e-3 * span, hi - 1e-3 * span)
    # fixed KT grids (the model is then a smooth function of the parameters)
    steps = [
        [
            default_step(2.0 * max(d_seed[i], d_common), 2.0 * x0[idx[f"nu_{names[i]}"]], s[3])
            for s in data[i]
        ]
        for i in range(len(temps))
    ]

    def delta_T(x, i):
        if delta_mode == "shared":
            return x[0]
        if delta_mode == "linear":
            return x[0] + x[1] * dT[i]
        return x[idx[f"delta_{names[i]}"]]

    def kt(tt, delta, nu, fld, step):
        if method == "exact":
            from .kt import dynamic_kt

            return dynamic_kt(tt, max(delta, 1e-6), max(nu, 0.0), fld, step=step)
        return kubo_toyabe(tt, max(delta, 1e-6), max(nu, 0.0), fld, method)

    cache: dict = {}

    def g_all(x):
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            out = []
            for i in range(len(temps)):
                dl, nu = delta_T(x, i), x[idx[f"nu_{names[i]}"]]
                out.append(
                    [kt(s[0], dl, nu, s[3], h) for s, h in zip(data[i], steps[i], strict=True)]
                )
            cache[key] = out
        return cache[key]

    def model_parts(x, i, j, g):
        n = names[i]
        a0, abg, lam = x[idx[f"a0_{n}"]], x[idx[f"a_bg_{n}"]], x[idx[f"lam_{n}"]]
        tt = data[i][j][0]
        ex = np.exp(-lam * tt)
        return a0 * g * ex + abg, ex, a0, tt

    def resid(x):
        g = g_all(x)
        out = []
        for i in range(len(temps)):
            for j, s in enumerate(data[i]):
                m, _, _, _ = model_parts(x, i, j, g[i][j])
                out.append((s[1] - m) / s[2])
        return np.concatenate(out)

    def jac(x):
        g = g_all(x)
        J = np.zeros((n_data, len(x)))
        row = 0
        for i in range(len(temps)):
            n = names[i]
            dl, nu = delta_T(x, i), x[idx[f"nu_{n}"]]
            hd = 1e-4 * max(dl, 0.01)
            hn = 1e-4 * max(nu, 0.01)
            for j, s in enumerate(data[i]):
                tt, _, e, fld, _ = s
                rows = slice(row, row + len(tt))
                _, ex, a0, _ = model_parts(x, i, j, g[i][j])
                dg_dd = (kt(tt, dl + hd, nu, fld, steps[i][j]) - g[i][j]) / hd
                dg_dn = (kt(tt, dl, nu + hn, fld, steps[i][j]) - g[i][j]) / hn
                # residual = (a - model)/e: derivatives carry a minus sign
                dd = -a0 * ex * dg_dd / e
                if delta_mode == "shared":
                    J[rows, 0] = dd
                elif delta_mode == "linear":
                    J[rows, 0] = dd
                    J[rows, 1] = dd * dT[i]
                else:
                    J[rows, idx[f"delta_{n}"]] = dd
                J[rows, idx[f"nu_{n}"]] = -a0 * ex * dg_dn / e
                J[rows, idx[f"a0_{n}"]] = -g[i][j] * ex / e
                J[rows, idx[f"a_bg_{n}"]] = -1.0 / e
                J[rows, idx[f"lam_{n}"]] = a0 * tt * g[i][j] * ex / e
                row += len(tt)
        return J

    res = least_squares(
        resid, x0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=max_nfev
    )
    if res.status < 0:
        raise FitError(f"global Kubo-Toyabe fit failed: {res.message}")
    if res.status == 0:
        log.warning("global KT fit: stopped at max_nfev=%d (%s)", max_nfev, res.message)
    x = res.x
    r = resid(x)
    chi2 = float(r @ r)
    J = jac(x)
    # bounds: a parameter at a bound is held out of the covariance (it cannot move to one
    # side, so the free-parameter curvature would overstate the others' errors); nu at 0 (the
    # static limit) keeps its own conditional curvature error 1/sqrt(J_k.J_k) so that the
    # onset rule can still compare it with its threshold
    tol = 1e-6 * span
    at_lo = x <= lo + tol
    at_hi = x >= hi - tol
    at_bound = at_lo | at_hi
    nu_static = np.array([b == "nu" for _, b, _ in layout]) & at_lo
    free = ~at_bound
    n_free = int((free | nu_static).sum())
    dof = max(n_data - n_free, 1)
    redchi = chi2 / dof
    cov = np.full((len(x), len(x)), np.nan)
    jf = J[:, free]
    try:
        u, sv, vt = np.linalg.svd(jf, full_matrices=False)
        if sv.min() <= sv.max() * 1e-10:
            raise np.linalg.LinAlgError("singular Jacobian")
        cf = (vt.T / sv**2) @ vt
        cov[np.ix_(free, free)] = cf
        for k in np.flatnonzero(nu_static):
            cov[k, :] = 0.0
            cov[:, k] = 0.0
            cov[k, k] = 1.0 / float(J[:, k] @ J[:, k])
    except np.linalg.LinAlgError as err:
        log.warning("global KT fit: covariance not estimable (%s); all stderr NaN", err)
    scaled = redchi > 1.0
    if scaled:
        cov = cov * redchi
    stderr = np.sqrt(np.where(np.isfinite(np.diag(cov)), np.diag(cov), np.nan))

    flags: dict[str, list[str]] = {n: [] for n in names}
    flags["_global"] = []
    rows = []
    for k, (pn, base, i) in enumerate(layout):
        note = ""
        if at_bound[k] and not nu_static[k]:
            note = f"at bound ({lo[k]:g}, {hi[k]:g})"
            fl = f"at_bound:{base}"
            (flags[names[i]] if i is not None else flags["_global"]).append(fl)
        elif nu_static[k]:
            note = "at lower bound 0 (static); conditional curvature error"
        if not np.isfinite(stderr[k]) and not (at_bound[k] and not nu_static[k]):
            fl = f"esd_nan:{base}"
            (flags[names[i]] if i is not None else flags["_global"]).append(fl)
            note = note or "stderr could not be estimated"
        rows.append(
            {
                "parameter": pn,
                "value": x[k],
                "stderr": stderr[k],
                "unit": UNITS[base],
                "refined": True,
                "note": note,
            }
        )
    stats = {
        "chi2": chi2,
        "redchi": redchi,
        "n_points": n_data,
        "n_free": n_free,
        "errors_scaled_by_redchi": int(scaled),
        "t_min_us": t_min_us,
        "t_max_us": t_max_us,
        "t_ref_K": t_ref,
        "n_function_evaluations": res.nfev,
    }
    record = fit_record(rows, stats)
    record["note"] = record["note"].where(
        record["parameter"] != "errors_scaled_by_redchi",
        "covariance x redchi only when redchi > 1 (never scaled down)",
    )
    g = g_all(x)
    curves = []
    for i, t in enumerate(temps):
        for j, s in enumerate(data[i]):
            m, _, _, _ = model_parts(x, i, j, g[i][j])
            curves.append(
                pd.DataFrame(
                    {
                        "temperature": t.name,
                        "temperature_K": t.temperature_K,
                        "label": s[4],
                        "field_G": s[3],
                        "time_us": s[0],
                        "asymmetry": s[1],
                        "asymmetry_err": s[2],
                        "model": m,
                    }
                )
            )
    out = GlobalResult(
        names=names,
        parameters=pnames,
        values=x,
        stderr=stderr,
        covariance=pd.DataFrame(cov, index=pnames, columns=pnames),
        record=record,
        curves=pd.concat(curves, ignore_index=True),
        flags=flags,
        stats=stats,
        delta_mode=delta_mode,
        t_ref_K=t_ref,
        extra={"dT": dT, "temperatures_K": temps_K, "steps": steps},
    )
    return out
