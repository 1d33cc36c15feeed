"""SEVIR VIL sequences as a torch Dataset: items are float32 (T, H, W, 1) in [0, 1].

Items are (event, window) pairs in catalog order, as in Earthformer's loader (``sample_mode
"sequent"``): with 49 frames, ``seq_len`` 25 (13 in + 12 out) and ``stride`` 12, each event gives
3 windows, frames 0-24, 12-36 and 24-48. A DataLoader batches items to (B, T, H, W, 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ..transforms import LR_TIME_STEP, max_pool_hw, sevir_lr, thw_to_thwc, window_starts
from .format import SPLITS, parse_minute_offsets, scale_01
from .reader import SevirStore, open_store


@dataclass(frozen=True)
class SequenceSpec:
    """How events become training sequences (the only home of these defaults).

    split : "train", "val", "test" (Earthformer's date split) or None for every event.
    seq_len, stride : window length and step in (possibly downsampled) frames.
    downsampling : "none" keeps 5-min 384 x 384 frames; "lr" is SEVIR-LR (every 2nd frame,
        3 x 3 max pool: 25 frames of 128 x 128 per event).
    pool : extra spatial max-pool factor applied after ``downsampling`` (1 = none; 4 turns
        384 x 384 into 96 x 96 for cheap demo training).
    """

    split: Literal["train", "val", "test"] | None = "train"
    seq_len: int = 25
    stride: int = 12
    downsampling: Literal["none", "lr"] = "none"
    pool: int = 1

    def __post_init__(self):
        if self.split is not None and self.split not in SPLITS:
            raise ValueError(f"split: expected one of {', '.join(SPLITS)} or None, got {self.split!r}")
        if self.downsampling not in ("none", "lr"):
            raise ValueError(f"downsampling: expected 'none' or 'lr', got {self.downsampling!r}")
        for name in ("seq_len", "stride", "pool"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")

    def n_frames(self, raw_frames: int) -> int:
        """Frames per event after downsampling (49 -> 25 for "lr")."""
        return -(-raw_frames // LR_TIME_STEP) if self.downsampling == "lr" else raw_frames

    def prepare(self, vil: np.ndarray) -> np.ndarray:
        """uint8 (T, H, W) event -> uint8 (T', H', W') after downsampling and pooling."""
        if self.downsampling == "lr":
            vil = sevir_lr(vil)
        return max_pool_hw(vil, self.pool)


EARTHFORMER_SEQUENCES = SequenceSpec()


class SevirSequences(Dataset):
    """Windows of SEVIR VIL events as float32 tensors (T, H, W, 1) in [0, 1].

    Parameters
    ----------
    store : a :class:`SevirStore` or a SEVIR root directory.
    spec : split, window and downsampling choices.
    event_ids : restrict to these events (after the split filter); None keeps all.
    """

    def __init__(self, store: SevirStore | str | Path, spec: SequenceSpec = EARTHFORMER_SEQUENCES,
                 event_ids: Sequence[str] | None = None):
        self.store = store if isinstance(store, SevirStore) else open_store(store)
        self.spec = spec
        events = self.store.events
        if spec.split is not None:
            events = events[events["split"] == spec.split]
        if event_ids is not None:
            unknown = sorted(set(event_ids) - set(events["id"]))
            if unknown:
                raise ValueError(f"event_ids: {', '.join(unknown[:5])} not among the {len(events)} events "
                                 f"of split {spec.split} in {self.store.catalog_file}")
            events = events[events["id"].isin(set(event_ids))]
        self.items: list[tuple[str, int]] = []
        for eid, offsets in zip(events["id"], events["minute_offsets"]):
            n = spec.n_frames(len(parse_minute_offsets(offsets)))
            self.items.extend((eid, s) for s in window_starts(n, spec.seq_len, spec.stride))
        self._last: tuple[str, np.ndarray] | None = None  # consecutive items share an event

    def __len__(self) -> int:
        return len(self.items)

    def event_frames(self, event_id: str) -> np.ndarray:
        """uint8 (T', H', W') of one event after the spec's downsampling."""
        if self._last is None or self._last[0] != event_id:
            self._last = (event_id, self.spec.prepare(self.store.read_vil(event_id)))
        return self._last[1]

    def __getitem__(self, i: int) -> torch.Tensor:
        eid, start = self.items[i]
        window = self.event_frames(eid)[start:start + self.spec.seq_len]  # (T, H, W) uint8
        return torch.from_numpy(thw_to_thwc(scale_01(window)))  # (T, H, W, 1) float32
