"""Write SEVIR-format files: one VIL HDF5 file and CATALOG.csv (used by the SEVIR-LR copy).

Files match the real layout: datasets ``id`` (N,) bytes and ``vil`` uint8 (N, H, W, T), one
chunk per event (so reading an event touches one chunk), gzip + shuffle.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import pandas as pd

from ..transforms import nthw_to_nhwt
from .format import CATALOG_COLUMNS, TIME_UTC_FORMAT, VIL_IMG_TYPE


def write_vil_file(path: str | Path, ids: Sequence[str], vil: np.ndarray, compression: int | None = 4) -> Path:
    """Write events ``vil`` uint8 (N, T, H, W) with ``ids`` to ``path`` in SEVIR's (N, H, W, T) layout."""
    vil = np.asarray(vil)
    if vil.dtype != np.uint8 or vil.ndim != 4 or len(ids) != vil.shape[0]:
        raise ValueError(f"vil: expected uint8 (N, T, H, W) with N = len(ids) = {len(ids)}, "
                         f"got {vil.dtype} {vil.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = nthw_to_nhwt(vil)  # (N, H, W, T)
    gzip = {"compression": "gzip", "compression_opts": compression, "shuffle": True} if compression else {}
    with h5py.File(path, "w") as f:
        f.create_dataset("id", data=np.array([s.encode() for s in ids], dtype="S"))
        f.create_dataset(VIL_IMG_TYPE, data=data, chunks=(1, *data.shape[1:]), **gzip)
    return path


def write_catalog(path: str | Path, rows: pd.DataFrame) -> Path:
    """Write catalog ``rows`` as CATALOG.csv with the real column order and time format."""
    out = rows.copy()
    for col in CATALOG_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
    out["time_utc"] = pd.to_datetime(out["time_utc"]).dt.strftime(TIME_UTC_FORMAT)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out[list(CATALOG_COLUMNS)].to_csv(path, index=False)
    return path
