"""The call contracts of the networks and guidance this package drives (typing only).

The diffusion code never imports a network: it calls anything with these signatures, so tests
use analytic stand-ins and the models package stays free to change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

import torch

if TYPE_CHECKING:
    from .schedule import NoiseSchedule

# (z_t (B, ...), t (B,) int64) -> eps_hat (B, ...): a denoiser with its context already bound.
DenoiseFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# (z_t (B, T_out, h, w, c), t (B,) int64) -> (B, T_out, 1): anticipated per-frame average intensity.
AlignmentFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# progress(done, total): called after every network evaluation of the sampling loop.
Progress = Callable[[int, int], None]


class Denoiser(Protocol):
    """A conditional noise predictor: ``forward(z_t, t, context) -> eps_hat``.

    Shapes: z_t (B, T_out, h, w, c) latents, t (B,) int64, context (B, T_in, h, w, c) encoded
    observations; eps_hat has the shape of z_t.
    """

    def __call__(self, z_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor) -> torch.Tensor: ...


class Guidance(Protocol):
    """Something that bends the sampling trajectory, applied by the loop at every step.

    ``mean_shift(z_t, t, s, schedule)`` returns what to add to the mean of the transition from
    time ``t`` to time ``s`` (s < t; -1 = clean data), shape of ``z_t``; ``tile(n)`` returns the
    same guidance for a batch repeated ``n`` times along axis 0 (ensemble members, member-major).
    """

    def mean_shift(self, z_t: torch.Tensor, t: int, s: int, schedule: NoiseSchedule) -> torch.Tensor: ...

    def tile(self, n: int) -> Guidance: ...
