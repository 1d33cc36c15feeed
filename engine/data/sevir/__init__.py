"""SEVIR storm events: on-disk format, catalog, event reader, sequence windows.

Layout contract: events come out as uint8 (T, H, W) = (49, 384, 384); sequences for models as
float32 (T, H, W, 1) in [0, 1], batched to (B, T, H, W, C) (``engine.data.sevir.dataset``,
kept out of this namespace so catalog tools do not import torch).

Modules: ``format`` (constants, VIL codec, split), ``catalog`` (CATALOG.csv), ``reader``
(``SevirStore``), ``dataset`` (``SevirSequences``), ``writer`` and ``lr`` (SEVIR-format and
SEVIR-LR copies), ``summary``.
"""
from .catalog import load_catalog, vil_events
from .errors import StormDataError
from .format import (
    CATALOG_COLUMNS,
    FRAME_MINUTES,
    FRAMES_PER_EVENT,
    SEVIR_PROJ,
    VIL_SIZE,
    VIL_THRESHOLDS,
    decode_vil,
    earthformer_split,
    encode_vil,
    scale_01,
)
from .reader import SevirStore, open_store
from .summary import summarize
from .writer import write_catalog, write_vil_file

__all__ = [
    "CATALOG_COLUMNS",
    "FRAMES_PER_EVENT",
    "FRAME_MINUTES",
    "SEVIR_PROJ",
    "SevirStore",
    "StormDataError",
    "VIL_SIZE",
    "VIL_THRESHOLDS",
    "decode_vil",
    "earthformer_split",
    "encode_vil",
    "load_catalog",
    "open_store",
    "scale_01",
    "summarize",
    "vil_events",
    "write_catalog",
    "write_vil_file",
]
