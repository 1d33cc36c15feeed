"""Every named model configuration, across families: ``get_model_preset(name) -> (family, config)``."""
from __future__ import annotations

from typing import Any


def model_presets() -> dict[str, tuple[str, Any]]:
    """Preset name -> (family, config) for Earthformer, UNet and ConvLSTM."""
    from .convlstm.config import PRESETS as CONVLSTM
    from .earthformer.presets import PRESETS as EARTHFORMER
    from .unet.config import PRESETS as UNET

    table: dict[str, tuple[str, Any]] = {}
    for family, presets in (("earthformer", EARTHFORMER), ("unet", UNET), ("convlstm", CONVLSTM)):
        table.update({name: (family, config) for name, config in presets.items()})
    return table


def get_model_preset(name: str) -> tuple[str, Any]:
    """(family, config) of a named preset; unknown names raise ValueError listing the valid ones."""
    table = model_presets()
    if name not in table:
        raise ValueError(f"unknown model preset {name!r}; valid: {', '.join(sorted(table))}")
    return table[name]
