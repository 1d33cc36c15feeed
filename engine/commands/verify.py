"""``python -m engine verify sevir|enso``: score saved forecasts against observations.

SEVIR: forecast (N, T, H, W) or an ensemble (M, N, T, H, W), observed (N, T, H, W), as .npy files
on the 0-255 pixel scale (``--scale 1`` for [0, 1] data). ENSO: Nino3.4 series (N, L).
Prints a table (or JSON with ``--json``); bad input is one "expected ..., got ..." line, exit 2.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

# Forecasts from unclamped networks overshoot a little; more than this means a wrong --scale.
OVERSHOOT = 0.1


def load_array(path: str, name: str) -> np.ndarray:
    """Load a numeric .npy file (no pickles), or raise a one-line ValueError naming it."""
    if not Path(path).is_file():
        raise ValueError(f"{name}: expected an existing .npy file, got {path!r}")
    try:
        arr = np.load(path, allow_pickle=False, mmap_mode="r")  # scores stream over samples
    except (ValueError, OSError) as err:
        raise ValueError(f"{name}: expected a numeric .npy file, got {path!r} ({err})") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name}: expected a real numeric array, got dtype {arr.dtype} in {path!r}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, got {int(np.sum(~np.isfinite(arr)))} NaN/inf in {path!r}")
    return arr


def check_range(arr: np.ndarray, name: str, scale: float, slack: float) -> None:
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -slack * scale or hi > (1 + slack) * scale:
        hint = " (0-255 pixels need --scale 255)" if scale == 1 and hi > 2 else ""
        raise ValueError(f"{name}: expected values in [0, {scale:g}]{hint}, got min {lo:g}, max {hi:g}")


def _fmt(v) -> str:
    return "   nan" if v is None or not np.isfinite(v) else f"{v:6.4f}"


def format_sevir(s: dict) -> str:
    """A readable table: per-threshold scores, the papers' row, then per-lead scores."""
    info, a, lead = s["info"], s["all"], s["lead"]
    kind = (f"ensemble of {info['M']} members (deterministic scores of the ensemble mean)" if info["M"]
            else "deterministic forecast")
    lines = [f"SEVIR verification: N={info['N']} T={info['T']} H={info['H']} W={info['W']}, {kind}, "
             f"scale {info['scale']:g}, pool {info['pool']}", ""]
    fss_cols = [f"FSS@{k}" for k in info["fss_scales"]]
    head = ["thr", "CSI", "POD", "SUCR", "FAR", "BIAS", "HSS", *fss_cols] + (["Brier"] if "BS" in a else [])
    lines.append("  ".join(f"{h:>6}" for h in head))
    for i, thr in enumerate(info["thresholds"]):
        row = [a[k][i] for k in ("CSI", "POD", "SUCR", "FAR", "BIAS", "HSS")] + list(a["FSS"][i])
        row += [a["BS"][i]] if "BS" in a else []
        lines.append(f"{thr:>6g}  " + "  ".join(_fmt(v) for v in row))
    csi = {thr: a["CSI"][i] for i, thr in enumerate(info["thresholds"])}
    lines += ["", "papers' row (pool {}): CSI-M {}  ".format(info["pool"], _fmt(a["CSI-M"]))
              + "  ".join(f"CSI-{t:g} {_fmt(csi[t])}" for t in sorted(csi, reverse=True))
              + f"  MSE(1e-3) {a['MSE'] * 1e3:.4f}",
              f"continuous ([0, 1] scale): MSE {a['MSE']:.6f}  MAE {a['MAE']:.6f}  RMSE {a['RMSE']:.6f}  "
              f"corr {_fmt(a['corr'])}"]
    if "CRPS" in a:
        line = f"ensemble ([0, 1] scale): CRPS {a['CRPS']:.6f}"
        if "ratio" in a:
            line += f"  spread {a['spread']:.6f}  skill {a['skill']:.6f}  spread/skill {_fmt(a['ratio'])}"
        lines += [line, "rank histogram: " + " ".join(f"{v:.3f}" for v in a["rank_histogram"])]
    cols = ["CSI-M", "MSE", "MAE", "corr"] + [k for k in ("CRPS", "ratio") if k in lead]
    lines += ["", "per lead time (MSE, MAE x 1e3):", "  ".join(f"{c:>8}" for c in ["lead", *cols])]
    for t in range(info["T"]):
        vals = [lead[c][t] * (1e3 if c in ("MSE", "MAE") else 1) for c in cols]
        lines.append(f"{t + 1:>8}  " + "  ".join(f"{_fmt(v):>8}" for v in vals))
    return "\n".join(lines)


