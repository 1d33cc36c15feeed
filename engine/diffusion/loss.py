"""Training losses: the denoiser's epsilon loss and the alignment network's regression loss.

PreDiff (reference C.3) draws t uniformly per sample, noises z_0 with the schedule and regresses
the noise: L_simple = mean over (T, H, W, C) of (eps_hat - eps)^2. With ``learn_logvar`` a
per-timestep log-variance gamma_t (init 0) weights it: loss = mean_b[L_simple / exp(gamma_t) +
gamma_t] (this is why published losses go negative, issue #28).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .protocols import AlignmentFn, DenoiseFn
from .schedule import NoiseSchedule


class LearnedLogVar(nn.Module):
    """Learnable per-timestep log-variance weighting of the per-sample loss."""

    def __init__(self, num_steps: int = 1000) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(num_steps))

    def forward(self, per_sample: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B,) per-sample losses and (B,) times -> scalar mean(L / exp(gamma_t) + gamma_t)."""
        gamma = self.gamma[t.to(self.gamma.device)].to(per_sample.dtype)
        return (per_sample / gamma.exp() + gamma).mean()


@dataclass(frozen=True, eq=False)
class DiffusionLoss:
    """The training objective and what to log: ``loss`` (scalar), ``simple`` (B,) L_simple, ``t`` (B,)."""

    loss: torch.Tensor
    simple: torch.Tensor
    t: torch.Tensor


def sample_timesteps(batch: int, schedule: NoiseSchedule, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B,) int64 times drawn uniformly from {0, ..., T - 1}, on the generator's device."""
    device = generator.device if generator is not None else "cpu"
    return torch.randint(0, schedule.num_steps, (batch,), generator=generator, dtype=torch.long, device=device)


def _noised(
    z0: torch.Tensor,
    schedule: NoiseSchedule,
    generator: torch.Generator | None,
    t: torch.Tensor | None,
    noise: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if t is None:
        t = sample_timesteps(z0.shape[0], schedule, generator).to(z0.device)
    if noise is None:
        device = generator.device if generator is not None else "cpu"
        noise = torch.randn(z0.shape, generator=generator, dtype=z0.dtype, device=device).to(z0.device)
    return schedule.q_sample(z0, t, noise), t, noise


def epsilon_loss(
    denoise_fn: DenoiseFn,
    z0: torch.Tensor,
    schedule: NoiseSchedule,
    *,
    weighting: LearnedLogVar | None = None,
    generator: torch.Generator | None = None,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
) -> DiffusionLoss:
    """Epsilon-prediction loss of ``denoise_fn`` on clean latents ``z0`` (B, ...).

    ``t`` and ``noise`` are drawn from ``generator`` unless given. Without ``weighting`` the loss
    is mean_b L_simple.
    """
    z_t, t, noise = _noised(z0, schedule, generator, t, noise)
    eps_hat = denoise_fn(z_t, t)
    if eps_hat.shape != noise.shape:
        raise ValueError(f"denoise_fn: expected eps_hat of shape {tuple(noise.shape)}, got {tuple(eps_hat.shape)}")
    simple = (eps_hat - noise).pow(2).reshape(z0.shape[0], -1).mean(dim=1)
    loss = simple.mean() if weighting is None else weighting(simple, t)
    return DiffusionLoss(loss=loss, simple=simple.detach(), t=t)


def alignment_loss(
    alignment_fn: AlignmentFn,
    z0: torch.Tensor,
    knowledge: torch.Tensor,
    schedule: NoiseSchedule,
    *,
    generator: torch.Generator | None = None,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """MSE between U(z_t, t) and the knowledge F(x) of the clean target, (B, T_out, 1) each."""
    z_t, t, _ = _noised(z0, schedule, generator, t, noise)
    predicted = alignment_fn(z_t, t)
    if predicted.shape != knowledge.shape:
        raise ValueError(f"alignment_fn: expected output of shape {tuple(knowledge.shape)}, got {tuple(predicted.shape)}")
    return (predicted - knowledge).pow(2).mean()
