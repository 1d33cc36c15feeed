"""Import the authors' Earthformer weights into our checkpoint format.

Accepted inputs, all read with ``torch.load(weights_only=True)`` (never a full unpickle):

* a state dict of the published ``CuboidTransformerModel`` (the form of the released
  ``earthformer_sevir.pt`` and ``earthformer_icarenso2021.pt``);
* a PyTorch Lightning checkpoint written by the authors' training scripts: a dict whose
  ``state_dict`` keys carry the ``torch_nn_module.`` prefix;
* a ``.safetensors`` file holding either of those state dicts.

Parameter names are the same in both implementations, so conversion is a checked renaming;
the published ``relative_position_index`` buffers are recomputed by our layers and dropped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from ..checkpoint import load_state_checked, save_checkpoint
from .config import EarthformerConfig
from .model import Earthformer

LIGHTNING_PREFIX = "torch_nn_module."


def read_foreign_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``.pt``/``.ckpt``/``.safetensors`` file, safely."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint: expected a file, got {str(path)!r} (not found)")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return dict(load_file(str(path)))
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle refusals and corrupt archives alike
        raise ValueError(f"checkpoint {path}: cannot be read safely with torch.load(weights_only=True) "
                         f"({err.__class__.__name__}: {str(err).splitlines()[0][:200]})") from None
    return published_state_dict(obj, source=str(path))


def published_state_dict(obj: Any, source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Extract a ``CuboidTransformerModel`` state dict from a raw or Lightning checkpoint object."""
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{source}: expected a state dict (name -> tensor) or a Lightning checkpoint with 'state_dict'")
    if any(k.startswith(LIGHTNING_PREFIX) for k in obj):
        obj = {k[len(LIGHTNING_PREFIX):]: v for k, v in obj.items() if k.startswith(LIGHTNING_PREFIX)}
    return {k: v for k, v in obj.items() if not k.endswith("relative_position_index")}


def earthformer_from_published(state: Mapping[str, torch.Tensor], config: EarthformerConfig,
                               source: str = "checkpoint") -> Earthformer:
    """Our model for ``config`` holding the published weights (errors name missing/mis-shaped keys)."""
    model = Earthformer(config)
    load_state_checked(model, dict(state), source=source)
    return model.eval()


def convert_checkpoint(checkpoint: str | Path, config: EarthformerConfig, out_dir: str | Path,
                       metadata: dict[str, Any] | None = None) -> Path:
    """Read a foreign checkpoint, check it against ``config`` and save ours to ``out_dir``."""
    state = read_foreign_weights(checkpoint)
    model = earthformer_from_published(state, config, source=str(checkpoint))
    info = {"converted_from": Path(checkpoint).name, **(metadata or {})}
    return save_checkpoint(model, out_dir, metadata=info)
