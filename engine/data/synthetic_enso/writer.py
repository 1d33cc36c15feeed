"""Write synthetic runs as ICAR-ENSO netCDF files (same names, dims, grid, windows, dtypes)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import xarray as xr

from ..enso.fold import unfold_series
from ..enso.format import (DATASET_ATTR, LABEL_DIMS, LABEL_VARIABLE, LATITUDES, LONGITUDES, TRAIN_DIMS,
                           TRAIN_VARIABLES, WINDOW_MONTHS, crop_longitudes, months_in_series)
from ..enso.nino import RUNNING_MONTHS, nino34_index
from .fields import ModelRun


def run_months(years: int) -> int:
    """Months to simulate for ``years`` samples: the folded series + 2 for the last labels' running mean."""
    return months_in_series(years) + RUNNING_MONTHS - 1


def labels_of(run: ModelRun) -> np.ndarray:
    """Nino3.4 labels (months - 2,) float32 by the definition, from the run's own stored SST."""
    return nino34_index(crop_longitudes(run.sst))


def write_pair(train_path: Path, label_path: Path, runs: Sequence[ModelRun], years: Sequence[int],
               attrs: dict[str, object]) -> None:
    """Write ``runs`` stacked along ``year``: run k gives ``years[k]`` samples (``run_months(years[k])`` long).

    The training file gets ``sst``, ``t300``, ``ua``, ``va`` (year, month, lat, lon); the label
    file ``nino`` (year, month); both float32 with ``attrs`` as global attributes.
    """
    if len(years) != len(runs):
        raise ValueError(f"years: expected one count per run ({len(runs)}), got {len(years)}")
    for k, (run, n_years) in enumerate(zip(runs, years)):
        if run.sst.shape[0] != run_months(n_years):
            raise ValueError(f"run {k}: expected {run_months(n_years)} months for {n_years} samples, "
                             f"got {run.sst.shape[0]}")
    n = sum(years)
    coords = {"year": np.arange(1, n + 1, dtype=np.int32), "month": np.arange(1, WINDOW_MONTHS + 1, dtype=np.int32)}
    grid = {"lat": LATITUDES.astype(np.float32), "lon": LONGITUDES.astype(np.float32)}
    fields = {name: (TRAIN_DIMS, np.concatenate([unfold_series(getattr(r, name), y) for r, y in zip(runs, years)]))
              for name in TRAIN_VARIABLES}
    train = xr.Dataset(fields, coords={**coords, **grid}, attrs=dict(attrs))
    # One chunk per sample: the reader picks every third sample, so it never decompresses the rest.
    chunk = {"zlib": True, "complevel": 4, "shuffle": True, "chunksizes": (1, WINDOW_MONTHS, *LATITUDES.shape, *LONGITUDES.shape)}
    _atomic_write(train, train_path, {name: chunk for name in TRAIN_VARIABLES})
    nino = np.concatenate([unfold_series(labels_of(r), y) for r, y in zip(runs, years)])
    label = xr.Dataset({LABEL_VARIABLE: (LABEL_DIMS, nino)}, coords=coords, attrs=dict(attrs))
    _atomic_write(label, label_path, {LABEL_VARIABLE: {"zlib": True, "complevel": 4}})


def _atomic_write(ds: xr.Dataset, path: Path, encoding: dict) -> None:
    """Write next to ``path`` and rename, so a reader never sees half a file."""
    part = path.with_name(path.name + ".part")
    ds.to_netcdf(part, engine="netcdf4", encoding=encoding)
    os.replace(part, path)


def dataset_attrs(kind: str, seed: int, extra: dict[str, int] | None = None) -> dict[str, object]:
    """Global attributes of a synthetic file (``efs_dataset`` lets the reader catch swapped files)."""
    return {DATASET_ATTR: kind, "title": f"Synthetic ICAR-ENSO-format {kind} data (recharge oscillator)",
            "source": "engine.data.synthetic_enso (Earth Forecast Studio)", "seed": seed, **(extra or {})}
