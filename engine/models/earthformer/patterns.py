"""Named cuboid-attention patterns (Earthformer, Gao et al. 2022, Sec. 3 and Table 1).

A self-attention pattern maps a level's shape (T, H, W) to the list of layers one stacked
block runs, each a :class:`SelfAttentionSpec`. A cross-attention pattern maps the memory
shape to a list of :class:`CrossAttentionSpec`. Look patterns up by name::

    specs = get_self_pattern("video_swin_2x8")((13, 32, 32))

Unknown names raise ``ValueError`` listing every valid one.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Sequence

from .cuboid import Strategy, Triple, check_strategy

LOCAL: tuple[Strategy, Strategy, Strategy] = ("local", "local", "local")
DILATED: tuple[Strategy, Strategy, Strategy] = ("dilated", "dilated", "dilated")


@dataclass(frozen=True)
class SelfAttentionSpec:
    """One cuboid self-attention layer: cuboid size, per-axis strategy and cyclic shift over (T, H, W)."""

    cuboid_size: Triple
    strategy: tuple[Strategy, Strategy, Strategy] = LOCAL
    shift_size: Triple = (0, 0, 0)

    def __post_init__(self) -> None:
        check_strategy(self.strategy)


@dataclass(frozen=True)
class CrossAttentionSpec:
    """One cuboid cross-attention layer: spatial block, spatial shift, strategy, temporal groups."""

    cuboid_hw: tuple[int, int]
    shift_hw: tuple[int, int] = (0, 0)
    strategy: tuple[Strategy, Strategy, Strategy] = LOCAL
    n_temporal: int = 1

    def __post_init__(self) -> None:
        check_strategy(self.strategy)
        if self.n_temporal < 1:
            raise ValueError(f"n_temporal: expected >= 1, got {self.n_temporal}")


SelfPattern = Callable[[Sequence[int]], list[SelfAttentionSpec]]
CrossPattern = Callable[[Sequence[int]], list[CrossAttentionSpec]]


def _thw(shape: Sequence[int]) -> Triple:
    if len(shape) not in (3, 4):
        raise ValueError(f"pattern shape: expected (T, H, W) or (T, H, W, C), got {tuple(shape)}")
    T, H, W = (int(v) for v in shape[:3])
    return T, H, W


def full(shape: Sequence[int]) -> list[SelfAttentionSpec]:
    """Plain attention over the whole (T, H, W) tensor."""
    return [SelfAttentionSpec(_thw(shape))]


def axial(shape: Sequence[int]) -> list[SelfAttentionSpec]:
    """Three unshifted local layers along T, then H, then W (the released Earthformer pattern)."""
    T, H, W = _thw(shape)
    return [SelfAttentionSpec((T, 1, 1)), SelfAttentionSpec((1, H, 1)), SelfAttentionSpec((1, 1, W))]


def divided_st(shape: Sequence[int]) -> list[SelfAttentionSpec]:
    """Divided space-time: all of T per pixel, then all of (H, W) per frame."""
    T, H, W = _thw(shape)
    return [SelfAttentionSpec((T, 1, 1)), SelfAttentionSpec((1, H, W))]


def video_swin(shape: Sequence[int], P: int = 2, M: int = 4) -> list[SelfAttentionSpec]:
    """Video-Swin: (P, M, M) windows, then the same windows shifted by half."""
    T, H, W = _thw(shape)
    P, M = min(P, T), min(M, H, W)
    return [SelfAttentionSpec((P, M, M)), SelfAttentionSpec((P, M, M), LOCAL, (P // 2, M // 2, M // 2))]


def spatial_lg(shape: Sequence[int], M: int = 4) -> list[SelfAttentionSpec]:
    """Temporal axis, then local (1, M, M) and dilated (1, M, M) spatial cuboids."""
    T, H, W = _thw(shape)
    if H <= M and W <= M:
        return [SelfAttentionSpec((T, 1, 1)), SelfAttentionSpec((1, H, W))]
    return [SelfAttentionSpec((T, 1, 1)), SelfAttentionSpec((1, M, M)), SelfAttentionSpec((1, M, M), DILATED)]


def axial_space_dilate(shape: Sequence[int], K: int = 2) -> list[SelfAttentionSpec]:
    """Temporal axis, then dilated and local blocks of H/K rows and W/K columns."""
    T, H, W = _thw(shape)
    K = min(K, H, W)
    return [
        SelfAttentionSpec((T, 1, 1)),
        SelfAttentionSpec((1, H // K, 1), DILATED),
        SelfAttentionSpec((1, H // K, 1)),
        SelfAttentionSpec((1, 1, W // K), DILATED),
        SelfAttentionSpec((1, 1, W // K)),
    ]


def cross_kxk(shape: Sequence[int], K: int) -> list[CrossAttentionSpec]:
    """Each (K, K) query block attends to the same block of every memory frame."""
    _, H, W = _thw(shape)
    K = min(K, H, W)
    return [CrossAttentionSpec((K, K))]


def cross_kxk_lg(shape: Sequence[int], K: int) -> list[CrossAttentionSpec]:
    """Local then dilated (K, K) cross-attention."""
    _, H, W = _thw(shape)
    K = min(K, H, W)
    return [CrossAttentionSpec((K, K)), CrossAttentionSpec((K, K), strategy=DILATED)]


def cross_kxk_heter(shape: Sequence[int], K: int) -> list[CrossAttentionSpec]:
    """Local, dilated, and shifted local (K, K) cross-attention."""
    _, H, W = _thw(shape)
    K = min(K, H, W)
    return [
        CrossAttentionSpec((K, K)),
        CrossAttentionSpec((K, K), strategy=DILATED),
        CrossAttentionSpec((K, K), shift_hw=(K // 2, K // 2)),
    ]


SELF_PATTERNS: dict[str, SelfPattern] = {
    "full": full,
    "axial": axial,
    "divided_st": divided_st,
    "video_swin": video_swin,
    "spatial_lg_v1": spatial_lg,
}
SELF_PATTERNS.update({f"video_swin_{p}x{m}": partial(video_swin, P=p, M=m) for p in (1, 2, 4, 8, 10) for m in (1, 2, 4, 8, 16, 32)})
SELF_PATTERNS.update({f"spatial_lg_{m}": partial(spatial_lg, M=m) for m in (1, 2, 4, 8, 16, 32)})
SELF_PATTERNS.update({f"axial_space_dilate_{k}": partial(axial_space_dilate, K=k) for k in (2, 4, 8)})

CROSS_PATTERNS: dict[str, CrossPattern] = {}
for _k in (1, 2, 4, 8):
    CROSS_PATTERNS[f"cross_{_k}x{_k}"] = partial(cross_kxk, K=_k)
    CROSS_PATTERNS[f"cross_{_k}x{_k}_lg"] = partial(cross_kxk_lg, K=_k)
    CROSS_PATTERNS[f"cross_{_k}x{_k}_heter"] = partial(cross_kxk_heter, K=_k)


def get_self_pattern(name: str) -> SelfPattern:
    """The self-attention pattern called ``name``; ``ValueError`` listing valid names otherwise."""
    try:
        return SELF_PATTERNS[name]
    except KeyError:
        raise ValueError(f"unknown self-attention pattern {name!r}; expected one of {sorted(SELF_PATTERNS)}") from None


def get_cross_pattern(name: str) -> CrossPattern:
    """The cross-attention pattern called ``name``; ``ValueError`` listing valid names otherwise."""
    try:
        return CROSS_PATTERNS[name]
    except KeyError:
        raise ValueError(f"unknown cross-attention pattern {name!r}; expected one of {sorted(CROSS_PATTERNS)}") from None
