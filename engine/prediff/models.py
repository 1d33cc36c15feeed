"""A checked PreDiff set: autoencoder, latent denoiser and (optional) alignment network.

On disk a set is a directory holding ``prediff.json`` and one checkpoint per part::

    <set>/prediff.json  autoencoder/  denoiser/  alignment/   (each: config.json + model.safetensors)

The parts are trained separately, so nothing but this check ties them together: the denoiser
must work on the autoencoder's latents, and the alignment network on the denoiser's target.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..models.checkpoint import load_checkpoint, read_config, save_checkpoint
from ..models.prediff.alignment import AlignmentNet
from ..models.prediff.autoencoder import FrameAutoencoder
from ..models.prediff.denoiser import LatentDenoiser
from .set_info import SetInfo, read_set_info, write_set_info

PARTS: dict[str, str] = {"autoencoder": "prediff_vae", "denoiser": "prediff_denoiser", "alignment": "prediff_alignment"}


def check_compatible(autoencoder: Any, denoiser: Any, alignment: Any | None = None) -> None:
    """Raise one ValueError naming both parts when the configs of a set do not fit together.

    Arguments are the parts' configs (AutoencoderConfig, DenoiserConfig, AlignmentConfig or None).
    """
    latent = tuple(autoencoder.latent_shape)
    if tuple(denoiser.latent_shape) != latent:
        raise ValueError(f"PreDiff set: the autoencoder makes latents of {latent} (h, w, c) but the denoiser "
                         f"expects {tuple(denoiser.latent_shape)}: expected the same latent shape in both")
    if alignment is None:
        return
    if tuple(alignment.latent_shape) != latent:
        raise ValueError(f"PreDiff set: the autoencoder makes latents of {latent} (h, w, c) but the alignment "
                         f"network expects {tuple(alignment.latent_shape)}: expected the same latent shape in both")
    if alignment.frames != denoiser.target_frames:
        raise ValueError(f"PreDiff set: the denoiser samples {denoiser.target_frames} target frames but the alignment "
                         f"network reads {alignment.frames}: expected the same number of frames in both")
    if alignment.out_channels != 1:
        raise ValueError(f"PreDiff set: expected an alignment network with one output per frame (the average "
                         f"intensity), got out_channels={alignment.out_channels}")


@dataclass(frozen=True, eq=False)
class PreDiffModels:
    """The networks of one PreDiff set (in eval mode) and its ``prediff.json``."""

    autoencoder: FrameAutoencoder
    denoiser: LatentDenoiser
    alignment: AlignmentNet | None
    info: SetInfo

    def __post_init__(self) -> None:
        for name, model, cls in (("autoencoder", self.autoencoder, FrameAutoencoder),
                                 ("denoiser", self.denoiser, LatentDenoiser),
                                 ("alignment", self.alignment, AlignmentNet)):
            if not isinstance(model, cls) and not (name == "alignment" and model is None):
                raise ValueError(f"{name}: expected a {cls.__name__}, got {type(model).__name__}")
        check_compatible(self.autoencoder.config, self.denoiser.config,
                         None if self.alignment is None else self.alignment.config)

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the frames the set reads and writes."""
        return tuple(self.autoencoder.config.frame_shape)

    @property
    def context_frames(self) -> int:
        return self.denoiser.config.context_frames

    @property
    def target_frames(self) -> int:
        return self.denoiser.config.target_frames

    def eval(self) -> "PreDiffModels":
        for model in (self.autoencoder, self.denoiser, self.alignment):
            if model is not None:
                model.eval().requires_grad_(False)  # guidance differentiates z_t, never the weights
        return self

    @classmethod
    def from_directory(cls, directory: str | Path, device: str | torch.device = "cpu") -> "PreDiffModels":
        """Load the set in ``directory`` (configs are cross-checked before any weights are read)."""
        directory = Path(directory)
        info = read_set_info(directory)
        configs = read_part_configs(directory)
        check_compatible(configs["autoencoder"], configs["denoiser"], configs.get("alignment"))
        parts = {name: load_checkpoint(directory / name, device) for name in configs}
        return cls(parts["autoencoder"], parts["denoiser"], parts.get("alignment"), info).eval()


def read_part_configs(directory: Path) -> dict[str, Any]:
    """{part: config} of a set directory; the alignment network may be absent. Checks the families."""
    configs = {}
    for name, family in PARTS.items():
        part = directory / name
        if name == "alignment" and not part.exists():
            continue
        found, config, _ = read_config(part)
        if found != family:
            raise ValueError(f"PreDiff set {directory}: {name}/ expected a {family} checkpoint, got {found}")
        configs[name] = config
    return configs


def save_prediff_set(directory: str | Path, autoencoder: nn.Module, denoiser: nn.Module, alignment: nn.Module | None,
                     info: SetInfo, metadata: dict | None = None) -> Path:
    """Write a set (three checkpoints + ``prediff.json``) into ``directory``; returns it."""
    directory = Path(directory)
    check_compatible(autoencoder.config, denoiser.config, None if alignment is None else alignment.config)
    for name, model in (("autoencoder", autoencoder), ("denoiser", denoiser), ("alignment", alignment)):
        if model is not None:
            save_checkpoint(model, directory / name, metadata)
    write_set_info(directory, info)
    return directory
