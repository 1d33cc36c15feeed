"""Facts about knowledge control: target helpers, the published step, and steering samples."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from engine.diffusion import DDIM, DDPM, KnowledgeControl, average_intensity, exceedance_probability, sample, target_intensity
from engine.diffusion.guidance import step_sigma

from .gaussian import SHAPE

N_VALUES = (-4, -2, 0, 2, 4)


def _control(gaussian, n: float, scale: float = 50.0, **options) -> KnowledgeControl:
    target = target_intensity(torch.full((SHAPE[0],), gaussian.m), gaussian.intensity_std, n)
    return KnowledgeControl(gaussian.alignment, target, scale, **options)


def _achieved(latents: torch.Tensor) -> torch.Tensor:
    return latents.mean(dim=(1, 2, 3, 4))  # (B,) average intensity of each sample


def test_target_is_mu_plus_n_sigma_and_n_is_limited_to_four_sigma():
    assert torch.allclose(target_intensity(torch.tensor([0.1, 0.2]), 0.05, -2), torch.tensor([0.0, 0.1]))
    assert target_intensity(0.3, 0.1, 4).tolist() == pytest.approx([0.7])
    for n in (-4.5, 5, 100):
        with pytest.raises(ValueError, match=rf"n: expected a value in \[-4, 4\], got {n:g}"):
            target_intensity(0.3, 0.1, n)
    with pytest.raises(ValueError, match="sigma: expected a finite value >= 0, got -1"):
        target_intensity(0.3, -1, 0)


def test_exceedance_probability_counts_training_outcomes_at_least_as_intense():
    values = np.random.default_rng(0).gamma(2.0, 0.05, size=1000)
    thresholds = np.array([0.0, 0.05, 0.1, 0.3, 10.0])
    got = exceedance_probability(values, thresholds)
    brute = [sum(v >= th for v in values) / len(values) for th in thresholds]
    assert got.tolist() == pytest.approx(brute)
    assert float(exceedance_probability(values, values.max())) == pytest.approx(1 / 1000)
    with pytest.raises(ValueError, match="train_values: expected a non-empty set of finite values, got 0 values"):
        exceedance_probability([], 0.1)


def test_average_intensity_is_the_per_frame_spatial_mean():
    x = torch.arange(2 * 3 * 4 * 5 * 1, dtype=torch.float32).reshape(2, 3, 4, 5, 1)
    got = average_intensity(x)
    assert got.shape == (2, 3, 1) and float(got[1, 2, 0]) == pytest.approx(float(x[1, 2].mean()))


def test_strided_sigma_is_the_sum_of_the_published_step_stds(schedule):
    assert step_sigma(schedule, 500, 499) == pytest.approx(schedule.posterior_std(500))
    assert step_sigma(schedule, 900, 300) + step_sigma(schedule, 300, -1) == pytest.approx(step_sigma(schedule, 900, -1))


def test_every_ddpm_step_applies_the_released_guided_mean(gaussian):
    """Released rule: mean - scale * exp(0.5 log beta_tilde_t) * grad_z R (here per sample)."""
    sch, t, scale = gaussian.schedule, 700, 50.0
    control = _control(gaussian, 2, scale, limit_to_target=False)
    z = torch.randn(SHAPE, generator=torch.Generator().manual_seed(0))
    z_req = z.clone().requires_grad_(True)
    residual = (gaussian.alignment(z_req, torch.full((SHAPE[0],), t)).mean(dim=(1, 2)) - control.target).abs()
    (grad,) = torch.autograd.grad(residual.sum(), z_req)
    expected = -scale * math.exp(0.5 * float(sch.posterior_log_variance[t])) * grad
    assert torch.allclose(control.mean_shift(z, t, t - 1, sch), expected, atol=1e-7)


def test_limited_step_lands_a_linear_alignment_exactly_on_the_target(gaussian):
    sch, t = gaussian.schedule, 300
    z = torch.randn(SHAPE, generator=torch.Generator().manual_seed(1))
    control = _control(gaussian, 3, scale=1e4)
    shifted = z + control.mean_shift(z, t, -1, sch)
    assert float(control.offset(shifted, t).abs().max()) < 1e-5
    # A short step is not limited: it equals the released one.
    gentle = _control(gaussian, 3, scale=1e-3)
    released = _control(gaussian, 3, scale=1e-3, limit_to_target=False)
    assert torch.equal(gentle.mean_shift(z, t, t - 1, sch), released.mean_shift(z, t, t - 1, sch))


@pytest.mark.parametrize(("sampler", "steps"), [("dpm_solver_pp", 20), (DDIM(), 50)], ids=["dpm_solver_pp-20", "ddim-50"])
def test_guided_mean_rises_monotonically_with_n_and_reaches_the_target(sampler, steps, gaussian):
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(2))
    sigma = gaussian.intensity_std
    means = []
    for n in N_VALUES:
        control = _control(gaussian, n)
        result = sample(gaussian.eps, SHAPE, gaussian.schedule, sampler, steps, guidance=control, initial_noise=noise)
        achieved = _achieved(result.latents)
        means.append(float(achieved.mean()))
        assert result.guidance_calls == result.network_calls == steps
        if abs(n) <= 2:  # the target: within 0.5 sigma of F0 (measured < 0.01 sigma)
            assert float((achieved - control.target).abs().mean()) < 0.5 * sigma
    assert all(a < b for a, b in zip(means, means[1:]))
    assert means[0] < gaussian.m - 3 * sigma and means[-1] > gaussian.m + 3 * sigma


def test_weak_guidance_moves_samples_part_of_the_way_monotonically(gaussian):
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(3))
    ode = "dpm_solver_pp"  # deterministic: the guided and free runs differ by the guidance only
    free = float(_achieved(sample(gaussian.eps, SHAPE, gaussian.schedule, ode, initial_noise=noise).latents).mean())
    shifts = []
    for n in N_VALUES:
        z = sample(gaussian.eps, SHAPE, gaussian.schedule, ode, guidance=_control(gaussian, n, scale=1.0),
                   initial_noise=noise).latents
        shifts.append((float(_achieved(z).mean()) - free) / gaussian.intensity_std)
    assert all(a < b for a, b in zip(shifts, shifts[1:]))
    # Measured shifts in sigma: -1.63, -1.34, 0.13, 1.45, 1.65 (R is an absolute value, so a far
    # target pulls no harder than a near one: weak guidance moves toward, not onto, the target).
    assert 0.5 < shifts[-1] < 3.5 and -3.5 < shifts[0] < -0.5


def test_guided_ancestral_ddpm_reaches_the_target(gaussian):
    control = _control(gaussian, 2)
    z = sample(gaussian.eps, SHAPE, gaussian.schedule, DDPM(), generator=torch.Generator().manual_seed(4), guidance=control).latents
    assert float((_achieved(z) - control.target).abs().mean()) < 0.5 * gaussian.intensity_std


@pytest.mark.parametrize("sampler", ["dpm_solver_pp", "ddim_eta1"])
def test_a_samples_guidance_does_not_depend_on_the_rest_of_the_batch(gaussian, sampler):
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(5))
    control = _control(gaussian, 3)

    def row_generators(rows: int) -> list[torch.Generator]:  # one per row: a row's step noise is its own
        return [torch.Generator().manual_seed(100 + i) for i in range(rows)]

    full = sample(gaussian.eps, SHAPE, gaussian.schedule, sampler, generator=row_generators(SHAPE[0]),
                  guidance=control, initial_noise=noise).latents
    part = KnowledgeControl(gaussian.alignment, control.target[:4], control.scale)
    head = sample(gaussian.eps, (4,) + SHAPE[1:], gaussian.schedule, sampler, generator=row_generators(4),
                  guidance=part, initial_noise=noise[:4]).latents
    assert torch.allclose(full[:4], head, atol=1e-6)


def test_tile_repeats_targets_member_major_and_bad_targets_raise(gaussian):
    control = KnowledgeControl(gaussian.alignment, torch.tensor([0.1, 0.2]), 10.0)
    assert control.tile(3).target.tolist() == pytest.approx([0.1, 0.2] * 3)
    with pytest.raises(ValueError, match=r"target: expected F0 per sample, shape \(B,\), got \(2, 1\)"):
        KnowledgeControl(gaussian.alignment, torch.zeros(2, 1))
    with pytest.raises(ValueError, match="target: expected 64 values"):
        control.mean_shift(torch.zeros(SHAPE), 10, 9, gaussian.schedule)


@pytest.mark.parametrize(("sampler", "steps"), [("ddpm", 20), ("dpm_solver_pp", 10)])
def test_a_curved_alignment_is_reached_by_few_step_samplers(sampler, steps, gaussian):
    """softplus(10 u) / 10 of the Bayes estimate: monotone but curved, so the limit is approximate."""

    def curved(z, t):
        return torch.nn.functional.softplus(10 * gaussian.alignment(z, t)) / 10

    for n in (-4, 4):
        wanted = target_intensity(torch.full((SHAPE[0],), gaussian.m), gaussian.intensity_std, n)
        control = KnowledgeControl(curved, torch.nn.functional.softplus(10 * wanted) / 10)
        z = sample(gaussian.eps, SHAPE, gaussian.schedule, sampler, steps, torch.Generator().manual_seed(0), guidance=control).latents
        assert float((_achieved(z) - wanted).abs().mean()) < 0.1 * gaussian.intensity_std  # measured 0.02


def test_overlapped_guidance_gives_the_same_samples_as_sequential(gaussian):
    """The loop computes the shift on a second thread while the denoiser runs: same numbers, same counts."""
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(5))
    runs = {}
    for overlap in (True, False):
        runs[overlap] = sample(gaussian.eps, SHAPE, gaussian.schedule, "ddim_eta1", 20,
                               torch.Generator().manual_seed(6), _control(gaussian, 2.0), initial_noise=noise,
                               overlap_guidance=overlap)
    assert torch.equal(runs[True].latents, runs[False].latents)
    assert runs[True].guidance_calls == runs[False].guidance_calls == 20


def test_an_error_in_overlapped_guidance_reaches_the_caller(gaussian):
    def broken(z_t, t):
        raise ValueError("alignment failed on purpose")

    control = KnowledgeControl(broken, torch.zeros(SHAPE[0]))
    with pytest.raises(ValueError, match="on purpose"):
        sample(gaussian.eps, SHAPE, gaussian.schedule, "ddim_eta1", 5, guidance=control, overlap_guidance=True)


def test_guidance_goes_beside_the_denoiser_only_when_a_core_is_spare(monkeypatch):
    import engine.diffusion.samplers as samplers

    monkeypatch.setattr(samplers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(samplers.torch, "get_num_threads", lambda: 1)
    assert samplers.spare_core()
    monkeypatch.setattr(samplers.torch, "get_num_threads", lambda: 2)
    assert not samplers.spare_core()


def _two_frames(gaussian, high: float, low: float) -> torch.Tensor:
    """z whose frame 0 reads about ``high`` and frame 1 about ``low`` at small t (SHAPE: 2 frames)."""
    z = torch.empty(SHAPE)
    z[:, 0], z[:, 1] = high, low
    return z


def test_a_ceiling_stops_upward_pushes_of_frames_past_it_and_pulls_every_frame_down(gaussian):
    sch, t = gaussian.schedule, 10
    z = _two_frames(gaussian, 0.8, 0.1)
    batch = SHAPE[0]

    def shift(target: float, ceiling: float | None) -> torch.Tensor:
        control = KnowledgeControl(gaussian.alignment, torch.full((batch,), target), 50.0, limit_to_target=False,
                                   ceiling=ceiling)
        return control.mean_shift(z, t, t - 1, sch)

    up, free_up = shift(1.0, 0.5), shift(1.0, None)
    assert float(up[:, 1].min()) > 0  # frame 1 (reading 0.1) is pushed up
    assert float(up[:, 0].abs().max()) == 0.0  # frame 0 (0.8) is past the ceiling: left alone
    assert float(free_up[:, 0].min()) > 0  # without a ceiling it rises too
    control = KnowledgeControl(gaussian.alignment, torch.full((batch,), 1.0), ceiling=0.5)
    readings = gaussian.alignment(z, torch.full((batch,), t)).reshape(batch, -1)
    torch.testing.assert_close(control.offset(z, t), readings.clamp_max(0.5).mean(dim=1) - 1.0)
    # Down: every frame is pulled, exactly as without a ceiling.
    down = shift(0.0, 0.5)
    assert float(down.max()) < 0
    torch.testing.assert_close(down, shift(0.0, None))
    # Every frame past the ceiling and the target above it: nothing left to push.
    assert float(KnowledgeControl(gaussian.alignment, torch.full((batch,), 1.0), ceiling=0.05)
                 .mean_shift(z, t, -1, sch).abs().max()) == 0.0
    with pytest.raises(ValueError, match="ceiling: expected a finite reading > 0 or None, got 0"):
        KnowledgeControl(gaussian.alignment, torch.zeros(batch), ceiling=0.0)


def test_with_a_ceiling_two_targets_beyond_it_give_the_same_samples(gaussian):
    """Readings past the ceiling do not count, so two unreachable targets push alike: the mean
    cannot fall from one to the other. Below the ceiling guidance is unchanged."""
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(5))
    sigma = gaussian.intensity_std
    ceiling = gaussian.m + 1.5 * sigma
    latents = {}
    for n in (0, 2, 4):
        control = dataclasses.replace(_control(gaussian, n), ceiling=ceiling)
        latents[n] = sample(gaussian.eps, SHAPE, gaussian.schedule, "dpm_solver_pp", 20, guidance=control,
                            initial_noise=noise).latents
    assert abs(float(_achieved(latents[0]).mean()) - gaussian.m) < 0.5 * sigma
    assert torch.equal(latents[2], latents[4])
    assert float(_achieved(latents[2]).mean()) > gaussian.m + 1.5 * sigma
