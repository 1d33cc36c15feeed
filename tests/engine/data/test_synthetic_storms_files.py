"""Synthetic storms on disk: SEVIR's exact format, read back through the app's reader, and metadata."""
from __future__ import annotations

import re

import h5py
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer

from engine.data.sevir.catalog import load_catalog, vil_events
from engine.data.sevir.format import CATALOG_COLUMNS, SEVIR_PROJ, nominal_minute_offsets
from engine.data.sevir.reader import SevirStore
from engine.data.synthetic import EVENT_TYPES, plan_events, write_dataset
from engine.data.synthetic.events import CONUS_BOX, split_counts

N_EVENTS = 4  # split_counts(4): 2 train, 1 val, 1 test


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_sevir")
    calls = []
    catalog = write_dataset(root, N_EVENTS, seed=5, progress=lambda f, m: calls.append((f, m)), random_fraction=0.25)
    return root, catalog, calls


def test_files_follow_sevir_layout_names_datasets_chunks_and_compression(written):
    root, catalog, _ = written
    files = sorted(p.relative_to(root / "data").as_posix() for p in (root / "data").rglob("*.h5"))
    assert files == sorted(catalog["file_name"].unique())
    pattern = re.compile(r"vil/(\d{4})/SEVIR_VIL_(STORMEVENTS|RANDOMEVENTS)_\1_(\d{4})_(\d{4})\.h5")
    for name in files:
        assert pattern.fullmatch(name), name
        with h5py.File(root / "data" / name, "r") as f:
            ids, vil = f["id"], f["vil"]
            n = int((catalog["file_name"] == name).sum())
            assert ids.shape == (n,) and ids.dtype.kind == "S"  # fixed-length bytes, like SEVIR
            assert vil.shape == (n, 384, 384, 49) and vil.dtype == np.uint8
            assert vil.chunks == (1, 384, 384, 49)
            assert vil.compression == "gzip" and vil.shuffle
            rows = catalog[catalog["file_name"] == name]
            assert [ids[i].decode() for i in rows["file_index"]] == list(rows["id"])


def test_catalog_has_all_21_columns_in_order_and_sevir_value_formats(written):
    root, _, _ = written
    text = (root / "CATALOG.csv").read_text().splitlines()
    assert tuple(text[0].split(",")) == CATALOG_COLUMNS
    raw = pd.read_csv(root / "CATALOG.csv", dtype=str, keep_default_na=False)
    assert len(raw) == N_EVENTS and set(raw["img_type"]) == {"vil"}
    assert (raw["minute_offsets"] == ":".join(str(m) for m in nominal_minute_offsets())).all()
    assert (raw["proj"] == SEVIR_PROJ).all()
    assert (raw[["size_x", "size_y"]] == "384").all().all()
    assert (raw[["height_m", "width_m"]] == "384000.0").all().all()
    assert (raw["pct_missing"] == "0.0").all()
    for r in raw.itertuples():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:00", r.time_utc)
        if r.id.startswith("S"):
            assert re.fullmatch(r"S\d+", r.id) and r.event_type in EVENT_TYPES
            assert r.event_id == f"{r.id[1:]}.0" and re.fullmatch(r"\d+\.0", r.episode_id)
        else:
            assert re.fullmatch(r"R\d{14}", r.id) and r.id[1:11] == pd.Timestamp(r.time_utc).strftime("%y%m%d%H%M")
            assert r.event_type == r.episode_id == r.event_id == ""


def test_events_read_back_through_the_app_reader_with_truthful_min_and_max(written):
    root, catalog, _ = written
    store = SevirStore(root)
    assert sorted(store.ids) == sorted(catalog["id"])
    for r in store.events.itertuples():
        vil = store.read_vil(r.id)  # (T, H, W) through the same code path as real SEVIR
        assert vil.shape == (49, 384, 384) and vil.dtype == np.uint8
        assert vil.min() == r.data_min and vil.max() == r.data_max
        if r.id.startswith("S"):  # storm events always show a storm; random ones may be nearly clear
            assert np.mean(vil >= 16) > 0.005
    store.close()


def test_catalog_splits_by_earthformer_dates_and_every_split_gets_events(written):
    root, _, _ = written
    events = vil_events(load_catalog(root / "CATALOG.csv"))
    assert events["split"].value_counts().to_dict() == split_counts(N_EVENTS)
    assert events["time_utc"].dt.year.between(2017, 2019).all()


def test_progress_reports_every_event_up_to_one(written):
    _, _, calls = written
    fractions = [f for f, _ in calls]
    assert len(calls) == N_EVENTS and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_same_seed_writes_identical_arrays_and_catalog(tmp_path, written):
    root, _, _ = written
    write_dataset(tmp_path, N_EVENTS, seed=5, random_fraction=0.25)
    assert (tmp_path / "CATALOG.csv").read_bytes() == (root / "CATALOG.csv").read_bytes()
    for path in (root / "data").rglob("*.h5"):
        with h5py.File(path, "r") as a, h5py.File(tmp_path / path.relative_to(root), "r") as b:
            assert np.array_equal(a["id"][:], b["id"][:]) and np.array_equal(a["vil"][:], b["vil"][:])


def test_a_different_seed_gives_different_events():
    a, b = plan_events(6, 1), plan_events(6, 2)
    assert [e.id for e in a] != [e.id for e in b]
    assert [e.seed for e in plan_events(6, 1)] == [e.seed for e in a]


def test_corners_lie_in_the_contiguous_us_and_patches_are_384_km_squares_in_sevir_projection():
    events = plan_events(300, seed=9)
    lat_min, lat_max, lon_min, lon_max = CONUS_BOX
    to_xy = Transformer.from_crs("EPSG:4326", SEVIR_PROJ, always_xy=True)
    geod = Geod(ellps="WGS84")
    for e in events:
        for lat, lon in ((e.llcrnrlat, e.llcrnrlon), (e.urcrnrlat, e.urcrnrlon)):
            assert lat_min <= lat <= lat_max and lon_min <= lon <= lon_max
        (x0, x1), (y0, y1) = to_xy.transform([e.llcrnrlon, e.urcrnrlon], [e.llcrnrlat, e.urcrnrlat])
        assert x1 - x0 == pytest.approx(384_000, abs=1.0) and y1 - y0 == pytest.approx(384_000, abs=1.0)
        diagonal = geod.inv(e.llcrnrlon, e.llcrnrlat, e.urcrnrlon, e.urcrnrlat)[2]
        assert diagonal == pytest.approx(384_000 * np.sqrt(2), rel=0.02)  # equal-area: ~true distances


def test_event_plan_has_nws_types_unique_ids_and_all_three_splits():
    events = plan_events(200, seed=4)
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids)
    storm = [e for e in events if e.id.startswith("S")]
    assert {e.event_type for e in storm} == set(EVENT_TYPES)  # every NWS type occurs in 150 storms
    assert sum(e.id.startswith("R") for e in events) == 50
    assert all(e.event_type is None and e.event_id is None for e in events if e.id.startswith("R"))
    assert [e.time_utc for e in events] == sorted(e.time_utc for e in events)
    assert split_counts(200) == {"train": 140, "val": 30, "test": 30}


def test_bad_event_counts_are_one_clear_error():
    with pytest.raises(ValueError, match="n_events: expected >= 1, got 0"):
        plan_events(0, seed=1)
    with pytest.raises(ValueError, match="random_fraction: expected a value in"):
        plan_events(3, seed=1, random_fraction=1.5)
