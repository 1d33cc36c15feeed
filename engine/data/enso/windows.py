"""Forecast windows over a model's monthly series: 12 input months then 14 output months.

Window ``s`` of a series takes months ``s .. s + 11`` as input and ``s + 12 .. s + 25`` as
output; its Nino3.4 targets are the labels of months ``s + 12 .. s + 23`` (label m averages
months m, m+1, m+2, so lead l = 1..12 matches the running mean of output months l-1..l+1).
With stride 1, a series of M months gives M - 25 windows: 1811 per CMIP6 model (1836 months),
1679 per CMIP5 model (1704 months), 52,350 / 1,679 / 1,679 for train / val / test.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .format import IN_MONTHS, OUT_MONTHS, SPLITS
from .nino import RUNNING_MONTHS
from .reader import ModelInfo


@dataclass(frozen=True)
class WindowSpec:
    """Lengths and stride of forecast windows (Earthformer: 12 in, 14 out, stride 1)."""

    in_months: int = IN_MONTHS
    out_months: int = OUT_MONTHS
    stride: int = 1

    def __post_init__(self) -> None:
        for name in ("in_months", "stride"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.out_months < RUNNING_MONTHS:
            raise ValueError(f"out_months: expected >= {RUNNING_MONTHS} (one 3-month mean), got {self.out_months}")

    @property
    def total(self) -> int:
        return self.in_months + self.out_months

    @property
    def leads(self) -> int:
        """Nino3.4 lead months a window scores: out_months - 2."""
        return self.out_months - RUNNING_MONTHS + 1


def window_starts(months: int, spec: WindowSpec = WindowSpec()) -> np.ndarray:
    """First month of every window that fits in a series of ``months`` months."""
    return np.arange(0, max(months - spec.total + 1, 0), spec.stride)


def nino_target_slice(start: int, spec: WindowSpec = WindowSpec()) -> slice:
    """Label months holding window ``start``'s Nino3.4 targets (leads 1..spec.leads)."""
    first = start + spec.in_months
    return slice(first, first + spec.leads)


def window_counts(models: list[ModelInfo], spec: WindowSpec = WindowSpec()) -> dict[str, int]:
    """Number of windows per split, every split listed (0 when it has no model)."""
    counts = {split: 0 for split in SPLITS}
    for info in models:
        counts[info.split] += len(window_starts(info.months, spec))
    return counts
