"""Ensembles of diffusion samples in one batched call, and their summaries.

Members are stacked member-major along the batch (row m * B + b is member m of sample b), the
context is repeated, and each member draws its noise from its own generator, seeded from one
seed. So a member's trajectory does not depend on how many members share a call: chunking
changes memory use and nothing else.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
import torch

from .protocols import Denoiser, Guidance, Progress
from .samplers import DEFAULT_SAMPLER, Sampler, sample
from .schedule import NoiseSchedule

DEFAULT_MEMORY_BUDGET = 4 * 2**30  # bytes a sampling call may use (a share of a 24 GiB machine)
# Rough activation memory of a denoiser call per latent value (float32 bytes x this factor):
# a caller with a better estimate passes ``bytes_per_member``.
ACTIVATION_FACTOR = 256
ArrayLike = Union[torch.Tensor, np.ndarray]


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """``latents`` (M, B, T_out, h, w, c); ``network_calls`` = batched denoiser calls made."""

    latents: torch.Tensor
    network_calls: int
    chunks: int


def max_members(bytes_per_member: int, result_bytes: int, budget_bytes: int, chunk: int | None) -> int:
    """Largest M whose results plus one chunk's working memory fit the budget."""
    if chunk is None:
        return int(budget_bytes // (bytes_per_member + result_bytes))
    return max(int((budget_bytes - chunk * bytes_per_member) // result_bytes), 0)


def check_members(members: int, bytes_per_member: int, result_bytes: int, budget_bytes: int, chunk: int | None = None) -> None:
    """Reject an ensemble size of zero (or less) or one too large for the memory budget."""
    if int(members) != members or members < 1:
        raise ValueError(f"members: expected an ensemble size of at least 1, got {members}")
    if chunk is not None and (int(chunk) != chunk or chunk < 1):
        raise ValueError(f"chunk_members: expected a positive integer or None, got {chunk}")
    chunk = None if chunk is None or chunk >= members else int(chunk)
    limit = max_members(bytes_per_member, result_bytes, budget_bytes, chunk)
    if members > limit:
        raise ValueError(
            f"members: expected at most {limit} for a memory budget of {budget_bytes / 2**20:.0f} MiB "
            f"({bytes_per_member / 2**20:.1f} MiB per member while sampling), got {members}; "
            "use fewer members or sample in chunks (chunk_members)"
        )


def member_generators(seed: int, members: int) -> list[torch.Generator]:
    """One CPU generator per member, seeded from a generator seeded with ``seed``."""
    root = torch.Generator().manual_seed(int(seed))
    seeds = torch.randint(0, 2**62, (members,), generator=root, dtype=torch.long)
    return [torch.Generator().manual_seed(int(s)) for s in seeds]


def sample_ensemble(
    denoiser: Denoiser,
    context: torch.Tensor,
    latent_shape: Sequence[int],
    members: int,
    schedule: NoiseSchedule,
    sampler: Sampler | str = DEFAULT_SAMPLER,
    steps: int | None = None,
    seed: int = 0,
    guidance: Guidance | None = None,
    *,
    chunk_members: int | None = None,
    progress: Progress | None = None,
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
    bytes_per_member: int | None = None,
    overlap_guidance: bool | None = None,
) -> EnsembleResult:
    """Sample ``members`` futures for every context of a batch.

    Parameters
    ----------
    denoiser : ``(z_t, t, context) -> eps_hat`` (see :class:`~.protocols.Denoiser`).
    context : (B, T_in, h, w, c) encoded observations.
    latent_shape : (T_out, h, w, c) of one sample.
    members : M >= 1.
    seed : seeds every member's generator (reproducible, independent of chunking).
    guidance : for the B contexts (e.g. KnowledgeControl with target (B,)); tiled per chunk.
    chunk_members : members per denoiser batch (None: all in one call).
    bytes_per_member : working memory of one member; default: latent bytes x ACTIVATION_FACTOR.
    overlap_guidance : see :func:`~.samplers.sample` (None: its default rule, :func:`~.samplers.spare_core`).

    Returns
    -------
    EnsembleResult with latents (M, B, *latent_shape).
    """
    batch = context.shape[0]
    latent_shape = tuple(int(v) for v in latent_shape)
    result_bytes = batch * math.prod(latent_shape) * 4
    per_member = result_bytes * ACTIVATION_FACTOR if bytes_per_member is None else int(bytes_per_member)
    check_members(members, per_member, result_bytes, memory_budget_bytes, chunk_members)
    chunk = members if chunk_members is None else min(int(chunk_members), members)
    gens = member_generators(seed, members)
    starts = list(range(0, members, chunk))
    outputs, calls = [], 0
    for index, start in enumerate(starts):
        k = min(chunk, members - start)
        ctx = context.repeat((k,) + (1,) * (context.ndim - 1))  # (k * B, ...) member-major

        def denoise(z_t: torch.Tensor, t: torch.Tensor, ctx: torch.Tensor = ctx) -> torch.Tensor:
            return denoiser(z_t, t, ctx)

        def report(done: int, total: int, index: int = index) -> None:
            if progress is not None:
                progress(index * total + done, len(starts) * total)

        result = sample(
            denoise,
            (k * batch,) + latent_shape,
            schedule,
            sampler,
            steps,
            gens[start : start + k],
            None if guidance is None else guidance.tile(k),
            report,
            device=context.device,
            dtype=context.dtype,
            overlap_guidance=overlap_guidance,
        )
        calls += result.network_calls
        outputs.append(result.latents.reshape((k, batch) + latent_shape))
    return EnsembleResult(latents=torch.cat(outputs), network_calls=calls, chunks=len(starts))


def ensemble_mean(samples: ArrayLike) -> ArrayLike:
    """Mean over members: (M, B, ...) -> (B, ...)."""
    if samples.shape[0] < 1:
        raise ValueError(f"samples: expected at least one member on axis 0, got shape {tuple(samples.shape)}")
    return samples.mean(0)


def exceedance_maps(samples: ArrayLike, thresholds: Sequence[float]) -> ArrayLike:
    """Fraction of members at or above each threshold: (M, B, ...) -> (K, B, ...) in [0, 1].

    Works on torch tensors and numpy arrays (returns the same kind).
    """
    if samples.shape[0] < 1:
        raise ValueError(f"samples: expected at least one member on axis 0, got shape {tuple(samples.shape)}")
    thresholds = [float(v) for v in np.atleast_1d(np.asarray(thresholds, dtype=np.float64))]
    if not thresholds:
        raise ValueError("thresholds: expected at least one threshold, got none")
    if isinstance(samples, torch.Tensor):
        return torch.stack([(samples >= v).float().mean(0) for v in thresholds])
    return np.stack([(samples >= v).mean(0) for v in thresholds])
