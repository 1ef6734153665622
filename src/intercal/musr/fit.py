"""Fits of muon asymmetries: alpha from a transverse-field run, global Kubo-Toyabe fits.

Every fit returns a :func:`intercal.tables.fit_record` table (parameter, value,
stderr, unit, refined, note + statistics) together with the model curves, so
that figures are drawn from tables. Standard errors come from the unscaled
covariance of the error-weighted residuals, multiplied by sqrt(reduced
chi-square) only when that is > 1 (never scaled down; the statistic
``errors_scaled_by_redchi`` records which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lmfit
import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..tables import fit_record
from .kt import GAMMA_MU, kubo_toyabe


def _stderr(p: lmfit.Parameter) -> float:
    return float(p.stderr) if p.stderr is not None and np.isfinite(p.stderr) else np.nan


# --------------------------------------------------------------------------------------------
# transverse field: alpha and field
# --------------------------------------------------------------------------------------------
@dataclass
class TFResult:
    """Result of :func:`fit_alpha_tf`."""

    alpha: float
    alpha_stderr: float
    field_G: float
    field_stderr: float
    record: pd.DataFrame
    curve: pd.DataFrame
    result: lmfit.minimizer.MinimizerResult


def _minimize(resid, params) -> lmfit.minimizer.MinimizerResult:
    """lmfit least squares; esds x sqrt(redchi) only when redchi > 1."""
    res = lmfit.minimize(resid, params, method="least_squares", scale_covar=False)
    if res.redchi > 1:
        f = float(np.sqrt(res.redchi))
        for p in res.params.values():
            if p.stderr is not None:
                p.stderr = p.stderr * f
    return res


def _fit_stats(res: lmfit.minimizer.MinimizerResult, t_min_us: float, t_max_us: float) -> dict:
    """Statistics of an lmfit result for the fit record."""
    return {
        "chi2": res.chisqr,
        "redchi": res.redchi,
        "n_points": res.ndata,
        "n_free": res.nvarys,
        "errors_scaled_by_redchi": int(res.redchi > 1),
        "t_min_us": t_min_us,
        "t_max_us": t_max_us,
    }


def fit_alpha_tf(
    time_us,
    forward,
    backward,
    var_forward,
    var_backward,
    *,
    field_guess_G: float,
    t_min_us: float = 0.1,
    t_max_us: float = 10.0,
    damping: str = "gaussian",
    alpha_guess: float | None = None,
) -> TFResult:
    """Fit alpha (and B, phase, amplitude, damping) to a transverse-field run.

    The model of the asymmetry A(alpha) = (F - alpha B)/(F + alpha B) is
    ``(a1 D(t) + a2) cos(gamma_mu B t + phi)`` with D = exp(-sigma^2 t^2/2)
    (``damping="gaussian"``, alias ``"gaussian+constant"``), ``a1 exp(-lambda t)
    cos(...)`` (``"exponential"``, musrfit's test model) or ``a1 exp(-(lambda
    t)^beta) cos(...)`` (``"stretched"``, musrfit's generExpo). alpha enters
    the data side; the residual is weighted by the alpha-dependent error. The
    starting alpha is the count ratio sum F / sum B. The phase is returned in
    (-180, 180] deg.
    """
    if damping == "gaussian+constant":
        damping = "gaussian"
    t = np.asarray(time_us, dtype=float)
    m = (t >= t_min_us) & (t <= t_max_us)
    if m.sum() < 20:
        raise InputError(f"fit_alpha_tf: only {m.sum()} points in {t_min_us}-{t_max_us} us")
    t, F, B = t[m], np.asarray(forward, float)[m], np.asarray(backward, float)[m]
    vF, vB = np.asarray(var_forward, float)[m], np.asarray(var_backward, float)[m]
    ok = (F > 0) & (B > 0) & (vF > 0) & (vB > 0)
    t, F, B, vF, vB = t[ok], F[ok], B[ok], vF[ok], vB[ok]
    a0 = float(F.sum() / B.sum()) if alpha_guess is None else alpha_guess
    params = lmfit.Parameters()
    params.add("alpha", value=a0, min=0.2, max=5.0)
    params.add("field_G", value=field_guess_G, min=0.5 * field_guess_G, max=1.5 * field_guess_G)
    params.add("phase_deg", value=0.0, min=-360, max=360)
    # crude amplitude and phase guess by projection at the guessed frequency
    w = GAMMA_MU * field_guess_G
    a_data = (F - a0 * B) / (F + a0 * B)
    c = np.sum(a_data * np.cos(w * t) * np.exp(-0.05 * t))
    s = np.sum(a_data * np.sin(w * t) * np.exp(-0.05 * t))
    amp = 2.0 * np.hypot(c, s) / np.sum(np.exp(-0.1 * t))
    params["phase_deg"].value = float(np.degrees(np.arctan2(-s, c)))
    if damping == "gaussian":
        params.add("a1", value=0.8 * amp, min=0, max=0.5)
        params.add("sigma_us", value=0.3, min=0, max=10)
        params.add("a2", value=0.2 * amp, min=0, max=0.5)
    elif damping in ("exponential", "stretched"):
        params.add("a1", value=amp, min=0, max=0.5)
        params.add("lambda_us", value=0.1, min=0, max=10)
        if damping == "stretched":
            params.add("beta", value=1.0, min=0.3, max=3.0)
    else:
        raise InputError(
            f"fit_alpha_tf: damping must be 'gaussian', 'exponential' or 'stretched', "
            f"got {damping!r}"
        )

    def model(p, tt):
        osc = np.cos(GAMMA_MU * p["field_G"] * tt + np.radians(p["phase_deg"]))
        if damping == "gaussian":
            return (p["a1"] * np.exp(-0.5 * (p["sigma_us"] * tt) ** 2) + p["a2"]) * osc
        if damping == "stretched":
            return p["a1"] * np.exp(-((p["lambda_us"] * tt) ** p["beta"])) * osc
        return p["a1"] * np.exp(-p["lambda_us"] * tt) * osc

    def resid(p):
        v = p.valuesdict()
        al = v["alpha"]
        s_ = F + al * B
        a = (F - al * B) / s_
        err = 2 * al / s_**2 * np.sqrt(B**2 * vF + F**2 * vB)
        return (a - model(v, t)) / err

    res = _minimize(resid, params)
    if not res.success:
        raise FitError(f"TF alpha fit did not converge: {res.message}")
    p = res.params
    units = {
        "alpha": "",
        "field_G": "G",
        "phase_deg": "deg",
        "a1": "",
        "a2": "",
        "sigma_us": "us^-1",
        "lambda_us": "us^-1",
        "beta": "",
    }
    phase = float((p["phase_deg"].value + 180.0) % 360.0 - 180.0)
    p["phase_deg"].value = phase if phase != -180.0 else 180.0
    rows = [
        {"parameter": k, "value": p[k].value, "stderr": _stderr(p[k]), "unit": units[k]} for k in p
    ]
    record = fit_record(rows, {**_fit_stats(res, t_min_us, t_max_us), "damping_model": 0})
    record.loc[record["parameter"] == "damping_model", "note"] = damping
    v = p.valuesdict()
    al = v["alpha"]
    s_ = F + al * B
    curve = pd.DataFrame(
        {
            "time_us": t,
            "asymmetry": (F - al * B) / s_,
            "asymmetry_err": 2 * al / s_**2 * np.sqrt(B**2 * vF + F**2 * vB),
            "model": model(v, t),
        }
    )
    return TFResult(
        alpha=al,
        alpha_stderr=_stderr(p["alpha"]),
        field_G=v["field_G"],
        field_stderr=_stderr(p["field_G"]),
        record=record,
        curve=curve,
        result=res,
    )


# --------------------------------------------------------------------------------------------
# Kubo-Toyabe: single and global fits
# --------------------------------------------------------------------------------------------
@dataclass
class KTDataset:
    """One reduced spectrum to fit: times (us), asymmetry and errors, its longitudinal field (G)."""

    time_us: np.ndarray
    asymmetry: np.ndarray
    asymmetry_err: np.ndarray
    field_G: float
    label: str = ""


@dataclass
class KTResult:
    """Result of :func:`fit_kt_global`."""

    record: pd.DataFrame
    curves: pd.DataFrame
    values: dict
    stderrs: dict
    result: lmfit.minimizer.MinimizerResult


_KT_UNITS = {
    "delta": "us^-1",
    "nu": "MHz",
    "a0": "",
    "a_bg": "",
    "lam": "us^-1",
}


def kt_model(t, delta, nu, field_G, a0, a_bg, lam, method="exact"):
    """A0 * G_KT(Delta, nu, B_LF, t) * exp(-lambda t) + A_bg."""
    return a0 * kubo_toyabe(t, delta, nu, field_G, method) * np.exp(-lam * t) + a_bg


def fit_kt_global(
    datasets: Sequence[KTDataset],
    *,
    start: dict | None = None,
    fixed: dict | None = None,
    shared: Sequence[str] = ("delta", "nu", "a0", "a_bg", "lam"),
    method: str = "exact",
    t_min_us: float = 0.0,
    t_max_us: float = 1e9,
) -> KTResult:
    """Global fit of A0 G_KT(Delta, nu, B, t) exp(-lambda t) + A_bg over several fields.

    Parameters
    ----------
    datasets : sequence of KTDataset
        ZF and LF spectra of one temperature (fields from the files).
    start : dict, optional
        Starting values (delta, nu, a0, a_bg, lambda).
    fixed : dict, optional
        Parameters held fixed at the given value (e.g. ``{"lam": 0}``, lam = lambda).
    shared : sequence of str
        Parameters common to all datasets (Delta and nu always are);
        the others get one value per dataset (suffix ``_<label>``).
    method : {"exact", "keren"}
        Dynamic KT solver.
    t_min_us, t_max_us : float
        Fit window (us).
    """
    if not datasets:
        raise InputError("fit_kt_global: no datasets")
    for s in ("delta", "nu"):
        if s not in shared:
            raise InputError(f"fit_kt_global: {s} must be shared")
    st = {"delta": 0.35, "nu": 0.3, "a0": 0.2, "a_bg": 0.02, "lam": 0.05}
    st.update(start or {})
    fixed = fixed or {}
    bounds = {
        "delta": (1e-3, 5.0),
        "nu": (0.0, 50.0),
        "a0": (0.0, 0.5),
        "a_bg": (-0.1, 0.3),
        "lam": (0.0, 10.0),
    }
    labels = [d.label or f"d{i}" for i, d in enumerate(datasets)]
    if len(set(labels)) != len(labels):
        raise InputError(f"fit_kt_global: dataset labels must be unique, got {labels}")
    params = lmfit.Parameters()
    for name in ("delta", "nu", "a0", "a_bg", "lam"):
        lo, hi = bounds[name]
        names = [name] if name in shared else [f"{name}_{lab}" for lab in labels]
        for pn in names:
            val = fixed.get(name, st[name])
            params.add(pn, value=val, min=lo, max=hi, vary=name not in fixed)
    data = []
    for d in datasets:
        t = np.asarray(d.time_us, float)
        m = (t >= t_min_us) & (t <= t_max_us) & np.isfinite(d.asymmetry)
        m &= np.asarray(d.asymmetry_err) > 0
        data.append((t[m], np.asarray(d.asymmetry, float)[m], np.asarray(d.asymmetry_err)[m]))

    def pget(v, name, lab):
        return v[name] if name in v else v[f"{name}_{lab}"]

    def model(v, d, lab, t):
        """The KT model of dataset ``d`` (label ``lab``) at times ``t`` for values ``v``."""
        a0, a_bg, lam = (pget(v, name, lab) for name in ("a0", "a_bg", "lam"))
        return kt_model(t, v["delta"], v["nu"], d.field_G, a0, a_bg, lam, method)

    def resid(p):
        v = p.valuesdict()
        out = []
        for d, lab, (t, a, e) in zip(datasets, labels, data, strict=True):
            out.append((a - model(v, d, lab, t)) / e)
        return np.concatenate(out)

    res = _minimize(resid, params)
    if not res.success:
        raise FitError(f"Kubo-Toyabe fit did not converge: {res.message}")
    rows = []
    for k, p in res.params.items():
        base = next(
            b
            for b in ("delta", "nu", "a0", "a_bg", "lam")
            if k.split("_B")[0] == b or k == b or k.startswith(b + "_")
        )
        note = "" if p.vary else "fixed"
        stderr = _stderr(p) if p.vary else np.nan
        if p.vary and (np.isclose(p.value, p.min) or np.isclose(p.value, p.max)):
            note = f"at bound ({p.min}, {p.max})"
        rows.append(
            {
                "parameter": k,
                "value": p.value,
                "stderr": stderr,
                "unit": _KT_UNITS.get(base, ""),
                "refined": bool(p.vary),
                "note": note,
            }
        )
    t_last = max(float(t.max()) for t, _, _ in data)
    record = fit_record(rows, _fit_stats(res, t_min_us, min(t_max_us, t_last)))
    v = res.params.valuesdict()
    curves = []
    for d, lab, (t, a, e) in zip(datasets, labels, data, strict=True):
        mod = model(v, d, lab, t)
        curves.append(
            pd.DataFrame(
                {
                    "label": lab,
                    "field_G": d.field_G,
                    "time_us": t,
                    "asymmetry": a,
                    "asymmetry_err": e,
                    "model": mod,
                }
            )
        )
    return KTResult(
        record=record,
        curves=pd.concat(curves, ignore_index=True),
        values=dict(v),
        stderrs={k: _stderr(p) for k, p in res.params.items()},
        result=res,
    )
