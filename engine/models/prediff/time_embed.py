"""Diffusion-timestep embedding and the 3-D residual blocks of PreDiff's networks (Gao et al. 2023).

``timestep_embedding`` is the sinusoidal code of DDPM / Stable Diffusion ([cos | sin], geometric
frequencies from 1 down to 1/10,000); :class:`TimeEmbedding` lifts it with Linear -> SiLU -> Linear.
:class:`TimeEmbedResBlock` is the ResNet block that injects that embedding as a per-channel shift;
with ``emb_dim=None`` it is the embedding-free block used as the networks' ``first_proj``.

Blocks take (B, T, H, W, C) and run ``Conv3d`` on a (B, C, T, H, W) *view* of it (channels-last
in memory), so no layout copies are made. Parameter names follow the published code
([PD] ``src/prediff/models/time_embed.py``) so its state dicts keep their keys.
"""
from __future__ import annotations

import math

import torch
from torch import nn

MAX_PERIOD = 10_000.0


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = MAX_PERIOD) -> torch.Tensor:
    """Sinusoidal embedding of diffusion timesteps.

    Parameters
    ----------
    t : (B,) integer or float timesteps (fractional values are allowed)
    dim : embedding width; with ``half = dim // 2`` the frequencies are
        ``f_k = max_period ** (-k / half)`` for k = 0 .. half - 1; an odd ``dim`` gets one zero column
    max_period : the longest period (10,000 as published)

    Returns
    -------
    (B, dim) float32 tensor ``[cos(t f_0) .. cos(t f_{half-1}) | sin(t f_0) .. sin(t f_{half-1})]``
    """
    if t.dim() != 1:
        raise ValueError(f"t: expected shape (B,), got {tuple(t.shape)}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.to(torch.float32)[:, None] * freqs[None]  # (B, half)
    emb = torch.cat((torch.cos(args), torch.sin(args)), dim=-1)
    if dim % 2:
        emb = torch.cat((emb, emb.new_zeros(emb.shape[0], 1)), dim=-1)
    return emb


class TimeEmbedding(nn.Module):
    """Linear(dim -> emb_dim) -> SiLU -> Linear(emb_dim -> emb_dim) over the sinusoidal code.

    Left at PyTorch's default init, as published (its ``reset_parameters`` is never called there).
    """

    def __init__(self, dim: int, emb_dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.layer = nn.Sequential(nn.Linear(dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """t (B,) timesteps -> (B, emb_dim)."""
        return self.layer(timestep_embedding(t, self.dim).to(self.layer[0].weight.dtype))


def group_norm(channels: int, groups: int = 32) -> nn.GroupNorm:
    """GroupNorm with ``groups`` groups when they divide ``channels``, else one group per channel.

    The published rule (with 32): e.g. the 65 = 64 latent + 1 mask channels entering the denoiser get
    65 groups. Note that with one channel per group a per-channel shift (the time embedding) is
    removed entirely by the next normalisation, hence ``norm_groups`` in the configs.
    """
    return nn.GroupNorm(groups if channels % groups == 0 else channels, channels)


def to_channels_first(x: torch.Tensor) -> torch.Tensor:
    """(B, T, H, W, C) -> (B, C, T, H, W) view (no copy)."""
    return x.permute(0, 4, 1, 2, 3)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, T, H, W, C) view (no copy)."""
    return x.permute(0, 2, 3, 4, 1)


class TimeEmbedResBlock(nn.Module):
    """GN -> SiLU -> Conv3d 3^3 [+ Linear(SiLU(emb)) per channel] -> GN -> SiLU -> Dropout -> Conv3d 3^3, + skip.

    Parameters
    ----------
    channels, out_channels : input and output channels; the skip is the identity when they are
        equal, a 1x1x1 conv otherwise
    emb_dim : width of the time embedding, or None for a block without one (``first_proj``)
    dropout : dropout before the last conv
    norm_groups : GroupNorm groups (see :func:`group_norm`)

    The last conv starts at zero, so a fresh block is its skip path (identity when the channel
    counts match). Convs keep PyTorch's default init and the embedding Linear gets Kaiming-normal
    (fan_in, linear gain) with a zero bias, as published.
    """

    def __init__(self, channels: int, out_channels: int | None = None, emb_dim: int | None = None,
                 dropout: float = 0.0, norm_groups: int = 32) -> None:
        super().__init__()
        out_channels = out_channels or channels
        self.channels, self.out_channels = channels, out_channels
        self.in_layers = nn.Sequential(group_norm(channels, norm_groups), nn.SiLU(),
                                       nn.Conv3d(channels, out_channels, 3, padding=1))
        if emb_dim is not None:
            self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_channels))
            nn.init.kaiming_normal_(self.emb_layers[1].weight, mode="fan_in", nonlinearity="linear")
            nn.init.zeros_(self.emb_layers[1].bias)
        self.out_layers = nn.Sequential(group_norm(out_channels, norm_groups), nn.SiLU(), nn.Dropout(dropout),
                                        nn.Conv3d(out_channels, out_channels, 3, padding=1))
        nn.init.zeros_(self.out_layers[3].weight)
        nn.init.zeros_(self.out_layers[3].bias)
        self.skip_connection = nn.Identity() if out_channels == channels else nn.Conv3d(channels, out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, H, W, C) [, emb (B, emb_dim)] -> (B, T, H, W, out_channels)."""
        if x.dim() != 5 or x.shape[-1] != self.channels:
            raise ValueError(f"x: expected shape (B, T, H, W, {self.channels}), got {tuple(x.shape)}")
        has_emb = hasattr(self, "emb_layers")
        if has_emb != (emb is not None):
            raise ValueError(f"emb: expected {'a (B, E) time embedding' if has_emb else 'None'}, "
                             f"got {None if emb is None else tuple(emb.shape)}")
        x = to_channels_first(x)
        if torch.is_grad_enabled() and not x.requires_grad:
            # GroupNorm's CPU backward crashes (torch 2.13) on a channels-last 5-D input that needs
            # no gradient itself (e.g. raw latents entering first_proj); a plain layout avoids it.
            x = x.contiguous()
        h = self.in_layers(x)
        if emb is not None:
            h = h + self.emb_layers(emb)[:, :, None, None, None]  # same shift at every (t, h, w)
        h = self.out_layers(h)
        return to_channels_last(self.skip_connection(x) + h)
