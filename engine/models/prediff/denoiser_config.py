"""The latent denoiser's configuration (the one home of its defaults) and named presets.

Defaults are the published SEVIR-LR denoiser ([PD] ``scripts/prediff/sevirlr/prediff_sevirlr_v1.yaml``,
key ``model.latent_model``): 7 context + 6 target latent frames of 16 x 16 x 64, width 256, two
levels of depth 4, axial cuboid attention with 4 heads, dropout 0.1. Variants come from
``dataclasses.replace``; ``latent_shape`` follows the autoencoder the denoiser is paired with.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, Literal

from ..._config import config_from_dict
from ..earthformer.cuboid import PaddingType, check_padding_type
from ..earthformer.patterns import SELF_PATTERNS

PosEmbedType = Literal["t+h+w", "t+hw"]


def check_common(config: Any) -> None:
    """Checks shared by the denoiser and alignment configs (sizes, pattern, heads, padding)."""
    if len(config.latent_shape) != 3 or min(config.latent_shape) < 1:
        raise ValueError(f"latent_shape: expected three positive sizes (h, w, c), got {config.latent_shape}")
    if not config.depth or min(config.depth) < 1:
        raise ValueError(f"depth: expected one positive block count per level, got {config.depth}")
    if config.downsample < 1:
        raise ValueError(f"downsample: expected >= 1, got {config.downsample}")
    for units in config.level_units():
        if units % config.num_heads:
            raise ValueError(f"base_units: expected level widths {config.level_units()} divisible by "
                             f"num_heads={config.num_heads}, got {config.base_units}")
    if config.attn_pattern not in SELF_PATTERNS:
        raise ValueError(f"attn_pattern: expected one of {sorted(SELF_PATTERNS)}, got {config.attn_pattern!r}")
    if config.pos_embed_type not in ("t+h+w", "t+hw"):
        raise ValueError(f"pos_embed_type: expected 't+h+w' or 't+hw', got {config.pos_embed_type!r}")
    check_padding_type(config.padding_type)
    if config.norm_groups < 1:
        raise ValueError(f"norm_groups: expected >= 1, got {config.norm_groups}")
    for name in ("attn_drop", "proj_drop", "ffn_drop", "time_embed_dropout"):
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"{name}: expected a rate in [0, 1), got {getattr(config, name)}")


class LatentNetConfig:
    """What the denoiser and alignment configs share: level widths and the JSON round trip."""

    label: ClassVar[str]  # names the config in from_dict errors

    def level_units(self) -> list[int]:
        """Channels of each level, full resolution first."""
        return [self.base_units * self.downsample**i for i in range(len(self.depth))]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return config_from_dict(cls, data, cls.label)


@dataclass(frozen=True)
class DenoiserConfig(LatentNetConfig):
    """Hyper-parameters of PreDiff's latent Earthformer-UNet (``CuboidTransformerUNet``).

    context_frames, target_frames : latent frames of the observed context and of the forecast.
    latent_shape : (h, w, c) of one latent frame (the autoencoder's output).
    base_units : width of level 0; level i has ``base_units * downsample**i`` channels.
    depth : per level, how many [time-embedding ResBlock -> cuboid attention block] units run on
        the way down and again on the way up.
    downsample : spatial factor of the patch merging between levels (time is never merged).
    attn_pattern : self-attention pattern of every block (a name from the pattern registry).
    time_embed_mult : the time embedding is ``time_embed_mult * base_units`` wide.
    norm_groups : GroupNorm groups of the ResBlocks (one per channel where they do not divide); a
        group must hold several channels, or the next norm erases the per-channel time shift.
    unet_skip : add the level's down-path output to the up path after upsampling (U-Net skip).
    """

    context_frames: int = 7
    target_frames: int = 6
    latent_shape: tuple[int, int, int] = (16, 16, 64)
    base_units: int = 256
    depth: tuple[int, ...] = (4, 4)
    downsample: int = 2
    num_heads: int = 4
    attn_drop: float = 0.1
    proj_drop: float = 0.1
    ffn_drop: float = 0.1
    attn_pattern: str = "axial"
    pos_embed_type: PosEmbedType = "t+h+w"
    padding_type: PaddingType = "zeros"
    time_embed_mult: int = 4
    time_embed_dropout: float = 0.0
    norm_groups: int = 32
    unet_skip: bool = True
    label: ClassVar[str] = "PreDiff denoiser"

    def __post_init__(self) -> None:
        for name in ("context_frames", "target_frames", "base_units", "num_heads", "time_embed_mult"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        check_common(self)

    @property
    def total_frames(self) -> int:
        """Frames the network sees: context followed by target."""
        return self.context_frames + self.target_frames

    @property
    def context_shape(self) -> tuple[int, int, int, int]:
        """(T_in, h, w, c) of the encoded context."""
        return (self.context_frames, *self.latent_shape)

    @property
    def target_shape(self) -> tuple[int, int, int, int]:
        """(T_out, h, w, c) of the noisy target and of the predicted noise."""
        return (self.target_frames, *self.latent_shape)


# Published SEVIR-LR denoiser: 136,817,538 parameters (reference C.2).
PREDIFF_DENOISER_SEVIRLR = DenoiserConfig()
# Demo: 13 context + 12 target frames of the demo autoencoder's 12 x 12 x 4 latents (96 x 96 frames,
# 8x as published); two levels of width 32 / 64, one unit each; 8 norm groups (32 would leave one
# channel per group at width 32 and erase the timestep); no dropout (short CPU training runs
# underfit rather than overfit, and CPU dropout masks cost about a fifth of a step).
PREDIFF_DENOISER_DEMO = replace(PREDIFF_DENOISER_SEVIRLR, context_frames=13, target_frames=12,
                                latent_shape=(12, 12, 4), base_units=32, depth=(1, 1), norm_groups=8,
                                attn_drop=0.0, proj_drop=0.0, ffn_drop=0.0)

PRESETS: dict[str, DenoiserConfig] = {
    "prediff_denoiser_sevirlr": PREDIFF_DENOISER_SEVIRLR,
    "prediff_denoiser_demo": PREDIFF_DENOISER_DEMO,
}
PUBLISHED_PARAMETER_COUNTS: dict[str, int] = {"prediff_denoiser_sevirlr": 136_817_538}


def get_preset(name: str) -> DenoiserConfig:
    """The named denoiser configuration; unknown names raise ValueError listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown PreDiff denoiser preset {name!r}; valid: {', '.join(sorted(PRESETS))}") from None
