"""Counts of an ICAR-ENSO directory: models, months and windows per split (metadata only)."""
from __future__ import annotations

from pathlib import Path

from .format import SPLITS
from .reader import IcarEnso
from .windows import WindowSpec, window_starts


def summarize(root: str | Path, spec: WindowSpec = WindowSpec()) -> dict:
    """Climate models and forecast windows of a directory, from the files' metadata alone.

    Returns
    -------
    dict with ``root``, ``layout`` (``cmip6_models``, ``cmip6_years``, ``cmip5_models``,
    ``cmip5_years``), ``window`` (``in_months``, ``out_months``, ``stride``), ``models`` (one
    record per model: ``name``, ``family``, ``split``, ``samples``, ``months``, ``windows``) and
    ``splits`` ({split: {"models": [...], "months", "windows"}}, every split listed).
    """
    store = IcarEnso(root)
    models = [{"name": m.name, "family": m.family, "split": m.split, "samples": m.years, "months": m.months,
               "windows": len(window_starts(m.months, spec))} for m in store.models]
    splits = {}
    for split in SPLITS:
        rows = [m for m in models if m["split"] == split]
        splits[split] = {"models": [m["name"] for m in rows], "months": sum(m["months"] for m in rows),
                         "windows": sum(m["windows"] for m in rows)}
    return {"root": str(store.root), "layout": store.layout.as_attrs(),
            "window": {"in_months": spec.in_months, "out_months": spec.out_months, "stride": spec.stride},
            "models": models, "splits": splits}
