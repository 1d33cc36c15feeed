"""Facts about the training losses: L_simple, the learned log-variance weighting, alignment MSE."""
from __future__ import annotations

import pytest
import torch

from engine.diffusion import LearnedLogVar, alignment_loss, average_intensity, epsilon_loss, sample_timesteps

from .gaussian import SHAPE


def _z0(gaussian, seed: int = 0, batch: int = SHAPE[0]) -> torch.Tensor:
    shape = (batch,) + SHAPE[1:]
    return gaussian.m + gaussian.s * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_learned_logvar_at_zero_equals_l_simple(gaussian):
    z0 = _z0(gaussian)
    plain = epsilon_loss(gaussian.eps, z0, gaussian.schedule, generator=torch.Generator().manual_seed(1))
    weighted = epsilon_loss(gaussian.eps, z0, gaussian.schedule, weighting=LearnedLogVar(1000), generator=torch.Generator().manual_seed(1))
    assert torch.equal(plain.t, weighted.t)
    assert float(weighted.loss.detach()) == pytest.approx(float(plain.simple.mean()), rel=1e-6)
    assert float(plain.loss) == pytest.approx(float(plain.simple.mean()), rel=1e-6)


def test_learned_logvar_matches_its_formula_and_trains_gamma():
    weighting = LearnedLogVar(10)
    with torch.no_grad():
        weighting.gamma.copy_(torch.linspace(-1, 1, 10))
    per_sample, t = torch.tensor([0.5, 2.0, 1.0]), torch.tensor([0, 9, 4])
    gamma = weighting.gamma.detach()[t]
    loss = weighting(per_sample, t)
    assert float(loss.detach()) == pytest.approx(float((per_sample / gamma.exp() + gamma).mean()), rel=1e-6)
    loss.backward()
    # d/dgamma (L e^-gamma + gamma) = 1 - L e^-gamma, averaged over the batch, only at drawn times.
    expected = torch.zeros(10)
    expected[t] = (1 - per_sample * (-gamma).exp()) / 3
    assert torch.allclose(weighting.gamma.grad, expected, atol=1e-6)


def test_optimal_denoiser_loss_is_the_posterior_variance_of_the_noise(gaussian):
    """Var(eps | z_t) = a s^2 / (a s^2 + 1 - a) per element for Gaussian data."""
    z0 = _z0(gaussian, 2, batch=1024)  # 65,536 values: relative standard error 0.6 %
    for t in (50, 300, 900):
        a = gaussian.schedule.alpha_bar(t)
        out = epsilon_loss(gaussian.eps, z0, gaussian.schedule, t=torch.full((1024,), t), generator=torch.Generator().manual_seed(t))
        assert float(out.loss) == pytest.approx(a * gaussian.s**2 / (a * gaussian.s**2 + 1 - a), rel=0.03)


def test_timesteps_are_uniform_over_the_schedule(schedule):
    t = sample_timesteps(100_000, schedule, torch.Generator().manual_seed(0))
    assert t.dtype == torch.int64 and int(t.min()) == 0 and int(t.max()) == 999
    counts = torch.bincount(t // 100, minlength=10).double()
    assert float((counts / counts.mean() - 1).abs().max()) < 0.03


def test_alignment_loss_is_zero_for_the_true_knowledge_and_checks_shapes(gaussian):
    z0 = _z0(gaussian, 3)
    knowledge = average_intensity(z0)
    assert float(alignment_loss(lambda z, t: knowledge, z0, knowledge, gaussian.schedule)) == 0.0
    # The Bayes alignment beats a constant guess of the mean.
    bayes = alignment_loss(gaussian.alignment, z0, knowledge, gaussian.schedule, generator=torch.Generator().manual_seed(0))
    constant = alignment_loss(lambda z, t: torch.full_like(knowledge, gaussian.m), z0, knowledge, gaussian.schedule)
    assert float(bayes) < float(constant)
    with pytest.raises(ValueError, match=r"alignment_fn: expected output of shape \(64, 2, 1\), got \(64, 2\)"):
        alignment_loss(lambda z, t: knowledge[..., 0], z0, knowledge, gaussian.schedule)
