"""PreDiffForecaster: shapes, seeded reproducibility, batching invariance and the knowledge-control wiring.

Knowledge control with random networks steers toward nothing meaningful, so these tests check
the wiring instead: the target handed to the guidance object is mu + n sigma, with mu from the
deterministic forecast (forecast mode) or the observed future (hindcast mode).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import engine.prediff.pipeline as pipeline
from engine.diffusion import KnowledgeControl, sample
from engine.diffusion.ensemble import member_generators
from engine.prediff import PreDiffForecaster

from .tiny import FRAME, T_IN, T_OUT, TRAIN_VALUES, tiny_models

STEPS = 4


@pytest.fixture(scope="module")
def forecaster() -> PreDiffForecaster:
    return PreDiffForecaster(tiny_models())


def _context(batch: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.rand((batch, T_IN, FRAME, FRAME, 1), generator=torch.Generator().manual_seed(seed))


def test_samples_have_the_ensemble_layout_and_stay_in_the_unit_range(forecaster):
    out = forecaster.sample(_context(2), members=3, steps=STEPS, seed=1)
    assert out.frames.shape == (3, 2, T_OUT, FRAME, FRAME, 1)
    assert 0.0 <= float(out.frames.min()) and float(out.frames.max()) <= 1.0
    torch.testing.assert_close(out.intensity, out.frames.mean(dim=(3, 4, 5)))
    torch.testing.assert_close(out.achieved, out.intensity.mean(dim=(0, 2)))
    assert out.network_calls == STEPS and out.target is None and out.mu_source is None


def test_the_same_seed_gives_the_same_ensemble_and_another_seed_another(forecaster):
    a, b = (forecaster.sample(_context(), members=2, steps=STEPS, seed=7).frames for _ in range(2))
    c = forecaster.sample(_context(), members=2, steps=STEPS, seed=8).frames
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_one_batched_call_equals_members_sampled_one_by_one(forecaster):
    batched = forecaster.sample(_context(), members=3, steps=STEPS, seed=3, n_sigma=1.0, mode="hindcast",
                                observed=_context(seed=9)[:, :T_OUT])
    chunked = forecaster.sample(_context(), members=3, steps=STEPS, seed=3, n_sigma=1.0, mode="hindcast",
                                observed=_context(seed=9)[:, :T_OUT], chunk_members=1)
    torch.testing.assert_close(batched.frames, chunked.frames, atol=1e-5, rtol=0)
    # Member 2 by hand: its own generator, the sampling loop, the decoder.
    models = forecaster.models
    z_context = models.autoencoder.encode(_context()).mode()
    guidance = KnowledgeControl(models.alignment, batched.target, scale=models.info.guidance_scale)
    alone = sample(lambda z, t: models.denoiser(z, t, z_context), (1, *models.denoiser.config.target_shape),
                   forecaster.schedule, steps=STEPS, generator=[member_generators(3, 3)[2]], guidance=guidance)
    with torch.no_grad():
        frames = models.autoencoder.decode(alone.latents).clamp(0, 1)
    torch.testing.assert_close(batched.frames[2], frames, atol=1e-5, rtol=0)


def _spy(monkeypatch) -> list:
    seen = []
    real = pipeline.sample_ensemble

    def spy(*args, **kwargs):
        seen.append(args[8])  # the guidance argument
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "sample_ensemble", spy)
    return seen


def test_forecast_mode_targets_the_deterministic_forecast_plus_n_sigma(forecaster, monkeypatch):
    seen = _spy(monkeypatch)
    anticipated = torch.full((1, T_OUT, FRAME, FRAME, 1), 0.25)
    out = forecaster.sample(_context(), members=2, steps=STEPS, n_sigma=-1.5, anticipated=anticipated)
    sigma = float(np.std(TRAIN_VALUES, ddof=1))
    assert out.sigma == pytest.approx(sigma)
    torch.testing.assert_close(out.mu, torch.tensor([0.25]))
    torch.testing.assert_close(out.target, torch.tensor([0.25 - 1.5 * sigma]))
    assert out.mu_source == "deterministic forecast"
    assert isinstance(seen[0], KnowledgeControl)
    torch.testing.assert_close(seen[0].target, out.target)
    assert seen[0].scale == forecaster.models.info.guidance_scale
    assert float(out.exceedance[0]) == pytest.approx(np.mean(TRAIN_VALUES >= float(out.target[0])))


def test_hindcast_mode_takes_mu_from_the_observed_future_and_says_so(forecaster, monkeypatch):
    seen = _spy(monkeypatch)
    observed = _context(seed=5)[:, :T_OUT]
    out = forecaster.sample(_context(), members=1, steps=STEPS, n_sigma=2.0, mode="hindcast", observed=observed,
                            anticipated=torch.zeros(1))  # ignored in hindcast mode
    torch.testing.assert_close(out.mu, observed.mean(dim=(1, 2, 3, 4)))
    torch.testing.assert_close(seen[0].target, out.mu + 2.0 * out.sigma)
    assert out.mu_source == "observed future (hindcast)" and out.mode == "hindcast"


def test_without_n_no_guidance_is_passed(forecaster, monkeypatch):
    seen = _spy(monkeypatch)
    forecaster.sample(_context(), members=1, steps=STEPS)
    assert seen == [None]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_sigma": 4.5, "anticipated": torch.zeros(1)}, "n: expected a value in [-4, 4], got 4.5"),
    ({"n_sigma": -5}, "n: expected a value in [-4, 4], got -5"),
    ({"members": 0}, "members: expected an ensemble size of at least 1, got 0"),
    ({"n_sigma": 1.0}, "anticipated: expected a deterministic forecast"),
    ({"n_sigma": 1.0, "mode": "hindcast"}, "observed: expected the observed future"),
    ({"mode": "nowcast"}, "mode: expected 'forecast' or 'hindcast'"),
])
def test_bad_requests_raise_one_clear_message(forecaster, kwargs, message):
    kwargs = {"members": 2, "steps": STEPS, **kwargs}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        forecaster.sample(_context(), **kwargs)


def test_an_ensemble_too_large_for_the_memory_budget_is_rejected():
    small = PreDiffForecaster(tiny_models(), memory_budget_bytes=2**20)
    working, result = small.member_bytes(1)
    limit = (2**20 - working) // result
    with pytest.raises(ValueError, match=f"members: expected at most {limit} for a memory budget of 1 MiB"):
        small.sample(_context(), members=limit + 1, steps=STEPS)
    assert small.chunk_size(limit, 1) >= 1  # the largest allowed ensemble runs, in chunks


def test_knowledge_control_needs_an_alignment_network():
    with pytest.raises(ValueError, match="no alignment network"):
        PreDiffForecaster(tiny_models(alignment=False)).sample(_context(), members=1, steps=STEPS, n_sigma=1.0,
                                                              anticipated=torch.zeros(1))


def test_a_context_of_the_wrong_shape_or_range_is_rejected(forecaster):
    with pytest.raises(ValueError, match=r"context: expected shape \(B, 3, 16, 16, 1\)"):
        forecaster.sample(torch.rand(1, 4, FRAME, FRAME, 1), members=1, steps=STEPS)
    with pytest.raises(ValueError, match=r"context: expected finite values in \[0, 1\]"):
        forecaster.sample(_context() * 255, members=1, steps=STEPS)


def test_guidance_beside_the_denoiser_gives_the_same_ensemble_as_after_it(forecaster):
    anticipated = torch.full((1, T_OUT, FRAME, FRAME, 1), 0.1)
    runs = [forecaster.sample(_context(), members=2, steps=STEPS, n_sigma=1.0, anticipated=anticipated,
                              overlap_guidance=overlap) for overlap in (True, False)]
    assert torch.equal(runs[0].frames, runs[1].frames)
