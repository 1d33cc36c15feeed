"""The Earthformer model configuration: the one home of every hyper-parameter and its default.

Defaults are the settings shared by all released configurations ([EF] ``*_v1.yaml``: 4 heads,
dropout 0.1, GELU FFNs, 'zeros' padding, relative position bias, axial self-attention,
``cross_1x1`` cross-attention, learned decoder queries). Presets in ``presets.py`` set the rest;
variants come from ``dataclasses.replace``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ..._config import config_from_dict
from .base_forecast import BASE_FORECASTS, BaseForecast
from .cuboid import PaddingType, check_padding_type
from .layer_config import AttentionBackend, AttentionConfig, GlobalVectorConfig
from .patterns import CROSS_PATTERNS, SELF_PATTERNS

Shape4 = tuple[int, int, int, int]
Triple = tuple[int, int, int]
InitialDownsample = Literal["conv", "stack_conv"]
ZInit = Literal["zeros", "nearest_interp", "last", "mean"]
PosEmbedType = Literal["t+h+w", "t+hw"]
Activation = Literal["leaky", "gelu", "relu"]

_CHOICES = {
    "initial_downsample": ("conv", "stack_conv"),
    "z_init_method": ("zeros", "nearest_interp", "last", "mean"),
    "pos_embed_type": ("t+h+w", "t+hw"),
    "initial_downsample_activation": ("leaky", "gelu", "relu"),
    "ffn_activation": ("leaky", "gelu", "relu"),
    "base_forecast": BASE_FORECASTS,
}


@dataclass(frozen=True)
class EarthformerConfig:
    """Hyper-parameters of the Earthformer encoder-decoder (``CuboidTransformerModel``).

    Shapes are (T, H, W, C). Attention patterns are names from the pattern registries, one for
    all levels or one per level (computed, as published, on each level's *memory* shape).
    ``stack_conv_*`` describe the "stack_conv" stem: per stage, output channels, spatial
    downsampling factor and number of 3x3 convolutions.
    """

    input_shape: Shape4 = (13, 384, 384, 1)
    target_shape: Shape4 = (12, 384, 384, 1)
    base_units: int = 128
    scale_alpha: float = 1.0
    num_heads: int = 4
    attn_drop: float = 0.1
    proj_drop: float = 0.1
    ffn_drop: float = 0.1
    downsample: Triple = (1, 2, 2)
    upsample_kernel_size: int = 3
    # encoder
    enc_depth: tuple[int, ...] = (1, 1)
    enc_attn_patterns: tuple[str, ...] = ("axial",)
    enc_use_inter_ffn: bool = True
    # decoder
    dec_depth: tuple[int, ...] = (1, 1)
    dec_cross_start: int = 0
    dec_self_attn_patterns: tuple[str, ...] = ("axial",)
    dec_cross_attn_patterns: tuple[str, ...] = ("cross_1x1",)
    dec_cross_last_n_frames: int | None = None
    dec_use_inter_ffn: bool = True
    dec_hierarchical_pos_embed: bool = False
    dec_use_first_self_attn: bool = False
    z_init_method: ZInit = "zeros"
    # global vectors
    num_global_vectors: int = 0
    use_dec_self_global: bool = False
    dec_self_update_global: bool = True
    use_dec_cross_global: bool = False
    use_global_vector_ffn: bool = False
    use_global_self_attn: bool = False
    separate_global_qkv: bool = False
    global_dim_ratio: int = 1
    # stem and head
    initial_downsample: InitialDownsample = "conv"
    initial_downsample_activation: Activation = "leaky"
    initial_downsample_scale: Triple = (1, 1, 1)
    initial_downsample_conv_layers: int = 2
    final_upsample_conv_layers: int = 2
    stack_conv_dims: tuple[int, ...] = ()
    stack_conv_scales: tuple[int, ...] = ()
    stack_conv_convs: tuple[int, ...] = ()
    # layers
    ffn_activation: Activation = "gelu"
    gated_ffn: bool = False
    padding_type: PaddingType = "zeros"
    pos_embed_type: PosEmbedType = "t+h+w"
    use_relative_pos: bool = True
    self_attn_use_final_proj: bool = True
    checkpoint_level: int = 0
    attention_backend: AttentionBackend = "auto"
    # Optional affine standardisation of the data units around the network: inputs become
    # (x - data_offset) / data_scale and outputs data_offset + data_scale * y. The published
    # models use the identity (0, 1). It matters where a dataset's signal is a small ripple on a
    # large offset (ICAR-ENSO's scaled SST: anomalies ~0.02 around 0.62), which a network fed
    # raw units learns slowly.
    data_offset: float = 0.0
    data_scale: float = 1.0
    # "optical_flow": the network sees the optical-flow extrapolation of the context as a second
    # input channel and outputs a gain g and an offset r per pixel: forecast = base * (1 + g) + r
    # (``base_forecast.py``). Its output projection starts at zero, so the untrained model is the
    # extrapolation. Not a published setting; "none" is the published model.
    base_forecast: BaseForecast = "none"

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {list(allowed)}, got {getattr(self, name)!r}")
        check_padding_type(self.padding_type)
        if not (self.data_scale > 0 and abs(self.data_scale) != float("inf")):
            raise ValueError(f"data_scale: expected a positive finite number, got {self.data_scale}")
        for name in ("input_shape", "target_shape"):
            shape = getattr(self, name)
            if len(shape) != 4 or min(shape) < 1:
                raise ValueError(f"{name}: expected four positive sizes (T, H, W, C), got {shape}")
        if self.input_shape[1:3] != self.target_shape[1:3]:
            raise ValueError(
                f"target_shape: expected the input's H, W {self.input_shape[1:3]}, got {self.target_shape[1:3]}"
            )
        if self.base_forecast != "none" and (self.input_shape[3], self.target_shape[3]) != (1, 1):
            raise ValueError(f"base_forecast {self.base_forecast!r}: expected one input and one output channel, "
                             f"got {self.input_shape[3]} and {self.target_shape[3]}")
        levels = len(self.enc_depth)
        if levels < 1 or len(self.dec_depth) != levels:
            raise ValueError(f"dec_depth: expected {levels} levels like enc_depth, got {self.dec_depth}")
        if not self.dec_use_first_self_attn and self.dec_depth[-1] < 1:
            raise ValueError(f"dec_depth: expected >= 1 at the top level, got {self.dec_depth}")
        for name, registry in (("enc_attn_patterns", SELF_PATTERNS), ("dec_self_attn_patterns", SELF_PATTERNS),
                               ("dec_cross_attn_patterns", CROSS_PATTERNS)):
            names = getattr(self, name)
            if len(names) not in (1, levels):
                raise ValueError(f"{name}: expected 1 or {levels} pattern names, got {len(names)}")
            for pattern in names:
                if pattern not in registry:
                    raise ValueError(f"{name}: unknown pattern {pattern!r}; valid: {', '.join(sorted(registry))}")
        if self.initial_downsample == "stack_conv":
            n = len(self.stack_conv_dims)
            if n < 1 or len(self.stack_conv_scales) != n or len(self.stack_conv_convs) != n:
                raise ValueError(
                    "stack_conv_dims/scales/convs: expected equal, non-zero lengths, got "
                    f"{self.stack_conv_dims}, {self.stack_conv_scales}, {self.stack_conv_convs}"
                )
            if self.stack_conv_dims[-1] != self.base_units:
                raise ValueError(
                    f"stack_conv_dims: expected the last stage to have base_units={self.base_units} channels, "
                    f"got {self.stack_conv_dims[-1]}"
                )
        if self.num_global_vectors < 0:
            raise ValueError(f"num_global_vectors: expected >= 0, got {self.num_global_vectors}")
        if self.global_dim_ratio != 1 and not self.separate_global_qkv:
            raise ValueError("global_dim_ratio: expected 1 unless separate_global_qkv is true")
        if self.checkpoint_level not in (0, 1, 2):
            raise ValueError(f"checkpoint_level: expected 0, 1 or 2, got {self.checkpoint_level}")
        AttentionConfig(num_heads=self.num_heads, backend=self.attention_backend)  # validates both

    # -- derived settings ---------------------------------------------------------------------
    @property
    def num_levels(self) -> int:
        return len(self.enc_depth)

    def level_units(self) -> list[int]:
        """Channels per level: base_units * max(downsample)**(scale_alpha * i), rounded as published."""
        factor = max(self.downsample)
        return [self.base_units * int((factor**self.scale_alpha) ** i) for i in range(self.num_levels)]

    def patterns(self, name: str) -> tuple[str, ...]:
        names = getattr(self, name)
        return names * self.num_levels if len(names) == 1 else names

    def attention(self) -> AttentionConfig:
        return AttentionConfig(
            num_heads=self.num_heads, attn_drop=self.attn_drop, proj_drop=self.proj_drop, ffn_drop=self.ffn_drop,
            use_final_proj=self.self_attn_use_final_proj, use_relative_pos=self.use_relative_pos,
            padding_type=self.padding_type, gated_ffn=self.gated_ffn, ffn_activation=self.ffn_activation,
            backend=self.attention_backend,
        )

    def attention_with_inter_ffn(self, use_inter_ffn: bool) -> AttentionConfig:
        return replace(self.attention(), use_inter_ffn=use_inter_ffn)

    def global_vectors(self) -> GlobalVectorConfig:
        return GlobalVectorConfig(
            use_global_self_attn=self.use_global_self_attn, separate_global_qkv=self.separate_global_qkv,
            global_dim_ratio=self.global_dim_ratio, use_global_vector_ffn=self.use_global_vector_ffn,
        )

    # -- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EarthformerConfig":
        """Build from a ``to_dict`` result (lists become tuples); unknown keys are an error."""
        return config_from_dict(cls, data, "Earthformer")
