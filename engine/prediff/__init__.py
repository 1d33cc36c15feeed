"""PreDiff forecasting (Gao et al., NeurIPS 2023): a checked model set and the ensemble pipeline.

A *PreDiff set* is a directory with ``prediff.json`` (schedule, guidance scale and the training
split's statistics of the future average intensity) and three sub-checkpoints ``autoencoder/``,
``denoiser/`` and ``alignment/`` (optional). :class:`PreDiffModels` loads and cross-checks them;
:class:`PreDiffForecaster` encodes a context, samples an ensemble of latent futures (with
knowledge control when asked) and decodes them.
"""
from __future__ import annotations

from .models import PreDiffModels, check_compatible, save_prediff_set
from .pipeline import PreDiffForecaster, PreDiffSamples
from .set_info import SET_FILE, SetInfo, intensity_statistics, read_set_info, write_set_info

__all__ = ["SET_FILE", "PreDiffForecaster", "PreDiffModels", "PreDiffSamples", "SetInfo", "check_compatible",
           "intensity_statistics", "read_set_info", "save_prediff_set", "write_set_info"]
