"""Stages 2 and 3 of PreDiff: the latent denoiser and the knowledge-alignment network (reference C.3, C.4).

Both learn on latents of a frozen, trained autoencoder (``frozen.py``) under the published noise
schedule (linear in sqrt(beta), ``diffusion_steps`` steps):

- denoiser: context frames -> posterior mean, target frames -> posterior sample z_0; t uniform,
  epsilon loss, weighted by a learned per-timestep log-variance when ``learn_logvar`` (that
  weighting trains with the network and stays in the training checkpoint; the exported model is
  the network alone).
- alignment: target frames -> posterior sample z_0; the knowledge F is each target frame's
  average intensity in [0, 1], (B, T_out, 1); loss MSE(U(z_t, t), F).

Validation uses, per validation sample, a fixed posterior draw, timestep and noise (a generator
seeded by ``val_seed`` and the sample's index), so its losses compare across epochs: the
unweighted epsilon MSE for the denoiser, the alignment MSE for the alignment network. Both are
the selection metric (lower is better).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ...diffusion import LearnedLogVar, NoiseSchedule, alignment_loss, average_intensity, epsilon_loss
from ..config import ObjectiveConfig
from ..data import DataSpec
from .frames import check_frames, indexed_datasets, resolve_windows, seeded
from .frozen import LatentEncoder, autoencoder_metadata, draw, load_frozen_autoencoder
from .supervised import Autocast


class _LatentObjective:
    """What the denoiser and alignment stages share: the frozen encoder, schedule, data, fixed validation draws."""

    stage = ""
    selection = ""

    def __init__(self, model_config: Any, config: ObjectiveConfig, in_len: int, out_len: int) -> None:
        self.model_config, self.config = model_config, config
        self.in_len, self.out_len = in_len, out_len
        autoencoder = load_frozen_autoencoder(config.autoencoder, self.stage, model_config.latent_shape)
        self.frame_shape = tuple(autoencoder.config.frame_shape)
        self.encoder = LatentEncoder(autoencoder, config.latent_cache_mb)
        self.schedule = NoiseSchedule.from_name("linear", config.diffusion_steps)
        self.weighting: LearnedLogVar | None = None

    @property
    def autoencoder(self) -> nn.Module:
        return self.encoder.autoencoder

    def resolve(self, data: DataSpec) -> DataSpec:
        spec = resolve_windows(data, data.in_len or self.in_len, data.out_len or self.out_len, self.frame_shape,
                               data.out_len or self.out_len, self.stage)
        if spec.out_len != self.out_len:
            raise ValueError(f"data/model mismatch: the {self.stage} takes {self.out_len} target frames, "
                             f"the data spec asks for out_len {spec.out_len}")
        return spec

    def datasets(self, spec: DataSpec):
        return indexed_datasets(spec)

    def check(self, model: nn.Module, sample: Any) -> None:
        frames, _ = sample
        check_frames(frames, self.frame_shape, self.in_len + self.out_len, self.stage)

    def metadata(self) -> dict[str, Any]:
        return autoencoder_metadata(self.config.autoencoder)

    def extra_parameters(self) -> list[tuple[str, nn.Parameter]]:
        return [] if self.weighting is None else [("objective.gamma", self.weighting.gamma)]

    def to(self, device: torch.device) -> "_LatentObjective":
        self.encoder.to(device)
        if self.weighting is not None:
            self.weighting.to(device)
        return self

    def state_dict(self) -> dict[str, Any]:
        return {"weighting": self.weighting.state_dict() if self.weighting is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.weighting is not None and state["weighting"] is not None:
            self.weighting.load_state_dict(state["weighting"])

    # -- helpers ---------------------------------------------------------------------------------
    def _fixed_draws(self, index: torch.Tensor, shape: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
        """Per sample: posterior eps, t (int64) and noise, from the sample's own seeded generator."""
        eps, ts, noise = [], [], []
        for key in index.tolist():
            g = seeded(self.config.val_seed, key)
            eps.append(torch.randn(shape, generator=g))
            ts.append(torch.randint(0, self.schedule.num_steps, (1,), generator=g))
            noise.append(torch.randn(shape, generator=g))
        return torch.stack(eps), torch.cat(ts), torch.stack(noise)

    def init(self) -> dict[str, float]:
        return {"sse": 0.0, "n": 0}

    def merge(self, a: dict, b: dict) -> dict:
        return {"sse": a["sse"] + b["sse"], "n": a["n"] + b["n"]}


