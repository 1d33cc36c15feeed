"""PatchGAN discriminator (Isola et al., CVPR 2017) for the autoencoder's optional adversarial loss.

It scores overlapping patches of each frame as real or reconstructed, which rewards sharp
small-scale texture that an L1 loss alone blurs away. Layout as in the Stable-Diffusion / PreDiff
loss ([PD] ``src/prediff/taming/losses/model.py``): 4x4 convolutions, stride 2 for the first
``n_layers``, BatchNorm and LeakyReLU(0.2) between them, and a 1-channel map of logits.
"""
from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """Frames (B, T, H, W, C) -> patch logits (B, T, h', w'); higher means "looks real".

    Parameters
    ----------
    in_channels : channels C of a frame.
    channels : channels of the first convolution; layer i has ``channels * min(2**i, 8)``.
    n_layers : number of stride-2 convolutions (each doubles the patch size a logit sees).
    """

    def __init__(self, in_channels: int, channels: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        width = channels
        for i in range(1, n_layers + 1):
            # The last of these keeps stride 1 to enlarge the receptive field without shrinking the map further.
            out = channels * min(2**i, 8)
            layers += [nn.Conv2d(width, out, 4, stride=2 if i < n_layers else 1, padding=1, bias=False),
                       nn.BatchNorm2d(out), nn.LeakyReLU(0.2)]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """DCGAN initialisation: conv weights N(0, 0.02), BatchNorm scales N(1, 0.02) and shifts 0."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, 0.0, 0.02)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.normal_(module.weight, 1.0, 0.02)
                nn.init.zeros_(module.bias)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.ndim != 5:
            raise ValueError(f"frames: expected shape (B, T, H, W, C), got {tuple(frames.shape)}")
        b, t = frames.shape[:2]
        logits = self.net(frames.flatten(0, 1).permute(0, 3, 1, 2))  # (B*T, 1, h', w')
        return logits[:, 0].unflatten(0, (b, t))
