"""The default objective: a forecaster regresses the target frames, MSE(model(x), y).

Validation streams the data task's scores (``engine.train.tasks``). The operations are those the
trainer always ran, in the same order, so runs are bit-for-bit what they were before objectives
existed.
"""
from __future__ import annotations

from typing import Any, Callable, ContextManager

import torch
import torch.nn.functional as F
from torch import nn

Autocast = Callable[[], ContextManager]


class Supervised:
    """MSE of a forecaster on a task's (input, target) split; scores from the task."""

    def __init__(self, task: Any) -> None:
        self.task = task

    @property
    def selection(self) -> str:
        return self.task.selection

    def extra_parameters(self) -> list[tuple[str, nn.Parameter]]:
        return []

    def to(self, device: torch.device) -> "Supervised":
        return self

    def loss(self, model: nn.Module, batch: Any, step: int, autocast: Autocast) -> torch.Tensor:
        x, y = self.task.split(batch)
        with autocast():
            pred = model(x)
        pred = pred if pred.dtype == torch.float64 else pred.float()  # the loss in fp32 under autocast
        return F.mse_loss(pred, y.to(pred.dtype))

    def init(self) -> Any:
        return self.task.init()

    def accumulate(self, state: Any, model: nn.Module, batch: Any, cpu_batch: Any, autocast: Autocast) -> Any:
        x, _ = self.task.split(batch)
        with autocast():
            pred = model(x)
        return self.task.accumulate(state, pred.float(), cpu_batch)

    def merge(self, a: Any, b: Any) -> Any:
        return self.task.merge(a, b)

    def compute(self, state: Any) -> dict[str, float]:
        return self.task.compute(state)
