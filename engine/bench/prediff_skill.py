"""PreDiff skill on held-out windows: the fast sampler against 1000-step DDPM, and knowledge control.

Targets (issue 8), on the demo test split:
- sampler fidelity: the default 20-step sampler (DDIM, eta = 1) reaches an ensemble CRPS within 5 % of the
  published 1000-step DDPM, with 50x fewer network calls;
- knowledge control: over n in {-4, -2, 0, 2, 4} the ensemble's mean future intensity rises with n
  in every window, and for n in [-2, 2] the achieved mean lies within 0.5 sigma of the target
  F0 = mu + n sigma, averaged over the windows.

Both sample every window of a selection (``per_event`` windows of each event) with the same seeds,
so reruns give the same numbers. CRPS is per pixel on [0, 1] VIL at the set's resolution,
averaged over windows (the metric ``evaluate`` reports). Intensities are means over the T_out
frames and the pixels of the set's frames, in [0, 1] VIL, the units of sigma.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import numpy as np
import torch

from ..diffusion.samplers import DEFAULT_SAMPLER
from ..evaluation.windows import sevir_windows
from ..metrics.ensemble import crps_map
from ..prediff import PreDiffForecaster, PreDiffModels

N_VALUES: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)
CRPS_TOLERANCE = 0.05  # fast-sampler CRPS within 5 % of 1000-step DDPM's
TARGET_TOLERANCE = 0.5  # achieved mean within 0.5 sigma of F0 for |n| <= 2
Progress = Callable[[str, int, int], None]  # progress(stage, done, total)


@dataclass(frozen=True)
class SkillWindows:
    """contexts (N, T_in, H, W, 1) and futures (N, T_out, H, W, 1) in [0, 1]; events (N,) their ids."""

    contexts: np.ndarray
    futures: np.ndarray
    events: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.events)

    def batches(self, size: int):
        for start in range(0, len(self), size):
            yield slice(start, min(start + size, len(self)))


def select_windows(root: str | Path, models: PreDiffModels, split: str = "test", per_event: int = 1,
                   events: int | None = None) -> SkillWindows:
    """The first ``per_event`` evaluation windows (stride T_out) of each of the first ``events`` events."""
    if per_event < 1 or (events is not None and events < 1):
        raise ValueError(f"per_event, events: expected at least 1, got {per_event} and {events}")
    frame = models.frame_shape[0]
    windows = sevir_windows(root, split, models.context_frames, models.target_frames, frame,
                            what=f"the PreDiff set's {frame} x {frame} frames")
    chosen: dict[str, list[int]] = {}
    for index, (event_id, _) in enumerate(windows.dataset.items):
        picks = chosen.setdefault(event_id, [])
        if len(picks) < per_event:
            picks.append(index)
    ids = list(chosen)[:events]
    indices = [i for eid in ids for i in chosen[eid]]
    seqs = np.stack([windows.dataset[i].numpy() for i in indices])  # (N, T_in + T_out, H, W, 1)
    t_in = models.context_frames
    return SkillWindows(seqs[:, :t_in], seqs[:, t_in:], tuple(windows.dataset.items[i][0] for i in indices))


def with_guidance_scale(models: PreDiffModels, scale: float | None) -> PreDiffModels:
    """``models`` with another knowledge-control scale lambda (None keeps the set's)."""
    if scale is None:
        return models
    return dataclasses.replace(models, info=dataclasses.replace(models.info, guidance_scale=float(scale)))


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def ensemble_crps(forecaster: PreDiffForecaster, windows: SkillWindows, members: int, sampler: str,
                  steps: int | None, seed: int = 0, batch: int = 4,
                  progress: Progress | None = None) -> dict[str, object]:
    """Unguided ensembles of every window: per-window CRPS (N,), their mean, network calls, seconds."""
    per_window, calls, seconds = [], 0, 0.0
    stage = f"{sampler} {steps or 'default'} steps"
    for k, rows in enumerate(windows.batches(batch)):
        out = forecaster.sample(torch.as_tensor(windows.contexts[rows]), members=members, steps=steps,
                                sampler=sampler, seed=seed + k)
        ens = out.frames.cpu().numpy()[..., 0].astype(np.float64)  # (M, B, T_out, H, W)
        crps = crps_map(ens, windows.futures[rows][..., 0].astype(np.float64))  # (B, T_out, H, W)
        per_window.extend(crps.reshape(crps.shape[0], -1).mean(axis=1))
        calls, seconds = out.network_calls, seconds + out.seconds
        _report(progress, stage, rows.stop, len(windows))
    values = np.asarray(per_window)
    return {"sampler": sampler, "steps": steps, "network_calls": calls, "seconds": seconds,
            "crps": float(values.mean()), "crps_per_window": values}


def bootstrap_ratio(a: np.ndarray, b: np.ndarray, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of mean(a) / mean(b) over windows resampled in pairs."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a), size=(draws, len(a)))
    ratios = a[picks].mean(axis=1) / np.maximum(b[picks].mean(axis=1), 1e-30)
    return float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))


