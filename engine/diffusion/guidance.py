"""Knowledge control (PreDiff, Gao et al. 2023, reference C.4) as a guidance object for the loop.

An alignment network U(z_t, t) -> (B, T_out, 1) anticipates the per-frame average intensity of
the clean future. At every step the residual R = | mean over frames of U(z_t, t) - F0 | is
pushed down by moving along -grad_z R.

How strong a step is. The published sampler (1000 DDPM steps) shifts the step's mean by
``-scale * sigma_t * grad R`` with sigma_t = exp(0.5 * clipped posterior log-variance). We turn
that into the equivalent change of the noise prediction,

    eps_guided = eps_hat + scale * k_t * grad R,   k_t = sigma_t sqrt(alpha_t) sqrt(1 - alpha_bar_t) / beta_t,

because the DDPM mean depends on eps_hat through -beta_t / (sqrt(alpha_t) sqrt(1 - alpha_bar_t)).
With every DDPM step this reproduces the published update exactly (a tested identity). DDIM and
DPM-Solver++ then integrate the same guided noise field with fewer, larger steps, so the
guidance means the same thing for every sampler and step count instead of being a per-step
nudge whose total would shrink with the number of steps.

Two deliberate departures from the released code: R is computed per sample (the published norm
is one scalar over the whole batch, which couples ensemble members and makes a member's result
depend on how the batch is chunked), and the target F0 is an explicit per-sample input (the
released code uses an oracle: twice the observed future mean).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Union

import numpy as np
import torch

from .protocols import AlignmentFn
from .schedule import NoiseSchedule

N_SIGMA_RANGE = (-4.0, 4.0)
PUBLISHED_SCALE = 50.0  # guide_scale of the released SEVIR configuration
ArrayLike = Union[torch.Tensor, np.ndarray, float, list]


def average_intensity(x: torch.Tensor) -> torch.Tensor:
    """The knowledge function F: per-frame spatial mean, (B, T, H, W, C) -> (B, T, 1)."""
    if x.ndim != 5:
        raise ValueError(f"x: expected (B, T, H, W, C), got shape {tuple(x.shape)}")
    return x.mean(dim=(2, 3, 4)).unsqueeze(-1)


def eps_scale(schedule: NoiseSchedule, t: int) -> float:
    """k_t: the eps_hat shift per unit of ``scale * grad R`` that moves the DDPM mean by
    ``-scale * sigma_t * grad R`` (see the module docstring)."""
    beta = float(schedule.betas[t])
    a_bar = float(schedule.alphas_cumprod[t])
    return schedule.posterior_std(t) * math.sqrt(1.0 - beta) * math.sqrt(1.0 - a_bar) / beta


@dataclass(frozen=True, eq=False)
class KnowledgeControl:
    """Guidance toward a target average intensity F0.

    Parameters
    ----------
    alignment_fn : (z_t (B, T_out, h, w, c), t (B,) int64) -> (B, T_out, 1); differentiable in z_t.
    target : (B,) F0 per sample, in the units of the alignment output ([0, 1] VIL for SEVIR).
    scale : lambda, the guidance strength (published: 50).
    """

    alignment_fn: AlignmentFn
    target: torch.Tensor
    scale: float = PUBLISHED_SCALE

    def __post_init__(self) -> None:
        target = torch.as_tensor(self.target, dtype=torch.float32)
        if target.ndim != 1:
            raise ValueError(f"target: expected F0 per sample, shape (B,), got {tuple(target.shape)}")
        if not math.isfinite(self.scale) or self.scale < 0:
            raise ValueError(f"scale: expected a finite value >= 0, got {self.scale}")
        object.__setattr__(self, "target", target)

    def residual(self, z_t: torch.Tensor, t: int) -> torch.Tensor:
        """R per sample, (B,): | mean over frames of U(z_t, t) - F0 |."""
        batch = z_t.shape[0]
        if self.target.shape[0] != batch:
            raise ValueError(f"target: expected {batch} values (one per sample), got {self.target.shape[0]}")
        t_batch = torch.full((batch,), t, dtype=torch.long, device=z_t.device)
        anticipated = self.alignment_fn(z_t, t_batch)
        if anticipated.shape[0] != batch:
            raise ValueError(f"alignment_fn: expected output (B={batch}, T_out, 1), got {tuple(anticipated.shape)}")
        mean = anticipated.reshape(batch, -1).mean(dim=1)
        return (mean - self.target.to(device=mean.device, dtype=mean.dtype)).abs()

    def eps_shift(self, z_t: torch.Tensor, t: int, schedule: NoiseSchedule) -> torch.Tensor:
        """scale * k_t * grad_z sum_b R_b, the shape of ``z_t``."""
        if self.scale == 0:
            return torch.zeros_like(z_t)
        with torch.enable_grad():
            z = z_t.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.residual(z, t).sum(), z)
        return (self.scale * eps_scale(schedule, t)) * grad

    def tile(self, n: int) -> KnowledgeControl:
        """The same control for the batch repeated ``n`` times (member-major rows)."""
        return replace(self, target=self.target.repeat(int(n)))


def target_intensity(mu: ArrayLike, sigma: float, n: float) -> torch.Tensor:
    """F0 = mu + n * sigma: the anticipated intensity moved by n standard deviations.

    Parameters
    ----------
    mu : (B,) or scalar anticipated average intensity (forecast or observed future).
    sigma : standard deviation of the future average intensity over the training split.
    n : strength in sigma units, in [-4, 4].
    """
    n = float(n)
    if not N_SIGMA_RANGE[0] <= n <= N_SIGMA_RANGE[1]:
        raise ValueError(f"n: expected a value in [-4, 4], got {n:g}")
    if not math.isfinite(float(sigma)) or sigma < 0:
        raise ValueError(f"sigma: expected a finite value >= 0, got {sigma}")
    mu = torch.as_tensor(mu, dtype=torch.float32)
    return (mu + n * float(sigma)).reshape(-1)


def exceedance_probability(train_values: ArrayLike, threshold: ArrayLike) -> torch.Tensor:
    """Empirical probability of an outcome at least as intense: mean(train_values >= threshold).

    Parameters
    ----------
    train_values : (N,) average intensities over the training split.
    threshold : scalar or (B,) thresholds (e.g. targets F0).

    Returns
    -------
    A float64 tensor of the threshold's shape, values in [0, 1].
    """
    values = torch.as_tensor(np.asarray(train_values, dtype=np.float64)).reshape(-1)
    if values.numel() == 0 or not bool(torch.isfinite(values).all()):
        raise ValueError(f"train_values: expected a non-empty set of finite values, got {values.numel()} values")
    thresholds = torch.as_tensor(np.asarray(threshold, dtype=np.float64))
    return (values >= thresholds.unsqueeze(-1)).double().mean(dim=-1)
