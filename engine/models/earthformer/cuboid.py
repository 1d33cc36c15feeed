"""Cuboid decomposition: the pure tensor functions behind cuboid attention.

Earthformer (Gao et al., NeurIPS 2022) splits a (T, H, W) grid into non-overlapping cuboids
and runs attention inside each one. Per axis of padded length ``L`` with block ``b`` and
``n = L / b`` blocks, an element at position ``p`` belongs to

* ``local``:   cuboid ``k = p // b``, in-cuboid position ``j = p % b`` (contiguous blocks);
* ``dilated``: cuboid ``k = p % n``, in-cuboid position ``j = p // n`` (every n-th element).

Cuboid ids and in-cuboid positions are row-major over (T, H, W). A cyclic shift by ``z``
(Swin style) is applied before the split: the element at padded position ``p`` lands at
``(p - z) mod L``. Everything here is shape bookkeeping: no learnable state.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Literal, Sequence, TypeVar

import torch
import torch.nn.functional as F

_F = TypeVar("_F", bound=Callable)


def tensor_cache(maxsize: int) -> Callable[[_F], _F]:
    """``functools.lru_cache`` for functions that build constant tensors (masks, index tables).

    The tensors are built outside inference mode and without autograd, so one first made during
    an inference-mode forward can still be used by a later training forward.
    """
    def decorate(fn: _F) -> _F:
        @functools.lru_cache(maxsize=maxsize)
        @functools.wraps(fn)
        def cached(*args, **kwargs):
            with torch.inference_mode(False), torch.no_grad():
                return fn(*args, **kwargs)
        return cached  # type: ignore[return-value]
    return decorate

Strategy = Literal["local", "dilated"]
PaddingType = Literal["ignore", "zeros", "nearest"]
STRATEGIES: tuple[str, ...] = ("local", "dilated")
PADDING_TYPES: tuple[str, ...] = ("ignore", "zeros", "nearest")
Triple = tuple[int, int, int]


def _check_triple(name: str, value: Sequence[int], minimum: int) -> Triple:
    values = tuple(int(v) for v in value)
    if len(values) != 3 or any(v < minimum for v in values):
        raise ValueError(f"{name}: expected three integers >= {minimum} for (T, H, W), got {tuple(value)}")
    return values  # type: ignore[return-value]


def check_strategy(strategy: Sequence[str]) -> tuple[Strategy, Strategy, Strategy]:
    """Validate a per-axis strategy triple; errors list the allowed values."""
    strategy = tuple(strategy)
    if len(strategy) != 3 or any(s not in STRATEGIES for s in strategy):
        raise ValueError(f"strategy: expected three of {list(STRATEGIES)} for (T, H, W), got {strategy}")
    return strategy  # type: ignore[return-value]


def check_padding_type(padding_type: str) -> PaddingType:
    if padding_type not in PADDING_TYPES:
        raise ValueError(f"padding_type: expected one of {list(PADDING_TYPES)}, got {padding_type!r}")
    return padding_type  # type: ignore[return-value]


@dataclass(frozen=True)
class Decomposition:
    """A cuboid decomposition resolved for one concrete (T, H, W) shape.

    Built by :func:`resolve_decomposition`, which applies the reference clipping rules: a
    dilated axis is never shifted, and an axis no longer than its block becomes one block
    with no shift.
    """

    shape: Triple  # (T, H, W) of the unpadded data
    cuboid_size: Triple
    shift_size: Triple
    strategy: tuple[Strategy, Strategy, Strategy]

    @property
    def padding(self) -> Triple:
        """End padding per axis so every axis is a multiple of its block."""
        return tuple((b - L % b) % b for L, b in zip(self.shape, self.cuboid_size))  # type: ignore[return-value]

    @property
    def padded_shape(self) -> Triple:
        return tuple(L + p for L, p in zip(self.shape, self.padding))  # type: ignore[return-value]

    @property
    def blocks(self) -> Triple:
        """Number of cuboids along each axis."""
        return tuple(L // b for L, b in zip(self.padded_shape, self.cuboid_size))  # type: ignore[return-value]

    @property
    def num_cuboids(self) -> int:
        n_t, n_h, n_w = self.blocks
        return n_t * n_h * n_w

    @property
    def volume(self) -> int:
        b_t, b_h, b_w = self.cuboid_size
        return b_t * b_h * b_w

    @property
    def is_shifted(self) -> bool:
        return any(z > 0 for z in self.shift_size)

    @property
    def is_padded(self) -> bool:
        return any(p > 0 for p in self.padding)


def resolve_decomposition(
    shape: Sequence[int],
    cuboid_size: Sequence[int],
    strategy: Sequence[str] = ("local", "local", "local"),
    shift_size: Sequence[int] = (0, 0, 0),
) -> Decomposition:
    """Clip a declared cuboid size / shift to a data shape (reference ``update_cuboid_size_shift_size``).

    Raises ``ValueError`` naming the argument when a size is not a positive triple, a shift is
    negative, a strategy is unknown, or a shift is not smaller than its block.
    """
    shape = _check_triple("shape", shape, 1)
    cuboid = list(_check_triple("cuboid_size", cuboid_size, 1))
    shift = list(_check_triple("shift_size", shift_size, 0))
    strategy = check_strategy(strategy)
    for axis, (length, block, s) in enumerate(zip(shape, tuple(cuboid), strategy)):
        if s == "dilated":
            shift[axis] = 0
        if length <= block:
            cuboid[axis] = length
            shift[axis] = 0
        if shift[axis] >= cuboid[axis]:
            raise ValueError(
                f"shift_size: expected each shift smaller than its cuboid size {tuple(cuboid)}, got {tuple(shift_size)}"
            )
    return Decomposition(shape, tuple(cuboid), tuple(shift), strategy)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- reorder
def _split_axes(decomp: Decomposition) -> tuple[list[int], list[int], list[int]]:
    """Intermediate shape and the axes holding (block index k, in-block index j) per axis."""
    inter, k_axes, j_axes = [], [], []
    for i, (L, b, s) in enumerate(zip(decomp.padded_shape, decomp.cuboid_size, decomp.strategy)):
        n = L // b
        if s == "local":  # p = k * b + j
            inter += [n, b]
            k_axes.append(1 + 2 * i)
            j_axes.append(2 + 2 * i)
        else:  # dilated: p = j * n + k
            inter += [b, n]
            k_axes.append(2 + 2 * i)
            j_axes.append(1 + 2 * i)
    return inter, k_axes, j_axes


def cuboid_reorder(x: torch.Tensor, decomp: Decomposition) -> torch.Tensor:
    """(B, T', H', W', C) padded and shifted grid -> (B, N_cuboids, volume, C)."""
    B, C = x.shape[0], x.shape[-1]
    if tuple(x.shape[1:4]) != decomp.padded_shape:
        raise ValueError(f"cuboid_reorder: expected padded grid {decomp.padded_shape}, got {tuple(x.shape[1:4])}")
    inter, k_axes, j_axes = _split_axes(decomp)
    x = x.reshape(B, *inter, C)  # (B, a0, a1, b0, b1, c0, c1, C)
    x = x.permute(0, *k_axes, *j_axes, 7)  # (B, kT, kH, kW, jT, jH, jW, C)
    return x.reshape(B, decomp.num_cuboids, decomp.volume, C)


def cuboid_reorder_reverse(x: torch.Tensor, decomp: Decomposition) -> torch.Tensor:
    """Exact inverse of :func:`cuboid_reorder`: (B, N_cuboids, volume, C) -> (B, T', H', W', C)."""
    B, C = x.shape[0], x.shape[-1]
    inter, k_axes, j_axes = _split_axes(decomp)
    ordered = k_axes + j_axes  # axis of the intermediate tensor held at each position of x
    x = x.reshape(B, *decomp.blocks, *decomp.cuboid_size, C)  # (B, kT, kH, kW, jT, jH, jW, C)
    inverse = [0] * 6
    for position, axis in enumerate(ordered):
        inverse[axis - 1] = position + 1
    x = x.permute(0, *inverse, 7)  # back to the intermediate layout
    return x.reshape(B, *decomp.padded_shape, C)


def pad_grid(x: torch.Tensor, pad: Sequence[int], padding_type: PaddingType, pad_t_left: bool = False) -> torch.Tensor:
    """Pad (B, T, H, W, C) at the end of each axis (time optionally at the start)."""
    pad_t, pad_h, pad_w = pad
    if pad_t == 0 and pad_h == 0 and pad_w == 0:
        return x
    if padding_type == "nearest":
        B, T, H, W, C = x.shape
        size = (T + pad_t, H + pad_h, W + pad_w)
        return F.interpolate(x.permute(0, 4, 1, 2, 3), size=size).permute(0, 2, 3, 4, 1)
    t_pad = (pad_t, 0) if pad_t_left else (0, pad_t)
    return F.pad(x, (0, 0, 0, pad_w, 0, pad_h, *t_pad))


def unpad_grid(x: torch.Tensor, pad: Sequence[int], padding_type: PaddingType, pad_t_left: bool = False) -> torch.Tensor:
    """Inverse of :func:`pad_grid` (crop, or interpolate back for 'nearest')."""
    pad_t, pad_h, pad_w = pad
    if pad_t == 0 and pad_h == 0 and pad_w == 0:
        return x
    B, T, H, W, C = x.shape
    if padding_type == "nearest":
        size = (T - pad_t, H - pad_h, W - pad_w)
        return F.interpolate(x.permute(0, 4, 1, 2, 3), size=size).permute(0, 2, 3, 4, 1)
    t0 = pad_t if pad_t_left else 0
    return x[:, t0 : t0 + T - pad_t, : H - pad_h, : W - pad_w, :]


def roll_grid(x: torch.Tensor, shift: Sequence[int], inverse: bool = False) -> torch.Tensor:
    """Cyclic shift of (B, T, H, W, C) by -shift (or +shift when ``inverse``)."""
    if not any(s > 0 for s in shift):
        return x
    sign = 1 if inverse else -1
    return torch.roll(x, shifts=tuple(sign * s for s in shift), dims=(1, 2, 3))


# ----------------------------------------------------------------------------- masks
def _shift_region_labels(padded_shape: Triple, cuboid_size: Triple, shift_size: Triple) -> torch.Tensor:
    """Label in [0, 27) of every element of the rolled, padded grid: (T', H', W') int64.

    A shifted axis of length L is cut into [0, L-b), [L-b, L-z), [L-z, L): after the roll the
    last cuboid holds elements that were far apart before it, and they must not see each other.
    """
    labels = torch.zeros(padded_shape, dtype=torch.int64)
    for axis, (L, b, z) in enumerate(zip(padded_shape, cuboid_size, shift_size)):
        pos = torch.arange(L)
        region = (pos >= L - b).long() + (pos >= L - z).long() if z > 0 else torch.zeros(L, dtype=torch.long)
        view = [1, 1, 1]
        view[axis] = L
        labels = labels * 3 + region.view(view)
    return labels


def shift_region_tokens(decomp: Decomposition) -> torch.Tensor:
    """(N_cuboids, V) int: the shift-region label of every reordered token."""
    T, H, W = decomp.padded_shape
    labels = _shift_region_labels(decomp.padded_shape, decomp.cuboid_size, decomp.shift_size)
    return cuboid_reorder(labels.view(1, T, H, W, 1), decomp)[0, :, :, 0]


@tensor_cache(maxsize=256)
def self_attention_mask(decomp: Decomposition, padding_type: PaddingType, device: torch.device) -> torch.Tensor | None:
    """Boolean (N_cuboids, V, V) mask, True = may attend; ``None`` when nothing is masked.

    Combines the shift-region mask (only when shifted) and, for ``padding_type='ignore'``, the
    padding mask (padded tokens are neither queries nor keys). Cached per shape and device.
    """
    need_pad_mask = padding_type == "ignore" and decomp.is_padded
    if not decomp.is_shifted and not need_pad_mask:
        return None
    mask = torch.ones(decomp.num_cuboids, decomp.volume, decomp.volume, dtype=torch.bool)
    if decomp.is_shifted:
        labels = shift_region_tokens(decomp)  # (N, V)
        mask &= labels[:, :, None] == labels[:, None, :]
    if need_pad_mask:
        valid = valid_token_mask(decomp)  # (N, V)
        mask &= valid[:, :, None] & valid[:, None, :]
    return mask.to(device)


def valid_token_mask(decomp: Decomposition, frames: slice | None = None) -> torch.Tensor:
    """(N_cuboids, V) bool: True where the reordered token is real data, False where padding.

    ``frames`` selects the real frames when time was padded outside the decomposition (cross
    attention pads memory on the left); by default the first T frames are real.
    """
    T, H, W = decomp.shape
    valid = torch.zeros(decomp.padded_shape, dtype=torch.bool)
    valid[frames if frames is not None else slice(0, T), :H, :W] = True
    valid = roll_grid(valid.view(1, *decomp.padded_shape, 1), decomp.shift_size)
    return cuboid_reorder(valid, decomp)[0, :, :, 0]


@tensor_cache(maxsize=256)
def relative_position_index(declared: Triple, effective: Triple, device: torch.device) -> torch.Tensor:
    """(V, V) index into a bias table of ``(2bT-1)(2bH-1)(2bW-1)`` rows for ``declared`` cuboids.

    Offsets are in-cuboid coordinate differences (Swin-3D scheme) of the ``effective`` cuboid,
    which may be smaller than the declared one after clipping to a short axis.
    """
    grids = torch.meshgrid(*(torch.arange(b) for b in effective), indexing="ij")
    coords = torch.stack([g.reshape(-1) for g in grids])  # (3, V)
    delta = coords[:, :, None] - coords[:, None, :]  # (3, V, V)
    _, dh, dw = (2 * b - 1 for b in declared)
    index = (delta[0] + declared[0] - 1) * dh * dw + (delta[1] + declared[1] - 1) * dw + (delta[2] + declared[2] - 1)
    return index.to(device)
