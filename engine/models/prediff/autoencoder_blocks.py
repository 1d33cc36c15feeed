"""Building blocks of the frame autoencoder, on frames folded into the batch: (N, C, H, W).

The layer order is the Stable-Diffusion autoencoder's as PreDiff uses it ([PD]
``src/prediff/taming/resnet.py``, ``attention.py``, ``unet_2d_blocks.py``): pre-activation
residual blocks (GroupNorm -> SiLU -> 3x3 conv, twice), a stride-2 3x3 convolution to halve the
resolution, nearest-neighbour doubling followed by a 3x3 convolution to restore it, and one
single-head self-attention over all positions at the lowest resolution.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResnetBlock(nn.Module):
    """x -> x' + [GroupNorm -> SiLU -> conv3x3 -> GroupNorm -> SiLU -> conv3x3](x), (N, C_in, H, W) -> (N, C_out, H, W).

    x' is x itself when the channel count is kept, else a 1x1 convolution of x.
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int, eps: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.shortcut(x) + h


class Downsample(nn.Module):
    """Stride-2 3x3 convolution, (N, C, H, W) -> (N, C, H/2, W/2).

    Padded by one row and column at the bottom-right only (not one on every side), as published:
    with even H the output is exactly H/2 and its first row sees input rows 0-2.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    """Nearest-neighbour x2 then a 3x3 convolution, (N, C, H, W) -> (N, C, 2H, 2W).

    Nearest + conv rather than a transposed convolution avoids checkerboard artefacts.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class SelfAttention(nn.Module):
    """Single-head self-attention over the H*W positions with a residual, (N, C, H, W) -> same.

    GroupNorm, then query/key/value as per-position linear maps, softmax(q k^T / sqrt(C)) v,
    an output linear map, and the input added back.
    """

    def __init__(self, channels: int, groups: int, eps: float) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=eps)
        self.query = nn.Linear(channels, channels)
        self.key = nn.Linear(channels, channels)
        self.value = nn.Linear(channels, channels)
        self.proj = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # (N, H*W, C)
        out = F.scaled_dot_product_attention(self.query(tokens), self.key(tokens), self.value(tokens))
        out = self.proj(out).transpose(1, 2).reshape(n, c, h, w)
        return x + out


class MidBlock(nn.Module):
    """Residual block -> self-attention -> residual block at the lowest resolution, channels kept."""

    def __init__(self, channels: int, groups: int, eps: float) -> None:
        super().__init__()
        self.block1 = ResnetBlock(channels, channels, groups, eps)
        self.attention = SelfAttention(channels, groups, eps)
        self.block2 = ResnetBlock(channels, channels, groups, eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block2(self.attention(self.block1(x)))


class Level(nn.Module):
    """``n_blocks`` residual blocks (the first maps in -> out channels), then an optional resampling."""

    def __init__(self, in_channels: int, out_channels: int, n_blocks: int, resample: nn.Module | None,
                 groups: int, eps: float) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(ResnetBlock(in_channels if i == 0 else out_channels, out_channels, groups, eps)
                                      for i in range(n_blocks)))
        self.resample = resample if resample is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resample(self.blocks(x))
