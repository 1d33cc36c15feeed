"""The Nino3.4 index exactly as ICAR-ENSO and Earthformer define it.

On the longitude-cropped 24 x 48 grid the Nino3.4 box (5S-5N, 170W-120W) is latitude rows
10..12 (-5, 0, 5 degrees N) and columns 19..29 (190..240 E). The index at month m is the
FORWARD 3-month running mean of the box-mean SST anomaly: mean over months m, m+1, m+2. So a
series of n months yields n - 2 index values, and 14 forecast months yield 12 leads.

Both the synthetic generator (to write labels) and the reader (to check them) call these
functions, with the same float64 arithmetic in the same order, so identical SST gives
bit-identical float32 labels.
"""
from __future__ import annotations

import numpy as np

from .format import CROPPED_SHAPE, unscale_sst

NINO_ROWS = slice(10, 13)  # latitudes -5, 0, 5
NINO_COLS = slice(19, 30)  # cropped longitudes 190, 195, ..., 240 E
RUNNING_MONTHS = 3


def nino_box_mean(sst: np.ndarray) -> np.ndarray:
    """Mean SST anomaly over the Nino3.4 box, in float64.

    Parameters
    ----------
    sst : array (..., 24, 48), degC anomaly on the cropped grid.

    Returns
    -------
    array (...,) float64, degC.
    """
    if sst.shape[-2:] != CROPPED_SHAPE:
        raise ValueError(f"sst: expected a cropped (..., {CROPPED_SHAPE[0]}, {CROPPED_SHAPE[1]}) grid, got {sst.shape}")
    box = np.ascontiguousarray(sst[..., NINO_ROWS, NINO_COLS], dtype=np.float64)
    # One contiguous reduction axis keeps the summation order independent of the input layout.
    return box.reshape(*box.shape[:-2], -1).mean(axis=-1)


def running_mean3(series: np.ndarray) -> np.ndarray:
    """Forward 3-month running mean along the last axis: (..., n) -> (..., n - 2), float64."""
    if series.shape[-1] < RUNNING_MONTHS:
        raise ValueError(f"series: expected at least {RUNNING_MONTHS} months, got {series.shape[-1]}")
    x = np.asarray(series, dtype=np.float64)
    return (x[..., :-2] + x[..., 1:-1] + x[..., 2:]) / 3.0


def nino34_index(sst: np.ndarray, time_axis: int = -3) -> np.ndarray:
    """Nino3.4 index from monthly SST fields.

    Parameters
    ----------
    sst : array (..., T, 24, 48) (time axis given by ``time_axis``), degC anomaly, cropped grid.

    Returns
    -------
    array (..., T - 2) float32, degC: value m averages months m, m+1, m+2.
    """
    box = nino_box_mean(np.moveaxis(sst, time_axis, -3))
    return running_mean3(box).astype(np.float32)


def nino34_from_scaled(scaled: np.ndarray) -> np.ndarray:
    """Nino3.4 index of scaled SST in the engine layout, as Earthformer scores forecasts.

    Parameters
    ----------
    scaled : array (..., T, 24, 48, 1), SST in ``format.scale_sst`` units (e.g. a model's
        (B, 14, 24, 48, 1) output).

    Returns
    -------
    array (..., T - 2) float32, degC (leads 1..T-2 for a forecast of T months).
    """
    if scaled.shape[-1] != 1:
        raise ValueError(f"scaled: expected one channel (..., T, 24, 48, 1), got shape {scaled.shape}")
    return nino34_index(unscale_sst(np.asarray(scaled[..., 0], dtype=np.float64)))
