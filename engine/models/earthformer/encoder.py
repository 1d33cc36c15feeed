"""The hierarchical encoder: cuboid self-attention blocks per level, patch merging between levels.

Level i works at ``config.level_units()[i]`` channels; its attention pattern is computed on the
level's memory shape. Each level's output (before merging) is kept as a memory for the decoder,
together with the global vectors at that level.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import StackCuboidSelfAttentionBlock
from .config import EarthformerConfig
from .patterns import get_self_pattern
from .stem import PatchMerging3D


def memory_shapes(config: EarthformerConfig, first: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """(T, H, W, C) of each level's memory, starting from the stem's output shape ``first``."""
    units = config.level_units()
    shapes = [first]
    for i in range(1, config.num_levels):
        shapes.append(PatchMerging3D(1, units[i], config.downsample, config.padding_type).out_shape(shapes[-1]))
    return shapes


class CuboidTransformerEncoder(nn.Module):
    """x (B, T, H, W, C0) [, global vectors (B, P, C0*ratio)] -> per-level memories (and globals)."""

    def __init__(self, config: EarthformerConfig, mem_shapes: list[tuple[int, int, int, int]]) -> None:
        super().__init__()
        self.use_global_vector = config.num_global_vectors > 0
        units = config.level_units()
        attention = config.attention_with_inter_ffn(config.enc_use_inter_ffn)
        globals_ = config.global_vectors() if self.use_global_vector else None
        patterns = config.patterns("enc_attn_patterns")
        self.blocks = nn.ModuleList(
            nn.Sequential(*(
                StackCuboidSelfAttentionBlock(units[i], get_self_pattern(patterns[i])(mem_shapes[i][:3]), attention,
                                              globals_, config.checkpoint_level)
                for _ in range(config.enc_depth[i])
            ))
            for i in range(config.num_levels)
        )
        if config.num_levels > 1:
            self.down_layers = nn.ModuleList(
                PatchMerging3D(units[i], units[i + 1], config.downsample, config.padding_type)
                for i in range(config.num_levels - 1)
            )
            if self.use_global_vector:
                ratio = config.global_dim_ratio
                self.down_layer_global_proj = nn.ModuleList(
                    nn.Linear(ratio * units[i], ratio * units[i + 1]) for i in range(config.num_levels - 1)
                )

    def forward(self, x: torch.Tensor, global_vectors: torch.Tensor | None = None):
        memories, global_memories = [], []
        for i, level in enumerate(self.blocks):
            for block in level:
                if self.use_global_vector:
                    x, global_vectors = block(x, global_vectors)
                else:
                    x = block(x)
            memories.append(x)
            global_memories.append(global_vectors)
            if i < len(self.blocks) - 1:
                x = self.down_layers[i](x)
                if self.use_global_vector:
                    global_vectors = self.down_layer_global_proj[i](global_vectors)
        return memories, (global_memories if self.use_global_vector else None)
