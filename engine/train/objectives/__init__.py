"""Training objectives: what one micro-batch's loss is, and how validation scores a model.

The trainer (``engine.train.loop``) is the same for every model; the objective follows the model
family. Forecasters (Earthformer, UNet, ConvLSTM) use :class:`Supervised` (MSE on the task's
input/target split, the task's scores); the PreDiff stages have their own (PreDiff, Gao et al.,
NeurIPS 2023; reference C):

==================== ================================================== =====================
family               loss of one micro-batch                            validation selection
==================== ================================================== =====================
prediff_vae          L1 + learned log-variance + KL (+ PatchGAN)        frame MAE
prediff_denoiser     epsilon loss on latents of a frozen autoencoder    eps MSE, fixed noise
prediff_alignment    MSE of U(z_t, t) against frame average intensity   MSE, fixed noise
==================== ================================================== =====================

Contract of an objective (duck-typed, like the tasks):

- ``selection``: name of the lower-is-better selection metric;
- ``extra_parameters() -> [(name, parameter)]``: trainable parameters it owns (learned
  log-variances), which the optimizer trains with the model;
- ``to(device)``; ``loss(model, batch, step, autocast) -> scalar`` (``autocast()`` is the
  trainer's mixed-precision context; ``step`` the optimizer step);
- ``init() / accumulate(state, model, batch, cpu_batch, autocast) / merge(a, b) / compute(state)``:
  streaming validation whose states merge exactly across processes;
- PreDiff stages also ``resolve(data) -> DataSpec``, ``datasets(spec)``, ``check(model, sample)``,
  ``metadata()`` (stored with the exported model) and ``state_dict() / load_state_dict()`` (kept
  in training checkpoints).
"""
from __future__ import annotations

from typing import Any, Callable

from ..config import ObjectiveConfig, TrainConfig
from .supervised import Supervised


def _vae(model_config: Any, config: ObjectiveConfig, train: TrainConfig):
    from .autoencoder import AutoencoderObjective

    return AutoencoderObjective(model_config, config, train)


def _denoiser(model_config: Any, config: ObjectiveConfig, train: TrainConfig):
    from .latent import DenoiserObjective

    return DenoiserObjective(model_config, config)


def _alignment(model_config: Any, config: ObjectiveConfig, train: TrainConfig):
    from .latent import AlignmentObjective

    return AlignmentObjective(model_config, config)


#: Model family -> builder of its objective; families not listed train with :class:`Supervised`.
OBJECTIVES: dict[str, Callable[[Any, ObjectiveConfig, TrainConfig], Any]] = {
    "prediff_vae": _vae, "prediff_denoiser": _denoiser, "prediff_alignment": _alignment}


def build_objective(family: str, model_config: Any, config: ObjectiveConfig, train: TrainConfig) -> Any | None:
    """The objective of a model family, or None for forecasters (they train with :class:`Supervised`)."""
    builder = OBJECTIVES.get(family)
    return builder(model_config, config, train) if builder is not None else None


__all__ = ["OBJECTIVES", "Supervised", "build_objective"]
