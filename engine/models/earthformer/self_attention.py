"""Cuboid self-attention with optional global vectors (Earthformer, Gao et al. 2022, Sec. 3).

Pre-norm -> pad -> cyclic shift -> reorder into cuboids -> multi-head attention inside every
cuboid (+ relative position bias, shift/padding masks) -> project -> reverse. Local queries
attend to their cuboid plus the global vectors in one softmax; global vectors attend to every
local token (and, optionally, to each other). The residual add is the caller's (see blocks).

Parameter names follow the published ``CuboidSelfAttentionLayer`` so its weights load as is.
"""
from __future__ import annotations

import torch
from torch import nn

from .cuboid import (
    Decomposition,
    cuboid_reorder,
    cuboid_reorder_reverse,
    pad_grid,
    relative_position_index,
    resolve_decomposition,
    roll_grid,
    self_attention_mask,
    unpad_grid,
    valid_token_mask,
)
from .kernel import cuboid_attend, masked_softmax
from .init import init_earthformer_weights
from .layer_config import AttentionConfig, GlobalVectorConfig
from .patterns import SelfAttentionSpec


def check_grid(x: torch.Tensor, dim: int, name: str = "x") -> None:
    if x.dim() != 5 or x.shape[-1] != dim:
        raise ValueError(f"{name}: expected shape (B, T, H, W, {dim}), got {tuple(x.shape)}")


def check_globals(g: torch.Tensor | None, batch: int, dim: int) -> torch.Tensor:
    if g is None or g.dim() != 3 or g.shape[0] != batch or g.shape[2] != dim:
        got = None if g is None else tuple(g.shape)
        raise ValueError(f"global_vectors: expected shape ({batch}, P, {dim}), got {got}")
    return g


