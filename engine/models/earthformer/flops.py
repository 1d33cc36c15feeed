"""Forward cost of an Earthformer configuration, counted by running it on PyTorch's meta device.

``torch.utils.flop_counter.FlopCounterMode`` counts matrix products and convolutions (2 FLOPs per
multiply-add). The papers report fvcore multiply-add counts ("GFLOPS" in their tables), which
also include small terms for norms and upsampling; ours are the matmul/conv multiply-adds.
``nominal`` is the published computation (nearest upsampling, then a 3x3 convolution);
``executed`` is what our fused upsampling actually runs.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .config import EarthformerConfig
from .model import Earthformer
from .upsample import fused_upsampling


@dataclass(frozen=True)
class ForwardCost:
    """Multiply-adds and FLOPs of one forward pass at batch size 1."""

    nominal_macs: int
    executed_macs: int

    @property
    def nominal_flops(self) -> int:
        return 2 * self.nominal_macs

    @property
    def executed_flops(self) -> int:
        return 2 * self.executed_macs


def _count(model: Earthformer, x: torch.Tensor, fused: bool) -> int:
    counter = FlopCounterMode(display=False)
    with fused_upsampling(fused), counter:  # no torch.no_grad(): FlopCounterMode's module tracker needs autograd
        model(x)
    return counter.get_total_flops() // 2


def forward_cost(config: EarthformerConfig) -> ForwardCost:
    """Count one sample's forward without allocating real memory (meta tensors)."""
    with torch.device("meta"):
        model = Earthformer(config).eval().requires_grad_(False)
        x = torch.empty(1, *config.input_shape)
    return ForwardCost(nominal_macs=_count(model, x, fused=False), executed_macs=_count(model, x, fused=True))
