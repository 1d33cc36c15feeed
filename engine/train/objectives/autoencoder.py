"""Stage 1 of PreDiff: the frame autoencoder learns single SEVIR frames (reference C.1).

Loss per micro-batch of frames (B, 1, H, W, C): the published L1 likelihood with a learned
scalar log-variance, + ``kl_weight`` * KL, + (from optimizer step ``disc_start`` on) the
adaptive-weighted PatchGAN generator term (``engine.models.prediff.autoencoder_loss``). The
log-variance trains in the main optimizer. The discriminator, when there is one, has its own
Adam (the run's lr and betas, constant) and takes one step per micro-batch on the hinge loss,
before the autoencoder's loss is formed from its updated weights.

Validation reconstructs every validation frame from its posterior mean: MAE and MSE in data
units ([0, 1]); the selection metric is the MAE (the training loss is an L1 likelihood).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ...models.prediff.autoencoder_config import AutoencoderConfig, AutoencoderLossConfig
from ...models.prediff.autoencoder_loss import AutoencoderLoss
from ..config import ObjectiveConfig, TrainConfig
from ..data import DataSpec
from .frames import check_frames, indexed_datasets, resolve_windows
from .supervised import Autocast


def augment(frames: torch.Tensor) -> torch.Tensor:
    """Each frame (B, T, H, W, C) flipped left-right with probability 1/2, then turned k x 90 degrees.

    Draws from the global generator (so resumed runs repeat them). Frames must be square.
    """
    flips = torch.randint(0, 2, (frames.shape[0],)).tolist()
    turns = torch.randint(0, 4, (frames.shape[0],)).tolist()
    out = [torch.rot90(f.flip(2) if flip else f, k, dims=(1, 2)) for f, flip, k in zip(frames, flips, turns)]
    return torch.stack(out)


class AutoencoderObjective:
    """L1 + learned log-variance + KL (+ optional PatchGAN) of a ``FrameAutoencoder``."""

    selection = "MAE"

    def __init__(self, model_config: AutoencoderConfig, config: ObjectiveConfig, train: TrainConfig) -> None:
        self.model_config, self.config = model_config, config
        loss_config = AutoencoderLossConfig(kl_weight=config.kl_weight, disc_start=config.disc_start,
                                            disc_weight=config.disc_weight, disc_layers=config.disc_layers,
                                            disc_channels=config.disc_channels)
        self.terms = AutoencoderLoss(loss_config, model_config.frame_shape[2])
        disc = self.terms.discriminator
        self.disc_optimizer = (torch.optim.Adam(disc.parameters(), lr=train.lr, betas=tuple(train.betas))
                               if disc is not None else None)
        self.last_log: dict[str, float] = {}

    # -- data ------------------------------------------------------------------------------------
    def resolve(self, data: DataSpec) -> DataSpec:
        return resolve_windows(data, data.in_len or 1, 0, self.model_config.frame_shape, 1, "prediff_vae")

    def datasets(self, spec: DataSpec):
        return indexed_datasets(spec)

    def check(self, model: nn.Module, sample: Any) -> None:
        frames, _ = sample
        check_frames(frames, self.model_config.frame_shape, frames.shape[0], "autoencoder")
        h, w, _ = self.model_config.frame_shape
        if self.config.augment and h != w:
            raise ValueError(f"objective augment: expected square frames (rotations by 90 degrees), got {h} x {w}")

    def metadata(self) -> dict[str, Any]:
        return {}

    # -- training ----------------------------------------------------------------------------------
    def extra_parameters(self) -> list[tuple[str, nn.Parameter]]:
        return [("objective.logvar", self.terms.logvar)]

    def to(self, device: torch.device) -> "AutoencoderObjective":
        self.terms.to(device)
        return self

    def loss(self, model: nn.Module, batch: Any, step: int, autocast: Autocast) -> torch.Tensor:
        frames, _ = batch
        x = augment(frames) if self.config.augment else frames
        with autocast():
            x_hat, posterior = model(x)
        x_hat = x_hat.float()
        if self.disc_optimizer is not None and self.terms.adversarial_active(step):
            d_loss, _ = self.terms.discriminator_loss(x, x_hat, step)
            self.disc_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.disc_optimizer.step()
        last = getattr(model, "module", model).last_layer
        loss, self.last_log = self.terms.autoencoder_loss(x, x_hat, posterior, step, last_layer=last)
        return loss

    # -- state saved with training checkpoints -----------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"terms": self.terms.state_dict(),
                "disc_optimizer": self.disc_optimizer.state_dict() if self.disc_optimizer is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.terms.load_state_dict(state["terms"])
        if self.disc_optimizer is not None and state["disc_optimizer"] is not None:
            self.disc_optimizer.load_state_dict(state["disc_optimizer"])

    # -- validation --------------------------------------------------------------------------------
    def init(self) -> dict[str, float]:
        return {"sae": 0.0, "sse": 0.0, "n": 0}

    def accumulate(self, state: dict, model: nn.Module, batch: Any, cpu_batch: Any, autocast: Autocast) -> dict:
        frames, _ = batch
        with autocast():
            x_hat = model.decode(model.encode(frames).mode())
        err = (x_hat.double() - frames.double()).flatten()
        return {"sae": state["sae"] + float(err.abs().sum()), "sse": state["sse"] + float(err.pow(2).sum()),
                "n": state["n"] + err.numel()}

    def merge(self, a: dict, b: dict) -> dict:
        return {k: a[k] + b[k] for k in a}

    def compute(self, state: dict) -> dict[str, float]:
        n = max(state["n"], 1)
        out = {"MAE": state["sae"] / n, "MSE": state["sse"] / n}
        out["selection"] = out["MAE"]
        return out