def _skill(v, width: int = 0) -> str:
    """A correlation, or 'undefined' where it is NaN (a constant forecast has none)."""
    return f"{'undefined':>{width}}" if v is None or not np.isfinite(v) else f"{v:{width}.4f}"


def format_enso(s: dict) -> str:
    lines = [f"ENSO verification: N={s['info']['N']} samples, L={s['info']['L']} lead months", "",
             f"C-Nino3.4-M {_skill(s['C-Nino3.4-M'])}  C-Nino3.4-WM {_skill(s['C-Nino3.4-WM'])}  "
             f"Nino3.4 RMSE {s['Nino3.4 RMSE']:.4f}", "", "    lead       corr     rmse   weight"]
    for i, (c, r, w) in enumerate(zip(s["corr"], s["rmse"], s["weights"])):
        lines.append(f"{i + 1:>8} {_skill(c, 10)} {r:8.4f} {w:8.3f}")
    return "\n".join(lines)


def _cmd_sevir(args: argparse.Namespace) -> int:
    from ..metrics.suites import sevir_scores, to_jsonable

    forecast, observed = load_array(args.forecast, "forecast"), load_array(args.observed, "observed")
    if observed.ndim != 4:
        raise ValueError(f"observed: expected shape (N, T, H, W), got {observed.shape}")
    if forecast.ndim not in (4, 5) or forecast.shape[-4:] != observed.shape:
        raise ValueError(f"forecast: expected shape {observed.shape} or (M, *{observed.shape}) to match observed, "
                         f"got {forecast.shape}")
    check_range(observed, "observed", args.scale, 0.0)
    check_range(forecast, "forecast", args.scale, OVERSHOOT)
    scores = sevir_scores(forecast, observed, scale=args.scale, pool=args.pool)
    print(json.dumps(to_jsonable(scores), indent=1) if args.json else format_sevir(scores))
    return 0


def _cmd_enso(args: argparse.Namespace) -> int:
    from ..metrics.suites import enso_scores, to_jsonable

    forecast, observed = load_array(args.forecast, "forecast"), load_array(args.observed, "observed")
    if observed.ndim != 2 or not 1 <= observed.shape[1] <= 24:
        raise ValueError(f"observed: expected Nino3.4 of shape (N, L) with L <= 24 lead months, got {observed.shape}")
    if observed.shape[0] < 2:
        raise ValueError(f"observed: expected at least 2 samples to correlate, got {observed.shape[0]}")
    scores = enso_scores(forecast, observed)
    print(json.dumps(to_jsonable(scores), indent=1) if args.json else format_enso(scores))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    verify = sub.add_parser("verify", help="score saved forecasts (.npy) against observations")
    areas = verify.add_subparsers(dest="area", required=True, metavar="DATA")
    sevir = areas.add_parser("sevir", help="SEVIR VIL: categorical, continuous, FSS and ensemble scores")
    sevir.add_argument("--forecast", required=True, help="(N, T, H, W) or ensemble (M, N, T, H, W) .npy")
    sevir.add_argument("--observed", required=True, help="(N, T, H, W) .npy")
    sevir.add_argument("--scale", type=float, choices=(255.0, 1.0), default=255.0,
                       help="data scale: 255 for 0-255 pixels, 1 for [0, 1] (default 255)")
    sevir.add_argument("--pool", type=int, choices=(1, 4, 16), default=1, help="max-pool size (PreDiff)")
    sevir.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sevir.set_defaults(func=_cmd_sevir)
    enso = areas.add_parser("enso", help="Nino3.4: correlation per lead, C-Nino3.4-M/WM, RMSE")
    enso.add_argument("--forecast", required=True, help="(N, L) .npy of predicted Nino3.4")
    enso.add_argument("--observed", required=True, help="(N, L) .npy of observed Nino3.4")
    enso.add_argument("--json", action="store_true", help="print JSON instead of a table")
    enso.set_defaults(func=_cmd_enso)
