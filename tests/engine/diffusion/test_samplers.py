"""Facts about the samplers and the sampling loop, on Gaussian data with the optimal denoiser."""
from __future__ import annotations

import math

import pytest
import torch

from engine.diffusion import DDIM, DDPM, DEFAULT_SAMPLER, SAMPLERS, DPMSolverPP, get_sampler, sample
from engine.diffusion.samplers import StepInput, draw_noise, timestep_sequence

from .gaussian import SHAPE


def _noise(seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(SHAPE, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _rms(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).pow(2).mean().sqrt())


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_registered_sampler_draws_finite_samples_of_the_requested_shape(name, gaussian):
    result = sample(gaussian.eps, SHAPE, gaussian.schedule, get_sampler(name), steps=10, generator=torch.Generator().manual_seed(0))
    assert result.latents.shape == SHAPE and bool(torch.isfinite(result.latents).all())
    assert result.network_calls == 10 and result.guidance_calls == 0


def test_unknown_sampler_lists_the_valid_names():
    with pytest.raises(ValueError, match="sampler: expected one of ddim, ddim_eta1, ddpm, dpm_solver_pp, got 'euler'"):
        get_sampler("euler")


def test_default_is_ddim_eta1_with_20_steps_which_takes_the_strided_ddpm_posterior_step(gaussian):
    assert DEFAULT_SAMPLER == "ddim_eta1" and get_sampler(DEFAULT_SAMPLER).default_steps == 20
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(1))
    runs = [sample(gaussian.eps, SHAPE, gaussian.schedule, name, steps=20, initial_noise=noise,
                   generator=torch.Generator().manual_seed(2)) for name in (DEFAULT_SAMPLER, "ddpm")]
    assert runs[0].network_calls == runs[1].network_calls == 20
    torch.testing.assert_close(runs[0].latents, runs[1].latents, rtol=1e-4, atol=1e-5)


def test_timesteps_cover_every_step_or_a_quadratic_grid():
    assert timestep_sequence(1000, 1000) == list(range(999, -1, -1))
    assert timestep_sequence(1000, 20) == [round(1000 * (k / 20) ** 2) - 1 for k in range(20, 0, -1)]
    for steps in (*range(1, 60), *range(60, 1001, 17), 999, 1000):
        times = timestep_sequence(1000, steps)
        assert len(times) == steps and times[0] == 999 and all(a > b >= 0 for a, b in zip(times, times[1:]))
    assert timestep_sequence(1000, 1) == [999]
    with pytest.raises(ValueError, match=r"steps: expected an integer in \[1, 1000\], got 0"):
        timestep_sequence(1000, 0)


@pytest.mark.parametrize(
    ("sampler", "steps", "std_band"),
    [(DDPM(), None, 0.04), (DDIM(eta=0.0), 50, 0.06), (DPMSolverPP(), 20, 0.03)],
    ids=["ddpm-1000", "ddim-50", "dpm_solver_pp-20"],
)
def test_samples_of_gaussian_data_have_its_mean_and_std(sampler, steps, std_band, gaussian):
    result = sample(gaussian.eps, SHAPE, gaussian.schedule, sampler, steps, generator=torch.Generator().manual_seed(3))
    z = result.latents
    # 4096 values: the sample mean's standard error is s / 64 = 0.003.
    assert float(z.mean()) == pytest.approx(gaussian.m, abs=0.015)
    assert float(z.std()) == pytest.approx(gaussian.s, rel=std_band)


def test_deterministic_samplers_converge_to_the_exact_ode_solution(gaussian):
    noise = _noise(dtype=torch.float64)
    exact = gaussian.ode_solution(noise)
    errors = {}
    for sampler, steps in [(DDIM(), 20), (DDIM(), 1000), (DPMSolverPP(), 20), (DPMSolverPP(), 40)]:
        z = sample(gaussian.eps, SHAPE, gaussian.schedule, sampler, steps, initial_noise=noise, dtype=torch.float64).latents
        errors[(sampler.name, steps)] = _rms(z, exact) / gaussian.s
    # Measured (rms error / data std): DDIM 1000: 0.005, DDIM 20: 0.078, DPM-Solver++ 20: 0.011.
    assert errors[("ddim", 1000)] < 0.01
    assert errors[("dpm_solver_pp", 20)] < 0.02
    # DPM-Solver++ is the better 20-step sampler by far: the default.
    assert errors[("ddim", 20)] > 5 * errors[("dpm_solver_pp", 20)]
    # Second order: doubling the steps cuts the error by about 4 (measured 3.5).
    assert errors[("dpm_solver_pp", 40)] < errors[("dpm_solver_pp", 20)] / 2.5