def sampler_fidelity(models: PreDiffModels, windows: SkillWindows, members: int = 4, fast_steps: int | None = None,
                     reference_steps: int | None = None, seed: int = 0, batch: int = 4,
                     progress: Progress | None = None, fast_sampler: str = DEFAULT_SAMPLER,
                     reference: dict | None = None) -> dict[str, object]:
    """CRPS of a fast sampler (default: the default one) vs DDPM (default: all 1000 steps).

    reference : a stored DDPM result of the same windows, members, seed and batch (the
        ``reference`` entry of an earlier report) instead of sampling 1000 steps again.
    Returns the ratio, its 95 % window-bootstrap interval and the network calls of both.
    """
    forecaster = PreDiffForecaster(models)
    fast = ensemble_crps(forecaster, windows, members, fast_sampler, fast_steps, seed, batch, progress)
    if reference is None:
        reference = ensemble_crps(forecaster, windows, members, "ddpm", reference_steps, seed, batch, progress)
    elif len(reference["crps_per_window"]) != len(windows):
        raise ValueError(f"reference: expected CRPS for the {len(windows)} windows chosen, got "
                         f"{len(reference['crps_per_window'])}")
    reference = {**reference, "crps_per_window": np.asarray(reference["crps_per_window"], dtype=np.float64)}
    ratio = fast["crps"] / reference["crps"]
    low, high = bootstrap_ratio(fast["crps_per_window"], reference["crps_per_window"])
    return {"windows": len(windows), "members": members, "fast": fast, "reference": reference,
            "crps_ratio": ratio, "crps_ratio_95": (low, high), "within_tolerance": abs(ratio - 1) <= CRPS_TOLERANCE,
            "call_ratio": reference["network_calls"] / fast["network_calls"]}


def knowledge_control(models: PreDiffModels, windows: SkillWindows, n_values: Sequence[float] = N_VALUES,
                      members: int = 4, mode: Literal["forecast", "hindcast"] = "hindcast",
                      anticipated: np.ndarray | None = None, seed: int = 0, batch: int = 4,
                      progress: Progress | None = None) -> dict[str, object]:
    """Achieved vs target mean future intensity per n: per-window arrays and the summary figures.

    anticipated : forecast mode: the deterministic forecasts (N, T_out, H, W, 1) of the windows.
    Every n samples with the same seeds, so the rows differ only by the guidance.
    """
    forecaster = PreDiffForecaster(models)
    sigma = models.info.sigma
    achieved = np.zeros((len(n_values), len(windows)))
    target = np.zeros_like(achieved)
    total = len(n_values) * len(windows)
    for i, n in enumerate(n_values):
        for k, rows in enumerate(windows.batches(batch)):
            out = forecaster.sample(torch.as_tensor(windows.contexts[rows]), members=members, seed=seed + k,
                                    n_sigma=float(n), mode=mode, observed=torch.as_tensor(windows.futures[rows]),
                                    anticipated=None if anticipated is None else torch.as_tensor(anticipated[rows]))
            achieved[i, rows], target[i, rows] = out.achieved.cpu().numpy(), out.target.cpu().numpy()
            _report(progress, f"knowledge control n={n:+g}", i * len(windows) + rows.stop, total)
    error = (achieved - target) / sigma  # (n, N) in sigma units
    steps = np.diff(achieved, axis=0)  # (n - 1, N)
    steps_up = steps > 0
    rising = steps_up.all(axis=0)  # (N,) monotone in n, window by window
    never_falls = (steps >= 0).all(axis=0)  # (N,) equal steps allowed (clipped targets)
    # Targets clipped at 0 coincide for a weak storm's negative n: only steps whose targets differ
    # can rise, so they are counted apart.
    differ = np.diff(target, axis=0) > 0  # (n - 1, N)
    rising_steps = int(steps_up[differ].sum())
    central = [i for i, n in enumerate(n_values) if abs(n) <= 2]
    rows = [{"n": float(n), "achieved": float(achieved[i].mean()), "target": float(target[i].mean()),
             "mean_error_sigma": float(error[i].mean()), "mean_abs_error_sigma": float(np.abs(error[i]).mean())}
            for i, n in enumerate(n_values)]
    worst = max((abs(rows[i]["mean_error_sigma"]) for i in central), default=float("nan"))
    return {"windows": len(windows), "members": members, "mode": mode, "sigma": sigma,
            "guidance_scale": models.info.guidance_scale, "rows": rows, "achieved": achieved, "target": target,
            "monotone_windows": int(rising.sum()), "all_monotone": bool(rising.all()),
            "never_falling_windows": int(never_falls.sum()),
            "rising_steps": rising_steps, "steps_with_distinct_targets": int(differ.sum()),
            "worst_central_error_sigma": worst, "central_within_tolerance": worst <= TARGET_TOLERANCE}
