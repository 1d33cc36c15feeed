"""The PreDiff forecasting pipeline: encode the context, sample latent futures, decode them.

    context (B, T_in, H, W, 1) -> autoencoder.encode(.).mode() -> (B, T_in, h, w, c)
      -> sample_ensemble(denoiser, ..., guidance=KnowledgeControl(alignment, F0)) -> (M, B, T_out, h, w, c)
      -> autoencoder.decode, clipped to [0, 1] -> (M, B, T_out, H, W, 1)

Knowledge control (PreDiff section 4) steers every member toward the future average intensity
F0 = mu + n * sigma (clipped at 0: an average intensity is never negative). mu is the
*anticipated* average intensity: in ``"forecast"`` mode it comes from a deterministic forecast
the caller passes in (the Earthformer's), so no future is peeked at; in ``"hindcast"`` mode from
the observed future (what the paper's evaluation does), and the result says so. sigma is the
training split's std of that average (``prediff.json``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Literal

import torch

from ..diffusion.ensemble import ACTIVATION_FACTOR, DEFAULT_MEMORY_BUDGET, check_members, sample_ensemble
from ..diffusion.guidance import N_SIGMA_RANGE, KnowledgeControl, exceedance_probability, target_intensity
from ..diffusion.samplers import DEFAULT_SAMPLER, Sampler
from ..diffusion.schedule import NoiseSchedule
from .models import PreDiffModels

Mode = Literal["forecast", "hindcast"]
Progress = Callable[[float, str], None]  # progress(fraction in [0, 1], message)
DECODE_FACTOR = 64  # decoder activations per decoded value (float32), a rough upper bound
MU_SOURCES = {"forecast": "deterministic forecast", "hindcast": "observed future (hindcast)"}


@dataclass(frozen=True, eq=False)
class PreDiffSamples:
    """An ensemble of M futures for B contexts.

    frames : (M, B, T_out, H, W, C) in [0, 1].
    intensity : (M, B, T_out) average intensity of every member's frames.
    achieved : (B,) mean over members and frames of ``intensity``.
    mu, target : (B,) anticipated intensity and F0 = max(mu + n sigma, 0); None without knowledge control.
    mu_source : where mu came from ("deterministic forecast" or "observed future (hindcast)").
    exceedance : (B,) share of the training split at least as intense as the target (or None).
    latents : (M, B, T_out, h, w, c) the sampled latents the frames were decoded from.
    """

    frames: torch.Tensor
    intensity: torch.Tensor
    achieved: torch.Tensor
    mode: str
    n_sigma: float | None
    sigma: float
    mu: torch.Tensor | None
    target: torch.Tensor | None
    mu_source: str | None
    exceedance: torch.Tensor | None
    network_calls: int
    seconds: float
    latents: torch.Tensor | None = None


def alignment_target(target: torch.Tensor, calibration: tuple[float, float]) -> torch.Tensor:
    """The alignment network's reading that decodes to ``target``: (F0 - b) / a (see SetInfo)."""
    slope, intercept = calibration
    return (target - intercept) / slope


