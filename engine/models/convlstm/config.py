"""The ConvLSTM baseline's configuration (the one home of its defaults) and named presets.

Frames pass a patchifying stem (``stem_stride`` x ``stem_stride`` conv), then a stack of
ConvLSTM levels; level i runs at H / (stem_stride * 2**i) with ``hidden_channels[i]`` channels.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ..._config import config_from_dict
from ..unet.config import Shape4, check_shapes


@dataclass(frozen=True)
class ConvLSTMConfig:
    """Hyper-parameters of the ConvLSTM encoder-forecaster.

    input_shape, target_shape : (T, H, W, C) of the context and of the forecast.
    stem_channels : channels of the per-frame stem and of the head before the output conv.
    stem_stride : spatial downsampling of the stem (kernel = stride).
    hidden_channels : ConvLSTM hidden channels per level; each level after the first halves H, W.
    kernel_size : odd size of the ConvLSTM gate convolutions.
    """

    input_shape: Shape4 = (13, 384, 384, 1)
    target_shape: Shape4 = (12, 384, 384, 1)
    stem_channels: int = 32
    stem_stride: int = 4
    hidden_channels: tuple[int, ...] = (96, 192, 192)
    kernel_size: int = 3

    def __post_init__(self) -> None:
        for name in ("stem_channels", "stem_stride"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if not self.hidden_channels or min(self.hidden_channels) < 1:
            raise ValueError(f"hidden_channels: expected one positive size per level, got {self.hidden_channels}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd size >= 1, got {self.kernel_size}")
        check_shapes(self, self.stem_stride * 2 ** (len(self.hidden_channels) - 1))

    @property
    def num_levels(self) -> int:
        return len(self.hidden_channels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConvLSTMConfig":
        return config_from_dict(cls, data, "ConvLSTM")


# Full-size SEVIR (13 x 384 x 384 -> 12 x 384 x 384): 11.1M parameters (the paper's ConvLSTM row
# has 14.0M); ConvLSTMs at 96, 48 and 24 pixels; for GPU training.
CONVLSTM_SEVIR = ConvLSTMConfig()
# The demo: 384 max-pooled by 4 (96 x 96), ConvLSTMs at 24 x 24 and 12 x 12, 0.40M parameters;
# about 1 s per training step at batch 4 on one CPU core.
CONVLSTM_SEVIR_DEMO = replace(CONVLSTM_SEVIR, input_shape=(13, 96, 96, 1), target_shape=(12, 96, 96, 1),
                              stem_channels=16, stem_stride=4, hidden_channels=(32, 48))
# ICAR-ENSO (12 x 24 x 48 -> 14 x 24 x 48 scaled SST).
CONVLSTM_ICAR_ENSO = replace(CONVLSTM_SEVIR, input_shape=(12, 24, 48, 1), target_shape=(14, 24, 48, 1),
                             stem_channels=32, stem_stride=2, hidden_channels=(64, 64))

PRESETS: dict[str, ConvLSTMConfig] = {
    "convlstm_sevir": CONVLSTM_SEVIR,
    "convlstm_sevir_demo": CONVLSTM_SEVIR_DEMO,
    "convlstm_icar_enso": CONVLSTM_ICAR_ENSO,
}


def get_preset(name: str) -> ConvLSTMConfig:
    """The named ConvLSTM configuration; unknown names raise ValueError listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown ConvLSTM preset {name!r}; valid: {', '.join(sorted(PRESETS))}") from None
