"""Pieces shared by PreDiff's denoiser and alignment network: cuboid levels, init, input checks.

A *level* of these networks runs ``depth`` units of [time-embedding ResBlock -> stacked cuboid
self-attention block] at one resolution. As published ([PD] ``CuboidTransformerUNet.forward``),
a level holds ONE :class:`TimeEmbedResBlock` that is applied before each of its attention blocks
(shared weights); the published parameter counts (136,817,538 and 8,937,033) depend on it.

PreDiff initialises the residual branches to zero (its linear init mode "2" for the attention
output projection and the second FFN layer): a fresh attention block is the identity.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ..earthformer.blocks import PositionwiseFFN, StackCuboidSelfAttentionBlock
from ..earthformer.init import init_earthformer_weights
from ..earthformer.layer_config import AttentionConfig
from ..earthformer.patterns import get_self_pattern
from ..earthformer.self_attention import CuboidSelfAttention
from ..earthformer.stem import PatchMerging3D
from .time_embed import TimeEmbedResBlock

Shape4 = tuple[int, int, int, int]


def attention_config(config: Any) -> AttentionConfig:
    """The cuboid-attention settings of a denoiser or alignment config (GELU FFNs, relative bias)."""
    return AttentionConfig(num_heads=config.num_heads, attn_drop=config.attn_drop, proj_drop=config.proj_drop,
                           ffn_drop=config.ffn_drop, padding_type=config.padding_type)


def patch_merges(config: Any) -> nn.ModuleList:
    """PatchMerging3D (1, d, d) from each level to the next (Kaiming-normal reduction, as published)."""
    units, d = config.level_units(), config.downsample
    merges = nn.ModuleList(PatchMerging3D(units[i], units[i + 1], (1, d, d), config.padding_type)
                           for i in range(len(units) - 1))
    init_earthformer_weights(merges)
    return merges


def level_shapes(first: Shape4, merges: Sequence[PatchMerging3D]) -> list[Shape4]:
    """(T, H, W, C) of every level, starting from level 0's ``first``."""
    shapes = [tuple(first)]
    for merge in merges:
        shapes.append(merge.out_shape(shapes[-1]))
    return shapes


def time_blocks(config: Any, shapes: Sequence[Shape4], emb_dim: int) -> nn.ModuleList:
    """One time-embedding ResBlock per level (shared by the level's units)."""
    return nn.ModuleList(TimeEmbedResBlock(s[-1], s[-1], emb_dim, config.time_embed_dropout, config.norm_groups)
                         for s in shapes)


def attention_blocks(config: Any, shapes: Sequence[Shape4]) -> nn.ModuleList:
    """Per level, ``depth[i]`` stacked self-attention blocks whose pattern is computed on the level shape."""
    attention = attention_config(config)
    pattern = get_self_pattern(config.attn_pattern)
    levels = nn.ModuleList(
        nn.ModuleList(StackCuboidSelfAttentionBlock(s[-1], pattern(s[:3]), attention) for _ in range(depth))
        for s, depth in zip(shapes, config.depth)
    )
    zero_residual_branches(levels)
    return levels


def zero_residual_branches(root: nn.Module) -> None:
    """Zero every attention output projection and second FFN layer under ``root`` (PreDiff init "2")."""
    for module in root.modules():
        layer = module.proj if isinstance(module, CuboidSelfAttention) and hasattr(module, "proj") else None
        layer = module.ffn_2 if isinstance(module, PositionwiseFFN) else layer
        if layer is not None:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)


def run_level(x: torch.Tensor, emb: torch.Tensor, time_block: TimeEmbedResBlock, blocks: nn.ModuleList) -> torch.Tensor:
    """x (B, T, H, W, C) through the level's units: [shared time ResBlock -> attention block] each."""
    for block in blocks:
        x = block(time_block(x, emb))
    return x


def check_latents(name: str, x: torch.Tensor, expected: Sequence[int], batch: int | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` is (B, *expected) (with B == ``batch`` when given)."""
    want = ("B" if batch is None else batch, *expected)
    ok = x.dim() == len(want) and tuple(x.shape[1:]) == tuple(expected) and (batch is None or x.shape[0] == batch)
    if not ok:
        raise ValueError(f"{name}: expected shape ({', '.join(str(v) for v in want)}), got {tuple(x.shape)}")


def check_timesteps(t: torch.Tensor, batch: int) -> None:
    """Raise ``ValueError`` unless ``t`` is a (B,) tensor of numbers."""
    if not isinstance(t, torch.Tensor) or t.shape != (batch,) or t.is_complex() or t.dtype == torch.bool:
        got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"t: expected a ({batch},) tensor of timesteps, got {got}")
