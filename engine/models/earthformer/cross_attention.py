"""Cuboid cross-attention: decoder queries attend to encoder memory (Earthformer Sec. 3.3).

Both tensors are cut into the same number of cuboids: ``n_temporal`` groups along time
(memory padded on the left, queries on the right, so the last memory frame and the first
query frame stay adjacent) times (H / b_H) x (W / b_W) spatial blocks; query cuboid i attends
to memory cuboid i (plus the memory's global vectors, if any). A temporal relative bias over
``max_temporal_relative`` frames tells the query how far back each memory frame lies.

Parameter names follow the published ``CuboidCrossAttentionLayer``.
"""
from __future__ import annotations

import torch
from torch import nn

from .cuboid import (
    tensor_cache,
    Decomposition,
    cuboid_reorder,
    cuboid_reorder_reverse,
    pad_grid,
    resolve_decomposition,
    roll_grid,
    shift_region_tokens,
    unpad_grid,
    valid_token_mask,
)
from .kernel import cuboid_attend
from .init import init_earthformer_weights
from .layer_config import AttentionConfig, GlobalVectorConfig
from .patterns import CrossAttentionSpec
from .self_attention import _global_heads, _heads, check_globals, check_grid


def _decompose(spec: CrossAttentionSpec, frames: int, H: int, W: int, pad_t: int) -> Decomposition:
    """Decomposition of one tensor whose time axis, padded by ``pad_t``, splits into n_temporal groups.

    Time is padded by the caller (left for memory, right for queries), so the decomposition
    sees the padded frame count and only pads H and W itself.
    """
    padded_t = frames + pad_t
    return Decomposition(
        shape=(padded_t, H, W),
        cuboid_size=(padded_t // spec.n_temporal, *spec.cuboid_hw),
        shift_size=(0, *_effective_shift(spec)),
        strategy=spec.strategy,
    )


def _effective_shift(spec: CrossAttentionSpec) -> tuple[int, int]:
    """Dilated spatial axes are never shifted (reference behaviour)."""
    return tuple(0 if s == "dilated" else z for s, z in zip(spec.strategy[1:], spec.shift_hw))  # type: ignore[return-value]


@tensor_cache(maxsize=128)
def cross_attention_mask(
    x_decomp: Decomposition, mem_decomp: Decomposition, pad_t_x: int, pad_t_mem: int, ignore_padding: bool, device: torch.device
) -> torch.Tensor | None:
    """(N, Vx, Vm) bool: shift regions on H/W and, with 'ignore' padding, real tokens only."""
    shifted = x_decomp.is_shifted
    padded = pad_t_x or pad_t_mem or x_decomp.is_padded
    if not shifted and not (ignore_padding and padded):
        return None
    N = x_decomp.num_cuboids
    Vx, Vm = x_decomp.volume, mem_decomp.volume
    mask = torch.ones(N, Vx, Vm, dtype=torch.bool)
    if shifted:
        x_labels, mem_labels = shift_region_tokens(x_decomp), shift_region_tokens(mem_decomp)  # (N, V)
        mask &= x_labels[:, :, None] == mem_labels[:, None, :]
    if ignore_padding and padded:
        # time is padded outside the decomposition: queries at the end, memory at the start
        x_valid = valid_token_mask(x_decomp, slice(0, x_decomp.shape[0] - pad_t_x))
        mem_valid = valid_token_mask(mem_decomp, slice(pad_t_mem, mem_decomp.shape[0]))
        mask &= x_valid[:, :, None] & mem_valid[:, None, :]
    return mask.to(device)


class CuboidCrossAttention(nn.Module):
    """One cuboid cross-attention layer: x (B, T_x, H, W, C) attends to mem (B, T_m, H, W, C)."""

    def __init__(
        self,
        dim: int,
        spec: CrossAttentionSpec,
        config: AttentionConfig,
        max_temporal_relative: int,
        global_config: GlobalVectorConfig | None = None,
        cross_last_n_frames: int | None = None,
    ) -> None:
        super().__init__()
        self.dim, self.spec, self.config, self.global_config = dim, spec, config, global_config
        self.max_temporal_relative = max_temporal_relative
        self.cross_last_n_frames = cross_last_n_frames
        self.num_heads = config.num_heads
        self.scale = config.qk_scale or config.head_dim(dim) ** -0.5
        bias = config.qkv_bias
        if config.use_relative_pos:
            b_h, b_w = spec.cuboid_hw
            self.relative_position_bias_table = nn.Parameter(
                torch.zeros((2 * max_temporal_relative - 1) * (2 * b_h - 1) * (2 * b_w - 1), config.num_heads)
            )
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.q_proj = nn.Linear(dim, dim, bias=bias)
        self.kv_proj = nn.Linear(dim, 2 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim)
        if global_config is not None and global_config.separate_global_qkv:
            self.l2g_q_net = nn.Linear(dim, dim, bias=bias)
            self.l2g_global_kv_net = nn.Linear(global_config.global_dim_ratio * dim, 2 * dim, bias=bias)
        self.norm = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        init_earthformer_weights(self)

    def _bias(self, x_decomp: Decomposition, mem_decomp: Decomposition) -> torch.Tensor | None:
        """(heads, Vx, Vm): temporal offset t_x - t_m and spatial offsets inside the cuboid."""
        if not self.config.use_relative_pos:
            return None
        index = _cross_index(self.max_temporal_relative, self.spec.cuboid_hw, x_decomp.cuboid_size[0], mem_decomp.cuboid_size[0])
        index = index.to(self.relative_position_bias_table.device)
        Vx, Vm = index.shape
        return self.relative_position_bias_table[index.reshape(-1)].reshape(Vx, Vm, -1).permute(2, 0, 1)

    def forward(self, x: torch.Tensor, mem: torch.Tensor, mem_global_vectors: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T_x, H, W, C), mem (B, T_m, H, W, C) [, mem_global_vectors (B, P, C_g)] -> (B, T_x, H, W, C)."""
        check_grid(x, self.dim)
        check_grid(mem, self.dim, "mem")
        if self.cross_last_n_frames is not None:
            mem = mem[:, -min(self.cross_last_n_frames, mem.shape[1]) :]
        B, T_x, H, W, C = x.shape
        if mem.shape[0] != B or mem.shape[2:4] != x.shape[2:4]:
            raise ValueError(f"mem: expected shape ({B}, T_m, {H}, {W}, {C}), got {tuple(mem.shape)}")
        T_m = mem.shape[1]
        if max(T_x, T_m) >= self.max_temporal_relative:
            raise ValueError(
                f"frames: expected T_x and T_m below max_temporal_relative={self.max_temporal_relative}, got {T_x}, {T_m}"
            )
        n = self.spec.n_temporal
        pad_t_x, pad_t_mem = (n - T_x % n) % n, (n - T_m % n) % n
        b_h, b_w = self.spec.cuboid_hw
        hw_decomp = resolve_decomposition((1, H, W), (1, b_h, b_w), ("local", *self.spec.strategy[1:]), (0, *_effective_shift(self.spec)))
        if hw_decomp.cuboid_size[1:] != (b_h, b_w):
            raise ValueError(f"cuboid_hw: expected at most (H, W)=({H}, {W}), got {self.spec.cuboid_hw}")
        x_decomp = _decompose(self.spec, T_x, H, W, pad_t_x)
        mem_decomp = _decompose(self.spec, T_m, H, W, pad_t_mem)
        padding_type = self.config.padding_type
        x = self.norm(x)
        pad_x = (pad_t_x, *x_decomp.padding[1:])
        pad_m = (pad_t_mem, *mem_decomp.padding[1:])
        x_grid = roll_grid(pad_grid(x, pad_x, padding_type), x_decomp.shift_size)
        m_grid = roll_grid(pad_grid(mem, pad_m, padding_type, pad_t_left=True), mem_decomp.shift_size)
        x_tokens, m_tokens = cuboid_reorder(x_grid, x_decomp), cuboid_reorder(m_grid, mem_decomp)  # (B, N, V, C)
        mask = cross_attention_mask(x_decomp, mem_decomp, pad_t_x, pad_t_mem, padding_type == "ignore", x.device)
        h = self.num_heads
        q = _heads(self.q_proj(x_tokens), h) * self.scale  # (B, h, N, Vx, D)
        k, v = (_heads(t, h) for t in self.kv_proj(m_tokens).chunk(2, dim=-1))  # (B, h, N, Vm, D)
        extra = {}
        if self.global_config is not None:
            g = check_globals(mem_global_vectors, B, self.global_config.global_dim_ratio * C)
            if self.global_config.separate_global_qkv:
                l2g_q = _heads(self.l2g_q_net(x_tokens), h) * self.scale
                g_k, g_v = self.l2g_global_kv_net(g).chunk(2, dim=-1)
            else:
                l2g_q = q
                g_k, g_v = self.kv_proj(g).chunk(2, dim=-1)
            extra = dict(extra_q=l2g_q, extra_k=_global_heads(g_k, h).unsqueeze(2), extra_v=_global_heads(g_v, h).unsqueeze(2))
        drop = self.config.attn_drop if self.training else 0.0
        out = cuboid_attend(q, k, v, self._bias(x_decomp, mem_decomp), mask, dropout_p=drop, backend=self.config.backend, **extra)
        out = out.permute(0, 2, 3, 1, 4).reshape(B, x_decomp.num_cuboids, x_decomp.volume, C)  # (B, N, Vx, C)
        out = nn.functional.dropout(self.proj(out), self.config.proj_drop, self.training)
        grid = roll_grid(cuboid_reorder_reverse(out, x_decomp), x_decomp.shift_size, inverse=True)
        return unpad_grid(grid, pad_x, padding_type)


@tensor_cache(maxsize=128)
def _cross_index(max_t: int, cuboid_hw: tuple[int, int], t_x: int, t_m: int) -> torch.Tensor:
    """(Vx, Vm) bias-table index for query cuboids of t_x frames and memory cuboids of t_m frames."""
    b_h, b_w = cuboid_hw

    def coords(frames: int) -> torch.Tensor:
        grids = torch.meshgrid(torch.arange(frames), torch.arange(b_h), torch.arange(b_w), indexing="ij")
        return torch.stack([g.reshape(-1) for g in grids])  # (3, V)

    delta = coords(t_x)[:, :, None] - coords(t_m)[:, None, :]  # (3, Vx, Vm)
    dh, dw = 2 * b_h - 1, 2 * b_w - 1
    return (delta[0] + max_t - 1) * dh * dw + (delta[1] + b_h - 1) * dw + (delta[2] + b_w - 1)
