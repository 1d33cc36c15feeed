"""Configuration of PreDiff's frame autoencoder and of its training loss: the one home of their defaults.

The autoencoder is the Stable-Diffusion KL autoencoder (Rombach et al., CVPR 2022) that PreDiff
(Gao et al., NeurIPS 2023) applies to every frame of a sequence. Level i of the encoder has
``block_channels[i]`` channels; every level but the last halves H and W, so a frame of
(H, W, C) becomes a latent of (H / f, W / f, latent_channels) with f = 2 ** (levels - 1).
Defaults are the published SEVIR-LR settings ([PD] ``scripts/vae/sevirlr/cfg.yaml``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..._config import config_from_dict

Shape3 = tuple[int, int, int]


@dataclass(frozen=True)
class AutoencoderConfig:
    """Hyper-parameters of :class:`~engine.models.prediff.autoencoder.FrameAutoencoder`.

    frame_shape : (H, W, C) of one frame in data units (SEVIR VIL scaled to [0, 1]).
    block_channels : channels per encoder level (the decoder mirrors them).
    layers_per_block : residual blocks per encoder level; decoder levels have one more.
    latent_channels : channels of the latent (the posterior mean and log-variance each have this many).
    norm_groups : GroupNorm groups (every entry of ``block_channels`` must divide by it).
    norm_eps : GroupNorm epsilon (1e-6 as published, not PyTorch's 1e-5).
    """

    frame_shape: Shape3 = (128, 128, 1)
    block_channels: tuple[int, ...] = (128, 256, 512, 512)
    layers_per_block: int = 2
    latent_channels: int = 64
    norm_groups: int = 32
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if len(self.frame_shape) != 3 or min(self.frame_shape) < 1:
            raise ValueError(f"frame_shape: expected three positive sizes (H, W, C), got {self.frame_shape}")
        if not self.block_channels or min(self.block_channels) < 1:
            raise ValueError(f"block_channels: expected one or more positive channel counts, got {self.block_channels}")
        for name in ("layers_per_block", "latent_channels", "norm_groups"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        odd = [c for c in self.block_channels if c % self.norm_groups]
        if odd:
            raise ValueError(f"block_channels: expected multiples of norm_groups={self.norm_groups}, got {odd}")
        h, w, _ = self.frame_shape
        f = self.downsample_factor
        if h % f or w % f:
            raise ValueError(f"frame_shape: expected H and W divisible by {f} (the total downsampling), got {h} x {w}")
        if self.norm_eps <= 0:
            raise ValueError(f"norm_eps: expected > 0, got {self.norm_eps}")

    @property
    def downsample_factor(self) -> int:
        """Spatial reduction from frame to latent (2 ** number of stride-2 convolutions)."""
        return 2 ** (len(self.block_channels) - 1)

    @property
    def latent_shape(self) -> Shape3:
        """(h, w, c) of one frame's latent."""
        h, w, _ = self.frame_shape
        f = self.downsample_factor
        return (h // f, w // f, self.latent_channels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AutoencoderConfig":
        return config_from_dict(cls, data, "PreDiff autoencoder")


@dataclass(frozen=True)
class AutoencoderLossConfig:
    """Weights of the autoencoder's training loss (published: [PD] ``cfg.yaml`` key model.loss).

    kl_weight : weight of the KL term (per frame) against the reconstruction NLL.
    logvar_init : initial value of the learned scalar log-variance s of the L1 likelihood.
    disc_start : training step from which the adversarial term counts; None builds no discriminator.
    disc_weight : factor on the adaptive adversarial weight.
    disc_layers : stride-2 convolutions of the PatchGAN discriminator (its receptive field grows with them).
    disc_channels : channels of the discriminator's first convolution (doubling per layer, at most 8x).
    """

    kl_weight: float = 1e-6
    logvar_init: float = 0.0
    disc_start: int | None = 50_001
    disc_weight: float = 0.5
    disc_layers: int = 3
    disc_channels: int = 64

    def __post_init__(self) -> None:
        for name in ("kl_weight", "disc_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected >= 0, got {getattr(self, name)}")
        if self.disc_start is not None and self.disc_start < 0:
            raise ValueError(f"disc_start: expected None or a step >= 0, got {self.disc_start}")
        for name in ("disc_layers", "disc_channels"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AutoencoderLossConfig":
        return config_from_dict(cls, data, "PreDiff autoencoder loss")


# The published SEVIR-LR autoencoder: 128 x 128 x 1 frames -> 16 x 16 x 64 latents, 84,499,393 parameters.
PREDIFF_VAE_SEVIRLR = AutoencoderConfig()
# The demo on SEVIR 96 x 96 frames (384 max-pooled by 4) -> 12 x 12 x 4 latents (16x fewer numbers),
# 687,373 parameters. Narrow full-resolution levels keep a training step at 16 frames to about
# 0.8 s of one core's CPU time (measured here); 8x rather than 4x spatial reduction makes every
# denoiser call on the latents 4x cheaper.
PREDIFF_VAE_DEMO = AutoencoderConfig(frame_shape=(96, 96, 1), block_channels=(8, 16, 32, 64), layers_per_block=1,
                                     latent_channels=4, norm_groups=8)

AUTOENCODER_PRESETS: dict[str, AutoencoderConfig] = {
    "prediff_vae_sevirlr": PREDIFF_VAE_SEVIRLR,
    "prediff_vae_demo": PREDIFF_VAE_DEMO,
}

# Loss settings to train each preset with, under the same names. The demo's discriminator is 16
# channels wide: at 64, a demo training step with the adversarial term took about 2.9 s of CPU
# time instead of 0.85 s (16 frames, one core, measured here). Its adversarial
# term is off (disc_start None); to use it, start it after reconstructions have converged, as the
# published run does at step 50,001.
AUTOENCODER_LOSS_PRESETS: dict[str, AutoencoderLossConfig] = {
    "prediff_vae_sevirlr": AutoencoderLossConfig(),
    "prediff_vae_demo": AutoencoderLossConfig(disc_start=None, disc_channels=16),
}


def get_autoencoder_preset(name: str) -> AutoencoderConfig:
    """The named autoencoder configuration; unknown names raise ValueError listing the valid ones."""
    try:
        return AUTOENCODER_PRESETS[name]
    except KeyError:
        valid = ", ".join(sorted(AUTOENCODER_PRESETS))
        raise ValueError(f"unknown autoencoder preset {name!r}; valid: {valid}") from None


def get_autoencoder_loss_preset(name: str) -> AutoencoderLossConfig:
    """Loss settings for the named autoencoder preset; unknown names raise ValueError listing the valid ones."""
    try:
        return AUTOENCODER_LOSS_PRESETS[name]
    except KeyError:
        valid = ", ".join(sorted(AUTOENCODER_LOSS_PRESETS))
        raise ValueError(f"unknown autoencoder loss preset {name!r}; valid: {valid}") from None
