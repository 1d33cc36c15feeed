"""PreDiff scenarios: the PreDiff sets in the model folders, ensembles for one storm window, scores.

A PreDiff set is a directory with ``prediff.json`` and the sub-checkpoints ``autoencoder/``,
``denoiser/`` and ``alignment/`` (see :mod:`engine.prediff`). Sets are found like checkpoints: a
model folder that is itself a set, or its sub-directories that are. A broken set (unreadable
``prediff.json``, missing or mis-shaped weights, parts that do not fit) is reported as a
:class:`CatalogProblem` and skipped; weights are not loaded while listing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as _Path
from typing import Callable

import numpy as _np

from ..models.catalog import CatalogProblem

__all__ = ["ScenarioResult", "ScenarioSet", "anticipated_forecast", "exceedance_map", "load_scenario_forecaster",
           "run_scenario", "scenario_earthformers", "scenario_scores", "scenario_set", "scenario_sets",
           "scenario_sets_stamp", "scenario_window"]

SET_FILE = "prediff.json"


@dataclass(frozen=True)
class ScenarioSet:
    """A usable PreDiff set. ``label`` is unique within one scan; frames are (H, W, C)."""

    label: str
    path: _Path
    folder: str
    frame_shape: tuple[int, int, int]
    context_frames: int
    target_frames: int
    has_alignment: bool
    pool: int  # max-pool from SEVIR's 384 x 384 frames to the set's frames
    sigma: float
    description: str


@dataclass(frozen=True)
class ScenarioResult:
    """One PreDiff ensemble of one window, as plain arrays in [0, 1] VIL units (pixels / 255).

    frames : (M, T_out, H, W) members; intensity (M, T_out) their per-frame average intensity.
    target, mu, exceedance : F0 = mu + n sigma, the anticipated mu and the share of the training
        split at least as intense as F0 (None without knowledge control).
    training_max : the most intense future average of the set's training split.
    """

    frames: _np.ndarray
    intensity: _np.ndarray
    achieved: float
    mode: str
    n_sigma: float | None
    sigma: float
    mu: float | None
    target: float | None
    mu_source: str | None
    exceedance: float | None
    network_calls: int
    seconds: float
    training_max: float | None = None


def _set_dirs(folder: _Path) -> list[_Path]:
    if (folder / SET_FILE).is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / SET_FILE).is_file())


def _inspect_set(directory: _Path) -> tuple:
    from ..models.catalog import inspect_checkpoint
    from ..prediff.models import check_compatible, read_part_configs
    from ..prediff.set_info import read_set_info

    info = read_set_info(directory)
    configs = read_part_configs(directory)
    check_compatible(configs["autoencoder"], configs["denoiser"], configs.get("alignment"))
    for name in configs:  # weights' headers against the configs, without loading them
        inspect_checkpoint(directory / name)
    return info, configs


def scenario_sets_stamp() -> tuple:
    """What :func:`scenario_sets` depends on: every set file's path, size and mtime (stat calls only),
    so callers can key caches on it every rerun and see a new, replaced or broken set at once."""
    from ..data.sources import model_folders

    stamp = []
    for folder in model_folders():
        root = _Path(folder.root).expanduser()
        patterns = (SET_FILE, f"*/{SET_FILE}", "*/*/model.safetensors", "*/model.safetensors", "*/*/config.json")
        files = [f for p in patterns for f in sorted(root.glob(p))] if root.is_dir() else []
        stamp.append((folder.name, str(root), tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)))
    return tuple(stamp)


def scenario_sets() -> tuple[list[ScenarioSet], list[CatalogProblem]]:
    """Usable PreDiff sets in the model folders (``assets/models`` first, then ``EFS_MODEL_DIRS``,
    then ``[[models]]``), and the skipped ones with a one-line reason each."""
    from ..data.sources import model_folders

    sets, problems, labels = [], [], set()
    for folder in model_folders():
        root = _Path(folder.root).expanduser()
        for directory in _set_dirs(root):
            try:
                info, configs = _inspect_set(directory)
            except ValueError as err:
                problems.append(CatalogProblem(directory, folder.name, str(err)))
                continue
            label = directory.name if directory.name not in labels else f"{directory.name} ({folder.name})"
            labels.add(label)
            den = configs["denoiser"]
            sets.append(ScenarioSet(label, directory, folder.name, tuple(configs["autoencoder"].frame_shape),
                                    den.context_frames, den.target_frames, "alignment" in configs, info.pool,
                                    info.sigma, info.description))
    return sets, problems


def scenario_set(label: str) -> ScenarioSet:
    """The usable set called ``label``; ValueError listing the labels otherwise."""
    sets, _ = scenario_sets()
    for entry in sets:
        if entry.label == label:
            return entry
    raise ValueError(f"PreDiff set: expected one of {[s.label for s in sets] or 'none (no set installed)'}, "
                     f"got {label!r}")


def scenario_earthformers(entry: ScenarioSet) -> list:
    """Catalog entries (``CatalogEntry``) of SEVIR Earthformers that take the set's context and forecast
    its target frames: the deterministic forecast shown beside the ensemble and used as mu."""
    from .models import forecast_models

    entries, _ = forecast_models("sevir")
    shape = (entry.context_frames, *entry.frame_shape)
    return [e for e in entries if e.family == "earthformer" and tuple(e.input_shape) == shape
            and tuple(e.target_shape) == (entry.target_frames, *entry.frame_shape)]


def load_scenario_forecaster(directory: str | _Path, memory_budget_bytes: int | None = None):
    """The ``PreDiffForecaster`` of the set in ``directory`` (weights loaded, CPU or CUDA)."""
    import torch

    from ..diffusion.ensemble import DEFAULT_MEMORY_BUDGET
    from ..prediff import PreDiffForecaster, PreDiffModels

    device = "cuda" if torch.cuda.is_available() else "cpu"
    models = PreDiffModels.from_directory(directory, device)
    return PreDiffForecaster(models, memory_budget_bytes or DEFAULT_MEMORY_BUDGET)


def scenario_window(vil: _np.ndarray, start: int, pool: int, t_in: int, t_out: int) -> tuple[_np.ndarray, _np.ndarray]:
    """(context (t_in, H', W'), observed (t_out, H', W')) in [0, 1] from an event's uint8 (T, H, W) VIL,
    max-pooled by ``pool`` (the set's resolution)."""
    vil = _np.asarray(vil)
    t, h, w = vil.shape
    if not 0 <= start <= t - t_in - t_out:
        raise ValueError(f"window start: expected a frame in 0..{t - t_in - t_out}, got {start}")
    if pool < 1 or h % pool or w % pool:
        raise ValueError(f"pool: expected a factor dividing the event's {h} x {w} frames, got {pool}")
    frames = vil[start:start + t_in + t_out].reshape(-1, h // pool, pool, w // pool, pool).max(axis=(2, 4))
    frames = frames.astype(_np.float32) / _np.float32(255.0)
    return frames[:t_in], frames[t_in:]


def anticipated_forecast(context: _np.ndarray, t_out: int, checkpoint: str | _Path | None = None) -> tuple[_np.ndarray, str]:
    """The deterministic forecast (t_out, H, W) in [0, 1] that anticipates the future intensity, and its name.

    With ``checkpoint`` (a SEVIR Earthformer taking this context) its forecast, clipped to [0, 1];
    without, persistence (the last context frame held), so forecast mode works with no Earthformer.
    """
    context = _np.asarray(context, dtype=_np.float32)
    if checkpoint is None:
        return _np.repeat(context[-1:], t_out, axis=0), "persistence"
    from .models import forecast

    out = forecast(checkpoint, context[None, ..., None])[0, ..., 0]
    if out.shape[0] != t_out:
        raise ValueError(f"{checkpoint}: expected a forecast of {t_out} frames, got {out.shape[0]}")
    return _np.clip(out, 0.0, 1.0), _Path(checkpoint).name


def run_scenario(forecaster, context: _np.ndarray, *, members: int, steps: int | None = None, seed: int = 0,
                 n_sigma: float | None = None, mode: str = "forecast", anticipated: _np.ndarray | None = None,
                 observed: _np.ndarray | None = None, sampler: str | None = None,
                 progress: Callable[[float, str], None] | None = None) -> ScenarioResult:
    """Sample a PreDiff ensemble of one (T_in, H, W) context in [0, 1].

    ``anticipated`` (T_out, H, W): the deterministic forecast (forecast mode); ``observed``
    (T_out, H, W): the true future (hindcast mode). ``n_sigma`` None samples without knowledge
    control. Bad n (outside [-4, 4]), ensemble sizes and shapes raise ValueError.
    """
    import torch

    from ..diffusion.samplers import DEFAULT_SAMPLER

    def frames(x):
        return None if x is None else torch.as_tensor(_np.asarray(x, dtype=_np.float32))[None, ..., None]

    out = forecaster.sample(frames(context), members=members, steps=steps, sampler=sampler or DEFAULT_SAMPLER,
                            seed=seed, n_sigma=n_sigma, anticipated=frames(anticipated), mode=mode,
                            observed=frames(observed), progress=progress)

    def scalar(x):
        return None if x is None else float(x[0])

    return ScenarioResult(frames=out.frames[:, 0, ..., 0].cpu().numpy(), intensity=out.intensity[:, 0].cpu().numpy(),
                          achieved=float(out.achieved[0]), mode=out.mode, n_sigma=out.n_sigma, sigma=out.sigma,
                          mu=scalar(out.mu), target=scalar(out.target), mu_source=out.mu_source,
                          exceedance=scalar(out.exceedance), network_calls=out.network_calls, seconds=out.seconds,
                          training_max=float(forecaster.models.info.train_values[-1]))


def exceedance_map(frames: _np.ndarray, threshold: float) -> _np.ndarray:
    """Share of members at or above ``threshold`` (0..255 pixel units): (M, T, H, W) [0, 1] -> (T, H, W)."""
    from ..diffusion.ensemble import exceedance_maps

    return exceedance_maps(_np.asarray(frames) * 255.0, [float(threshold)])[0]


def scenario_scores(frames: _np.ndarray, observed: _np.ndarray) -> dict[str, float]:
    """CRPS of the ensemble and MAE of its mean against the observed future, both on the [0, 1] scale.

    ``frames`` (M, T, H, W) and ``observed`` (T, H, W) in [0, 1]. For one member CRPS equals MAE.
    """
    from ..metrics import ContinuousScores, Crps

    frames, observed = _np.asarray(frames, dtype=_np.float64), _np.asarray(observed, dtype=_np.float64)
    crps = Crps(reduce="all", scale=1.0)(frames[:, None], observed[None])["CRPS"]
    mae = ContinuousScores(reduce="all", scale=1.0)(frames.mean(axis=0)[None], observed[None])["MAE"]
    return {"CRPS": float(crps), "MAE": float(mae)}
