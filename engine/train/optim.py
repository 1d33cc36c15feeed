"""AdamW with weight-decay groups and the warm-up + cosine schedule of the Earthformer scripts.

Weight decay applies to the weights of linear and convolution layers only. Biases, normalisation
parameters, embeddings (positional tables), global vectors and relative-position bias tables
are not decayed: shrinking them toward zero has no regularising meaning (reference B.10 "weight
decay only on non-LayerNorm, non-bias parameters", extended to the other table-like parameters).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import TrainConfig

NORM_TYPES: tuple[type[nn.Module], ...] = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm,
                                           nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm)
#: Parameter names (last component) that are tables or vectors, never decayed.
NO_DECAY_NAMES: tuple[str, ...] = ("bias", "relative_position_bias_table", "init_global_vectors")


def no_decay(module: nn.Module, param_name: str, param: nn.Parameter) -> bool:
    """Whether ``param`` (named ``param_name`` inside ``module``) is exempt from weight decay."""
    return (param_name in NO_DECAY_NAMES or "global_vector" in param_name or param.ndim <= 1
            or isinstance(module, NORM_TYPES + (nn.Embedding,)))


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two AdamW groups: ``{"params", "weight_decay", "names"}`` with decay, then without."""
    decay, exempt = {}, {}
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            full = f"{module_name}.{name}" if module_name else name
            (exempt if no_decay(module, name, param) else decay)[full] = param
    return [{"params": list(decay.values()), "weight_decay": weight_decay, "names": list(decay)},
            {"params": list(exempt.values()), "weight_decay": 0.0, "names": list(exempt)}]


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    return torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=config.lr, betas=tuple(config.betas))


@dataclass(frozen=True)
class WarmupCosine:
    """LR multiplier at optimizer step ``s`` (0-based): linear warm-up, then cosine decay.

    For ``s < warmup``: ``r0 + (1 - r0) * s / warmup`` with ``r0 = warmup_min_lr_ratio``; then
    ``m + (1 - m) * (1 + cos(pi * (s - warmup) / (total - warmup))) / 2`` with ``m = min_lr_ratio``
    (PyTorch's CosineAnnealingLR to ``eta_min = m * lr``), held at ``m`` past ``total``.
    """

    total_steps: int
    warmup_steps: int
    warmup_min_lr_ratio: float
    min_lr_ratio: float

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            r0 = self.warmup_min_lr_ratio
            return r0 + (1.0 - r0) * step / self.warmup_steps
        span = max(self.total_steps - self.warmup_steps, 1)
        progress = min(step - self.warmup_steps, span) / span
        m = self.min_lr_ratio
        return m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * progress))


def warmup_cosine(config: TrainConfig, total_steps: int) -> WarmupCosine:
    """The schedule for ``total_steps`` optimizer steps; warm-up is ``round(warmup_percentage * total)``."""
    if total_steps < 1:
        raise ValueError(f"total_steps: expected >= 1 optimizer step, got {total_steps}")
    return WarmupCosine(total_steps, int(round(config.warmup_percentage * total_steps)),
                        config.warmup_min_lr_ratio, config.min_lr_ratio)


def build_scheduler(optimizer: torch.optim.Optimizer, schedule: WarmupCosine) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR stepped once per optimizer step; its state (last step) goes into checkpoints."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
