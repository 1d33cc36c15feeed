"""Event metadata: where and when synthetic storms happen, their NWS type and SEVIR ids.

- Places: patch centres drawn in regions of the contiguous US where each event type is common
  (hail and tornadoes on the Plains, floods in the south-east and the monsoon south-west, ...);
  corners of the 384 km x 384 km patch come from SEVIR's Lambert azimuthal equal-area projection
  (``SEVIR_PROJ``), so the patch is square in that projection, as SEVIR's are.
- Times: between 2017 and 2019, mostly in the warm season and the afternoon/evening (UTC), with
  a share of events allotted to each of Earthformer's date splits (train <= 2019-01-01 < val <=
  2019-06-01 < test) so that all three get events. ``time_utc`` is the middle frame.
- Ids: storm events 'S<NWS EVENT_ID>' with an episode id; random events 'R' + yymmddHHMM + 4
  digits (like SEVIR's 'R18032505027684'), with no type, episode or event id.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta

import numpy as np

from ..sevir.format import SEVIR_PROJ, TRAIN_END, VAL_END, VIL_SIZE
from .styles import EVENT_TYPE_WEIGHTS, EVENT_TYPES

#: (lat_min, lat_max, lon_min, lon_max) of land regions, degrees; centres lie inside, and every
#: patch corner stays inside the contiguous US box CONUS_BOX.
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "plains": (32.0, 43.0, -103.0, -94.0),
    "midwest": (37.0, 44.5, -96.0, -84.0),
    "southeast": (31.0, 36.0, -95.0, -82.5),
    "texas": (29.0, 34.0, -101.0, -95.5),
    "northeast": (39.5, 44.0, -80.0, -73.0),
    "southwest": (32.5, 37.0, -113.0, -105.5),
    "northern_plains": (42.5, 47.0, -104.0, -95.0),
    "great_basin": (38.0, 44.0, -119.0, -111.0),
}
CONUS_BOX = (24.5, 49.4, -125.0, -66.9)  # lat_min, lat_max, lon_min, lon_max
#: Regions each type is drawn from (uniformly among them); random events use every region.
TYPE_REGIONS: dict[str, tuple[str, ...]] = {
    "Hail": ("plains", "midwest", "texas", "northern_plains"),
    "Tornado": ("plains", "midwest", "southeast", "texas"),
    "Thunderstorm Wind": ("plains", "midwest", "southeast", "northeast", "texas"),
    "Flash Flood": ("southeast", "texas", "southwest", "midwest"),
    "Heavy Rain": ("southeast", "texas", "northeast"),
    "Funnel Cloud": ("plains", "midwest", "northern_plains"),
    "Lightning": ("southeast", "southwest", "great_basin"),
}
MONTH_WEIGHTS = np.array([1, 1, 2, 4, 6, 7, 7, 6, 4, 2, 1, 1], dtype=float)  # Jan..Dec
HOUR_WEIGHTS = np.array([6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 7, 7, 7], dtype=float)
#: Date ranges (inclusive days) of the three Earthformer splits, a day clear of each boundary.
SPLIT_DAYS = {"train": (datetime(2017, 1, 1), TRAIN_END - timedelta(days=1)),
              "val": (TRAIN_END + timedelta(days=1), VAL_END - timedelta(days=1)),
              "test": (VAL_END + timedelta(days=1), datetime(2019, 12, 31))}


@dataclass(frozen=True)
class EventMeta:
    """Catalog facts of one synthetic event (everything but the rasters' statistics).

    Attributes
    ----------
    id : 'S<event_id>' or 'R<yymmddHHMM><4 digits>'.
    event_type : NWS type, or None for random events (physics then uses the 'random' style).
    episode_id, event_id : NWS ids (None for random events).
    time_utc : time of the middle frame.
    llcrnrlat, llcrnrlon, urcrnrlat, urcrnrlon : patch corners, degrees.
    seed : seed of this event's physics.
    """

    id: str
    event_type: str | None
    episode_id: int | None
    event_id: int | None
    time_utc: datetime
    llcrnrlat: float
    llcrnrlon: float
    urcrnrlat: float
    urcrnrlon: float
    seed: int

    @property
    def event_set(self) -> str:
        return "STORMEVENTS" if self.id.startswith("S") else "RANDOMEVENTS"

    @property
    def style(self) -> str:
        return self.event_type or "random"


def patch_corners(lat: float, lon: float, size_m: float = VIL_SIZE * 1000.0) -> tuple[float, float, float, float]:
    """(llcrnrlat, llcrnrlon, urcrnrlat, urcrnrlon) of a square patch centred at (lat, lon).

    The square is ``size_m`` metres on a side in SEVIR's Lambert azimuthal equal-area projection.
    """
    to_xy = _to_sevir_xy()
    x, y = to_xy.transform(lon, lat)
    h = size_m / 2
    lons, lats = to_xy.transform(np.array([x - h, x + h]), np.array([y - h, y + h]), direction="INVERSE")
    return float(lats[0]), float(lons[0]), float(lats[1]), float(lons[1])


@lru_cache(maxsize=1)
def _to_sevir_xy():
    """lon/lat -> SEVIR projection metres (built once: a Transformer takes ~20 ms to create)."""
    from pyproj import Transformer  # installed with cartopy; imported here to keep imports light

    return Transformer.from_crs("EPSG:4326", SEVIR_PROJ, always_xy=True)


def split_counts(n_events: int, fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)) -> dict[str, int]:
    """Events per split: ``fractions`` of ``n_events``, at least one each when n_events >= 3."""
    if n_events < 1:
        raise ValueError(f"n_events: expected >= 1, got {n_events}")
    counts = [int(round(f * n_events)) for f in fractions]
    if n_events >= 3:
        counts = [max(1, c) for c in counts]
    counts[0] = n_events - sum(counts[1:])  # train takes the remainder
    if counts[0] < 0:
        counts = [n_events, 0, 0]
    return dict(zip(("train", "val", "test"), counts))


def plan_events(n_events: int, seed: int, random_fraction: float = 0.25) -> list[EventMeta]:
    """Metadata of ``n_events`` events, deterministic in ``seed``, sorted by time then id.

    ``random_fraction`` of them (rounded) are 'R' random events; the rest are 'S' storm events
    with types drawn by :data:`EVENT_TYPE_WEIGHTS`.
    """
    if not 0.0 <= random_fraction <= 1.0:
        raise ValueError(f"random_fraction: expected a value in [0, 1], got {random_fraction}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    splits = [s for s, c in split_counts(n_events).items() for _ in range(c)]
    n_random = int(round(random_fraction * n_events))
    is_random = np.zeros(n_events, dtype=bool)
    is_random[rng.choice(n_events, n_random, replace=False)] = True
    event_ids = rng.choice(np.arange(600_000, 900_000), n_events, replace=False)
    seeds = rng.integers(0, 2**62, n_events)
    used_ids: set[str] = set()
    events = []
    for i in range(n_events):
        time = _draw_time(rng, splits[i])
        if is_random[i]:
            event_type, region = None, rng.choice(sorted(REGIONS))
        else:
            event_type = str(rng.choice(EVENT_TYPES, p=np.array(EVENT_TYPE_WEIGHTS) / sum(EVENT_TYPE_WEIGHTS)))
            region = rng.choice(TYPE_REGIONS[event_type])
        lat_min, lat_max, lon_min, lon_max = REGIONS[str(region)]
        corners = patch_corners(rng.uniform(lat_min, lat_max), rng.uniform(lon_min, lon_max))
        if event_type is None:
            eid = f"R{time:%y%m%d%H%M}{rng.integers(0, 10_000):04d}"
            while eid in used_ids:  # vanishingly rare; keep ids unique
                eid = f"R{time:%y%m%d%H%M}{rng.integers(0, 10_000):04d}"
            episode, event = None, None
        else:
            event = int(event_ids[i])
            eid, episode = f"S{event}", int(event // 6 + rng.integers(0, 1000))
        used_ids.add(eid)
        events.append(EventMeta(eid, event_type, episode, event, time, *corners, seed=int(seeds[i])))
    return sorted(events, key=lambda e: (e.time_utc, e.id))


def _draw_time(rng: np.random.Generator, split: str) -> datetime:
    """A time in the split's date range, favouring warm months and afternoon/evening UTC (5-min steps)."""
    first, last = SPLIT_DAYS[split]
    days = np.array([first + timedelta(days=d) for d in range((last - first).days + 1)])
    weights = MONTH_WEIGHTS[[d.month - 1 for d in days]]
    day = days[rng.choice(len(days), p=weights / weights.sum())]
    hour = int(rng.choice(24, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()))
    return day.replace(hour=hour, minute=5 * int(rng.integers(0, 12)), second=0)
