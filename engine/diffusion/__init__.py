"""Diffusion apart from the networks: schedule, losses, samplers, guidance and ensembles.

PreDiff (Gao et al., NeurIPS 2023) in four parts, after the diffusers split of schedulers and
networks: a :class:`NoiseSchedule` (float64 tables, ``q_sample``, predictions), training losses,
samplers driven by one unrolled loop :func:`sample`, and guidance objects (knowledge control)
passed into that loop instead of flags inside a network.

Call contracts (see ``protocols.py``): a denoiser is ``(z_t, t, context) -> eps_hat`` on
(B, T_out, h, w, c) latents with (B,) int64 times; the sampling loop takes a ``denoise_fn(z_t, t)``
with the context bound; an alignment network is ``(z_t, t) -> (B, T_out, 1)``.
"""
from __future__ import annotations

from .ensemble import EnsembleResult, check_members, ensemble_mean, exceedance_maps, sample_ensemble
from .guidance import KnowledgeControl, average_intensity, exceedance_probability, target_intensity
from .loss import DiffusionLoss, LearnedLogVar, alignment_loss, epsilon_loss, sample_timesteps
from .protocols import AlignmentFn, DenoiseFn, Denoiser, Guidance
from .samplers import DDIM, DDPM, DEFAULT_SAMPLER, SAMPLERS, DPMSolverPP, SampleResult, get_sampler, sample
from .schedule import NoiseSchedule

__all__ = [
    "DDIM",
    "DDPM",
    "DEFAULT_SAMPLER",
    "SAMPLERS",
    "AlignmentFn",
    "DPMSolverPP",
    "DenoiseFn",
    "Denoiser",
    "DiffusionLoss",
    "EnsembleResult",
    "Guidance",
    "KnowledgeControl",
    "LearnedLogVar",
    "NoiseSchedule",
    "SampleResult",
    "alignment_loss",
    "average_intensity",
    "check_members",
    "ensemble_mean",
    "epsilon_loss",
    "exceedance_maps",
    "exceedance_probability",
    "get_sampler",
    "sample",
    "sample_ensemble",
    "sample_timesteps",
    "target_intensity",
]