def test_dpm_solver_pp_20_lands_on_ddim_1000_with_50x_fewer_network_calls(gaussian):
    calls = {"n": 0}

    def counted(z, t):
        calls["n"] += 1
        return gaussian.eps(z, t)

    noise = _noise(1)
    slow = sample(counted, SHAPE, gaussian.schedule, DDIM(), 1000, initial_noise=noise)
    assert calls["n"] == slow.network_calls == 1000
    fast = sample(counted, SHAPE, gaussian.schedule, "dpm_solver_pp", initial_noise=noise)
    assert calls["n"] - 1000 == fast.network_calls == 20
    assert slow.network_calls / fast.network_calls == 50
    assert _rms(fast.latents, slow.latents) < 0.02 * gaussian.s  # measured 0.012 s


def _step_input(gaussian, t: int, s: int, previous=None) -> StepInput:
    z = _noise(4)
    t_batch = torch.full((SHAPE[0],), t)
    eps = gaussian.eps(z, t_batch)
    return StepInput(z, t, s, eps, gaussian.schedule.predict_x0_from_eps(z, t_batch, eps), previous)


@pytest.mark.parametrize(("t", "s"), [(999, 998), (600, 550), (40, -1)])
def test_ddim_with_eta_one_is_the_ddpm_posterior_step(t, s, gaussian):
    x = _step_input(gaussian, t, s)
    mean_ddpm, std_ddpm = DDPM().step(gaussian.schedule, x)
    mean_ddim, std_ddim = DDIM(eta=1.0).step(gaussian.schedule, x)
    assert torch.allclose(mean_ddpm, mean_ddim, atol=1e-5)
    assert std_ddim == pytest.approx(std_ddpm, rel=1e-6, abs=1e-12)


def test_first_order_dpm_solver_pp_step_is_the_ddim_step(gaussian):
    x = _step_input(gaussian, 700, 650)
    mean_dpm, std_dpm = DPMSolverPP().step(gaussian.schedule, x)
    mean_ddim, _ = DDIM(eta=0.0).step(gaussian.schedule, x)
    assert std_dpm == 0.0 and torch.allclose(mean_dpm, mean_ddim, atol=1e-5)


def test_published_ddpm_step_matches_the_formula_of_the_released_code(gaussian):
    sch, t = gaussian.schedule, 500
    x = _step_input(gaussian, t, t - 1)
    a = sch.alpha_bar(t)
    x0 = math.sqrt(1 / a) * x.z_t - math.sqrt(1 / a - 1) * x.eps
    mean = float(sch.posterior_mean_coef1[t]) * x0 + float(sch.posterior_mean_coef2[t]) * x.z_t
    got_mean, got_std = DDPM().step(sch, x)
    assert torch.allclose(got_mean, mean, atol=1e-5)
    assert got_std == pytest.approx(math.exp(0.5 * float(sch.posterior_log_variance[t])))


def test_same_generator_seed_reproduces_ddpm_samples_and_progress_counts_steps(gaussian):
    seen = []
    first = sample(gaussian.eps, SHAPE, gaussian.schedule, "ddpm", 10, torch.Generator().manual_seed(5), progress=lambda i, n: seen.append((i, n)))
    second = sample(gaussian.eps, SHAPE, gaussian.schedule, "ddpm", 10, torch.Generator().manual_seed(5))
    other = sample(gaussian.eps, SHAPE, gaussian.schedule, "ddpm", 10, torch.Generator().manual_seed(6))
    assert torch.equal(first.latents, second.latents) and not torch.equal(first.latents, other.latents)
    assert seen == [(i, 10) for i in range(1, 11)]


def test_per_group_generators_give_each_row_group_its_own_stream():
    gens = [torch.Generator().manual_seed(s) for s in (1, 2)]
    both = draw_noise((4, 3), gens, "cpu", torch.float32)
    assert torch.equal(both[2:], torch.randn((2, 3), generator=torch.Generator().manual_seed(2)))
    with pytest.raises(ValueError, match="generator: expected a list whose length divides the batch 5, got 2"):
        draw_noise((5, 3), gens, "cpu", torch.float32)


def test_bad_denoiser_output_and_eta_raise(gaussian):
    with pytest.raises(ValueError, match=r"denoise_fn: expected eps_hat of shape \(64, 2, 4, 4, 2\), got \(64, 2\)"):
        sample(lambda z, t: z[:, :, 0, 0, 0], SHAPE, gaussian.schedule, steps=2)
    with pytest.raises(ValueError, match=r"eta: expected a value in \[0, 1\], got 2"):
        DDIM(eta=2)
