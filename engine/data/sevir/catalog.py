"""Read, validate and filter SEVIR's CATALOG.csv.

Filtering follows Earthformer's SEVIR loader: VIL rows only, ``pct_missing == 0`` by default,
and ids listed more than once for the same image type dropped altogether (Earthformer keeps an id
only when it has exactly one row per requested type).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import StormDataError
from .format import CATALOG_NAME, TIME_UTC_FORMAT, TRAIN_END, VAL_END, VIL_IMG_TYPE

#: Columns the reader and filters use; the other catalog columns are kept when present.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "id", "file_name", "file_index", "img_type", "time_utc", "minute_offsets", "event_type",
    "llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon", "pct_missing",
)
_FLOAT_COLUMNS = ("llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon", "pct_missing")

BBox = tuple[float, float, float, float]  # (lat_min, lat_max, lon_min, lon_max), degrees


def catalog_path(root: str | Path) -> Path:
    """``<root>/CATALOG.csv``; raises StormDataError if the root or the catalog is missing."""
    root = Path(root)
    if not root.is_dir():
        raise StormDataError(f"SEVIR root {root}: expected an existing directory, got nothing there")
    path = root / CATALOG_NAME
    if not path.is_file():
        raise StormDataError(f"{path}: expected a SEVIR catalog file, got nothing there")
    return path


def load_catalog(path: str | Path) -> pd.DataFrame:
    """Every row of a CATALOG.csv, validated, with ``time_utc`` parsed and a ``split`` column.

    Raises
    ------
    StormDataError
        Unreadable file, a missing column (named), or a value that does not parse (row named).
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"id": str, "file_name": str, "img_type": str, "event_type": str,
                                      "minute_offsets": str, "proj": str}, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise StormDataError(f"{path}: cannot read the catalog ({err})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise StormDataError(f"{path}: missing column(s) {', '.join(missing)}; expected the SEVIR catalog "
                             f"columns {', '.join(REQUIRED_COLUMNS)}")
    df["id"] = df["id"].astype(str).str.strip()
    df["img_type"] = df["img_type"].astype(str).str.strip()
    df["time_utc"] = _parse_column(df, "time_utc", path,
                                   lambda s: pd.to_datetime(s.astype(str).str.strip(), format=TIME_UTC_FORMAT))
    df["file_index"] = _parse_column(df, "file_index", path, lambda s: pd.to_numeric(s).astype(np.int64))
    for col in _FLOAT_COLUMNS:
        df[col] = _parse_column(df, col, path, lambda s: pd.to_numeric(s).astype(np.float64))
    df["split"] = split_of(df["time_utc"])
    return df


def _parse_column(df: pd.DataFrame, col: str, path: Path, parse) -> pd.Series:
    try:
        return parse(df[col])
    except (ValueError, TypeError):
        bad = _first_bad_row(df[col], parse)
        raise StormDataError(f"{path}: column {col} row {bad} (id {df['id'].iloc[bad]}): "
                             f"expected a {col} value, got {df[col].iloc[bad]!r}") from None


def _first_bad_row(series: pd.Series, parse) -> int:
    for i in range(len(series)):
        try:
            parse(series.iloc[i:i + 1])
        except (ValueError, TypeError):
            return i
    return 0


def split_of(time_utc: pd.Series) -> pd.Series:
    """Earthformer's split per row: train <= 2019-01-01 < val <= 2019-06-01 < test."""
    t = pd.to_datetime(time_utc)
    out = np.where(t <= TRAIN_END, "train", np.where(t <= VAL_END, "val", "test"))
    return pd.Series(out, index=time_utc.index, dtype=str)


def vil_events(catalog: pd.DataFrame, event_type: str | None = None, start: date | None = None,
               end: date | None = None, bbox: BBox | None = None,
               max_pct_missing: float | None = 0.0, split: str | None = None) -> pd.DataFrame:
    """One row per usable VIL event, filtered; sorted by time then id, index reset.

    Parameters
    ----------
    event_type : NWS event type ("Hail", "Thunderstorm Wind", ...); None keeps all (random
        events have none).
    start, end : inclusive calendar dates of ``time_utc``.
    bbox : (lat_min, lat_max, lon_min, lon_max) in degrees; keeps events whose footprint
        (llcrnr..urcrnr box) intersects it.
    max_pct_missing : keep rows with ``pct_missing <= max_pct_missing`` (Earthformer: 0);
        None keeps all.
    split : "train", "val" or "test" to keep one split.
    """
    df = catalog[catalog["img_type"] == VIL_IMG_TYPE]
    counts = df["id"].value_counts()
    df = df[df["id"].map(counts) == 1]
    if max_pct_missing is not None:
        df = df[df["pct_missing"] <= max_pct_missing]
    if event_type is not None:
        df = df[df["event_type"] == event_type]
    if start is not None:
        df = df[df["time_utc"] >= pd.Timestamp(_as_date(start, "start"))]
    if end is not None:
        df = df[df["time_utc"] < pd.Timestamp(_as_date(end, "end")) + pd.Timedelta(days=1)]
    if bbox is not None:
        lat_min, lat_max, lon_min, lon_max = _check_bbox(bbox)
        df = df[(df["llcrnrlat"] <= lat_max) & (df["urcrnrlat"] >= lat_min)
                & (df["llcrnrlon"] <= lon_max) & (df["urcrnrlon"] >= lon_min)]
    if split is not None:
        if split not in ("train", "val", "test"):
            raise ValueError(f"split: expected one of train, val, test, got {split!r}")
        df = df[df["split"] == split]
    return df.sort_values(["time_utc", "id"], kind="stable").reset_index(drop=True)


def _as_date(value, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{name}: expected a date, got {value!r}")


def _check_bbox(bbox) -> BBox:
    try:
        lat_min, lat_max, lon_min, lon_max = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise ValueError(f"bbox: expected (lat_min, lat_max, lon_min, lon_max), got {bbox!r}") from None
    if lat_min > lat_max or lon_min > lon_max:
        raise ValueError(f"bbox: expected lat_min <= lat_max and lon_min <= lon_max, got {bbox!r}")
    return lat_min, lat_max, lon_min, lon_max
