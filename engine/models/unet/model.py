"""The UNet forecaster: (B, T_in, H, W, C_in) -> (B, T_out, H, W, C_out), all frames at once.

Frames are folded into channels, (B, T_in * C_in, H, W); an encoder of ``depth`` max-pool levels
and a decoder of transposed-conv upsampling with skip connections return T_out * C_out channels,
unfolded to (B, T_out, H, W, C_out). No output activation: values are in the model's units
(SEVIR [0, 1]) and are not clamped, like the Earthformer head.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import UNetConfig


def _groups(channels: int, wanted: int) -> int:
    """The largest divisor of ``channels`` not above ``wanted`` (GroupNorm needs one)."""
    return max(g for g in range(1, min(wanted, channels) + 1) if channels % g == 0)


def conv_block(in_channels: int, out_channels: int, n_convs: int, norm_groups: int) -> nn.Sequential:
    """n_convs x [3x3 conv -> GroupNorm -> LeakyReLU(0.1)]; the first maps in -> out channels."""
    layers: list[nn.Module] = []
    for i in range(n_convs):
        layers += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1, bias=False),
                   nn.GroupNorm(_groups(out_channels, norm_groups), out_channels), nn.LeakyReLU(0.1, inplace=True)]
    return nn.Sequential(*layers)


def check_forecaster_input(x: torch.Tensor, input_shape: tuple[int, ...]) -> None:
    """ValueError naming the expected (B, T_in, H, W, C_in) when ``x`` does not have it."""
    expected = tuple(input_shape)
    if x.ndim != 5 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"input: expected shape (B, {', '.join(map(str, expected))}) "
                         f"(B, T_in, H, W, C_in), got {tuple(x.shape)}")


class UNet(nn.Module):
    """A 2-D UNet over frames-as-channels, built from one :class:`UNetConfig`."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        t_in, _, _, c_in = config.input_shape
        t_out, _, _, c_out = config.target_shape
        chans = config.level_channels()
        n, g = config.convs_per_block, config.norm_groups
        self.inc = conv_block(t_in * c_in, chans[0], n, g)
        self.down = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), conv_block(chans[i], chans[i + 1], n, g)) for i in range(config.depth)
        )
        self.up = nn.ModuleList(nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in range(config.depth))
        self.merge = nn.ModuleList(conv_block(2 * chans[i], chans[i], n, g) for i in range(config.depth))
        self.head = nn.Conv2d(chans[0], t_out * c_out, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, a=0.1, nonlinearity="leaky_relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        nn.init.normal_(self.head.weight, std=1e-3)  # start near a zero forecast, not a random field

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T_in, H, W, C_in) -> (B, T_out, H, W, C_out)."""
        check_forecaster_input(x, self.config.input_shape)
        b, t, h, w, c = x.shape
        y = x.permute(0, 1, 4, 2, 3).reshape(b, t * c, h, w)  # (B, T_in * C_in, H, W), frame-major
        skips = [self.inc(y)]
        for down in self.down:
            skips.append(down(skips[-1]))
        y = skips.pop()
        for i in reversed(range(self.config.depth)):
            y = self.merge[i](torch.cat([skips.pop(), self.up[i](y)], dim=1))
        t_out, _, _, c_out = self.config.target_shape
        y = self.head(y).reshape(b, t_out, c_out, h, w)  # (B, T_out, C_out, H, W)
        return y.permute(0, 1, 3, 4, 2).contiguous()
