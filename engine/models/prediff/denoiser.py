"""PreDiff's latent denoiser: an Earthformer-UNet that predicts the noise eps of a noisy future latent.

PreDiff (Gao et al., NeurIPS 2023), Sec. 3 and [PD] ``CuboidTransformerUNet``. Conditioning is by
temporal concatenation: the encoded context (T_in frames) and the noisy target z_t (T_out frames)
are stacked along time, an observation-mask channel (1 on context frames, 0 on target frames) is
appended, and the network runs over all T_in + T_out frames::

    [context | z_t] (+ mask channel) -> first_proj ResBlock -> + pos. embedding
      -> level 0 (x depth[0]) -> merge -> level 1 ... (down path, keeping each level's output)
      -> ... level 1 (x depth[1]) -> upsample -> + skip -> level 0 (x depth[0]) (up path)
      -> Linear on the last T_out frames -> eps_hat

Every unit of a level is [time-embedding ResBlock -> axial cuboid self-attention block]; the
timestep enters only through those ResBlocks. The output Linear starts at zero, so an untrained
denoiser predicts eps = 0 exactly. Module names follow the published code.
"""
from __future__ import annotations

import torch
from torch import nn

from ..earthformer.init import init_earthformer_weights
from ..earthformer.stem import PosEmbed, Upsample3DLayer
from .denoiser_blocks import attention_blocks, check_latents, check_timesteps, level_shapes, patch_merges, \
    run_level, time_blocks
from .denoiser_config import DenoiserConfig
from .time_embed import TimeEmbedding, TimeEmbedResBlock


class LatentDenoiser(nn.Module):
    """eps_theta(z_t, t, context) built from one :class:`DenoiserConfig`."""

    def __init__(self, config: DenoiserConfig) -> None:
        super().__init__()
        self.config = config
        h, w, c = config.latent_shape
        units = config.level_units()
        frames = config.total_frames
        self.first_proj = TimeEmbedResBlock(c + 1, units[0], emb_dim=None, dropout=config.proj_drop,
                                            norm_groups=config.norm_groups)
        self.pos_embed = PosEmbed(units[0], frames, h, w, config.pos_embed_type)
        init_earthformer_weights(self.pos_embed)  # trunc-normal 0.02
        emb_dim = config.time_embed_mult * units[0]
        self.time_embed = TimeEmbedding(units[0], emb_dim)
        self.downsample_layers = patch_merges(config)
        self.mem_shapes = level_shapes((frames, h, w, units[0]), self.downsample_layers)
        self.upsample_layers = nn.ModuleList(
            Upsample3DLayer(self.mem_shapes[i + 1][-1], self.mem_shapes[i][-1], self.mem_shapes[i][:3])
            for i in range(len(units) - 1)
        )
        self.down_time_embed_blocks = time_blocks(config, self.mem_shapes, emb_dim)
        self.down_self_blocks = attention_blocks(config, self.mem_shapes)
        self.up_time_embed_blocks = time_blocks(config, self.mem_shapes, emb_dim)
        self.up_self_blocks = attention_blocks(config, self.mem_shapes)
        self.final_proj = nn.Linear(units[0], c)
        nn.init.zeros_(self.final_proj.weight)  # an untrained denoiser predicts eps = 0
        nn.init.zeros_(self.final_proj.bias)

    def forward(self, z_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Predict the noise in ``z_t``.

        Parameters
        ----------
        z_t : (B, T_out, h, w, c) noisy target latents
        t : (B,) diffusion timesteps (int64; floats are accepted for fractional steps)
        context : (B, T_in, h, w, c) encoded context latents

        Returns
        -------
        (B, T_out, h, w, c) predicted noise eps_hat
        """
        config = self.config
        check_latents("z_t", z_t, config.target_shape)
        batch = z_t.shape[0]
        check_latents("context", context, config.context_shape, batch)
        check_timesteps(t, batch)
        x = torch.cat((context.to(z_t.dtype), z_t), dim=1)  # (B, T_in + T_out, h, w, c)
        mask = torch.zeros_like(x[..., :1])
        mask[:, : config.context_frames] = 1.0  # observation indicator
        x = self.pos_embed(self.first_proj(torch.cat((x, mask), dim=-1)))  # (B, T, h, w, C0)
        emb = self.time_embed(t).to(x.dtype)  # (B, E)
        n_levels = len(self.mem_shapes)
        skips = []
        for i in range(n_levels):
            if i > 0:
                x = self.downsample_layers[i - 1](x)
            x = run_level(x, emb, self.down_time_embed_blocks[i], self.down_self_blocks[i])
            skips.append(x)
        for i in reversed(range(n_levels)):
            if config.unet_skip and i < n_levels - 1:
                x = x + skips[i]
            x = run_level(x, emb, self.up_time_embed_blocks[i], self.up_self_blocks[i])
            if i > 0:
                x = self.upsample_layers[i - 1](x)
        return self.final_proj(x[:, config.context_frames:])
