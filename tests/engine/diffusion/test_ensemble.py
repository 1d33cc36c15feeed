"""Facts about ensembles: reproducibility, chunking, context routing, summaries, size guard."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.diffusion import KnowledgeControl, average_intensity, check_members, ensemble_mean, exceedance_maps, sample_ensemble, target_intensity

from .gaussian import GaussianData

LATENT = (2, 4, 4, 2)


class ContextMean:
    """Optimal denoiser for z_0 ~ N(context mean, s^2): the ensemble must follow its context."""

    def __init__(self, gaussian: GaussianData) -> None:
        self.g = gaussian

    def __call__(self, z_t, t, context):
        a = self.g.schedule.alphas_cumprod[t].to(z_t.dtype).reshape(-1, 1, 1, 1, 1)
        m = context.mean(dim=(1, 2, 3, 4)).reshape(-1, 1, 1, 1, 1)
        return (1 - a).sqrt() * (z_t - a.sqrt() * m) / (a * self.g.s**2 + 1 - a)


@pytest.fixture
def setup(gaussian):
    context = torch.tensor([-1.0, 0.0, 2.0]).reshape(3, 1, 1, 1, 1).expand(3, 7, 4, 4, 2).contiguous()
    return ContextMean(gaussian), context


def test_members_follow_their_context_and_differ_from_each_other(setup, gaussian):
    denoiser, context = setup
    out = sample_ensemble(denoiser, context, LATENT, 8, gaussian.schedule, seed=0)
    assert out.latents.shape == (8, 3) + LATENT and out.network_calls == 20 and out.chunks == 1
    assert ensemble_mean(out.latents).mean(dim=(1, 2, 3, 4)).tolist() == pytest.approx([-1.0, 0.0, 2.0], abs=0.05)
    assert not torch.allclose(out.latents[0], out.latents[1])


@pytest.mark.parametrize("sampler", ["dpm_solver_pp", "ddpm"])
def test_a_seed_reproduces_the_ensemble_however_it_is_chunked(sampler, setup, gaussian):
    denoiser, context = setup
    whole = sample_ensemble(denoiser, context, LATENT, 5, gaussian.schedule, sampler, steps=10, seed=7)
    again = sample_ensemble(denoiser, context, LATENT, 5, gaussian.schedule, sampler, steps=10, seed=7)
    chunked = sample_ensemble(denoiser, context, LATENT, 5, gaussian.schedule, sampler, steps=10, seed=7, chunk_members=2)
    other = sample_ensemble(denoiser, context, LATENT, 5, gaussian.schedule, sampler, steps=10, seed=8)
    assert torch.equal(whole.latents, again.latents)
    assert torch.allclose(whole.latents, chunked.latents, atol=1e-6)
    assert chunked.chunks == 3 and chunked.network_calls == 30
    assert not torch.allclose(whole.latents, other.latents)


def test_guidance_is_tiled_over_members(setup, gaussian):
    denoiser, context = setup
    sigma = gaussian.s / 8

    def unbiased(z, t):  # average of z_t / sqrt(alpha_bar_t): no prior mean needed
        return average_intensity(z) / gaussian.schedule.alphas_cumprod[t].sqrt().to(z.dtype).reshape(-1, 1, 1)

    targets = target_intensity(torch.tensor([-1.0, 0.0, 2.0]), sigma, 2)
    out = sample_ensemble(denoiser, context, LATENT, 4, gaussian.schedule, seed=1, guidance=KnowledgeControl(unbiased, targets), chunk_members=3)
    achieved = out.latents.mean(dim=(2, 3, 4, 5))  # (M, B)
    assert float((achieved - targets).abs().max()) < 0.5 * sigma


def test_progress_runs_over_all_chunks(setup, gaussian):
    denoiser, context = setup
    seen = []
    sample_ensemble(denoiser, context, LATENT, 4, gaussian.schedule, steps=5, chunk_members=2, progress=lambda i, n: seen.append((i, n)))
    assert seen == [(i, 10) for i in range(1, 11)]


def test_ensemble_size_zero_or_beyond_the_memory_budget_is_rejected(setup, gaussian):
    denoiser, context = setup
    with pytest.raises(ValueError, match="members: expected an ensemble size of at least 1, got 0"):
        sample_ensemble(denoiser, context, LATENT, 0, gaussian.schedule)
    # 3 x 64 values x 4 bytes = 768 B per member result; 1 MiB working memory per member.
    with pytest.raises(ValueError, match=r"members: expected at most 3 for a memory budget of 4 MiB .* got 4"):
        sample_ensemble(denoiser, context, LATENT, 4, gaussian.schedule, memory_budget_bytes=4 * 2**20, bytes_per_member=2**20)
    # Chunks of one member need one member's working memory at a time.
    out = sample_ensemble(denoiser, context, LATENT, 4, gaussian.schedule, steps=2, chunk_members=1, memory_budget_bytes=4 * 2**20, bytes_per_member=2**20)
    assert out.latents.shape[0] == 4
    with pytest.raises(ValueError, match="chunk_members: expected a positive integer or None, got 0"):
        check_members(2, 10, 10, 1000, chunk=0)


def test_exceedance_maps_and_mean_match_brute_force():
    rng = np.random.default_rng(0)
    members = rng.uniform(0, 1, size=(6, 2, 3, 4, 4))
    thresholds = [0.2, 0.5, 0.9]
    maps = exceedance_maps(members, thresholds)
    assert maps.shape == (3, 2, 3, 4, 4)
    for k, th in enumerate(thresholds):
        b, t, y, x = 1, 2, 3, 0
        assert maps[k, b, t, y, x] == sum(members[m, b, t, y, x] >= th for m in range(6)) / 6
    assert np.all(maps[0] >= maps[1]) and np.all(maps[1] >= maps[2])
    assert torch.allclose(exceedance_maps(torch.from_numpy(members), thresholds).double(), torch.from_numpy(maps))
    assert np.allclose(ensemble_mean(members), members.sum(0) / 6)
    with pytest.raises(ValueError, match="thresholds: expected at least one threshold"):
        exceedance_maps(members, [])
