"""Gaussian data N(m, s^2) per element, where the optimal denoiser and alignment are analytic.

If z_0 ~ N(m, s^2) then z_t = a z_0 + sigma eps (a^2 = alpha_bar_t, sigma^2 = 1 - a^2) is
N(a m, v) with v = a^2 s^2 + sigma^2, and E[eps | z_t] = sigma (z_t - a m) / v,
E[z_0 | z_t] = m + a s^2 (z_t - a m) / v. The probability-flow ODE maps z_T to
z_0 = m + s (z_T - a_T m) / sqrt(v_T) exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.diffusion import NoiseSchedule, average_intensity

SHAPE = (64, 2, 4, 4, 2)  # (B, T_out, h, w, c): 4096 values, 64 per sample


@dataclass(frozen=True)
class GaussianData:
    schedule: NoiseSchedule
    m: float = 0.3
    s: float = 0.2

    def _a(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return self.schedule.alphas_cumprod[t].to(like.dtype).reshape((-1,) + (1,) * (like.ndim - 1))

    def eps(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Optimal noise prediction E[eps | z_t]."""
        a = self._a(t, z)
        return (1 - a).sqrt() * (z - a.sqrt() * self.m) / (a * self.s**2 + 1 - a)

    def x0(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Optimal data prediction E[z_0 | z_t]."""
        a = self._a(t, z)
        return self.m + a.sqrt() * self.s**2 * (z - a.sqrt() * self.m) / (a * self.s**2 + 1 - a)

    def alignment(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Optimal (linear) alignment: E[per-frame average of z_0 | z_t], (B, T, 1)."""
        return average_intensity(self.x0(z, t))

    def ode_solution(self, z_T: torch.Tensor) -> torch.Tensor:
        """Exact end point of the probability-flow ODE started at z_T (t = T - 1)."""
        a = self.schedule.alpha_bar(self.schedule.num_steps - 1)
        return self.m + self.s * (z_T - math.sqrt(a) * self.m) / math.sqrt(a * self.s**2 + 1 - a)

    @property
    def intensity_std(self) -> float:
        """Std of a sample's average over its 64 values (the sigma of the knowledge control)."""
        return self.s / math.sqrt(math.prod(SHAPE[1:]))
