"""PreDiff's frame autoencoder: a KL-regularised autoencoder applied to every frame independently.

PreDiff (Gao et al., NeurIPS 2023, section 3) runs its diffusion model in the latent space of the
Stable-Diffusion autoencoder (Rombach et al., CVPR 2022). Frames are encoded one by one: the
time axis is folded into the batch, so latents keep the sequence layout (B, T, h, w, c) with
h = H / f, w = W / f. The published SEVIR-LR model maps 128 x 128 x 1 frames to 16 x 16 x 64
latents ([PD] ``src/prediff/taming/autoencoder_kl.py``, ``vae.py``). Latents are not rescaled
(the published scale factor is 1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .autoencoder_blocks import Downsample, Level, MidBlock, Upsample
from .autoencoder_config import AutoencoderConfig

LOGVAR_RANGE = (-30.0, 20.0)  # keeps exp(logvar) finite in float32 (published clamp)


class DiagonalGaussian:
    """A factorised Gaussian posterior q(z | x) with ``mean`` and ``logvar`` of shape (B, T, h, w, c).

    ``logvar`` is clamped to [-30, 20] on construction.
    """

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor) -> None:
        if mean.shape != logvar.shape:
            raise ValueError(f"logvar: expected the mean's shape {tuple(mean.shape)}, got {tuple(logvar.shape)}")
        self.mean = mean
        self.logvar = logvar.clamp(*LOGVAR_RANGE)

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mean + std * eps with eps ~ N(0, I) drawn from ``generator``; (B, T, h, w, c)."""
        eps = torch.randn(self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + self.std * eps

    def mode(self) -> torch.Tensor:
        """The most likely latent (the mean); (B, T, h, w, c)."""
        return self.mean

    def kl(self) -> torch.Tensor:
        """KL(q || N(0, I)) of every frame, summed over (h, w, c); shape (B, T), in nats.

        Per element 0.5 * (mean^2 + var - 1 - logvar).
        """
        return 0.5 * (self.mean.pow(2) + self.logvar.exp() - 1.0 - self.logvar).sum(dim=(-3, -2, -1))


def _check_layout(x: torch.Tensor, frame: tuple[int, int, int], name: str, labels: str) -> None:
    if x.ndim != 5 or tuple(x.shape[2:]) != tuple(frame):
        expected = f"(B, T, {', '.join(map(str, frame))})"
        raise ValueError(f"{name}: expected shape {expected} {labels}, got {tuple(x.shape)}")


class Encoder(nn.Module):
    """Frames (N, C, H, W) -> posterior moments (N, 2 * latent_channels, H / f, W / f) before quant_conv."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        chans, groups, eps = config.block_channels, config.norm_groups, config.norm_eps
        self.conv_in = nn.Conv2d(config.frame_shape[2], chans[0], 3, padding=1)
        self.levels = nn.Sequential(*(
            Level(chans[max(i - 1, 0)], chans[i], config.layers_per_block,
                  Downsample(chans[i]) if i < len(chans) - 1 else None, groups, eps)
            for i in range(len(chans))))
        self.mid = MidBlock(chans[-1], groups, eps)
        self.norm_out = nn.GroupNorm(groups, chans[-1], eps=eps)
        self.conv_out = nn.Conv2d(chans[-1], 2 * config.latent_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.levels(self.conv_in(x)))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    """Latents (N, latent_channels, h, w) after post_quant_conv -> frames (N, C, h * f, w * f)."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        chans, groups, eps = tuple(reversed(config.block_channels)), config.norm_groups, config.norm_eps
        self.conv_in = nn.Conv2d(config.latent_channels, chans[0], 3, padding=1)
        self.mid = MidBlock(chans[0], groups, eps)
        # One residual block more per level than the encoder, as in the Stable-Diffusion decoder.
        self.levels = nn.Sequential(*(
            Level(chans[max(i - 1, 0)], chans[i], config.layers_per_block + 1,
                  Upsample(chans[i]) if i < len(chans) - 1 else None, groups, eps)
            for i in range(len(chans))))
        self.norm_out = nn.GroupNorm(groups, chans[-1], eps=eps)
        self.conv_out = nn.Conv2d(chans[-1], config.frame_shape[2], 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.levels(self.mid(self.conv_in(z)))
        return self.conv_out(F.silu(self.norm_out(h)))  # no output activation: data units, unclamped


class FrameAutoencoder(nn.Module):
    """KL autoencoder of single frames, on sequences: (B, T, H, W, C) <-> latents (B, T, h, w, c).

    Parameters
    ----------
    config : the architecture; ``config.frame_shape`` is the only frame size accepted.
    """

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        c = config.latent_channels
        self.encoder = Encoder(config)
        self.quant_conv = nn.Conv2d(2 * c, 2 * c, 1)
        self.post_quant_conv = nn.Conv2d(c, c, 1)
        self.decoder = Decoder(config)

    @property
    def last_layer(self) -> torch.Tensor:
        """Weight of the decoder's final convolution (where the adaptive adversarial weight is measured)."""
        return self.decoder.conv_out.weight

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Posterior of every frame: x (B, T, H, W, C) -> DiagonalGaussian with (B, T, h, w, c) moments."""
        _check_layout(x, self.config.frame_shape, "x", "(B, T, H, W, C)")
        b, t = x.shape[:2]
        frames = x.flatten(0, 1).permute(0, 3, 1, 2)  # (B*T, C, H, W)
        moments = self.quant_conv(self.encoder(frames))  # (B*T, 2c, h, w)
        moments = moments.permute(0, 2, 3, 1).unflatten(0, (b, t))  # (B, T, h, w, 2c)
        mean, logvar = moments.chunk(2, dim=-1)
        return DiagonalGaussian(mean, logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Frames of latents: z (B, T, h, w, c) -> (B, T, H, W, C) in data units."""
        _check_layout(z, self.config.latent_shape, "z", "(B, T, h, w, c)")
        b, t = z.shape[:2]
        latents = z.flatten(0, 1).permute(0, 3, 1, 2)  # (B*T, c, h, w)
        frames = self.decoder(self.post_quant_conv(latents))  # (B*T, C, H, W)
        return frames.permute(0, 2, 3, 1).unflatten(0, (b, t))

    def forward(self, x: torch.Tensor, sample_posterior: bool = True,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, DiagonalGaussian]:
        """Reconstruction (B, T, H, W, C) and posterior of x (B, T, H, W, C), as used in training.

        ``sample_posterior`` decodes a draw from the posterior (training); False decodes its mean.
        """
        posterior = self.encode(x)
        z = posterior.sample(generator) if sample_posterior else posterior.mode()
        return self.decode(z), posterior
