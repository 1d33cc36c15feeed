"""The UNet baseline's configuration (the one home of its defaults) and named presets.

The network stacks the T_in input frames (times C channels) as image channels, runs a
``depth``-level encoder-decoder with skip connections and predicts the T_out x C_out output
channels in one pass. Level i has ``base_channels * 2**i`` channels at resolution H / 2**i.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ..._config import config_from_dict

Shape4 = tuple[int, int, int, int]


def check_shapes(config: Any, multiple: int) -> None:
    """Shared checks of (T, H, W, C) input / target shapes; H and W must divide by ``multiple``."""
    for name in ("input_shape", "target_shape"):
        shape = getattr(config, name)
        if len(shape) != 4 or min(shape) < 1:
            raise ValueError(f"{name}: expected four positive sizes (T, H, W, C), got {shape}")
    if tuple(config.input_shape[1:3]) != tuple(config.target_shape[1:3]):
        raise ValueError(f"target_shape: expected the input's H, W {tuple(config.input_shape[1:3])}, "
                         f"got {tuple(config.target_shape[1:3])}")
    h, w = config.input_shape[1:3]
    if h % multiple or w % multiple:
        raise ValueError(f"input_shape: expected H and W divisible by {multiple} (the total downsampling), "
                         f"got {h} x {w}")


@dataclass(frozen=True)
class UNetConfig:
    """Hyper-parameters of the UNet forecaster.

    input_shape, target_shape : (T, H, W, C) of the context and of the forecast.
    base_channels : channels of the full-resolution level; level i has base * 2**i.
    depth : number of 2x max-pool downsamplings (H and W must divide by 2**depth).
    convs_per_block : 3x3 conv -> GroupNorm -> LeakyReLU units per level and direction.
    norm_groups : GroupNorm groups (at most; reduced to a divisor of the channels).
    """

    input_shape: Shape4 = (13, 384, 384, 1)
    target_shape: Shape4 = (12, 384, 384, 1)
    base_channels: int = 48
    depth: int = 4
    convs_per_block: int = 2
    norm_groups: int = 8

    def __post_init__(self) -> None:
        for name in ("base_channels", "depth", "convs_per_block", "norm_groups"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        check_shapes(self, 2**self.depth)

    def level_channels(self) -> list[int]:
        """Channels at levels 0..depth (full resolution first)."""
        return [self.base_channels * 2**i for i in range(self.depth + 1)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "UNetConfig":
        return config_from_dict(cls, data, "UNet")


# Full-size SEVIR (13 x 384 x 384 -> 12 x 384 x 384): 17.5M parameters, near the paper's
# 16.6M UNet row; for GPU training.
UNET_SEVIR = UNetConfig()
# The demo: 384 max-pooled by 4 (96 x 96), 1.09M parameters; about 0.3 s per training step at
# batch 4 on one CPU core.
UNET_SEVIR_DEMO = replace(UNET_SEVIR, input_shape=(13, 96, 96, 1), target_shape=(12, 96, 96, 1),
                          base_channels=24, depth=3)
# ICAR-ENSO (12 x 24 x 48 -> 14 x 24 x 48 scaled SST).
UNET_ICAR_ENSO = replace(UNET_SEVIR, input_shape=(12, 24, 48, 1), target_shape=(14, 24, 48, 1),
                         base_channels=32, depth=3)

PRESETS: dict[str, UNetConfig] = {
    "unet_sevir": UNET_SEVIR,
    "unet_sevir_demo": UNET_SEVIR_DEMO,
    "unet_icar_enso": UNET_ICAR_ENSO,
}


def get_preset(name: str) -> UNetConfig:
    """The named UNet configuration; unknown names raise ValueError listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown UNet preset {name!r}; valid: {', '.join(sorted(PRESETS))}") from None
