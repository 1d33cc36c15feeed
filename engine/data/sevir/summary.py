"""Counts of a SEVIR root: events and sequences per split (for ``python -m engine data info``)."""
from __future__ import annotations

from pathlib import Path

from ..transforms import window_starts
from .catalog import catalog_path, load_catalog, vil_events
from .format import SPLITS, parse_minute_offsets


def summarize(root: str | Path, seq_len: int = 25, stride: int = 12) -> dict:
    """Events and sequence windows per split, from the catalog alone (no raster reads).

    Returns
    -------
    dict with ``root``, ``catalog``, ``catalog_rows``, ``vil_events`` (usable: unique id,
    pct_missing == 0), ``seq_len``, ``stride``, ``splits`` ({split: {"events", "sequences",
    "first", "last"}}), ``event_types`` ({type: count}; random events count as "random"),
    ``files`` (number of raster files referenced) and ``sizes`` ({"H x W x T": count}).
    """
    path = catalog_path(root)
    catalog = load_catalog(path)
    events = vil_events(catalog)
    windows = {n: len(window_starts(n, seq_len, stride)) for n in
               {len(parse_minute_offsets(o)) for o in events["minute_offsets"]}}
    n_frames = events["minute_offsets"].map(lambda o: len(parse_minute_offsets(o)))
    splits = {}
    for split in SPLITS:
        sel = events["split"] == split
        times = events.loc[sel, "time_utc"]
        splits[split] = {
            "events": int(sel.sum()),
            "sequences": int(n_frames[sel].map(windows).sum()),
            "first": times.min().isoformat() if len(times) else None,
            "last": times.max().isoformat() if len(times) else None,
        }
    types = events["event_type"].fillna("random").value_counts()
    sizes = {}
    for i, t in n_frames.items():
        label = f"{_int(events, 'size_y', i)} x {_int(events, 'size_x', i)} x {t}"
        sizes[label] = sizes.get(label, 0) + 1
    return {
        "root": str(Path(root)),
        "catalog": str(path),
        "catalog_rows": int(len(catalog)),
        "vil_events": int(len(events)),
        "seq_len": seq_len,
        "stride": stride,
        "splits": splits,
        "event_types": {str(k): int(v) for k, v in types.items()},
        "files": int(events["file_name"].nunique()),
        "sizes": sizes,
    }


def _int(events, col: str, i) -> str:
    value = events[col].get(i) if col in events.columns else None
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return "?"
