"""Storm data (SEVIR): configured sources, event tables, single events and the embedded demo."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path as _Path

import pandas as _pd

from ..data.sevir import VIL_THRESHOLDS, StormDataError, decode_vil
from ..data.sevir.events import StormEvent, event_table, load_event
from ..data.sources import configured_sources, get_source

__all__ = ["StormDataError", "StormEvent", "StormSource", "VIL_THRESHOLDS", "decode_vil", "storm_event",
           "storm_events", "storm_sources"]


@dataclass(frozen=True)
class StormSource:
    """A SEVIR data root configured by whoever runs the app (the embedded demo is always first)."""

    name: str
    root: _Path
    is_demo: bool


def storm_sources() -> list[StormSource]:
    """Configured SEVIR sources, the embedded demo first (``EFS_SEVIR_ROOTS``, ``efs.toml``)."""
    return [StormSource(s.name, s.root, s.is_demo) for s in configured_sources("sevir")]


def _storm_root(source: str) -> _Path:
    try:
        src = get_source("sevir", source)
    except ValueError as err:
        raise StormDataError(str(err)) from None
    if src.is_demo and not (src.root / "CATALOG.csv").is_file():
        raise StormDataError(f"the embedded demo data is not at {src.root} yet: run "
                             f"`python -m engine data make-demo`")
    return src.root


def storm_events(source: str, event_type: str | None = None, start: _date | None = None,
                 end: _date | None = None, bbox: tuple[float, float, float, float] | None = None) -> _pd.DataFrame:
    """One row per VIL event of ``source``: id, event_type, time_utc, corners, split, file_name, ...

    ``bbox`` is (lat_min, lat_max, lon_min, lon_max); events whose footprint intersects it are
    kept. ``start``/``end`` are inclusive dates of ``time_utc``.
    """
    return event_table(_storm_root(source), event_type=event_type, start=start, end=end, bbox=bbox)


def storm_event(source: str, event_id: str) -> StormEvent:
    """One event of ``source`` with its uint8 (T, H, W) VIL frames (decode with :func:`decode_vil`)."""
    return load_event(_storm_root(source), event_id)


# --- Embedded demo: the Storm explorer writes it on first start, with a progress bar ----------

from ..data.demo import Progress as _Progress
from ..data.demo import ensure_demo as _ensure_demo

__all__ += ["ensure_demo"]


def ensure_demo(progress: _Progress | None = None) -> _Path:
    """Write the embedded demo SEVIR dataset if it is missing or stale; return its root.

    ``progress(fraction, message)`` is called while generating (about a minute), never when
    the demo is already there.
    """
    return _ensure_demo(progress=progress)
