"""ICAR-ENSO: reader, Nino3.4 index, forecast windows and torch dataset (Earthformer's ENSO setup).

Data flow: ``IcarEnso(root)`` checks the netCDF files and folds each climate model's overlapping
36-month samples into one monthly series (``ModelSeries``: SST (months, 24, 48) and Nino3.4
labels, degC); ``engine.data.enso.dataset.IcarEnsoWindows`` (imports torch) cuts 12-in /
14-out windows of scaled SST for training; ``nino34_from_scaled`` scores forecasts.
"""
from .format import (IN_MONTHS, OUT_MONTHS, PUBLISHED_LAYOUT, SST_MAX, SST_MIN, Block, Layout, crop_longitudes,
                     scale_sst, unscale_sst)
from .nino import nino34_from_scaled, nino34_index, nino_box_mean, running_mean3
from .reader import IcarEnso, ModelInfo, ModelSeries
from .windows import WindowSpec, nino_target_slice, window_counts, window_starts

__all__ = [
    "Block",
    "IN_MONTHS",
    "IcarEnso",
    "Layout",
    "ModelInfo",
    "ModelSeries",
    "OUT_MONTHS",
    "PUBLISHED_LAYOUT",
    "SST_MAX",
    "SST_MIN",
    "WindowSpec",
    "crop_longitudes",
    "nino34_from_scaled",
    "nino34_index",
    "nino_box_mean",
    "nino_target_slice",
    "running_mean3",
    "scale_sst",
    "unscale_sst",
    "window_counts",
    "window_starts",
]
