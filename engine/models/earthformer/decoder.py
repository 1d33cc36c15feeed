"""The hierarchical decoder: from the top level down, self and cross cuboid attention, then upsampling.

At the top level (with ``dec_use_first_self_attn`` off, as in every released configuration) a
cross-attention block comes first, then (depth - 1) x [self block, cross block]; lower levels run
depth x [self block, cross block]. Patterns are computed, as published, on each level's *memory*
shape (T_in), and the attention layers clip them to the decoder's T_out.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import StackCuboidCrossAttentionBlock, StackCuboidSelfAttentionBlock
from .config import EarthformerConfig
from .patterns import get_cross_pattern, get_self_pattern
from .stem import PosEmbed, Upsample3DLayer


class CuboidTransformerDecoder(nn.Module):
    """z (B, T_out, H_top, W_top, C_top), memories -> (B, T_out, H_0, W_0, C_0)."""

    def __init__(self, config: EarthformerConfig, mem_shapes: list[tuple[int, int, int, int]]) -> None:
        super().__init__()
        t_in, t_out = config.input_shape[0], config.target_shape[0]
        self.levels = config.num_levels
        self.depth = config.dec_depth
        self.cross_start = config.dec_cross_start
        self.first_self = config.dec_use_first_self_attn
        self.use_self_global = config.num_global_vectors > 0 and config.use_dec_self_global
        self.self_update_global = config.dec_self_update_global
        self.use_cross_global = use_cross_global = config.num_global_vectors > 0 and config.use_dec_cross_global
        attention = config.attention_with_inter_ffn(config.dec_use_inter_ffn)
        globals_ = config.global_vectors()
        self_patterns = config.patterns("dec_self_attn_patterns")
        cross_patterns = config.patterns("dec_cross_attn_patterns")

        def self_block(i: int) -> StackCuboidSelfAttentionBlock:
            specs = get_self_pattern(self_patterns[i])(mem_shapes[i][:3])
            return StackCuboidSelfAttentionBlock(mem_shapes[i][-1], specs, attention,
                                                 globals_ if self.use_self_global else None, config.checkpoint_level)

        def cross_block(i: int) -> StackCuboidCrossAttentionBlock:
            specs = get_cross_pattern(cross_patterns[i])(mem_shapes[i][:3])
            return StackCuboidCrossAttentionBlock(
                mem_shapes[i][-1], specs, attention, t_in + t_out, globals_ if use_cross_global else None,
                config.dec_cross_last_n_frames, config.checkpoint_level,
            )

        self.self_blocks = nn.ModuleList(
            nn.ModuleList(self_block(i) for _ in range(self._self_depth(i))) for i in range(self.levels)
        )
        self.cross_blocks = nn.ModuleList(
            nn.ModuleList(cross_block(i) for _ in range(self.depth[i])) for i in range(self.cross_start, self.levels)
        )
        if self.levels > 1:
            self.upsample_layers = nn.ModuleList(
                Upsample3DLayer(mem_shapes[i + 1][-1], mem_shapes[i][-1], (t_out,) + tuple(mem_shapes[i][1:3]),
                                config.upsample_kernel_size)
                for i in range(self.levels - 1)
            )
            if config.dec_hierarchical_pos_embed:
                self.hierarchical_pos_embed_l = nn.ModuleList(
                    PosEmbed(mem_shapes[i][-1], t_out, mem_shapes[i][1], mem_shapes[i][2], config.pos_embed_type)
                    for i in range(self.levels - 1)
                )
        self.hierarchical = config.dec_hierarchical_pos_embed and self.levels > 1

    def _self_depth(self, level: int) -> int:
        top_starts_with_cross = not self.first_self and level == self.levels - 1
        return self.depth[level] - 1 if top_starts_with_cross else self.depth[level]

    def _self(self, level: int, idx: int, x: torch.Tensor, g: torch.Tensor | None):
        block = self.self_blocks[level][idx]
        if not self.use_self_global:
            return block(x), g
        x, g_new = block(x, g)
        return x, (g_new if self.self_update_global else g)

    def _cross(self, level: int, idx: int, x: torch.Tensor, mem: torch.Tensor, g: torch.Tensor | None) -> torch.Tensor:
        if level < self.cross_start:
            return x
        return self.cross_blocks[level - self.cross_start][idx](x, mem, g if self.use_cross_global else None)

    def forward(self, x: torch.Tensor, memories: list[torch.Tensor], global_memories: list[torch.Tensor] | None = None):
        for i in range(self.levels - 1, -1, -1):
            g = None if global_memories is None else global_memories[i]
            if not self.first_self and i == self.levels - 1:
                x = self._cross(i, 0, x, memories[i], g)
                for idx in range(self.depth[i] - 1):
                    x, g = self._self(i, idx, x, g)
                    x = self._cross(i, idx + 1, x, memories[i], g)
            else:
                for idx in range(self.depth[i]):
                    x, g = self._self(i, idx, x, g)
                    x = self._cross(i, idx, x, memories[i], g)
            if i > 0:
                x = self.upsample_layers[i - 1](x)
                if self.hierarchical:
                    x = self.hierarchical_pos_embed_l[i - 1](x)
        return x
