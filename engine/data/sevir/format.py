"""SEVIR's on-disk format: constants and tiny pure functions (no I/O).

SEVIR (Veillette, Samsi & Mattioli, NeurIPS 2020) stores each 4-hour storm event as 49 frames
5 minutes apart on a 384 km x 384 km patch in a Lambert azimuthal equal-area projection over the
continental US. ``CATALOG.csv`` has one row per (event, image type); raster files hold an ``id``
dataset (N,) and a ``<img_type>`` dataset laid out (N, H, W, T).

Everything here describes the *real* dataset, so synthetic generators and readers agree with it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import numpy as np

#: The 21 columns of the real CATALOG.csv, in its order.
CATALOG_COLUMNS: tuple[str, ...] = (
    "id", "file_name", "file_index", "img_type", "time_utc", "minute_offsets", "episode_id",
    "event_id", "event_type", "llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon", "proj",
    "size_x", "size_y", "height_m", "width_m", "data_min", "data_max", "pct_missing",
)
FRAMES_PER_EVENT = 49
FRAME_MINUTES = 5
VIL_SIZE = 384  # pixels per side, 1 km each
VIL_IMG_TYPE = "vil"
#: Earthformer's CSI thresholds on the uint8 VIL scale (kg/m²: 0.154, 0.775, 3.53, 7.07, 12.14, 32.2).
VIL_THRESHOLDS: tuple[int, ...] = (16, 74, 133, 160, 181, 219)
#: The ``proj`` value of every row of the real catalog (Proj4; the real file has a trailing space).
SEVIR_PROJ = "+proj=laea +lat_0=38 +lon_0=-98 +units=m +a=6370997.0 +ellps=sphere "
#: ``time_utc`` as the real CATALOG.csv writes it, e.g. "2018-05-02 21:30:00".
TIME_UTC_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Event-set names in file names: STORMEVENTS ('S' ids, NWS Storm Events), RANDOMEVENTS ('R' ids).
EVENT_SETS: tuple[str, ...] = ("STORMEVENTS", "RANDOMEVENTS", "ALLEVENTS")
#: Earthformer's date split: train <= TRAIN_END < val <= VAL_END < test.
TRAIN_END = datetime(2019, 1, 1)
VAL_END = datetime(2019, 6, 1)
SPLITS: tuple[str, ...] = ("train", "val", "test")
DATA_DIR = "data"  # file_name in the catalog is relative to <root>/data
CATALOG_NAME = "CATALOG.csv"

Split = Literal["train", "val", "test"]


def file_name(img_type: str, event_set: str, year: int, start: date, end: date) -> str:
    """Catalog ``file_name`` of a raster file, relative to ``<root>/data``.

    Example: ``file_name("vil", "STORMEVENTS", 2018, date(2018, 1, 1), date(2018, 6, 30))``
    is ``"vil/2018/SEVIR_VIL_STORMEVENTS_2018_0101_0630.h5"``.
    """
    if event_set not in EVENT_SETS:
        raise ValueError(f"event_set: expected one of {', '.join(EVENT_SETS)}, got {event_set!r}")
    return (f"{img_type}/{year}/SEVIR_{img_type.upper()}_{event_set}_{year}_"
            f"{start:%m%d}_{end:%m%d}.h5")


def format_time_utc(t: datetime) -> str:
    return t.strftime(TIME_UTC_FORMAT)


def parse_time_utc(text: str) -> datetime:
    return datetime.strptime(text.strip(), TIME_UTC_FORMAT)


def format_minute_offsets(offsets) -> str:
    """Colon-separated integer minutes relative to time_utc, e.g. "-120:-115:...:120"."""
    return ":".join(str(int(m)) for m in offsets)


def parse_minute_offsets(text: str) -> np.ndarray:
    """int64 (T,) minutes relative to ``time_utc`` from the catalog's colon-separated text."""
    return np.array([int(float(v)) for v in str(text).strip().split(":")], dtype=np.int64)


def nominal_minute_offsets() -> np.ndarray:
    """int64 (49,): -120, -115, ..., 120 (time_utc is the middle frame)."""
    half = (FRAMES_PER_EVENT // 2) * FRAME_MINUTES
    return np.arange(-half, half + 1, FRAME_MINUTES, dtype=np.int64)


def vil_pixels_to_kg(x: np.ndarray) -> np.ndarray:
    """VIL pixel values (any real values in 0..255) -> kg/m², float64, same shape.

    0 for X <= 5; (X - 2) / 90.66 for 5 < X <= 18; exp((X - 83.9) / 38.9) for X > 18
    (the SEVIR tutorial prints "exp(X-83.9)/38.9", a typo). Above 18 the pixel is affine in dB.
    """
    xf = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(xf <= 5, 0.0, np.where(xf <= 18, (xf - 2.0) / 90.66, np.exp((xf - 83.9) / 38.9)))


def vil_kg_to_pixels(kg: np.ndarray) -> np.ndarray:
    """kg/m² -> continuous pixel values in [0, 255] (not rounded): the inverse of :func:`vil_pixels_to_kg`
    on (5, 255], with 0 for VIL <= 0 and values in the dead zone lifted to 5."""
    v = np.asarray(kg, dtype=np.float64)
    lin = np.maximum(v * 90.66 + 2.0, 5.0)
    with np.errstate(divide="ignore"):
        log = 83.9 + 38.9 * np.log(np.maximum(v, 1e-12))
    x = np.where(v <= _LINEAR_TOP_KG * (1 + 1e-6), lin, log)  # the encoding jumps at X = 18: float32 inputs may sit just above
    return np.clip(np.where(v <= 0, 0.0, x), 0.0, 255.0)


_LINEAR_TOP_KG = (18 - 2.0) / 90.66  # decoded value of X = 18, where the encoding turns logarithmic


def decode_vil(x: np.ndarray) -> np.ndarray:
    """uint8 VIL pixel values -> vertically integrated liquid in kg/m², float32, same shape."""
    return vil_pixels_to_kg(x).astype(np.float32)


def encode_vil(kg: np.ndarray) -> np.ndarray:
    """kg/m² -> uint8 VIL pixel values: the inverse of :func:`decode_vil`, rounded, clipped to 0..254.

    ``encode_vil(decode_vil(x)) == x`` for x in 6..254 and x = 0 (1..5 all decode to 0).
    255 is left out: SEVIR's own colour table reserves it, and generators never need it.
    """
    x = np.rint(vil_kg_to_pixels(kg))
    x = np.where(x <= 5, 0.0, x)  # values that round into the dead zone 1..5 (< 0.0441 kg/m²) are 0
    return np.clip(x, 0, 254).astype(np.uint8)


def scale_01(x: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float32 in [0, 1] (Earthformer's "01" rescale)."""
    out = np.asarray(x).astype(np.float32)  # one copy, divided in place
    out /= np.float32(255.0)
    return out


def earthformer_split(time_utc: datetime) -> Split:
    """Earthformer's date split: train if time_utc <= 2019-01-01, val if <= 2019-06-01, else test."""
    t = time_utc.replace(tzinfo=None) if getattr(time_utc, "tzinfo", None) else time_utc
    if t <= TRAIN_END:
        return "train"
    if t <= VAL_END:
        return "val"
    return "test"

