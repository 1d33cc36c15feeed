"""Which elements a query sees: cuboid maps for teaching and for checking the kernels.

Pure NumPy, computed from the definitions in :mod:`engine.models.earthformer.cuboid`
(per-axis local/dilated split of the padded, cyclically shifted grid, plus the Swin shift
regions and the padding rule), so the app can colour every element of a (T, H, W) tensor by
its cuboid and show what one query attends to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .cuboid import Decomposition, PaddingType, check_padding_type, resolve_decomposition
from .patterns import SelfAttentionSpec


@dataclass(frozen=True)
class CuboidLayout:
    """Per-element bookkeeping of one decomposition, on the padded (T', H', W') grid.

    padded_cuboid_id : (T', H', W') int, row-major id of the cuboid each element falls in
    padded_position : (T', H', W') int, row-major position inside its cuboid
    padded_region : (T', H', W') int, Swin shift-region label (all zeros when unshifted)
    The properties without ``padded_`` crop these to the real (T, H, W) data.
    """

    decomposition: Decomposition
    padding_type: PaddingType
    padded_cuboid_id: np.ndarray
    padded_position: np.ndarray
    padded_region: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.decomposition.shape

    def _crop(self, a: np.ndarray) -> np.ndarray:
        T, H, W = self.shape
        return a[:T, :H, :W]

    @property
    def cuboid_id(self) -> np.ndarray:
        return self._crop(self.padded_cuboid_id)

    @property
    def position(self) -> np.ndarray:
        return self._crop(self.padded_position)

    @property
    def region(self) -> np.ndarray:
        return self._crop(self.padded_region)


def _axis_indices(padded: int, block: int, shift: int, strategy: str):
    """Cuboid index k, in-cuboid index j and region label of padded positions 0..padded-1."""
    n = padded // block
    rolled = (np.arange(padded) - shift) % padded  # where each element sits after the roll
    if strategy == "local":
        k, j = rolled // block, rolled % block
    else:
        k, j = rolled % n, rolled // n
    region = (rolled >= padded - block).astype(int) + (rolled >= padded - shift).astype(int) if shift else 0 * rolled
    return k, j, region


def cuboid_layout(
    shape: Sequence[int], spec: SelfAttentionSpec, padding_type: PaddingType = "zeros"
) -> CuboidLayout:
    """Cuboid id, in-cuboid position and shift region of every element of a (T, H, W) tensor."""
    decomp = resolve_decomposition(shape, spec.cuboid_size, spec.strategy, spec.shift_size)
    check_padding_type(padding_type)
    per_axis = [
        _axis_indices(Lp, b, z, s)
        for Lp, b, z, s in zip(decomp.padded_shape, decomp.cuboid_size, decomp.shift_size, decomp.strategy)
    ]
    (kt, jt, rt), (kh, jh, rh), (kw, jw, rw) = per_axis
    _, n_h, n_w = decomp.blocks
    _, b_h, b_w = decomp.cuboid_size
    cuboid_id = (kt[:, None, None] * n_h + kh[None, :, None]) * n_w + kw[None, None, :]
    position = (jt[:, None, None] * b_h + jh[None, :, None]) * b_w + jw[None, None, :]
    region = (rt[:, None, None] * 3 + rh[None, :, None]) * 3 + rw[None, None, :]
    return CuboidLayout(decomp, padding_type, cuboid_id, position, region)


def _check_query(layout: CuboidLayout, query: Sequence[int]) -> tuple[int, int, int]:
    t, h, w = (int(v) for v in query)
    T, H, W = layout.shape
    if not (0 <= t < T and 0 <= h < H and 0 <= w < W):
        raise ValueError(f"query: expected an index inside (T, H, W)={layout.shape}, got {tuple(query)}")
    return t, h, w


def _padded_attended(layout: CuboidLayout, query: Sequence[int]) -> np.ndarray:
    t, h, w = _check_query(layout, query)
    same_cuboid = layout.padded_cuboid_id == layout.padded_cuboid_id[t, h, w]
    return same_cuboid & (layout.padded_region == layout.padded_region[t, h, w])


def attended_elements(layout: CuboidLayout, query: Sequence[int]) -> np.ndarray:
    """(T, H, W) bool: the real elements the query at (t, h, w) attends to (itself included).

    A query sees the elements of its own cuboid that share its shift region. Global vectors,
    when present, are seen by every query and see every element; they are not on the grid.
    """
    return layout._crop(_padded_attended(layout, query))


def padded_keys(layout: CuboidLayout, query: Sequence[int]) -> np.ndarray:
    """(T', H', W') bool: padding cells among the query's keys (none with padding_type='ignore')."""
    attended = _padded_attended(layout, query)
    T, H, W = layout.shape
    attended[:T, :H, :W] = False
    if layout.padding_type == "ignore":
        attended[...] = False
    return attended


def padded_keys_seen(layout: CuboidLayout, query: Sequence[int]) -> int:
    """How many padding tokens join the query's keys (always 0 with padding_type='ignore')."""
    return int(padded_keys(layout, query).sum())
