"""Self-describing checkpoints: a directory with ``config.json`` and ``model.safetensors``.

``config.json`` holds ``{"family": NAME, "config": {...}, "metadata": {...}}``; the family names
the model class and its frozen config dataclass in :data:`FAMILIES`. Weights are read with
safetensors only: loading a checkpoint never unpickles anything.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Family:
    """How to rebuild one model family: its config class (with ``from_dict``/``to_dict``) and builder."""

    config_cls: type
    build: Callable[[Any], nn.Module]


def _earthformer() -> Family:
    from .earthformer.config import EarthformerConfig
    from .earthformer.model import Earthformer

    return Family(EarthformerConfig, Earthformer)


def _unet() -> Family:
    from .unet.config import UNetConfig
    from .unet.model import UNet

    return Family(UNetConfig, UNet)


def _convlstm() -> Family:
    from .convlstm.config import ConvLSTMConfig
    from .convlstm.model import ConvLSTM

    return Family(ConvLSTMConfig, ConvLSTM)


def _prediff_vae() -> Family:
    from .prediff.autoencoder import FrameAutoencoder
    from .prediff.autoencoder_config import AutoencoderConfig

    return Family(AutoencoderConfig, FrameAutoencoder)


def _prediff_denoiser() -> Family:
    from .prediff.denoiser import LatentDenoiser
    from .prediff.denoiser_config import DenoiserConfig

    return Family(DenoiserConfig, LatentDenoiser)


def _prediff_alignment() -> Family:
    from .prediff.alignment import AlignmentNet
    from .prediff.alignment_config import AlignmentConfig

    return Family(AlignmentConfig, AlignmentNet)


FAMILIES: dict[str, Callable[[], Family]] = {"earthformer": _earthformer, "unet": _unet, "convlstm": _convlstm,
                                             "prediff_vae": _prediff_vae, "prediff_denoiser": _prediff_denoiser,
                                             "prediff_alignment": _prediff_alignment}


def get_family(name: str) -> Family:
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; valid: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[name]()


def family_of(model: nn.Module) -> str:
    for name, factory in FAMILIES.items():
        if isinstance(model.config, factory().config_cls):
            return name
    raise ValueError(f"model: expected one of the families {sorted(FAMILIES)}, got {type(model).__name__}")


def save_checkpoint(model: nn.Module, directory: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``config.json`` + ``model.safetensors`` into ``directory`` (atomically, file by file)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    document = {"format_version": FORMAT_VERSION, "family": family_of(model), "config": model.config.to_dict(),
                "metadata": metadata or {}}
    _atomic_write(directory / WEIGHTS_FILE, lambda path: save_file(state, str(path)))
    _atomic_write(directory / CONFIG_FILE, lambda path: Path(path).write_text(json.dumps(document, indent=2)))
    return directory


def read_config(directory: str | Path) -> tuple[str, Any, dict[str, Any]]:
    """(family, config, metadata) of the checkpoint in ``directory``."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise ValueError(f"checkpoint: expected {path} (a directory with {CONFIG_FILE} and {WEIGHTS_FILE})")
    try:
        document = json.loads(path.read_text())
        family = get_family(document["family"])
        return document["family"], family.config_cls.from_dict(document["config"]), document.get("metadata", {})
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"checkpoint {path}: not a valid config file ({err.__class__.__name__}: {err})") from None


def load_checkpoint(directory: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved in ``directory``, in eval mode, on ``device``."""
    family_name, config, _ = read_config(directory)
    model = get_family(family_name).build(config)
    weights = Path(directory) / WEIGHTS_FILE
    if not weights.is_file():
        raise ValueError(f"checkpoint: expected weights at {weights}, found none")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError) as err:
        raise ValueError(f"checkpoint {weights}: unreadable safetensors file ({err})") from None
    load_state_checked(model, state, source=str(weights))
    return model.to(device).eval()


def load_state_checked(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """``load_state_dict`` that names missing, unexpected and mis-shaped keys in one ValueError."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [f"{k}: expected {tuple(expected[k].shape)}, got {tuple(state[k].shape)}"
              for k in sorted(set(expected) & set(state)) if expected[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:3])})")
        if shapes:
            parts.append(f"{len(shapes)} keys with other shapes (e.g. {'; '.join(shapes[:2])})")
        raise ValueError(f"{source}: weights do not fit this model configuration: {'; '.join(parts)}")
    model.load_state_dict(state, strict=True)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
