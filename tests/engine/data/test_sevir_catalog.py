"""CATALOG.csv: validation messages name the file and column; filters keep what they say."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine.data.sevir import StormDataError, load_catalog, vil_events

from .conftest import EVENTS, SPLITS, Event, write_sevir


def _ids(df):
    return sorted(df["id"])


def test_catalog_parses_times_and_adds_the_earthformer_split(tiny_sevir):
    df = load_catalog(tiny_sevir.root / "CATALOG.csv")
    assert pd.api.types.is_datetime64_any_dtype(df["time_utc"])
    assert dict(zip(df["id"], df["split"])) == SPLITS


def test_missing_column_is_one_message_naming_file_and_column(tiny_sevir):
    path = tiny_sevir.root / "CATALOG.csv"
    pd.read_csv(path).drop(columns=["pct_missing"]).to_csv(path, index=False)
    with pytest.raises(StormDataError, match=r"CATALOG\.csv: missing column\(s\) pct_missing"):
        load_catalog(path)


def test_unparseable_time_names_the_row_and_event(tiny_sevir):
    path = tiny_sevir.root / "CATALOG.csv"
    df = pd.read_csv(path)
    df.loc[2, "time_utc"] = "yesterday"
    df.to_csv(path, index=False)
    with pytest.raises(StormDataError, match=r"column time_utc row 2 \(id S102\).*'yesterday'"):
        load_catalog(path)


def test_filters_by_event_type_dates_and_split(tiny_sevir):
    cat = load_catalog(tiny_sevir.root / "CATALOG.csv")
    assert _ids(vil_events(cat, event_type="Hail")) == ["S100", "S102", "S104"]
    assert _ids(vil_events(cat, start=date(2019, 1, 1), end=date(2019, 6, 1))) == ["S102", "S103", "S104"]
    assert _ids(vil_events(cat, split="val")) == ["S103", "S104"]
    assert list(vil_events(cat)["id"]) == [e.id for e in EVENTS]  # sorted by time


def test_bbox_keeps_events_whose_footprint_intersects(tiny_sevir):
    cat = load_catalog(tiny_sevir.root / "CATALOG.csv")
    # S100 spans lat 30-33.4, lon -100..-96; a box touching only its north-east corner keeps it
    assert _ids(vil_events(cat, bbox=(33.0, 34.0, -96.5, -95.0))) == ["S100"]
    assert _ids(vil_events(cat, bbox=(33.5, 34.0, -96.5, -95.0))) == []  # just north of it
    assert len(vil_events(cat, bbox=(20, 50, -130, -60))) == len(EVENTS)
    with pytest.raises(ValueError, match="bbox"):
        vil_events(cat, bbox=(40, 30, -100, -90))


def test_missing_pixels_duplicates_and_other_types_are_dropped(tmp_path):
    events = EVENTS + [Event("S200", "2018-07-01 10:00:00", "Hail", "vil/2018/SEVIR_VIL_STORMEVENTS_2018_0701_1231.h5",
                             pct_missing=0.4),
                       Event("S100", "2018-05-02 21:30:00", "Hail", "ir069/2018/SEVIR_IR069_STORMEVENTS_2018_0101_0630.h5",
                             img_type="ir069")]
    tiny = write_sevir(tmp_path, events)
    cat = load_catalog(tiny.root / "CATALOG.csv")
    assert "S200" not in _ids(vil_events(cat)) and "S200" in _ids(vil_events(cat, max_pct_missing=None))
    assert _ids(vil_events(cat)).count("S100") == 1  # the ir069 row is not a VIL event
    dup = pd.concat([pd.read_csv(tiny.root / "CATALOG.csv"), pd.read_csv(tiny.root / "CATALOG.csv").iloc[[1]]])
    dup.to_csv(tiny.root / "CATALOG.csv", index=False)
    assert "S101" not in _ids(vil_events(load_catalog(tiny.root / "CATALOG.csv")))  # listed twice: dropped
