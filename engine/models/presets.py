"""Every named model configuration, across families: ``get_model_preset(name) -> (family, config)``."""
from __future__ import annotations

from typing import Any


def model_presets() -> dict[str, tuple[str, Any]]:
    """Preset name -> (family, config) for Earthformer, UNet, ConvLSTM and the PreDiff networks."""
    from .convlstm.config import PRESETS as CONVLSTM
    from .earthformer.presets import PRESETS as EARTHFORMER
    from .prediff.alignment_config import PRESETS as PREDIFF_ALIGNMENT
    from .prediff.autoencoder_config import AUTOENCODER_PRESETS as PREDIFF_VAE
    from .prediff.denoiser_config import PRESETS as PREDIFF_DENOISER
    from .unet.config import PRESETS as UNET

    table: dict[str, tuple[str, Any]] = {}
    for family, presets in (("earthformer", EARTHFORMER), ("unet", UNET), ("convlstm", CONVLSTM),
                            ("prediff_vae", PREDIFF_VAE), ("prediff_denoiser", PREDIFF_DENOISER),
                            ("prediff_alignment", PREDIFF_ALIGNMENT)):
        table.update({name: (family, config) for name, config in presets.items()})
    return table


def get_model_preset(name: str) -> tuple[str, Any]:
    """(family, config) of a named preset; unknown names raise ValueError listing the valid ones."""
    table = model_presets()
    if name not in table:
        raise ValueError(f"unknown model preset {name!r}; valid: {', '.join(sorted(table))}")
    return table[name]
