"""Facts about the noise schedule: published values, identities, q_sample statistics."""
from __future__ import annotations

import math

import pytest
import torch

from engine.diffusion import NoiseSchedule
from engine.diffusion.schedule import posterior_between


def test_published_linear_schedule_has_pinned_first_and_last_betas(schedule):
    assert schedule.num_steps == 1000
    assert schedule.betas.dtype == torch.float64
    assert float(schedule.betas[0]) == pytest.approx(1e-4, rel=1e-12)
    assert float(schedule.betas[-1]) == pytest.approx(2e-2, rel=1e-12)
    # Linear in sqrt(beta), not in beta: constant root increments, and the sum of squares of an
    # arithmetic sequence in closed form.
    roots = schedule.betas.sqrt()
    assert torch.allclose(roots[1:] - roots[:-1], (roots[1] - roots[0]).expand(999), rtol=1e-9)
    n, r0 = 1000, math.sqrt(1e-4)
    d = (math.sqrt(2e-2) - r0) / (n - 1)
    closed = n * r0**2 + r0 * d * n * (n - 1) + d**2 * (n - 1) * n * (2 * n - 1) / 6
    assert float(schedule.betas.sum()) == pytest.approx(closed, rel=1e-12)
    # The end of the forward process keeps sqrt(alpha_bar) = 2.7 % of the signal.
    assert float(schedule.alphas_cumprod[-1]) == pytest.approx(7.334e-4, rel=1e-3)


def test_alphas_cumprod_is_the_running_product_of_one_minus_beta(schedule):
    brute = [1.0]
    for beta in schedule.betas.tolist():
        brute.append(brute[-1] * (1 - beta))
    assert torch.allclose(schedule.alphas_cumprod, torch.tensor(brute[1:], dtype=torch.float64), rtol=1e-12)
    assert torch.equal(schedule.alphas_cumprod_prev[1:], schedule.alphas_cumprod[:-1])
    assert float(schedule.alphas_cumprod_prev[0]) == 1.0


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_posterior_variance_and_coefficients_follow_the_formulas(name):
    sch = NoiseSchedule.from_name(name)
    for t in (1, 10, 500, 999):
        beta, a, a_prev = float(sch.betas[t]), float(sch.alphas_cumprod[t]), float(sch.alphas_cumprod[t - 1])
        assert float(sch.posterior_variance[t]) == pytest.approx(beta * (1 - a_prev) / (1 - a), rel=1e-12)
        assert float(sch.posterior_mean_coef1[t]) == pytest.approx(beta * math.sqrt(a_prev) / (1 - a), rel=1e-12)
        assert float(sch.posterior_mean_coef2[t]) == pytest.approx((1 - a_prev) * math.sqrt(1 - beta) / (1 - a), rel=1e-12)
    # beta_tilde_0 = 0, so the published log-variance is clipped at log(1e-20).
    assert float(sch.posterior_variance[0]) == 0.0
    assert float(sch.posterior_log_variance[0]) == pytest.approx(math.log(1e-20))


def test_strided_posterior_reduces_to_the_tables_for_one_step(schedule):
    for t in (1, 37, 999):
        coef_x0, coef_zt, variance = posterior_between(schedule, t, t - 1)
        assert coef_x0 == pytest.approx(float(schedule.posterior_mean_coef1[t]), rel=1e-9)
        assert coef_zt == pytest.approx(float(schedule.posterior_mean_coef2[t]), rel=1e-9)
        assert variance == pytest.approx(float(schedule.posterior_variance[t]), rel=1e-9)
    assert posterior_between(schedule, 400, -1) == pytest.approx((1.0, 0.0, 0.0))


def test_q_sample_has_the_forward_marginal_statistics(schedule):
    gen = torch.Generator().manual_seed(0)
    z0 = torch.full((200_000,), 2.0)
    for t in (0, 300, 999):
        zt = schedule.q_sample(z0[None], torch.tensor([t]), torch.randn(z0.shape, generator=gen)[None])[0]
        a = schedule.alpha_bar(t)
        assert float(zt.mean()) == pytest.approx(2.0 * math.sqrt(a), abs=0.01)
        assert float(zt.std()) == pytest.approx(math.sqrt(1 - a), rel=0.01, abs=1e-3)


def test_x0_and_eps_predictions_invert_q_sample(schedule):
    gen = torch.Generator().manual_seed(1)
    z0, noise = torch.randn(4, 3, 5, generator=gen), torch.randn(4, 3, 5, generator=gen)
    t = torch.tensor([0, 10, 500, 999])
    zt = schedule.q_sample(z0, t, noise)
    assert torch.allclose(schedule.predict_x0_from_eps(zt, t, noise), z0, atol=1e-3)
    assert torch.allclose(schedule.predict_eps_from_x0(zt, t, z0), noise, atol=1e-3)


def test_cosine_schedule_is_monotone_and_capped():
    sch = NoiseSchedule.from_name("cosine")
    assert bool((sch.alphas_cumprod[1:] < sch.alphas_cumprod[:-1]).all())
    assert float(sch.betas.max()) <= 0.999


def test_bad_schedule_inputs_raise_one_clear_message(schedule):
    with pytest.raises(ValueError, match="schedule: expected one of linear, cosine, got 'quadratic'"):
        NoiseSchedule.from_name("quadratic")
    with pytest.raises(ValueError, match=r"t: expected times in \[0, 999\]"):
        schedule.q_sample(torch.zeros(1, 2), torch.tensor([1000]), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"betas: expected values in \(0, 1\)"):
        NoiseSchedule(torch.tensor([0.1, 1.5]))
