"""Score tables laid out like the Earthformer / PreDiff papers' (one row per model).

SEVIR: CSI-M, CSI at 219 ... 16, MSE and MAE on the [0, 1] scale in units of 1e-3 (the papers'
MSE column; Earthformer 3.6957), then POD, SUCR and the frequency BIAS per threshold, and CSI-M
per lead time. ICAR-ENSO: C-Nino3.4-M, C-Nino3.4-WM, Nino3.4 RMSE (degC), SST MSE on scaled SST
in units of 1e-4 (Earthformer 2.546), then the Nino3.4 correlation per lead month. A correlation
that does not exist (a constant forecast such as climatology) is printed "undefined".
"""
from __future__ import annotations

from typing import Any

import numpy as np


UNDEFINED = "undefined"  # a correlation of a constant forecast (climatology): neither a number nor 0


def _num(value: Any, width: int = 9, digits: int = 4, missing: str = "nan") -> str:
    if value is None:  # not applicable (CRPS of a deterministic forecast)
        return f"{'-':>{width}}"
    value = float(value)
    return f"{missing:>{width}}" if not np.isfinite(value) else f"{value:>{width}.{digits}f}"


def _name_width(models: dict) -> int:
    return max(12, *(len(n) for n in models)) + 2


def _header(result: dict) -> str:
    h, w = result["frame"]
    pooled = f", data max-pooled by {result['data_pool']}" if result.get("data_pool", 1) > 1 else ""
    return (f"{result['data']} {result['split']} split of {result['root']}: {result['n_windows']} windows, "
            f"{result['t_in']} -> {result['t_out']} frames at {h} x {w}{pooled}")


def format_sevir_table(result: dict) -> str:
    """The SEVIR tables of an :func:`engine.evaluation.evaluate` result."""
    models, thresholds = result["models"], result["thresholds"]
    order = sorted(range(len(thresholds)), key=lambda i: -thresholds[i])  # the papers list 219 first
    nw = _name_width(models)
    ensemble = any(m["members"] for m in models.values())
    cols = ["CSI-M"] + [f"CSI-{thresholds[i]:g}" for i in order] + ["MSE(1e-3)", "MAE(1e-3)"]
    cols += ["CRPS"] if ensemble else []
    lines = [_header(result), f"categorical scores at thresholds on the 0-255 scale, max-pool {result['pool']}", "",
             f"{'model':<{nw}}" + "".join(f"{c:>10}" for c in cols)]
    for name, m in models.items():
        a = m["all"]
        row = [a["CSI-M"]] + [a["CSI"][i] for i in order] + [a["MSE"] * 1e3, a["MAE"] * 1e3]
        row += [a.get("CRPS")] if ensemble else []
        label = name + (f" (M={m['members']})" if m["members"] else "")
        lines.append(f"{label:<{nw}}" + "".join(" " + _num(v) for v in row))
    for score in ("POD", "SUCR", "BIAS"):
        lines += ["", f"{score:<{nw}}" + "".join(f"{thresholds[i]:>10g}" for i in order)]
        for name, m in models.items():
            lines.append(f"{name:<{nw}}" + "".join(" " + _num(m["all"][score][i]) for i in order))
    t_out = result["t_out"]
    lines += ["", f"{'CSI-M by lead':<{nw}}" + "".join(f"{t + 1:>7}" for t in range(t_out))]
    for name, m in models.items():
        lines.append(f"{name:<{nw}}" + "".join(" " + _num(v, 6, 3) for v in m["lead"]["CSI-M"]))
    return "\n".join(lines)


def format_enso_table(result: dict) -> str:
    """The ICAR-ENSO tables of an :func:`engine.evaluation.evaluate` result."""
    models = result["models"]
    nw = _name_width(models)
    cols = ["C-Nino3.4-M", "C-Nino3.4-WM", "Nino3.4 RMSE", "SST MSE(1e-4)"]
    lines = [_header(result), "", f"{'model':<{nw}}" + "".join(f"{c:>15}" for c in cols)]
    for name, m in models.items():
        corr = [_num(m[k], 14, missing=UNDEFINED) for k in ("C-Nino3.4-M", "C-Nino3.4-WM")]
        rest = [_num(m["Nino3.4 RMSE"], 14), _num(m["SST MSE"] * 1e4, 14)]
        lines.append(f"{name:<{nw}}" + "".join(" " + c for c in corr + rest))
    n_leads = len(next(iter(models.values()))["corr"])
    undefined = any(not np.all(np.isfinite(m["corr"])) for m in models.values())
    width = len(UNDEFINED) if undefined else 6  # widen the columns only when a word must fit
    lines += ["", f"{'corr by lead':<{nw}}" + "".join(f"{t + 1:>{width + 1}}" for t in range(n_leads))]
    for name, m in models.items():
        lines.append(f"{name:<{nw}}" + "".join(" " + _num(v, width, 3, UNDEFINED) for v in m["corr"]))
    if undefined:
        lines += ["", "undefined: the forecast is the same for every window (e.g. climatology), so its "
                      "correlation with the observations has no value (0 / 0)"]
    return "\n".join(lines)
