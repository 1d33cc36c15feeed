"""Earthformer's convolutional stem and head, patch merging, upsampling and positional embeddings.

All modules take and return (B, T, H, W, C). Convolutions run per frame on a (B*T, C, H, W)
*view* of that tensor, which is channels-last in memory, so no layout copies are made. Module
and parameter names follow the published code so its checkpoints load unchanged.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .cuboid import PaddingType, pad_grid
from .upsample import upsample_conv3x3

Triple = tuple[int, int, int]
_ACTIVATIONS = {"leaky": lambda: nn.LeakyReLU(0.1, inplace=True), "gelu": nn.GELU, "relu": lambda: nn.ReLU(inplace=True)}


def per_frame(x: torch.Tensor, fn) -> torch.Tensor:
    """Apply a 2-D (N, C, H, W) module to every frame of x (B, T, H, W, C)."""
    b, t, h, w, c = x.shape
    y = fn(x.reshape(b * t, h, w, c).permute(0, 3, 1, 2))  # (B*T, C, H, W) channels-last view, no copy
    return y.permute(0, 2, 3, 1).reshape(b, t, y.shape[2], y.shape[3], y.shape[1])


def conv_stack(in_dim: int, out_dim: int, n_layers: int, groups: int, activation: str) -> nn.Sequential:
    """n_layers x [Conv2d 3x3 -> GroupNorm(groups) -> activation]; the first conv maps in_dim -> out_dim."""
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers += [nn.Conv2d(in_dim if i == 0 else out_dim, out_dim, 3, padding=1), nn.GroupNorm(groups, out_dim),
                   _ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


class PosEmbed(nn.Module):
    """Learned additive embedding: E_T[t] + E_H[h] + E_W[w] ('t+h+w') or E_T[t] + E_HW[h*maxW + w] ('t+hw')."""

    def __init__(self, dim: int, max_t: int, max_h: int, max_w: int, kind: str = "t+h+w") -> None:
        super().__init__()
        self.kind, self.dim, self.max_w = kind, dim, max_w
        self.T_embed = nn.Embedding(max_t, dim)
        if kind == "t+h+w":
            self.H_embed = nn.Embedding(max_h, dim)
            self.W_embed = nn.Embedding(max_w, dim)
        else:
            self.HW_embed = nn.Embedding(max_h * max_w, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, H, W, C) -> x + embedding."""
        _, t, h, w, _ = x.shape
        device = x.device
        emb = self.T_embed(torch.arange(t, device=device)).reshape(t, 1, 1, self.dim)
        if self.kind == "t+h+w":
            emb = emb + self.H_embed(torch.arange(h, device=device)).reshape(1, h, 1, self.dim)
            emb = emb + self.W_embed(torch.arange(w, device=device)).reshape(1, 1, w, self.dim)
        else:
            idx = torch.arange(h, device=device)[:, None] * self.max_w + torch.arange(w, device=device)
            emb = emb + self.HW_embed(idx)  # (T, H, W, C)
        return x + emb


