"""The ConvLSTM encoder-forecaster: (B, T_in, H, W, C_in) -> (B, T_out, H, W, C_out).

Encoder: every input frame goes through the stem (patchifying conv) and up the ConvLSTM levels,
bottom to top, with a stride-2 conv between levels. Forecaster: its own ConvLSTM levels start
from the encoder's final states (h, c) and roll out T_out steps top to bottom: the top level has
no input, each lower level takes the upsampled output of the level above, and the head
(transposed conv undoing the stem, then a 1x1 conv) turns the bottom state into a frame.
No output activation, like the other forecasters: values are in the model's units.
"""
from __future__ import annotations

import torch
from torch import nn

from ..unet.model import check_forecaster_input
from .cell import ConvLSTMCell
from .config import ConvLSTMConfig


def _act() -> nn.Module:
    return nn.LeakyReLU(0.1, inplace=True)


class ConvLSTM(nn.Module):
    """The encoder-forecaster built from one :class:`ConvLSTMConfig`."""

    def __init__(self, config: ConvLSTMConfig) -> None:
        super().__init__()
        self.config = config
        c_in, c_out = config.input_shape[-1], config.target_shape[-1]
        hid, k, s = config.hidden_channels, config.kernel_size, config.stem_stride
        self.stem = nn.Sequential(nn.Conv2d(c_in, config.stem_channels, s, stride=s), _act(),
                                  nn.Conv2d(config.stem_channels, config.stem_channels, 3, padding=1), _act())
        self.encoder = nn.ModuleList(
            ConvLSTMCell(config.stem_channels if i == 0 else hid[i - 1], hid[i], k) for i in range(config.num_levels)
        )
        self.downsample = nn.ModuleList(
            nn.Sequential(nn.Conv2d(hid[i], hid[i], 3, stride=2, padding=1), _act())
            for i in range(config.num_levels - 1)
        )
        top = config.num_levels - 1
        self.forecaster = nn.ModuleList(
            ConvLSTMCell(0 if i == top else hid[i], hid[i], k) for i in range(config.num_levels)
        )
        self.upsample = nn.ModuleList(  # level i + 1 -> level i
            nn.Sequential(nn.ConvTranspose2d(hid[i + 1], hid[i], 4, stride=2, padding=1), _act())
            for i in range(config.num_levels - 1)
        )
        self.head = nn.Sequential(nn.ConvTranspose2d(hid[0], config.stem_channels, s, stride=s), _act(),
                                  nn.Conv2d(config.stem_channels, c_out, 1))
        nn.init.normal_(self.head[-1].weight, std=1e-3)  # start near a zero forecast
        nn.init.zeros_(self.head[-1].bias)

    def level_sizes(self) -> list[tuple[int, int]]:
        """(H, W) of every ConvLSTM level."""
        h, w = (n // self.config.stem_stride for n in self.config.input_shape[1:3])
        return [(h // 2**i, w // 2**i) for i in range(self.config.num_levels)]

    def encode(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T_in, H, W, C_in) -> final (h, c) of every level, each (B, hidden_i, H_i, W_i)."""
        b, t = x.shape[:2]
        frames = self.stem(x.permute(0, 1, 4, 2, 3).reshape(b * t, x.shape[4], *x.shape[2:4]))  # (B*T, C_s, H/s, W/s)
        frames = frames.reshape(b, t, *frames.shape[1:])
        states = [cell.zero_state(x, *size) for cell, size in zip(self.encoder, self.level_sizes())]
        for step in range(t):
            y = frames[:, step]
            for i, cell in enumerate(self.encoder):
                if i > 0:
                    y = self.downsample[i - 1](y)
                states[i] = cell(y, states[i])
                y = states[i][0]
        return states

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T_in, H, W, C_in) -> (B, T_out, H, W, C_out)."""
        check_forecaster_input(x, self.config.input_shape)
        states = self.encode(x)
        outputs = []
        for _ in range(self.config.target_shape[0]):
            y = None
            for i in reversed(range(self.config.num_levels)):
                states[i] = self.forecaster[i](y, states[i])
                y = self.upsample[i - 1](states[i][0]) if i > 0 else states[i][0]
            outputs.append(self.head(y))  # (B, C_out, H, W)
        return torch.stack(outputs, dim=1).permute(0, 1, 3, 4, 2).contiguous()  # (B, T_out, H, W, C_out)
