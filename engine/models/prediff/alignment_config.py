"""The knowledge-alignment network's configuration (the one home of its defaults) and named presets.

Defaults are the published SEVIR-LR "average intensity" alignment network ([PD]
``scripts/alignment/sevirlr/cfg.yaml``, ``model.align.model_args``): 6 noisy target latent frames of
16 x 16 x 64, width 128, two levels of depth 1, axial attention with 4 heads, dropout 0.1, and an
attention-pool readout of one value per frame.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ..earthformer.cuboid import PaddingType
from .denoiser_config import LatentNetConfig, PosEmbedType, check_common


@dataclass(frozen=True)
class AlignmentConfig(LatentNetConfig):
    """Hyper-parameters of U_phi(z_t, t) ([PD] ``NoisyCuboidTransformerEncoder``, attention pool).

    frames : latent frames of the (noisy) target the network reads; it outputs one value per frame.
    latent_shape : (h, w, c) of one latent frame (the autoencoder's output).
    base_units : width of level 0; level i has ``base_units * downsample**i`` channels.
    depth : per level, how many [time-embedding ResBlock -> cuboid attention block] units.
    downsample : spatial factor of the patch merging between levels.
    out_channels : values read out per frame (1: the anticipated average intensity).
    num_heads : heads of the cuboid attention and of the readout's attention pool.
    time_embed_mult : the time embedding is ``time_embed_mult * base_units`` wide.
    norm_groups : GroupNorm groups of the ResBlocks and the readout (one per channel where they do
        not divide; several channels per group keep the time shift alive).
    """

    frames: int = 6
    latent_shape: tuple[int, int, int] = (16, 16, 64)
    base_units: int = 128
    depth: tuple[int, ...] = (1, 1)
    downsample: int = 2
    out_channels: int = 1
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
    label: ClassVar[str] = "PreDiff alignment"

    def __post_init__(self) -> None:
        for name in ("frames", "base_units", "out_channels", "num_heads", "time_embed_mult"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        check_common(self)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """(T, h, w, c) of the noisy latent z_t."""
        return (self.frames, *self.latent_shape)


# Published SEVIR-LR average-intensity alignment network: 8,937,033 parameters (reference C.4).
PREDIFF_ALIGNMENT_SEVIRLR = AlignmentConfig()
# Demo: the 12 target frames of the demo autoencoder's 12 x 12 x 4 latents (96 x 96 frames, 8x);
# width 32 / 64, 8 norm groups, no dropout (short CPU training runs underfit rather than overfit).
PREDIFF_ALIGNMENT_DEMO = replace(PREDIFF_ALIGNMENT_SEVIRLR, frames=12, latent_shape=(12, 12, 4), base_units=32,
                                 norm_groups=8, attn_drop=0.0, proj_drop=0.0, ffn_drop=0.0)

PRESETS: dict[str, AlignmentConfig] = {
    "prediff_alignment_sevirlr": PREDIFF_ALIGNMENT_SEVIRLR,
    "prediff_alignment_demo": PREDIFF_ALIGNMENT_DEMO,
}
PUBLISHED_PARAMETER_COUNTS: dict[str, int] = {"prediff_alignment_sevirlr": 8_937_033}


def get_preset(name: str) -> AlignmentConfig:
    """The named alignment configuration; unknown names raise ValueError listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown PreDiff alignment preset {name!r}; valid: {', '.join(sorted(PRESETS))}") from None
