"""Cuboid attention: patterns, layouts and attention costs for the explainer page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..models.earthformer.cost import FORMULA as ATTENTION_COST_FORMULA
from ..models.earthformer.cost import AttentionCost, attention_cost
from ..models.earthformer.cuboid import PADDING_TYPES, STRATEGIES
from ..models.earthformer.explain import CuboidLayout, attended_elements, cuboid_layout, padded_keys, padded_keys_seen
from ..models.earthformer.patterns import (
    CROSS_PATTERNS,
    SELF_PATTERNS,
    SelfAttentionSpec,
    get_self_pattern,
)

__all__ = [
    "ATTENTION_COST_FORMULA",
    "AttentionCost",
    "CostRow",
    "CuboidLayout",
    "EARTHFORMER_LEVELS",
    "LevelShape",
    "PADDING_TYPES",
    "STRATEGIES",
    "SelfAttentionSpec",
    "attended_elements",
    "attention_cost",
    "compare_attention_costs",
    "cross_pattern_names",
    "cuboid_layout",
    "custom_layer",
    "padded_keys",
    "padded_keys_seen",
    "pattern_layers",
    "self_pattern_names",
]


def self_pattern_names() -> list[str]:
    """Every named self-attention pattern, sorted."""
    return sorted(SELF_PATTERNS)


def cross_pattern_names() -> list[str]:
    return sorted(CROSS_PATTERNS)


def pattern_layers(name: str, shape: Sequence[int]) -> list[SelfAttentionSpec]:
    """The layers one block of pattern ``name`` runs on a (T, H, W) grid."""
    return get_self_pattern(name)(shape)


def custom_layer(cuboid_size: Sequence[int], strategy: Sequence[str], shift_size: Sequence[int]) -> SelfAttentionSpec:
    """A single layer with a hand-picked cuboid size, per-axis strategy and shift."""
    return SelfAttentionSpec(tuple(int(v) for v in cuboid_size), tuple(strategy), tuple(int(v) for v in shift_size))


@dataclass(frozen=True)
class LevelShape:
    """One encoder level of a published Earthformer configuration."""

    label: str
    thw: tuple[int, int, int]
    channels: int
    num_heads: int
    num_global_vectors: int


# Level shapes of the released configurations (reference section B.8).
EARTHFORMER_LEVELS: tuple[LevelShape, ...] = (
    LevelShape("SEVIR level 0", (13, 32, 32), 128, 4, 8),
    LevelShape("SEVIR level 1", (13, 16, 16), 256, 4, 8),
    LevelShape("ICAR-ENSO level 0", (12, 24, 24), 64, 4, 0),
    LevelShape("ICAR-ENSO level 1", (12, 12, 12), 128, 4, 0),
)


@dataclass(frozen=True)
class CostRow:
    level: str
    method: str
    gflops: float  # attention products only, per sample, FLOPs = 2 x multiply-adds
    score_mib: float  # fp32 attention weights per sample
    ratio_to_full: float


def compare_attention_costs(specs: Sequence[SelfAttentionSpec] | None, pattern: str | None) -> list[CostRow]:
    """Full attention vs the chosen decomposition vs axial at every level in :data:`EARTHFORMER_LEVELS`.

    Give either a named ``pattern`` (resolved per level shape) or explicit ``specs``.
    """
    rows = []
    for level in EARTHFORMER_LEVELS:
        chosen = pattern_layers(pattern, level.thw) if pattern else list(specs or [])
        methods = {
            "full attention": pattern_layers("full", level.thw),
            f"chosen ({pattern or 'custom'})": chosen,
            "axial": pattern_layers("axial", level.thw),
        }
        costs = {
            name: attention_cost(level.thw, layers, level.channels, level.num_heads, level.num_global_vectors)
            for name, layers in methods.items()
        }
        full_flops = costs["full attention"].flops
        for name, cost in costs.items():
            rows.append(
                CostRow(level.label, name, cost.flops / 1e9, cost.score_bytes() / 2**20, cost.flops / full_flops)
            )
    return rows
