"""One evaluation: resolve the candidates, prepare the split to match them, stream the scores.

Every candidate sees the same windows in the same order; the first ``limit`` windows of the
split are used. Shapes come from the checkpoints (all must agree), else from the papers'
defaults (SEVIR 13 -> 12 frames, ICAR-ENSO 12 -> 14 months).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from ..data.sources import DEMO_NAME, get_source
from ..metrics.categorical import THRESHOLDS
from .candidates import (Candidate, DataKind, baseline_candidate, check_data, check_model_spec, is_checkpoint,
                         is_prediff_set, load_checkpoint_candidate, load_prediff_candidate)
from .scores import EnsoAccumulator, SevirAccumulator
from .windows import EnsoWindows, SevirWindows, enso_windows, sevir_windows

DEFAULT_WINDOWS: dict[str, tuple[int, int]] = {"sevir": (13, 12), "icar-enso": (12, 14)}
POOLS: tuple[int, ...] = (1, 4, 16)
ENSO_GRID = (24, 48)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalRequest:
    """What to evaluate, on what.

    data : "sevir" or "icar-enso".
    models : checkpoint directories and / or baseline names, one table row each.
    root : the data directory (see :func:`data_root` for configured sources).
    split : SEVIR train / val / test (Earthformer's dates); ICAR-ENSO train / val / test / soda.
    limit : evaluate the first ``limit`` windows only.
    pool : PreDiff's max-pool size for the categorical and CRPS scores (1, 4, 16).
    resolution : frame size to evaluate at (SEVIR); default the checkpoints', else native.
    members, seed : STEPS ensemble size and seed.
    downsampling, stride : SEVIR-LR frames ("lr") and the window step (default T_out).
    """

    data: DataKind
    models: tuple[str, ...]
    root: str | Path
    split: str = "test"
    limit: int | None = None
    pool: int = 1
    resolution: int | None = None
    batch_size: int = 4
    members: int | None = None
    seed: int = 0
    device: str | None = None
    downsampling: Literal["none", "lr"] = "none"
    stride: int | None = None
    thresholds: tuple[float, ...] = field(default=THRESHOLDS)

    def __post_init__(self) -> None:
        check_data(self.data)
        if not self.models:
            raise ValueError("models: expected at least one checkpoint directory or baseline name, got none")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit: expected >= 1 windows, got {self.limit}")
        if self.pool not in POOLS:
            raise ValueError(f"pool: expected one of {', '.join(map(str, POOLS))}, got {self.pool}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {self.batch_size}")
        if self.data == "icar-enso" and self.resolution is not None:
            raise ValueError(f"resolution: expected none for icar-enso (always {ENSO_GRID[0]} x {ENSO_GRID[1]}), "
                             f"got {self.resolution}")


def data_root(data: DataKind, source: str | None = None, root: str | Path | None = None) -> Path:
    """The directory to read: ``root``, else the configured source named ``source`` (default: the demo)."""
    check_data(data)
    if source is not None and root is not None:
        raise ValueError("data: expected --source NAME or --root DIR, got both")
    if root is not None:
        if not Path(root).is_dir():
            raise ValueError(f"root: expected an existing data directory, got {str(root)!r}")
        return Path(root)
    kind = "sevir" if data == "sevir" else "icar_enso"
    src = get_source(kind, source or DEMO_NAME)
    if not src.root.is_dir():
        hint = f" (write it with `python -m engine data make-demo`)" if src.is_demo else ""
        raise ValueError(f"{kind} data source {src.name!r}: expected data at {src.root}, found none{hint}")
    return src.root


def _shapes(checkpoints: list[Candidate], data: DataKind) -> tuple[int, int, int | None]:
    """(t_in, t_out, frame size or None) agreed by every checkpoint."""
    if not checkpoints:
        return (*DEFAULT_WINDOWS[data], None)
    first = checkpoints[0]
    for other in checkpoints[1:]:
        if (other.input_shape[:3], other.target_shape[:3]) != (first.input_shape[:3], first.target_shape[:3]):
            raise ValueError(f"model {other.name}: expected the window and frame size of {first.name} "
                             f"({first.input_shape[:3]} -> {first.target_shape[0]} frames), got "
                             f"{other.input_shape[:3]} -> {other.target_shape[0]}")
    for cand in checkpoints:
        if cand.input_shape[-1] != 1 or cand.target_shape[-1] != 1:
            raise ValueError(f"model {cand.name}: expected one input and one output channel ({data}), got "
                             f"{cand.input_shape[-1]} and {cand.target_shape[-1]}")
    t_in, h, w, _ = first.input_shape
    if data == "icar-enso" and (h, w) != ENSO_GRID:
        raise ValueError(f"model {first.name}: expected {ENSO_GRID[0]} x {ENSO_GRID[1]} fields (the cropped "
                         f"ICAR-ENSO grid), got {h} x {w}")
    if data == "sevir" and h != w:
        raise ValueError(f"model {first.name}: expected square SEVIR frames, got {h} x {w}")
    return t_in, first.target_shape[0], h


# Checkpoint directories the trainer names generically are labelled with their run directory too.
GENERIC_NAMES = frozenset({"best", "last", "model", "checkpoint"})


def _label(spec: str) -> str:
    if not (is_checkpoint(spec) or is_prediff_set(spec)):
        return spec
    path = Path(spec).resolve()
    return f"{path.parent.name}/{path.name}" if path.name in GENERIC_NAMES else path.name


def _labels(specs: tuple[str, ...]) -> list[str]:
    names = [_label(s) for s in specs]
    return [spec if names.count(name) > 1 else name for spec, name in zip(specs, names)]


def evaluate(request: EvalRequest, progress: Progress | None = None) -> dict[str, Any]:
    """Run every candidate of ``request`` over the same windows and return their scores.

    Returns
    -------
    ``{"data", "root", "split", "n_windows", "t_in", "t_out", "frame", "data_pool", "pool",
    "thresholds", "models": {label: {"family", "members", "all": {...}, "lead": {...}}}}``
    (ICAR-ENSO models hold the Nino3.4 and SST scores directly). Arrays are numpy.
    """
    for spec in request.models:
        check_model_spec(spec, request.data)
    labels = _labels(request.models)
    if len(set(labels)) != len(labels):
        raise ValueError(f"models: expected each model once, got {list(request.models)}")
    loaded = {spec: load_checkpoint_candidate(spec, request.device, request.batch_size)
              for spec in request.models if is_checkpoint(spec)}
    loaded.update({spec: load_prediff_candidate(spec, request.members, request.seed, device=request.device)
                   for spec in request.models if is_prediff_set(spec) and spec not in loaded})
    loaded = {spec: loaded[spec] for spec in request.models if spec in loaded}  # the order asked for
    t_in, t_out, frame = _shapes(list(loaded.values()), request.data)
    if request.data == "sevir":
        if frame is not None and request.resolution not in (None, frame):
            raise ValueError(f"resolution: expected {frame} (the frame size of {next(iter(loaded.values())).name}), "
                             f"got {request.resolution}")
        what = "resolution" if frame is None else f"model {next(iter(loaded.values())).name}"
        windows: SevirWindows | EnsoWindows = sevir_windows(request.root, request.split, t_in, t_out,
                                                            request.resolution or frame, request.downsampling,
                                                            request.stride, what)
        km, minutes = windows.km_per_pixel, windows.minutes_per_step
    else:
        windows = enso_windows(request.root, request.split, t_in, t_out)
        km, minutes = 1.0, 1.0
    candidates: list[Candidate] = []
    for spec, label in zip(request.models, labels):
        if spec in loaded:
            candidates.append(dataclasses.replace(loaded[spec], name=label))
        else:
            damping = (lambda: windows.training_damping(t_out)) if request.data == "icar-enso" else None
            candidates.append(baseline_candidate(spec, request.data, t_out, km_per_pixel=km, minutes_per_step=minutes,
                                                 members=request.members, seed=request.seed, damping=damping))
    if request.members and not any(c.members for c in candidates):
        raise ValueError(f"members: expected an ensemble among the models (steps or a PreDiff set), got "
                         f"{list(request.models)}")
    accumulators = [SevirAccumulator(c.name, request.pool, c.members, request.thresholds) if request.data == "sevir"
                    else EnsoAccumulator(c.name) for c in candidates]
    total = len(windows) if request.limit is None else min(request.limit, len(windows))
    done = 0
    for context, target, extra in windows.batches(request.limit, request.batch_size):
        for cand, acc in zip(candidates, accumulators):
            acc.add(cand.predict(context), target, *extra)
        done += context.shape[0]
        if progress is not None:
            progress(done, total)
    sample = windows.dataset[0]
    frame_hw = (sample[0] if isinstance(sample, tuple) else sample).shape[1:3]
    return {
        "data": request.data, "root": str(request.root), "split": request.split, "n_windows": total,
        "t_in": t_in, "t_out": t_out, "frame": list(frame_hw),
        "data_pool": getattr(windows, "pool", 1), "pool": request.pool, "thresholds": list(request.thresholds),
        "models": {c.name: {"family": c.family, "members": c.members, **acc.result()}
                   for c, acc in zip(candidates, accumulators)},
    }
