"""Earthformer weight initialisation ([EF] ``apply_initialization`` with every mode "0").

Linear: Kaiming-normal, fan_in, linear gain (std 1/sqrt(fan_in)), zero bias. Conv: Kaiming-normal
a=0.1, fan_out, leaky-ReLU gain, zero bias. Norms: weight 1, bias 0. Embeddings: trunc-normal 0.02.
Unlike the published code (whose ``reset_parameters`` visits direct children only, so convs
nested in ``nn.Sequential`` keep PyTorch's default init) every submodule is initialised.
"""
from __future__ import annotations

from torch import nn


def init_earthformer_weights(root: nn.Module) -> None:
    """Initialise every Linear, Conv2d, LayerNorm, GroupNorm and Embedding under ``root``."""
    for module in root.modules():
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="linear")
        elif isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, a=0.1, mode="fan_out", nonlinearity="leaky_relu")
        elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
            if module.weight is not None:
                nn.init.ones_(module.weight)
        elif isinstance(module, nn.Embedding):
            nn.init.trunc_normal_(module.weight, std=0.02)
        bias = getattr(module, "bias", None)
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.LayerNorm, nn.GroupNorm)) and bias is not None:
            nn.init.zeros_(bias)