class PreDiffForecaster:
    """Samples PreDiff ensembles from one :class:`PreDiffModels` set (read-only: safe to share).

    memory_budget_bytes : what one call may hold (results plus one chunk's working memory); the
        members are sampled in as few chunks as fit, and a request whose results alone do not fit
        is rejected.
    """

    def __init__(self, models: PreDiffModels, memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.models = models.eval()
        self.memory_budget_bytes = int(memory_budget_bytes)
        self.schedule = NoiseSchedule.from_name(models.info.schedule, models.info.num_steps)

    @property
    def device(self) -> torch.device:
        return next(self.models.denoiser.parameters()).device

    def member_bytes(self, batch: int) -> tuple[int, int]:
        """(working bytes while sampling and decoding one member, result bytes of one member)."""
        den, ae = self.models.denoiser.config, self.models.autoencoder.config
        latent = batch * den.target_frames * 4 * torch.Size(den.latent_shape).numel()
        frames = batch * den.target_frames * 4 * torch.Size(ae.frame_shape).numel()
        return latent * ACTIVATION_FACTOR + frames * DECODE_FACTOR, latent + frames

    def chunk_size(self, members: int, batch: int) -> int:
        """Members per chunk: all when they fit, else as many as the budget leaves; rejects bad M."""
        working, result = self.member_bytes(batch)
        check_members(members, working, result, self.memory_budget_bytes, chunk=1)
        return max(1, min(members, (self.memory_budget_bytes - members * result) // working))

    def anticipated_mu(self, mode: Mode, anticipated: torch.Tensor | None, observed: torch.Tensor | None,
                       batch: int) -> torch.Tensor:
        """mu (B,): the mean of the deterministic forecast (forecast) or of the observed future (hindcast)."""
        name, source = ("anticipated", anticipated) if mode == "forecast" else ("observed", observed)
        if source is None:
            what = "a deterministic forecast" if mode == "forecast" else "the observed future"
            raise ValueError(f"{name}: expected {what} (B, T_out, H, W, C) in {mode} mode with knowledge control, "
                             "got None")
        source = torch.as_tensor(source, dtype=torch.float32)
        if source.ndim == 1:  # already average intensities
            mu = source
        elif source.ndim == 5:
            mu = source.mean(dim=(1, 2, 3, 4))
        else:
            raise ValueError(f"{name}: expected (B, T_out, H, W, C) frames or (B,) intensities, got shape "
                             f"{tuple(source.shape)}")
        if mu.shape[0] != batch or not bool(torch.isfinite(mu).all()):
            raise ValueError(f"{name}: expected {batch} finite values (one per context), got shape {tuple(mu.shape)}")
        return mu

    def sample(self, context: torch.Tensor, members: int = 8, steps: int | None = None,
               sampler: Sampler | str = DEFAULT_SAMPLER, seed: int = 0, n_sigma: float | None = None,
               anticipated: torch.Tensor | None = None, mode: Mode = "forecast",
               observed: torch.Tensor | None = None, progress: Progress | None = None,
               chunk_members: int | None = None, overlap_guidance: bool | None = None) -> PreDiffSamples:
        """Sample ``members`` futures of every context.

        Parameters
        ----------
        context : (B, T_in, H, W, C) observed frames in [0, 1].
        members, steps, sampler, seed : ensemble size, network evaluations (None: the sampler's
            default, 20 for the default sampler), sampler, and the seed of every member's noise.
        n_sigma : knowledge-control strength n in [-4, 4] (sigma units); None samples unguided.
        anticipated : forecast mode: the deterministic forecast (B, T_out, H, W, C) or its
            average intensity (B,).
        mode : "forecast" or "hindcast" (mu from ``observed``, the true future).
        observed : (B, T_out, H, W, C) true future (hindcast mode).
        progress : progress(fraction, message) while sampling and decoding.
        chunk_members : members per denoiser batch; None chooses from the memory budget.
        overlap_guidance : knowledge control on a second thread beside the denoiser (None: on a
            CPU with a core spare, see :func:`~..diffusion.samplers.spare_core`; the samples are the
            same either way).
        """
        if mode not in MU_SOURCES:
            raise ValueError(f"mode: expected 'forecast' or 'hindcast', got {mode!r}")
        if n_sigma is not None and not N_SIGMA_RANGE[0] <= float(n_sigma) <= N_SIGMA_RANGE[1]:
            raise ValueError(f"n: expected a value in [-4, 4], got {float(n_sigma):g}")  # before any other work
        models, info = self.models, self.models.info
        context = self._check_context(context)
        batch = context.shape[0]
        chunk = self.chunk_size(members, batch) if chunk_members is None else int(chunk_members)
        mu = target = guidance = exceedance = None
        if n_sigma is not None:
            if models.alignment is None:
                raise ValueError("n_sigma: this PreDiff set has no alignment network (alignment/), so knowledge "
                                 "control is not available: expected n_sigma=None")
            mu = self.anticipated_mu(mode, anticipated, observed, batch)
            # An average VIL intensity cannot be negative: a weak storm's mu + n sigma below 0 means "as
            # weak as possible", so the target is clipped at 0 (guidance then pushes toward clear sky).
            target = target_intensity(mu, info.sigma, n_sigma).clamp_min(0.0)
            aim = alignment_target(target, info.alignment_calibration)
            guidance = KnowledgeControl(models.alignment, aim.to(self.device), scale=info.guidance_scale,
                                        ceiling=info.alignment_ceiling)
            exceedance = exceedance_probability(info.train_values, target)
        report = progress or (lambda fraction, message: None)
        started = time.perf_counter()
        report(0.0, "Encoding the context…")
        with torch.no_grad():
            z_context = models.autoencoder.encode(context).mode()  # (B, T_in, h, w, c)

        def sampling(done: int, total: int) -> None:
            report(0.05 + 0.85 * done / total, f"Denoising: network call {done} of {total}")

        result = sample_ensemble(models.denoiser, z_context, models.denoiser.config.target_shape, members,
                                 self.schedule, sampler, steps, seed, guidance, chunk_members=chunk,
                                 progress=sampling, memory_budget_bytes=self.memory_budget_bytes,
                                 bytes_per_member=self.member_bytes(batch)[0], overlap_guidance=overlap_guidance)
        report(0.9, "Decoding the members…")
        frames = self._decode(result.latents, chunk)
        intensity = frames.mean(dim=(3, 4, 5))  # (M, B, T_out)
        report(1.0, "Done")
        return PreDiffSamples(frames=frames, intensity=intensity, achieved=intensity.mean(dim=(0, 2)), mode=mode,
                              n_sigma=None if n_sigma is None else float(n_sigma), sigma=info.sigma, mu=mu,
                              target=target, mu_source=None if mu is None else MU_SOURCES[mode],
                              exceedance=exceedance, network_calls=result.network_calls,
                              seconds=time.perf_counter() - started, latents=result.latents)

    def _check_context(self, context: torch.Tensor) -> torch.Tensor:
        context = torch.as_tensor(context, dtype=torch.float32).to(self.device)
        t_in = self.models.context_frames
        expected = (t_in, *self.models.frame_shape)
        if context.ndim != 5 or tuple(context.shape[1:]) != expected:
            raise ValueError(f"context: expected shape (B, {', '.join(map(str, expected))}) (B, T_in, H, W, C), got "
                             f"{tuple(context.shape)}")
        if not bool(torch.isfinite(context).all()) or float(context.min()) < 0 or float(context.max()) > 1:
            raise ValueError("context: expected finite values in [0, 1] (VIL / 255), got values outside")
        return context

    def _decode(self, latents: torch.Tensor, chunk: int) -> torch.Tensor:
        """(M, B, T_out, h, w, c) -> (M, B, T_out, H, W, C) in [0, 1], ``chunk`` members at a time."""
        members, batch = latents.shape[:2]
        out = []
        with torch.no_grad():
            for start in range(0, members, chunk):
                part = latents[start:start + chunk]
                frames = self.models.autoencoder.decode(part.flatten(0, 1))  # (k * B, T_out, H, W, C)
                out.append(frames.clamp(0.0, 1.0).unflatten(0, (part.shape[0], batch)))
        return torch.cat(out)