def _heads(t: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, N, V, heads*D) -> (B, heads, N, V, D)."""
    B, N, V, C = t.shape
    return t.reshape(B, N, V, heads, C // heads).permute(0, 3, 1, 2, 4)


def _global_heads(t: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, P, heads*D) -> (B, heads, P, D)."""
    B, P, C = t.shape
    return t.reshape(B, P, heads, C // heads).permute(0, 2, 1, 3)


class CuboidSelfAttention(nn.Module):
    """One cuboid self-attention layer on (B, T, H, W, C) tensors.

    Parameters
    ----------
    dim : channels C
    spec : cuboid size, strategy and shift (clipped to each input's shape at call time)
    config : heads, dropout, padding, bias and kernel settings
    global_config : global-vector settings, or None for a layer without global vectors
    """

    def __init__(
        self,
        dim: int,
        spec: SelfAttentionSpec,
        config: AttentionConfig,
        global_config: GlobalVectorConfig | None = None,
    ) -> None:
        super().__init__()
        self.dim, self.spec, self.config, self.global_config = dim, spec, config, global_config
        self.num_heads = config.num_heads
        self.scale = config.qk_scale or config.head_dim(dim) ** -0.5
        bias = config.qkv_bias
        self.norm = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        if config.use_relative_pos:
            b_t, b_h, b_w = spec.cuboid_size
            self.relative_position_bias_table = nn.Parameter(
                torch.zeros((2 * b_t - 1) * (2 * b_h - 1) * (2 * b_w - 1), config.num_heads)
            )
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        if config.use_final_proj:
            self.proj = nn.Linear(dim, dim)
        if global_config is not None:
            g_dim = global_config.global_dim_ratio * dim
            self.global_vec_norm = nn.LayerNorm(g_dim, eps=config.layer_norm_eps)
            if global_config.separate_global_qkv:
                self.l2g_q_net = nn.Linear(dim, dim, bias=bias)
                self.l2g_global_kv_net = nn.Linear(g_dim, 2 * dim, bias=bias)
                self.g2l_global_q_net = nn.Linear(g_dim, dim, bias=bias)
                self.g2l_k_net = nn.Linear(dim, dim, bias=bias)
                self.g2l_v_net = nn.Linear(dim, g_dim, bias=bias)
                if global_config.use_global_self_attn:
                    self.g2g_global_qkv_net = nn.Linear(g_dim, 3 * g_dim, bias=bias)
            else:
                self.global_qkv = nn.Linear(dim, 3 * dim, bias=bias)
            if config.use_final_proj:
                self.global_proj = nn.Linear(g_dim, g_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Earthformer init (see ``init.py``); the relative bias table is set at construction."""
        init_earthformer_weights(self)

    def decomposition(self, thw: tuple[int, int, int]) -> Decomposition:
        return resolve_decomposition(thw, self.spec.cuboid_size, self.spec.strategy, self.spec.shift_size)

    def _bias(self, decomp: Decomposition) -> torch.Tensor | None:
        if not self.config.use_relative_pos:
            return None
        index = relative_position_index(self.spec.cuboid_size, decomp.cuboid_size, self.qkv.weight.device)
        V = decomp.volume
        return self.relative_position_bias_table[index.reshape(-1)].reshape(V, V, -1).permute(2, 0, 1)  # (h, V, V)

    def forward(
        self, x: torch.Tensor, global_vectors: torch.Tensor | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, H, W, C) [, global_vectors (B, P, C_g)] -> same shapes (residual not added)."""
        check_grid(x, self.dim)
        B, T, H, W, C = x.shape
        decomp = self.decomposition((T, H, W))
        padding_type = self.config.padding_type
        x = self.norm(x)
        x = roll_grid(pad_grid(x, decomp.padding, padding_type), decomp.shift_size)
        tokens = cuboid_reorder(x, decomp)  # (B, N, V, C)
        mask = self_attention_mask(decomp, padding_type, x.device)  # (N, V, V) or None
        h = self.num_heads
        q, k, v = (_heads(t, h) for t in self.qkv(tokens).chunk(3, dim=-1))  # each (B, h, N, V, D)
        q = q * self.scale
        drop = self.config.attn_drop if self.training else 0.0
        bias = self._bias(decomp)
        if self.global_config is None:
            out = cuboid_attend(q, k, v, bias, mask, dropout_p=drop, backend=self.config.backend)
            return self._finish(out, decomp)
        g = self.global_vec_norm(check_globals(global_vectors, B, self.global_config.global_dim_ratio * C))
        l2g_q, g_k, g_v, g2l_q, g2l_k, g2l_v, g2g = self._global_projections(tokens, g, q, k, v)
        out = cuboid_attend(
            q, k, v, bias, mask, extra_q=l2g_q, extra_k=g_k, extra_v=g_v, dropout_p=drop, backend=self.config.backend
        )
        new_g = self._update_globals(decomp, g2l_q, g2l_k, g2l_v, g2g, drop)  # (B, P, C_g)
        if self.config.use_final_proj:
            new_g = nn.functional.dropout(self.global_proj(new_g), self.config.proj_drop, self.training)
        return self._finish(out, decomp), new_g

    def _global_projections(self, tokens, g, q, k, v):
        """Queries/keys/values of the l2g, g2l and g2g paths, already split into heads and scaled."""
        h = self.num_heads
        if self.global_config.separate_global_qkv:
            l2g_q = _heads(self.l2g_q_net(tokens), h) * self.scale
            g_k, g_v = (_global_heads(t, h).unsqueeze(2) for t in self.l2g_global_kv_net(g).chunk(2, dim=-1))
            g2l_q = _global_heads(self.g2l_global_q_net(g), h) * self.scale
            g2l_k, g2l_v = _heads(self.g2l_k_net(tokens), h), _heads(self.g2l_v_net(tokens), h)
            g2g = None
            if self.global_config.use_global_self_attn:
                gq, gk, gv = (_global_heads(t, h) for t in self.g2g_global_qkv_net(g).chunk(3, dim=-1))
                g2g = (gq * self.scale, gk, gv)
            return l2g_q, g_k, g_v, g2l_q, g2l_k, g2l_v, g2g
        gq, gk, gv = (_global_heads(t, h) for t in self.global_qkv(g).chunk(3, dim=-1))  # (B, h, P, D)
        gq = gq * self.scale
        g2g = (gq, gk, gv) if self.global_config.use_global_self_attn else None
        return q, gk.unsqueeze(2), gv.unsqueeze(2), gq, k, v, g2g

    def _update_globals(self, decomp, g2l_q, g2l_k, g2l_v, g2g, drop) -> torch.Tensor:
        """Each global query attends to all (padded, shifted) local tokens [+ all globals]."""
        B, h, N, V, D = g2l_k.shape
        keys = g2l_k.reshape(B, h, N * V, D)
        values = g2l_v.reshape(B, h, N * V, g2l_v.shape[-1])
        mask = None
        if self.config.padding_type == "ignore" and decomp.is_padded:
            # keys are in cuboid order, so the validity mask must be too
            mask = valid_token_mask(decomp).reshape(N * V).to(keys.device)
        scores = g2l_q @ keys.transpose(-2, -1)  # (B, h, P, N*V)
        if g2g is not None:
            gq, gk, gv = g2g
            scores = torch.cat((scores, gq @ gk.transpose(-2, -1)), dim=-1)  # (B, h, P, N*V + P)
            values = torch.cat((values, gv), dim=2)
            if mask is not None:
                mask = torch.cat((mask, mask.new_ones(gk.shape[2])))
        weights = masked_softmax(scores, mask)
        if drop > 0.0:
            weights = nn.functional.dropout(weights, p=drop, training=True)
        out = weights @ values  # (B, h, P, D_g)
        return out.permute(0, 2, 1, 3).reshape(B, out.shape[2], -1)

    def _finish(self, out: torch.Tensor, decomp: Decomposition) -> torch.Tensor:
        """(B, h, N, V, D) -> project -> (B, T, H, W, C) on the original grid."""
        B, h, N, V, D = out.shape
        out = out.permute(0, 2, 3, 1, 4).reshape(B, N, V, h * D)  # (B, N, V, C)
        if self.config.use_final_proj:
            out = nn.functional.dropout(self.proj(out), self.config.proj_drop, self.training)
        grid = cuboid_reorder_reverse(out, decomp)
        return unpad_grid(roll_grid(grid, decomp.shift_size, inverse=True), decomp.padding, self.config.padding_type)
