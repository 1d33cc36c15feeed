"""Test windows prepared the way the models were trained: lengths, pooling, units.

SEVIR windows come from ``SevirSequences`` (frames in [0, 1]); a model trained on 96 x 96 frames
sees the 384 x 384 data max-pooled by 4, so ``pooled_factor`` finds the integer factor from the
data's native frame size to the model's. ICAR-ENSO windows come from ``IcarEnsoWindows``:
scaled SST contexts and targets, and the Nino3.4 labels of each window (degC).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

import numpy as np

from ..data.enso.dataset import IcarEnsoWindows
from ..data.enso.reader import IcarEnso
from ..data.enso.windows import WindowSpec
from ..data.sevir.dataset import SequenceSpec, SevirSequences
from ..data.sevir.format import FRAME_MINUTES
from ..data.sevir.reader import open_store
from ..data.transforms import LR_POOL, LR_TIME_STEP


def pooled_factor(native: tuple[int, int], target: tuple[int, int], what: str = "model") -> int:
    """The integer max-pool factor taking (H, W) frames ``native`` to ``target``.

    Raises ValueError ("expected ..., got ...") when no integer factor does: a model larger than
    the data, or sizes that do not divide.
    """
    (h, w), (th, tw) = native, target
    if th < 1 or tw < 1 or h % th or w % tw or h // th != w // tw:
        raise ValueError(f"{what}: expected frames that max-pooling the data's {h} x {w} by an integer factor "
                         f"gives, got {th} x {tw}")
    return h // th


@dataclass(frozen=True)
class SevirWindows:
    """SEVIR test windows at the evaluation resolution.

    dataset : the ``SevirSequences`` (items (T_in + T_out, H, W, 1) float32 in [0, 1]).
    t_in : context frames; the rest of each window is the target.
    pool : max-pool factor from the native frames (after SEVIR-LR downsampling, if any).
    km_per_pixel, minutes_per_step : grid spacing and frame interval of the prepared frames.
    """

    dataset: SevirSequences
    t_in: int
    pool: int
    km_per_pixel: float
    minutes_per_step: float

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, limit: int | None, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray, tuple]]:
        """(context (B, T_in, H, W, 1), target (B, T_out, H, W, 1), extra ()) for the first ``limit`` windows."""
        n = len(self) if limit is None else min(limit, len(self))
        for start in range(0, n, batch_size):
            seqs = np.stack([self.dataset[i].numpy() for i in range(start, min(start + batch_size, n))])
            yield seqs[:, : self.t_in], seqs[:, self.t_in:], ()


def sevir_windows(root: str | Path, split: str | None, t_in: int, t_out: int, resolution: int | None,
                  downsampling: Literal["none", "lr"] = "none", stride: int | None = None,
                  what: str = "resolution") -> SevirWindows:
    """Windows of ``t_in + t_out`` frames every ``stride`` (default t_out, as Earthformer and PreDiff)
    frames, max-pooled to ``resolution`` pixels (None keeps the native size); ``what`` names the
    source of ``resolution`` in errors."""
    store = open_store(root)
    base = SequenceSpec(split=split, seq_len=t_in + t_out, stride=stride or t_out, downsampling=downsampling)
    probe = SevirSequences(store, base)
    if len(probe) == 0:
        raise ValueError(f"split {split!r} of {store.catalog_file}: expected at least one window of "
                         f"{t_in + t_out} frames, got none ({int((store.events['split'] == split).sum())} events)")
    native = probe.event_frames(probe.items[0][0]).shape[1:]
    pool = 1 if resolution is None else pooled_factor(native, (resolution, resolution), what)
    dataset = SevirSequences(store, SequenceSpec(split=split, seq_len=t_in + t_out, stride=stride or t_out,
                                                 downsampling=downsampling, pool=pool))
    lr = downsampling == "lr"
    return SevirWindows(dataset, t_in, pool, km_per_pixel=float(pool * (LR_POOL if lr else 1)),
                        minutes_per_step=float(FRAME_MINUTES * (LR_TIME_STEP if lr else 1)))


@dataclass(frozen=True)
class EnsoWindows:
    """ICAR-ENSO test windows: scaled SST (B, T, 24, 48, 1) and Nino3.4 labels (B, T_out - 2)."""

    dataset: IcarEnsoWindows
    store: IcarEnso

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, limit: int | None, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray, tuple]]:
        """(context, target, (nino,)) for the first ``limit`` windows."""
        n = len(self) if limit is None else min(limit, len(self))
        for start in range(0, n, batch_size):
            items = [self.dataset[i] for i in range(start, min(start + batch_size, n))]
            context, target, nino = (np.stack([item[k].numpy() for item in items]) for k in range(3))
            yield context, target, (nino,)

    def training_damping(self, max_lag: int) -> np.ndarray:
        """Lag autocorrelations (max_lag, 24, 48) of the training models' SST, per grid point."""
        from ..baselines import fit_damping

        return fit_damping([self.store.load(m.name).sst for m in self.store.split("train")], max_lag)


def enso_windows(root: str | Path, split: str, t_in: int = 12, t_out: int = 14) -> EnsoWindows:
    store = IcarEnso(root)
    return EnsoWindows(IcarEnsoWindows(store, split, WindowSpec(in_months=t_in, out_months=t_out)), store)
