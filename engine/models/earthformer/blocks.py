"""Stacked cuboid attention blocks with their position-wise FFNs (Earthformer Sec. 3, Fig. 2).

A block runs the layers of one pattern in turn. With ``use_inter_ffn`` (every released
configuration) each attention layer is followed by its own FFN:
``x <- x + Attn_j(x); x <- FFN_j(x)``; otherwise all attentions first, then one FFN.
Global vectors get the same residual updates (and optional FFNs).

Module names (``attn_l``, ``ffn_l``, ``global_ffn_l``, ``ffn_1``, ``ffn_2``, ``layer_norm``)
follow the published code so its checkpoints load unchanged.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .cross_attention import CuboidCrossAttention
from .init import init_earthformer_weights
from .layer_config import AttentionConfig, GlobalVectorConfig
from .patterns import CrossAttentionSpec, SelfAttentionSpec
from .self_attention import CuboidSelfAttention

_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.1)}


class PositionwiseFFN(nn.Module):
    """Pre-norm FFN with its own residual: y = x + Drop(W2 Drop(act(W1 LN(x)))), hidden 4C."""

    def __init__(self, units: int, config: AttentionConfig) -> None:
        super().__init__()
        hidden = 4 * units
        self.gated = config.gated_ffn
        self.ffn_1 = nn.Linear(units, hidden)
        if self.gated:
            self.ffn_1_gate = nn.Linear(units, hidden)
        self.ffn_2 = nn.Linear(hidden, units)
        self.activation = _ACTIVATIONS[config.ffn_activation]()
        self.layer_norm = nn.LayerNorm(units, eps=config.layer_norm_eps)
        self.dropout = config.ffn_drop
        init_earthformer_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., C) -> (..., C)."""
        y = self.layer_norm(x)
        hidden = self.activation(self.ffn_1_gate(y)) * self.ffn_1(y) if self.gated else self.activation(self.ffn_1(y))
        hidden = nn.functional.dropout(hidden, self.dropout, self.training)
        return x + nn.functional.dropout(self.ffn_2(hidden), self.dropout, self.training)


def _maybe_checkpoint(enabled: bool, fn, *args):
    return checkpoint(fn, *args, use_reentrant=False) if enabled else fn(*args)


class StackCuboidSelfAttentionBlock(nn.Module):
    """The self-attention layers of one pattern, each with a residual and (inter) FFN.

    ``checkpoint_level``: 0 none, 1 recompute FFNs, 2 recompute FFNs and attention (training only).
    """

    def __init__(
        self,
        dim: int,
        specs: Sequence[SelfAttentionSpec],
        config: AttentionConfig,
        global_config: GlobalVectorConfig | None = None,
        checkpoint_level: int = 0,
    ) -> None:
        super().__init__()
        if not specs:
            raise ValueError("specs: expected at least one SelfAttentionSpec, got none")
        self.global_config = global_config
        self.use_inter_ffn = config.use_inter_ffn
        self.checkpoint_level = checkpoint_level
        n_ffn = len(specs) if config.use_inter_ffn else 1
        self.attn_l = nn.ModuleList(CuboidSelfAttention(dim, s, config, global_config) for s in specs)
        self.ffn_l = nn.ModuleList(PositionwiseFFN(dim, config) for _ in range(n_ffn))
        self.use_global_vector_ffn = global_config is not None and global_config.use_global_vector_ffn
        if self.use_global_vector_ffn:
            g_dim = global_config.global_dim_ratio * dim
            self.global_ffn_l = nn.ModuleList(PositionwiseFFN(g_dim, config) for _ in range(n_ffn))

    def _ffn(self, idx: int, x, g):
        ckpt = self.checkpoint_level >= 1 and self.training
        x = _maybe_checkpoint(ckpt, self.ffn_l[idx], x)
        if g is not None and self.use_global_vector_ffn:
            g = _maybe_checkpoint(ckpt, self.global_ffn_l[idx], g)
        return x, g

    def forward(self, x: torch.Tensor, global_vectors: torch.Tensor | None = None):
        """x (B, T, H, W, C) [, global_vectors (B, P, C_g)] -> same shapes."""
        ckpt = self.checkpoint_level >= 2 and self.training
        for idx, attn in enumerate(self.attn_l):
            if self.global_config is None:
                x = x + _maybe_checkpoint(ckpt, attn, x)
            else:
                x_out, g_out = _maybe_checkpoint(ckpt, attn, x, global_vectors)
                x, global_vectors = x + x_out, global_vectors + g_out
            if self.use_inter_ffn:
                x, global_vectors = self._ffn(idx, x, global_vectors)
        if not self.use_inter_ffn:
            x, global_vectors = self._ffn(0, x, global_vectors)
        return x if self.global_config is None else (x, global_vectors)


class StackCuboidCrossAttentionBlock(nn.Module):
    """The cross-attention layers of one pattern, each with a residual and (inter) FFN."""

    def __init__(
        self,
        dim: int,
        specs: Sequence[CrossAttentionSpec],
        config: AttentionConfig,
        max_temporal_relative: int,
        global_config: GlobalVectorConfig | None = None,
        cross_last_n_frames: int | None = None,
        checkpoint_level: int = 0,
    ) -> None:
        super().__init__()
        if not specs:
            raise ValueError("specs: expected at least one CrossAttentionSpec, got none")
        self.use_inter_ffn = config.use_inter_ffn
        self.checkpoint_level = checkpoint_level
        self.attn_l = nn.ModuleList(
            CuboidCrossAttention(dim, s, config, max_temporal_relative, global_config, cross_last_n_frames) for s in specs
        )
        self.ffn_l = nn.ModuleList(PositionwiseFFN(dim, config) for _ in range(len(specs) if config.use_inter_ffn else 1))

    def forward(self, x: torch.Tensor, mem: torch.Tensor, mem_global_vectors: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T_x, H, W, C), mem (B, T_m, H, W, C) -> (B, T_x, H, W, C)."""
        ckpt_attn = self.checkpoint_level >= 2 and self.training
        ckpt_ffn = self.checkpoint_level >= 1 and self.training
        for idx, attn in enumerate(self.attn_l):
            x = x + _maybe_checkpoint(ckpt_attn, attn, x, mem, mem_global_vectors)
            if self.use_inter_ffn:
                x = _maybe_checkpoint(ckpt_ffn, self.ffn_l[idx], x)
        if not self.use_inter_ffn:
            x = _maybe_checkpoint(ckpt_ffn, self.ffn_l[0], x)
        return x
