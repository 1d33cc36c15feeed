"""Earthformer (Gao et al., NeurIPS 2022): the hierarchical cuboid-attention encoder-decoder.

x (B, T_in, H, W, C_in) -> stem -> + positional embedding -> encoder (memories per level) ->
learned decoder queries -> decoder -> head -> Linear -> (B, T_out, H, W, C_out). No output
activation. Parameter names match the published ``CuboidTransformerModel``, so its state dicts
load unchanged (see ``convert.py``). Optionally (``base_forecast``, not published) the network
corrects a baseline forecast of x that it also sees as an input channel.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base_forecast import base_forecast, base_input
from .config import EarthformerConfig
from .decoder import CuboidTransformerDecoder
from .encoder import CuboidTransformerEncoder, memory_shapes
from .init import init_earthformer_weights
from .stem import FinalDecoder, FinalStackUpsamplingDecoder, InitialEncoder, InitialStackPatchMergingEncoder, PosEmbed


class Earthformer(nn.Module):
    """The Earthformer forecaster built from one :class:`EarthformerConfig`."""

    def __init__(self, config: EarthformerConfig) -> None:
        super().__init__()
        self.config = config
        t_in, _, _, c_in = config.input_shape
        t_out, h_out, w_out, c_out = config.target_shape
        c_in += config.base_forecast != "none"  # the base forecast is an extra input channel
        act, pad = config.initial_downsample_activation, config.padding_type
        if config.initial_downsample == "conv":
            self.initial_encoder = InitialEncoder(c_in, config.base_units, config.initial_downsample_scale,
                                                  config.initial_downsample_conv_layers, act, pad)
            self.final_decoder = FinalDecoder(config.base_units, (t_out, h_out, w_out), config.final_upsample_conv_layers, act)
            first = self.initial_encoder.out_shape(config.input_shape)
            head_dim = config.base_units
        else:
            self.initial_encoder = InitialStackPatchMergingEncoder(c_in, config.stack_conv_dims, config.stack_conv_scales,
                                                                   config.stack_conv_convs, act, pad)
            targets = FinalStackUpsamplingDecoder.targets(self.initial_encoder.out_shapes(config.target_shape),
                                                          config.target_shape)
            self.final_decoder = FinalStackUpsamplingDecoder(config.base_units, targets, config.stack_conv_convs[::-1], act)
            first = self.initial_encoder.out_shapes(config.input_shape)[-1]
            head_dim = targets[-1][-1]
        # With a base forecast the head gives a gain and an offset per pixel (see forward).
        self.dec_final_proj = nn.Linear(head_dim, 2 * c_out if config.base_forecast != "none" else c_out)
        self.mem_shapes = memory_shapes(config, first)
        if config.num_global_vectors > 0:
            self.init_global_vectors = nn.Parameter(
                torch.zeros(config.num_global_vectors, config.global_dim_ratio * config.base_units)
            )
        self.encoder = CuboidTransformerEncoder(config, self.mem_shapes)
        self.enc_pos_embed = PosEmbed(config.base_units, first[0], first[1], first[2], config.pos_embed_type)
        top = self.mem_shapes[-1]
        self.z_proj = nn.Linear(top[-1], top[-1])
        self.dec_pos_embed = PosEmbed(top[-1], t_out, top[1], top[2], config.pos_embed_type)
        self.decoder = CuboidTransformerDecoder(config, self.mem_shapes)
        self.reset_parameters()
        # Convolutions see channels-last views of (B, T, H, W, C); channels-last weights spare
        # oneDNN a weight reorder on every call. Values and state-dict names are unchanged.
        self.to(memory_format=torch.channels_last)

    def reset_parameters(self) -> None:
        init_earthformer_weights(self)
        for name, param in self.named_parameters():
            if name.endswith("relative_position_bias_table"):
                nn.init.trunc_normal_(param, std=0.02)
        if self.config.num_global_vectors > 0:
            nn.init.trunc_normal_(self.init_global_vectors, std=0.02)
        if self.config.base_forecast != "none":  # start as the base forecast (the head's weights still get gradients)
            nn.init.zeros_(self.dec_final_proj.weight)
            nn.init.zeros_(self.dec_final_proj.bias)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ValueError naming the expected shape when ``x`` is not (B, T_in, H, W, C_in)."""
        expected = tuple(self.config.input_shape)
        if x.ndim != 5 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"input: expected shape (B, {', '.join(map(str, expected))}) "
                             f"(B, T_in, H, W, C_in), got {tuple(x.shape)}")

    def initial_queries(self, top_memory: torch.Tensor) -> torch.Tensor:
        """Decoder queries (B, T_out, H_top, W_top, C_top) from the top-level memory."""
        b, t_out = top_memory.shape[0], self.config.target_shape[0]
        method = self.config.z_init_method
        if method == "zeros":  # learned queries, independent of the input
            zeros = top_memory.new_zeros((1, t_out) + tuple(top_memory.shape[2:]))
            return self.z_proj(self.dec_pos_embed(zeros)).expand(b, -1, -1, -1, -1)
        if method == "nearest_interp":
            size = (t_out,) + tuple(top_memory.shape[2:4])
            z = F.interpolate(top_memory.permute(0, 4, 1, 2, 3), size=size).permute(0, 2, 3, 4, 1)
        elif method == "last":
            z = top_memory[:, -1:].expand(b, t_out, *top_memory.shape[2:])
        else:
            z = top_memory.mean(dim=1, keepdim=True).expand(b, t_out, *top_memory.shape[2:])
        return self.z_proj(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T_in, H, W, C_in) -> (B, T_out, H, W, C_out), in the model's units."""
        self.check_input(x)
        base = None
        if self.config.base_forecast != "none":
            base = base_forecast(self.config.base_forecast, x, self.config.target_shape[0])  # (B, T_out, H, W, 1)
            x = torch.cat([x, base_input(x, base)], dim=-1)  # (B, T_in, H, W, 2)
        standardise = (self.config.data_offset, self.config.data_scale) != (0.0, 1.0)
        if standardise:
            x = (x - self.config.data_offset) / self.config.data_scale
        x = self.enc_pos_embed(self.initial_encoder(x))
        if self.config.num_global_vectors > 0:
            g = self.init_global_vectors.expand(x.shape[0], -1, -1)
            memories, global_memories = self.encoder(x, g)
        else:
            memories, global_memories = self.encoder(x)
        z = self.initial_queries(memories[-1])
        out = self.dec_final_proj(self.final_decoder(self.decoder(z, memories, global_memories)))
        if base is not None:  # a correction of the base forecast: gain (growth, decay, damping) and offset
            gain, offset = out[..., :1], out[..., 1:]  # (B, T_out, H, W, 1) each
            return base * (1.0 + gain) + offset * self.config.data_scale
        return out * self.config.data_scale + self.config.data_offset if standardise else out
