"""Storm events for the app: a filtered event table and one event with its VIL frames."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import BBox, vil_events
from .format import parse_minute_offsets
from .reader import open_store

#: Columns of :func:`event_table`, in order.
EVENT_COLUMNS: tuple[str, ...] = (
    "id", "event_type", "time_utc", "llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon", "split",
    "file_name", "file_index", "pct_missing", "episode_id", "event_id",
)


@dataclass(frozen=True)
class StormEvent:
    """One SEVIR VIL event.

    vil : uint8 (T, H, W), 49 x 384 x 384 for real SEVIR; decode with ``decode_vil`` (kg/m²).
    minute_offsets : int (T,) minutes of each frame relative to ``time_utc``.
    corners : (llcrnrlat, llcrnrlon, urcrnrlat, urcrnrlon) in degrees.
    proj : Proj4 string of the patch's projection.
    """

    id: str
    event_type: str | None
    time_utc: datetime
    minute_offsets: np.ndarray
    corners: tuple[float, float, float, float]
    proj: str
    vil: np.ndarray


def event_table(root: str | Path, event_type: str | None = None, start: date | None = None,
                end: date | None = None, bbox: BBox | None = None) -> pd.DataFrame:
    """One row per usable VIL event of ``root``, filtered (see ``catalog.vil_events``)."""
    events = vil_events(open_store(root).events, event_type=event_type, start=start, end=end, bbox=bbox,
                        max_pct_missing=None)
    return events[[c for c in EVENT_COLUMNS if c in events.columns]].reset_index(drop=True)


def load_event(root: str | Path, event_id: str) -> StormEvent:
    """The event's catalog facts and its uint8 (T, H, W) VIL frames."""
    store = open_store(root)
    row = store.row(event_id)
    vil = store.read_vil(event_id)
    event_type = row["event_type"] if isinstance(row["event_type"], str) else None
    return StormEvent(
        id=event_id,
        event_type=event_type,
        time_utc=pd.Timestamp(row["time_utc"]).to_pydatetime(),
        minute_offsets=parse_minute_offsets(row["minute_offsets"]),
        corners=tuple(float(row[c]) for c in ("llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon")),
        proj=str(row["proj"]).strip() if "proj" in row and isinstance(row["proj"], str) else "",
        vil=vil,
    )