class DenoiserObjective(_LatentObjective):
    """Epsilon loss of a ``LatentDenoiser`` on the frozen autoencoder's latents."""

    stage = "prediff_denoiser"
    selection = "eps_MSE"

    def __init__(self, model_config: Any, config: ObjectiveConfig) -> None:
        super().__init__(model_config, config, model_config.context_frames, model_config.target_frames)
        self.weighting = LearnedLogVar(config.diffusion_steps) if config.learn_logvar else None

    def _latents(self, frames: torch.Tensor, index: torch.Tensor, eps: torch.Tensor | None = None):
        mean, logvar = self.encoder.moments(frames, index)
        context = mean[:, :self.in_len]  # the observed frames enter as their posterior mode
        return context, draw(mean[:, self.in_len:], logvar[:, self.in_len:], eps)

    def loss(self, model: nn.Module, batch: Any, step: int, autocast: Autocast) -> torch.Tensor:
        frames, index = batch
        context, z0 = self._latents(frames, index)

        def denoise(z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with autocast():
                return model(z_t, t, context).float()

        return epsilon_loss(denoise, z0, self.schedule, weighting=self.weighting).loss

    def accumulate(self, state: dict, model: nn.Module, batch: Any, cpu_batch: Any, autocast: Autocast) -> dict:
        frames, index = batch
        eps, t, noise = self._fixed_draws(index, (self.out_len, *self.model_config.latent_shape))
        context, z0 = self._latents(frames, index, eps)

        def denoise(z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with autocast():
                return model(z_t, t, context).float()

        result = epsilon_loss(denoise, z0, self.schedule, t=t.to(z0.device), noise=noise.to(z0.device))
        return {"sse": state["sse"] + float(result.simple.double().sum()), "n": state["n"] + len(result.simple)}

    def compute(self, state: dict) -> dict[str, float]:
        value = state["sse"] / max(state["n"], 1)
        return {"eps_MSE": value, "selection": value}


class AlignmentObjective(_LatentObjective):
    """MSE of an ``AlignmentNet`` against each target frame's average intensity."""

    stage = "prediff_alignment"
    selection = "align_MSE"

    def __init__(self, model_config: Any, config: ObjectiveConfig, in_len: int = 0) -> None:
        super().__init__(model_config, config, in_len, model_config.frames)

    def resolve(self, data: DataSpec) -> DataSpec:
        self.in_len = data.in_len  # leading frames to skip (0: windows of target frames only)
        return super().resolve(data)

    def _targets(self, frames: torch.Tensor, index: torch.Tensor, eps: torch.Tensor | None = None):
        target = frames[:, self.in_len:]
        mean, logvar = self.encoder.moments(target, index)
        return draw(mean, logvar, eps), average_intensity(target.float())  # (B, T, h, w, c), (B, T, 1)

    def loss(self, model: nn.Module, batch: Any, step: int, autocast: Autocast) -> torch.Tensor:
        frames, index = batch
        z0, knowledge = self._targets(frames, index)

        def align(z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            with autocast():
                return model(z_t, t).float()

        return alignment_loss(align, z0, knowledge, self.schedule)

    def accumulate(self, state: dict, model: nn.Module, batch: Any, cpu_batch: Any, autocast: Autocast) -> dict:
        frames, index = batch
        eps, t, noise = self._fixed_draws(index, (self.out_len, *self.model_config.latent_shape))
        z0, knowledge = self._targets(frames, index, eps)
        with autocast():
            z_t = self.schedule.q_sample(z0, t.to(z0.device), noise.to(z0.device))
            predicted = model(z_t, t.to(z0.device)).float()
        sse = float((predicted.double() - knowledge.double()).pow(2).sum())
        return {"sse": state["sse"] + sse, "n": state["n"] + knowledge.numel()}

    def compute(self, state: dict) -> dict[str, float]:
        value = state["sse"] / max(state["n"], 1)
        return {"align_MSE": value, "selection": value}
