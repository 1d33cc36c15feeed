"""A tiny SEVIR-format dataset in tmp_path, written with h5py and csv directly.

The writer here is deliberately independent of ``engine.data.sevir.writer``, so the reader is
checked against the format, not against our own writer. Frame values follow a known pattern
(:func:`pattern`) with different coefficients per axis, so a wrong transpose is caught.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pytest

from engine.data.sevir.format import CATALOG_COLUMNS, SEVIR_PROJ

OFFSETS = ":".join(str(m) for m in range(-120, 121, 5))


def pattern(k: int, frames: int = 49, size: int = 48) -> np.ndarray:
    """uint8 (T, H, W) of event number ``k``: (31 k + 5 t + 3 y + x) mod 251."""
    t, y, x = np.meshgrid(np.arange(frames), np.arange(size), np.arange(size), indexing="ij")
    return ((31 * k + 5 * t + 3 * y + x) % 251).astype(np.uint8)


@dataclass
class Event:
    id: str
    time_utc: str
    event_type: str
    file_name: str
    corners: tuple[float, float, float, float] = (35.0, -100.0, 38.4, -96.0)
    pct_missing: float = 0.0
    img_type: str = "vil"
    file_index: int = -1  # set by write_sevir


F18 = "vil/2018/SEVIR_VIL_STORMEVENTS_2018_0101_0630.h5"
F19 = "vil/2019/SEVIR_VIL_STORMEVENTS_2019_0101_0630.h5"
F19R = "vil/2019/SEVIR_VIL_RANDOMEVENTS_2019_0701_1231.h5"

# One per split boundary case: <= 2019-01-01 is train, <= 2019-06-01 val, later test.
EVENTS = [
    Event("S100", "2018-05-02 21:30:00", "Hail", F18, (30.0, -100.0, 33.4, -96.0)),
    Event("S101", "2018-06-10 03:05:00", "Thunderstorm Wind", F18, (40.0, -90.0, 43.4, -86.0)),
    Event("S102", "2019-01-01 00:00:00", "Hail", F19, (35.0, -80.0, 38.4, -76.0)),
    Event("S103", "2019-03-15 12:00:00", "Tornado", F19, (45.0, -120.0, 48.4, -116.0)),
    Event("S104", "2019-06-01 00:00:00", "Hail", F19, (25.0, -82.0, 28.4, -78.0)),
    Event("R105", "2019-07-15 18:00:00", "", F19R, (36.0, -101.0, 39.4, -97.0)),
]
SPLITS = {"S100": "train", "S101": "train", "S102": "train", "S103": "val", "S104": "val", "R105": "test"}


@dataclass
class TinySevir:
    root: Path
    size: int
    frames: int
    events: list[Event] = field(default_factory=list)

    def expected(self, event_id: str) -> np.ndarray:
        k = [e.id for e in self.events].index(event_id)
        return pattern(k, self.frames, self.size)

    def path(self, event_id: str) -> Path:
        return self.root / "data" / next(e.file_name for e in self.events if e.id == event_id)


def write_sevir(root: Path, events=EVENTS, size: int = 48, frames: int = 49, extra_rows=()) -> TinySevir:
    """Write CATALOG.csv and one HDF5 file per distinct file_name, layout (N, H, W, T)."""
    events = [Event(**vars(e)) for e in events]
    by_file: dict[str, list[Event]] = {}
    for e in events:
        by_file.setdefault(e.file_name, []).append(e)
    for name, group in by_file.items():
        path = root / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = np.empty((len(group), size, size, frames), dtype=np.uint8)
        for i, e in enumerate(group):
            e.file_index = i
            data[i] = np.transpose(pattern(events.index(e), frames, size), (1, 2, 0))
        with h5py.File(path, "w") as f:
            f.create_dataset("id", data=np.array([e.id.encode() for e in group]))
            f.create_dataset("vil", data=data, chunks=(1, size, size, frames))
    offsets = ":".join(str(m) for m in range(-5 * (frames // 2), 5 * (frames // 2) + 1, 5)[:frames])
    rows = [_row(e, size, offsets) for e in events] + list(extra_rows)
    with open(root / "CATALOG.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CATALOG_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return TinySevir(root, size, frames, events)


def _row(e: Event, size: int, offsets: str) -> dict:
    lat0, lon0, lat1, lon1 = e.corners
    return {
        "id": e.id, "file_name": e.file_name, "file_index": e.file_index, "img_type": e.img_type,
        "time_utc": e.time_utc, "minute_offsets": offsets, "episode_id": "" if e.id[0] == "R" else 120000.0,
        "event_id": "" if e.id[0] == "R" else 730000.0, "event_type": e.event_type, "llcrnrlat": lat0,
        "llcrnrlon": lon0, "urcrnrlat": lat1, "urcrnrlon": lon1, "proj": SEVIR_PROJ, "size_x": size,
        "size_y": size, "height_m": 384000.0, "width_m": 384000.0, "data_min": 0.0, "data_max": 250.0,
        "pct_missing": e.pct_missing,
    }


@pytest.fixture
def tiny_sevir(tmp_path) -> TinySevir:
    """Six 49 x 48 x 48 events in three files, one per split boundary case."""
    return write_sevir(tmp_path / "sevir")