class PatchMerging3D(nn.Module):
    """Gather each (dT, dH, dW) neighbourhood into channels, LayerNorm, then a bias-free Linear."""

    def __init__(self, dim: int, out_dim: int, downsample: Triple, padding_type: PaddingType) -> None:
        super().__init__()
        self.downsample, self.padding_type, self.out_dim = tuple(downsample), padding_type, out_dim
        volume = downsample[0] * downsample[1] * downsample[2]
        self.norm = nn.LayerNorm(volume * dim)
        self.reduction = nn.Linear(volume * dim, out_dim, bias=False)

    def out_shape(self, shape: Sequence[int]) -> tuple[int, int, int, int]:
        """(T, H, W, C) -> the merged (T', H', W', out_dim) (sizes rounded up by padding)."""
        return tuple(-(-n // d) for n, d in zip(shape[:3], self.downsample)) + (self.out_dim,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, H, W, C) -> (B, T/dT, H/dH, W/dW, out_dim)."""
        b, t, h, w, c = x.shape
        dt, dh, dw = self.downsample
        pads = ((-t) % dt, (-h) % dh, (-w) % dw)
        x = pad_grid(x, pads, self.padding_type)
        t, h, w = t + pads[0], h + pads[1], w + pads[2]
        x = x.reshape(b, t // dt, dt, h // dh, dh, w // dw, dw, c)
        x = x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(b, t // dt, h // dh, w // dw, dt * dh * dw * c)
        return self.reduction(self.norm(x))


class Upsample3DLayer(nn.Module):
    """Per-frame nearest upsampling to (H', W') followed by a 3x3 conv (time is unchanged).

    The two steps run fused (``upsample.upsample_conv3x3``) when the factor is an integer.
    """

    def __init__(self, dim: int, out_dim: int, target_thw: Triple, kernel_size: int = 3) -> None:
        super().__init__()
        self.target_thw = tuple(target_thw)
        self.conv = nn.Conv2d(dim, out_dim, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, H, W, C) -> (B, T, H', W', out_dim)."""
        if x.shape[1] != self.target_thw[0]:
            raise ValueError(f"Upsample3DLayer: expected T={self.target_thw[0]}, got {x.shape[1]}")
        size = self.target_thw[1:]
        return per_frame(x, lambda f: upsample_conv3x3(f, self.conv.weight, self.conv.bias, size))


class InitialEncoder(nn.Module):
    """'conv' stem: K x [Conv3x3 -> GroupNorm(16) -> activation] per frame, then patch merging."""

    def __init__(self, in_dim: int, out_dim: int, downsample: Triple, n_conv: int, activation: str,
                 padding_type: PaddingType) -> None:
        super().__init__()
        self.conv_block = conv_stack(in_dim, out_dim, n_conv, 16, activation)
        self.patch_merge = PatchMerging3D(out_dim if n_conv else in_dim, out_dim, downsample, padding_type)

    def out_shape(self, shape: Sequence[int]) -> tuple[int, int, int, int]:
        return self.patch_merge.out_shape(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.conv_block):
            x = per_frame(x, self.conv_block)
        return self.patch_merge(x)


class FinalDecoder(nn.Module):
    """'conv' head: upsample to (T_out, H, W), then K x [Conv3x3 -> GroupNorm(16) -> activation]."""

    def __init__(self, dim: int, target_thw: Triple, n_conv: int, activation: str) -> None:
        super().__init__()
        self.upsample = Upsample3DLayer(dim, dim, target_thw)
        self.conv_block = conv_stack(dim, dim, n_conv, 16, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.upsample(x)
        return per_frame(x, self.conv_block) if len(self.conv_block) else x


class InitialStackPatchMergingEncoder(nn.Module):
    """'stack_conv' stem: per stage, convs to dims[k] (GroupNorm with dims[k]//4 groups), then merge by scales[k]."""

    def __init__(self, in_dim: int, dims: Sequence[int], scales: Sequence[int], n_convs: Sequence[int],
                 activation: str, padding_type: PaddingType) -> None:
        super().__init__()
        self.n_convs = tuple(n_convs)
        self.conv_block_list = nn.ModuleList()
        self.patch_merge_list = nn.ModuleList()
        for k, (dim, scale, n_conv) in enumerate(zip(dims, scales, n_convs)):
            stage_in = in_dim if k == 0 else dims[k - 1]
            self.conv_block_list.append(conv_stack(stage_in, dim, n_conv, max(1, dim // 4), activation))
            self.patch_merge_list.append(PatchMerging3D(dim, dim, (1, scale, scale), padding_type))

    def out_shapes(self, shape: Sequence[int]) -> list[tuple[int, int, int, int]]:
        """The (T, H, W, C) after each stage."""
        shapes = []
        for merge in self.patch_merge_list:
            shape = merge.out_shape(shape)
            shapes.append(shape)
        return shapes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for n_conv, convs, merge in zip(self.n_convs, self.conv_block_list, self.patch_merge_list):
            x = merge(per_frame(x, convs) if n_conv else x)
        return x


class FinalStackUpsamplingDecoder(nn.Module):
    """'stack_conv' head: stages mirror the stem; each upsamples (keeping channels) then convs to its target channels."""

    def __init__(self, in_dim: int, targets: Sequence[Sequence[int]], n_convs: Sequence[int], activation: str) -> None:
        super().__init__()
        self.n_convs = tuple(n_convs)
        self.upsample_list = nn.ModuleList()
        self.conv_block_list = nn.ModuleList()
        for k, (target, n_conv) in enumerate(zip(targets, n_convs)):
            stage_in = in_dim if k == 0 else targets[k - 1][-1]
            self.upsample_list.append(Upsample3DLayer(stage_in, stage_in, tuple(target[:3])))
            self.conv_block_list.append(conv_stack(stage_in, target[-1], n_conv, max(1, target[-1] // 4), activation))

    @staticmethod
    def targets(stem_out_shapes: Sequence[Sequence[int]], target_shape: Sequence[int]) -> list[tuple[int, ...]]:
        """Stage targets: the stem's stage shapes in reverse, ending at the target grid, with channel
        counts taken from the stem's stage outputs in reverse ([EF] ``large_channel=True``)."""
        grids = [tuple(s[:3]) for s in stem_out_shapes[:-1]][::-1] + [tuple(target_shape[:3])]
        channels = [s[-1] for s in stem_out_shapes][::-1]
        return [grid + (c,) for grid, c in zip(grids, channels)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for n_conv, up, convs in zip(self.n_convs, self.upsample_list, self.conv_block_list):
            x = up(x)
            if n_conv:
                x = per_frame(x, convs)
        return x
