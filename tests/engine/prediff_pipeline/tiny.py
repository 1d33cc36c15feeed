"""Tiny random-weight PreDiff sets for tests: 16 x 16 frames, 8 x 8 x 2 latents, 3 + 2 frames."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from engine.models.prediff.alignment import AlignmentNet
from engine.models.prediff.alignment_config import PREDIFF_ALIGNMENT_DEMO
from engine.models.prediff.autoencoder import FrameAutoencoder
from engine.models.prediff.autoencoder_config import AutoencoderConfig
from engine.models.prediff.denoiser import LatentDenoiser
from engine.models.prediff.denoiser_config import PREDIFF_DENOISER_DEMO
from engine.prediff import PreDiffModels, intensity_statistics, save_prediff_set

FRAME = 16
T_IN, T_OUT = 3, 2
AE = AutoencoderConfig(frame_shape=(FRAME, FRAME, 1), block_channels=(8, 8), layers_per_block=1, latent_channels=2,
                       norm_groups=4)
DEN = replace(PREDIFF_DENOISER_DEMO, context_frames=T_IN, target_frames=T_OUT, latent_shape=(8, 8, 2), base_units=8,
              depth=(1,), num_heads=2, norm_groups=4)
ALIGN = replace(PREDIFF_ALIGNMENT_DEMO, frames=T_OUT, latent_shape=(8, 8, 2), base_units=8, depth=(1,), num_heads=2,
                norm_groups=4)
TRAIN_VALUES = np.linspace(0.0, 0.2, 101)  # sigma = std of these


def tiny_models(seed: int = 0, alignment: bool = True, pool: int = 1) -> PreDiffModels:
    """A random-weight set; the denoiser's zero-initialised output is perturbed so it matters."""
    torch.manual_seed(seed)
    denoiser = LatentDenoiser(DEN)
    torch.nn.init.normal_(denoiser.final_proj.weight, std=0.2)
    info = intensity_statistics(TRAIN_VALUES, pool=pool, description="tiny random-weight test set")
    return PreDiffModels(FrameAutoencoder(AE), denoiser, AlignmentNet(ALIGN) if alignment else None, info).eval()


def save_tiny_set(directory: Path, seed: int = 0, pool: int = 1) -> Path:
    models = tiny_models(seed, pool=pool)
    return save_prediff_set(directory, models.autoencoder, models.denoiser, models.alignment, models.info)
