"""The default objective: a forecaster regresses the target frames, MSE(model(x), y).

Validation streams the data task's scores (``engine.train.tasks``). The operations are those the
trainer always ran, in the same order, so runs are bit-for-bit what they were before objectives
existed. With ``threshold_weights`` the loss is the intensity-weighted ("balanced") MSE of Shi et
al. (NeurIPS 2017): plain MSE lets a model blur away storm cores that cover 1 % of the pixels.
"""
from __future__ import annotations

from typing import Any, Callable, ContextManager

import torch
import torch.nn.functional as F
from torch import nn

Autocast = Callable[[], ContextManager]


def check_threshold_weights(thresholds: tuple[float, ...], weights: tuple[float, ...]) -> None:
    """ValueError unless there is one weight per threshold."""
    if len(weights) != len(thresholds):
        raise ValueError(f"threshold_weights: expected one weight per threshold {tuple(thresholds)}, "
                         f"got {len(weights)} ({tuple(weights)})")


def threshold_weight_map(target: torch.Tensor, thresholds: tuple[float, ...],
                         weights: tuple[float, ...]) -> torch.Tensor:
    """Per-pixel weights of a target (any shape, [0, 1] scale; ``thresholds`` on 0-255).

    A pixel at or above ``thresholds[i]`` and below the next weighs ``weights[i]``; below the first
    it weighs 1.
    """
    check_threshold_weights(thresholds, weights)
    out = torch.ones_like(target)
    for threshold, weight in zip(thresholds, weights):  # ascending thresholds: the last reached wins
        out = torch.where(target >= threshold / 255.0, torch.full_like(target, weight), out)
    return out


class Supervised:
    """(Weighted) MSE of a forecaster on a task's (input, target) split; scores from the task."""

    def __init__(self, task: Any, threshold_weights: tuple[float, ...] = ()) -> None:
        self.task = task
        self.threshold_weights = tuple(threshold_weights)
        if self.threshold_weights:
            thresholds = getattr(task, "thresholds", None)
            if thresholds is None:
                raise ValueError(f"threshold_weights: expected a task with VIL thresholds (SEVIR), got "
                                 f"{type(task).__name__}")
            check_threshold_weights(thresholds, self.threshold_weights)  # before training, not at step 1

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
        y = y.to(pred.dtype)
        if not self.threshold_weights:
            return F.mse_loss(pred, y)
        weight = threshold_weight_map(y, self.task.thresholds, self.threshold_weights)
        return (weight * (pred - y) ** 2).mean()

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
