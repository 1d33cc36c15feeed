"""Attention cost of a decomposition: multiply-adds, FLOPs and score-matrix memory.

For one layer on a padded grid of ``n = T'H'W'`` tokens split into cuboids of volume ``V``
with ``C`` channels and ``h`` heads, the two attention products (QK^T and AV) cost
``2 n V C`` multiply-adds (FLOPs = 2 x MACs), and the score matrices hold ``h n V`` numbers.
Full attention is the case ``V = THW``. With ``P`` global vectors each layer adds
``2 n P C`` (local -> global) plus ``2 P n C`` (global -> local) multiply-adds and ``2 h n P``
scores. Projections (4 n C^2) are the same for every decomposition and are left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .cuboid import resolve_decomposition
from .patterns import SelfAttentionSpec

FORMULA = "MACs = 2 · (T'H'W') · V · C  (+ 4 · THW · P · C with P global vectors);  scores = heads · (T'H'W') · V"


@dataclass(frozen=True)
class AttentionCost:
    macs: int  # multiply-adds of QK^T and AV, summed over the layers
    score_elements: int  # attention weights materialised per sample, summed over layers

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def score_bytes(self, bytes_per_element: int = 4) -> int:
        return self.score_elements * bytes_per_element


def attention_cost(
    shape: Sequence[int],
    specs: Sequence[SelfAttentionSpec],
    channels: int,
    num_heads: int,
    num_global_vectors: int = 0,
) -> AttentionCost:
    """Per-sample attention cost of running ``specs`` (one block) on a (T, H, W) grid."""
    macs = scores = 0
    for spec in specs:
        decomp = resolve_decomposition(shape, spec.cuboid_size, spec.strategy, spec.shift_size)
        T, H, W = decomp.padded_shape
        tokens = T * H * W
        keys = decomp.volume + num_global_vectors
        macs += 2 * tokens * keys * channels + 2 * num_global_vectors * tokens * channels
        scores += num_heads * tokens * keys + num_heads * num_global_vectors * tokens
    return AttentionCost(macs, scores)
