"""The trained autoencoder under the latent stages: loaded frozen, fingerprinted, its encodings cached.

The denoiser and the alignment network learn in the latent space of one particular autoencoder;
paired with another, they produce noise. Their exported checkpoints therefore record the
autoencoder's path and a fingerprint (SHA-256 of its config and of its weights file) so a
mismatched pair is detected later, and a resumed run refuses an autoencoder that changed.

Encoding runs under ``torch.no_grad`` with the autoencoder in eval mode, one sample at a time
(so a sample's latent does not depend on what else is in its batch), and the posterior moments
(mean, log-variance) of each sample are cached: they never change, and the posterior draw is
made from them at every use.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...models.checkpoint import CONFIG_FILE, WEIGHTS_FILE, load_checkpoint, read_config

VAE_FAMILY = "prediff_vae"


def _missing(stage: str) -> ValueError:
    return ValueError(f"--autoencoder: expected the directory of a trained {VAE_FAMILY} checkpoint "
                      f"(config.json + model.safetensors) to train the {stage}, got none")


def fingerprint(directory: str | Path) -> dict[str, str]:
    """``{"path", "config_sha256", "weights_sha256"}`` of the autoencoder checkpoint in ``directory``."""
    directory = Path(directory).expanduser().resolve()
    family, config, _ = read_config(directory)
    canonical = json.dumps({"family": family, "config": config.to_dict()}, sort_keys=True)
    weights = hashlib.sha256()
    with (directory / WEIGHTS_FILE).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            weights.update(block)
    return {"path": str(directory), "config_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
            "weights_sha256": weights.hexdigest()}


def load_frozen_autoencoder(directory: str, stage: str, latent_shape: tuple[int, ...]) -> nn.Module:
    """The autoencoder in ``directory``: eval mode, no gradients; ValueError if missing or unfit.

    ``latent_shape`` (h, w, c) is what the trained network expects of every latent frame.
    """
    if not directory:
        raise _missing(stage)
    path = Path(directory).expanduser()
    if not (path / CONFIG_FILE).is_file() or not (path / WEIGHTS_FILE).is_file():
        raise ValueError(f"--autoencoder {path}: expected a {VAE_FAMILY} checkpoint directory with {CONFIG_FILE} "
                         f"and {WEIGHTS_FILE}, got {'no such directory' if not path.is_dir() else 'neither file'}")
    family, config, _ = read_config(path)
    if family != VAE_FAMILY:
        raise ValueError(f"--autoencoder {path}: expected a {VAE_FAMILY} checkpoint, got a {family} model")
    if tuple(config.latent_shape) != tuple(latent_shape):
        raise ValueError(f"--autoencoder {path}: expected latents (h, w, c) = {tuple(latent_shape)} as the {stage} "
                         f"takes, got an autoencoder with {tuple(config.latent_shape)}")
    model = load_checkpoint(path)
    model.requires_grad_(False)
    return model.eval()


class LatentEncoder:
    """Posterior moments of samples' frames under a frozen autoencoder, cached per sample index.

    Parameters
    ----------
    autoencoder : frozen ``FrameAutoencoder``
    cache_mb : keep at most this many MiB of moments (0: no cache)
    """

    def __init__(self, autoencoder: nn.Module, cache_mb: int) -> None:
        self.autoencoder = autoencoder
        self.cache_bytes = cache_mb * 2**20
        self.cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.used = 0

    def to(self, device: torch.device) -> "LatentEncoder":
        self.autoencoder.to(device)
        return self

    @torch.no_grad()
    def moments(self, frames: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, logvar), each (B, T, h, w, c), of frames (B, T, H, W, C) with dataset indices (B,)."""
        self.autoencoder.eval()  # never in training mode, whatever the trainer toggles
        means, logvars = [], []
        for sample, key in zip(frames, index.tolist()):
            hit = self.cache.get(key)
            if hit is None:
                posterior = self.autoencoder.encode(sample[None].float())
                hit = (posterior.mean[0], posterior.logvar[0])
                size = 2 * hit[0].numel() * hit[0].element_size()
                if self.used + size <= self.cache_bytes:
                    self.cache[key] = hit
                    self.used += size
            means.append(hit[0])
            logvars.append(hit[1])
        return torch.stack(means), torch.stack(logvars)


def draw(mean: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """A posterior sample mean + std * eps (eps ~ N(0, I) from the global generator unless given)."""
    if eps is None:
        eps = torch.randn(mean.shape, dtype=mean.dtype).to(mean.device)
    return mean + torch.exp(0.5 * logvar) * eps.to(mean.device, mean.dtype)


def autoencoder_metadata(directory: str) -> dict[str, Any]:
    """What exported latent models record about their autoencoder (see :func:`fingerprint`)."""
    return {"autoencoder": {**fingerprint(directory), "given": str(directory)}}
