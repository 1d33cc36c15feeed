"""PreDiff's knowledge-alignment network U_phi(z_t, t): per-frame anticipated average intensity.

PreDiff (Gao et al., NeurIPS 2023), Sec. 4 and [PD] ``NoisyCuboidTransformerEncoder`` with the
attention-pool readout. The network reads only the noisy target latent and the timestep (no
context): guidance at sampling time compares its output with a target F0::

    z_t -> first_proj ResBlock -> + pos. embedding -> level 0 (x depth[0]) -> merge -> level 1 ...
        -> per frame: GroupNorm -> SiLU -> attention pool over the frame's h'w' tokens -> (B, T, 1)

The attention pool (CLIP-style) prepends the mean token to the frame's tokens, adds a learned
positional embedding and lets that mean token attend to all tokens; its output is projected to
``out_channels`` values. Module names follow the published code.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..earthformer.init import init_earthformer_weights
from ..earthformer.stem import PosEmbed
from .alignment_config import AlignmentConfig
from .denoiser_blocks import attention_blocks, check_latents, check_timesteps, level_shapes, patch_merges, \
    run_level, time_blocks
from .time_embed import TimeEmbedding, TimeEmbedResBlock, group_norm


class AttentionPool(nn.Module):
    """Pool (N, C, L) tokens into (N, out_dim) through the attention of their mean token.

    Parameters
    ----------
    tokens : L, the tokens per item (h' * w' of one frame)
    dim : channels C
    num_heads : heads; each has C / num_heads channels
    out_dim : output channels

    ``positional_embedding`` (C, L + 1) starts as N(0, 1/C); the 1x1 projections keep PyTorch's
    default init (published init mode "0").
    """

    def __init__(self, tokens: int, dim: int, num_heads: int, out_dim: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim: expected a multiple of num_heads={num_heads}, got {dim}")
        self.num_heads = num_heads
        self.positional_embedding = nn.Parameter(torch.randn(dim, tokens + 1) / dim**0.5)
        self.qkv_proj = nn.Conv1d(dim, 3 * dim, 1)
        self.c_proj = nn.Conv1d(dim, out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, C, L) -> (N, out_dim)."""
        n, c, _ = x.shape
        x = torch.cat((x.mean(dim=-1, keepdim=True), x), dim=-1) + self.positional_embedding  # (N, C, L + 1)
        q, k, v = self.qkv_proj(x).chunk(3, dim=1)  # each (N, C, L + 1); head j owns channels j*D..(j+1)*D
        heads, d = self.num_heads, c // self.num_heads
        q, k, v = (y.reshape(n, heads, d, -1).transpose(-2, -1) for y in (q[..., :1], k, v))  # (N, h, L', D)
        # Only the mean token's output is read out, so only its query is computed.
        pooled = F.scaled_dot_product_attention(q, k, v)  # (N, h, 1, D), softmax(q k^T / sqrt(D)) v
        return self.c_proj(pooled.reshape(n, c, 1))[..., 0]


class AlignmentNet(nn.Module):
    """U_phi(z_t, t) -> (B, T, out_channels), built from one :class:`AlignmentConfig`."""

    def __init__(self, config: AlignmentConfig) -> None:
        super().__init__()
        self.config = config
        h, w, c = config.latent_shape
        units = config.level_units()
        self.first_proj = TimeEmbedResBlock(c, units[0], emb_dim=None, dropout=config.proj_drop,
                                            norm_groups=config.norm_groups)
        self.pos_embed = PosEmbed(units[0], config.frames, h, w, config.pos_embed_type)
        init_earthformer_weights(self.pos_embed)  # trunc-normal 0.02
        emb_dim = config.time_embed_mult * units[0]
        self.time_embed = TimeEmbedding(units[0], emb_dim)
        self.downsample_layers = patch_merges(config)
        self.mem_shapes = level_shapes((config.frames, h, w, units[0]), self.downsample_layers)
        self.down_time_embed_blocks = time_blocks(config, self.mem_shapes, emb_dim)
        self.down_self_blocks = attention_blocks(config, self.mem_shapes)
        _, top_h, top_w, top_c = self.mem_shapes[-1]
        self.out = nn.Sequential(group_norm(top_c, config.norm_groups), nn.SiLU(),
                                 AttentionPool(top_h * top_w, top_c, config.num_heads, config.out_channels))

    def forward(self, z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Anticipate the knowledge of the clean target from its noisy latent.

        Parameters
        ----------
        z_t : (B, T, h, w, c) noisy target latents
        t : (B,) diffusion timesteps (int64; floats are accepted for fractional steps)

        Returns
        -------
        (B, T, out_channels): with the published training target, each frame's average intensity
        (the spatial mean of the frame in data units, [0, 1] for SEVIR VIL / 255).
        """
        check_latents("z_t", z_t, self.config.input_shape)
        batch, frames = z_t.shape[:2]
        check_timesteps(t, batch)
        x = self.pos_embed(self.first_proj(z_t))
        emb = self.time_embed(t).to(x.dtype)
        for i in range(len(self.mem_shapes)):
            if i > 0:
                x = self.downsample_layers[i - 1](x)
            x = run_level(x, emb, self.down_time_embed_blocks[i], self.down_self_blocks[i])
        tokens = x.flatten(0, 1).flatten(1, 2).transpose(1, 2)  # (B*T, C, h'*w')
        return self.out(tokens).reshape(batch, frames, -1)
