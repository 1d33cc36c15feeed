"""Training and validation datasets from a data spec: SEVIR VIL sequences or ICAR-ENSO windows.

``DataSpec`` names the data (a configured source or a root directory) and how it is cut into
samples. Lengths left at 0 come from the model (``resolve_spec``), so ``--model sevir_demo
--data sevir`` needs no more flags: 13 + 12 frames, stride 12, and the spatial pooling that
maps the stored frames (384 x 384) onto the model's 96 x 96.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

DataKind = Literal["sevir", "icar_enso"]
KINDS: tuple[str, ...] = ("sevir", "icar_enso")


@dataclass(frozen=True)
class DataSpec:
    """What to train on.

    kind : "sevir" (VIL sequences in [0, 1]) or "icar_enso" (scaled SST windows).
    root : dataset directory; empty means the configured source ``source``.
    source : name of a configured data source (``engine.data.sources``); the embedded demo is
        "Embedded demo".
    in_len, out_len : input and target frames (0: from the model's shapes).
    stride : window step in frames (0: out_len for SEVIR, as Earthformer's 12; 1 for ENSO).
    val_stride : SEVIR validation window step (0: out_len, the windows ``evaluate`` scores), so a
        denser training stride does not change what early stopping measures.
    pool : SEVIR spatial max-pool factor (0: stored size / model size).
    downsampling : SEVIR "none" or "lr" (SEVIR-LR on the fly: every 2nd frame, 3 x 3 max pool).
    cache_mb : keep the prepared SEVIR frames in memory when they take at most this much.
    """

    kind: DataKind = "sevir"
    root: str = ""
    source: str = "Embedded demo"
    in_len: int = 0
    out_len: int = 0
    stride: int = 0
    val_stride: int = 0
    pool: int = 0
    downsampling: Literal["none", "lr"] = "none"
    cache_mb: int = 2048

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"data: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.downsampling not in ("none", "lr"):
            raise ValueError(f"downsampling: expected 'none' or 'lr', got {self.downsampling!r}")
        for name in ("in_len", "out_len", "stride", "val_stride", "pool", "cache_mb"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected >= 0 (0 = from the model), got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def directory(self) -> Path:
        """The dataset root: ``root`` or the configured source's; ValueError if it is missing."""
        if self.root:
            path = Path(self.root).expanduser()
        else:
            from ..data.sources import get_source

            path = get_source(self.kind, self.source).root
        if not path.is_dir():
            hint = " (write the demo with `python -m engine data make-demo`)" if not self.root else ""
            raise ValueError(f"{self.kind} data: expected a dataset directory at {path}, got nothing there{hint}")
        return path


def resolve_spec(spec: DataSpec, input_shape: tuple[int, ...] | None,
                 target_shape: tuple[int, ...] | None) -> DataSpec:
    """Fill lengths, stride and pooling left at 0 from the model's (T, H, W, C) shapes."""
    in_len = spec.in_len or (input_shape[0] if input_shape else 0)
    out_len = spec.out_len or (target_shape[0] if target_shape else 0)
    if spec.kind == "icar_enso":
        from ..data.enso.format import IN_MONTHS, OUT_MONTHS

        return replace(spec, in_len=in_len or IN_MONTHS, out_len=out_len or OUT_MONTHS, stride=spec.stride or 1)
    if not in_len or not out_len:
        raise ValueError("sevir data: expected in_len and out_len (the model config has no input/target shapes)")
    pool = spec.pool
    if not pool:
        stored = _stored_size(spec.directory())
        if spec.downsampling == "lr":
            from ..data.transforms import LR_POOL

            stored //= LR_POOL
        size = input_shape[1] if input_shape else stored
        if stored % size:
            raise ValueError(f"sevir data: stored frames of {stored} px do not pool onto the model's {size} px "
                             f"(expected a size dividing {stored}); pass --pool")
        pool = stored // size
    return replace(spec, in_len=in_len, out_len=out_len, stride=spec.stride or out_len,
                   val_stride=spec.val_stride or out_len, pool=pool)


def _stored_size(root: Path) -> int:
    from ..data.sevir.format import VIL_SIZE
    from ..data.sevir.reader import open_store

    events = open_store(root).events
    if not len(events):
        raise ValueError(f"sevir data {root}: expected usable VIL events in the catalog, got none")
    size = events["size_x"].iloc[0] if "size_x" in events.columns else np.nan
    return int(size) if np.isfinite(size) and size > 0 else VIL_SIZE


def build_datasets(spec: DataSpec) -> tuple[Dataset, Dataset]:
    """(train, validation) datasets of a resolved spec (see :func:`resolve_spec`)."""
    root = spec.directory()
    if spec.kind == "icar_enso":
        from ..data.enso.dataset import IcarEnsoWindows
        from ..data.enso.windows import WindowSpec

        windows = WindowSpec(spec.in_len, spec.out_len, spec.stride)
        return IcarEnsoWindows(root, "train", windows), IcarEnsoWindows(root, "val", windows)
    from ..data.sevir.dataset import SequenceSpec, SevirSequences

    out = []
    for split, stride in (("train", spec.stride), ("val", spec.val_stride or spec.stride)):
        seq = SequenceSpec(split=split, seq_len=spec.in_len + spec.out_len, stride=stride,
                           downsampling=spec.downsampling, pool=spec.pool)
        ds = SevirSequences(root, seq)
        if len(ds) == 0:
            raise ValueError(f"sevir data {root}: expected sequences of {seq.seq_len} frames in the {split} split, "
                             f"got none")
        out.append(_maybe_cached(ds, spec.cache_mb))
    return out[0], out[1]


class CachedSequences(Dataset):
    """A :class:`SevirSequences` with every event's prepared uint8 frames read once into memory.

    Items are identical to the wrapped dataset's (same window, same float32 scaling).
    """

    def __init__(self, dataset) -> None:
        from ..data.sevir.format import scale_01

        self._scale = scale_01
        self.items = list(dataset.items)
        self.seq_len = dataset.spec.seq_len
        self.frames = {eid: dataset.event_frames(eid) for eid in dict.fromkeys(e for e, _ in self.items)}

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> torch.Tensor:
        eid, start = self.items[i]
        window = self.frames[eid][start:start + self.seq_len]  # (T, H, W) uint8
        return torch.from_numpy(self._scale(window)[..., None])  # (T, H, W, 1) float32


def _maybe_cached(dataset, cache_mb: int) -> Dataset:
    events = {e for e, _ in dataset.items}
    if not events:
        return dataset
    first = dataset.event_frames(next(iter(events)))
    if len(events) * first.nbytes > cache_mb * 2**20:
        return dataset
    return CachedSequences(dataset)


def limited(dataset: Dataset, n: int) -> Dataset:
    """The first ``n`` samples of ``dataset`` (all when ``n`` is 0 or larger than it)."""
    if n <= 0 or n >= len(dataset):
        return dataset
    return torch.utils.data.Subset(dataset, range(n))
