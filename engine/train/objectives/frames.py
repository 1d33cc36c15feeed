"""SEVIR windows for the PreDiff stages: how a data spec is cut for them, and index-carrying samples.

The autoencoder learns single frames (windows of one frame, stride 1 by default, as published);
the denoiser learns windows of context + target frames; the alignment network needs only the
target frames (``in_len`` leading frames are skipped, 0 by default). Spatial pooling maps the
stored frames onto the autoencoder's frame size, as for the forecasters.
"""
from __future__ import annotations

from dataclasses import replace

import torch
from torch.utils.data import Dataset

from ..data import DataSpec, build_datasets, resolve_spec


def resolve_windows(data: DataSpec, in_len: int, out_len: int, frame_shape: tuple[int, int, int],
                    stride: int, stage: str) -> DataSpec:
    """``data`` with windows of ``in_len + out_len`` frames of ``frame_shape`` (H, W, C).

    ``stride`` is the default training and validation step where the spec leaves them at 0.
    """
    if data.kind != "sevir":
        raise ValueError(f"data: expected sevir for the {stage} stage (PreDiff learns radar frames), "
                         f"got {data.kind!r}")
    frame = (1, *frame_shape)
    pooled = resolve_spec(replace(data, in_len=1, out_len=1, stride=1, val_stride=1), frame, frame)
    return replace(data, in_len=in_len, out_len=out_len, stride=data.stride or stride,
                   val_stride=data.val_stride or data.stride or stride, pool=pooled.pool)


class Indexed(Dataset):
    """Items ``(sample, key)``: the key of the latent cache and of the fixed validation draws.

    Training keys are 0, 1, ...; validation keys are -1, -2, ..., so the two splits never share a
    cache entry and a validation window's draws (t, noise) do not depend on how many training
    windows there are: runs with different training strides report comparable validation losses.
    (Keys used to start after the training keys, which gave the same window other draws.)
    """

    def __init__(self, dataset: Dataset, validation: bool = False) -> None:
        self.dataset, self.validation = dataset, validation

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.dataset[i], -1 - i if self.validation else i


def indexed_datasets(spec: DataSpec) -> tuple[Indexed, Indexed]:
    """(train, val) of ``spec`` with disjoint keys: 0, 1, ... for training, -1, -2, ... for validation."""
    train, val = build_datasets(spec)
    return Indexed(train), Indexed(val, validation=True)


def check_frames(sample: torch.Tensor, frame_shape: tuple[int, ...], frames: int, what: str) -> None:
    """ValueError unless one sample (T, H, W, C) has ``frames`` frames of ``frame_shape``."""
    if tuple(sample.shape[1:]) != tuple(frame_shape):
        raise ValueError(f"data/model mismatch: the {what} takes frames (H, W, C) = {tuple(frame_shape)}, the data "
                         f"gives {tuple(sample.shape[1:])} (check --pool and --sevir-lr)")
    if sample.shape[0] != frames:
        raise ValueError(f"data/model mismatch: the {what} expects windows of {frames} frames, the data gives "
                         f"{sample.shape[0]} (check --in-len / --out-len)")


def seeded(seed: int, index: int) -> torch.Generator:
    """A CPU generator for sample ``index``: fixed draws per sample, whatever the batching or sharding."""
    return torch.Generator().manual_seed(seed * 1_000_003 + int(index))
