"""Lazy per-event reads of SEVIR VIL through h5py.

``SevirStore(root)`` reads ``<root>/CATALOG.csv`` once, maps every VIL event id to its
(file, index) and opens raster files only when an event from them is read (handles cached).
Every failure is a :class:`StormDataError` naming the file and event, raised for that event
only: one bad file or event never stops the others from being read.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from .catalog import catalog_path, load_catalog, vil_events
from .errors import StormDataError
from .format import DATA_DIR, VIL_IMG_TYPE, parse_minute_offsets


@dataclass(frozen=True)
class EventLocation:
    """Where one event's raster lives and what shape it must have."""

    path: Path
    index: int
    shape: tuple[int, int, int]  # expected (T, H, W)


class SevirStore:
    """VIL events of one SEVIR root, read lazily.

    Parameters
    ----------
    root : directory holding ``CATALOG.csv`` and ``data/<img_type>/<year>/*.h5``.
    max_pct_missing : catalog filter (Earthformer keeps only events with no missing pixels).
    """

    def __init__(self, root: str | Path, max_pct_missing: float | None = 0.0):
        self.root = Path(root)
        self.catalog_file = catalog_path(self.root)
        self.catalog = load_catalog(self.catalog_file)
        self.events = vil_events(self.catalog, max_pct_missing=max_pct_missing)
        self._rows = {eid: i for i, eid in enumerate(self.events["id"])}
        self._files: dict[Path, h5py.File] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()  # h5py handles must not cross a fork (DataLoader workers)

    def __len__(self) -> int:
        return len(self.events)

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._rows

    @property
    def ids(self) -> list[str]:
        return list(self.events["id"])

    def row(self, event_id: str) -> pd.Series:
        """The event's catalog row; StormDataError if the catalog does not list it as usable VIL."""
        try:
            return self.events.iloc[self._rows[event_id]]
        except KeyError:
            raise StormDataError(f"{self.catalog_file}: event {event_id!r} is not a usable VIL event "
                                 f"of this catalog ({len(self)} events)") from None

    def location(self, event_id: str) -> EventLocation:
        row = self.row(event_id)
        n_frames = len(parse_minute_offsets(row["minute_offsets"]))
        size_y = int(row["size_y"]) if "size_y" in row and pd.notna(row["size_y"]) else -1
        size_x = int(row["size_x"]) if "size_x" in row and pd.notna(row["size_x"]) else -1
        path = self.root / DATA_DIR / str(row["file_name"]).strip()
        return EventLocation(path, int(row["file_index"]), (n_frames, size_y, size_x))

    def read_vil(self, event_id: str) -> np.ndarray:
        """uint8 (T, H, W) VIL of one event (49 x 384 x 384 for real SEVIR).

        The file stores (N, H, W, T); this returns one event transposed to time-first.
        """
        loc = self.location(event_id)
        where = f"{loc.path} (event {event_id})"
        f = self._open(loc.path, event_id)
        try:
            ids, data = f["id"], f[VIL_IMG_TYPE]
        except KeyError as err:
            raise StormDataError(f"{where}: expected datasets 'id' and '{VIL_IMG_TYPE}', got {sorted(f.keys())}"
                                 f" ({err})") from None
        if data.dtype != np.uint8:
            raise StormDataError(f"{where}: dataset '{VIL_IMG_TYPE}' expected dtype uint8, got {data.dtype}")
        t, h, w = loc.shape
        expected = (h, w, t)
        if data.ndim != 4 or any(e >= 0 and e != s for e, s in zip(expected, data.shape[1:])):
            raise StormDataError(f"{where}: dataset '{VIL_IMG_TYPE}' expected shape (N, {h}, {w}, {t}) as the "
                                 f"catalog says, got {data.shape}")
        if not 0 <= loc.index < min(len(ids), data.shape[0]):
            raise StormDataError(f"{where}: file_index {loc.index} out of range: the file holds "
                                 f"{min(len(ids), data.shape[0])} events")
        try:
            stored = ids[loc.index]
            stored = stored.decode() if isinstance(stored, bytes) else str(stored)
            if stored.strip() != event_id:
                raise StormDataError(f"{where}: event id absent from its file: index {loc.index} holds "
                                     f"{stored.strip()!r}, expected {event_id!r}")
            raw = data[loc.index]  # (H, W, T)
        except (OSError, RuntimeError) as err:  # corrupt chunk / bad compression
            raise StormDataError(f"{where}: cannot read the HDF5 data ({err})") from None
        return np.ascontiguousarray(np.transpose(raw, (2, 0, 1)))  # (T, H, W)

    def _open(self, path: Path, event_id: str) -> h5py.File:
        with self._lock:
            if os.getpid() != self._pid:
                self._files, self._pid = {}, os.getpid()
            f = self._files.get(path)
            if f is not None:
                return f
            if not path.is_file():
                raise StormDataError(f"{path} (event {event_id}): expected an HDF5 file, got nothing there")
            try:
                f = h5py.File(path, "r")
            except OSError as err:  # truncated, corrupt or not HDF5
                raise StormDataError(f"{path} (event {event_id}): cannot open the HDF5 file, truncated or "
                                     f"corrupt ({err})") from None
            self._files[path] = f
            return f

    def close(self) -> None:
        with self._lock:
            for f in self._files.values():
                f.close()
            self._files.clear()

    def __enter__(self) -> SevirStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_STORES: dict[Path, tuple[int, SevirStore]] = {}
_STORES_LOCK = threading.Lock()


def open_store(root: str | Path) -> SevirStore:
    """A shared :class:`SevirStore` for ``root``, rebuilt when its CATALOG.csv changes."""
    root = Path(root).resolve()
    stamp = catalog_path(root).stat().st_mtime_ns
    with _STORES_LOCK:
        cached = _STORES.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        if cached is not None:
            cached[1].close()
        store = SevirStore(root)
        _STORES[root] = (stamp, store)
        return store
