"""Storm explorer page in AppTest: renders on SEVIR-format data, filters, shows an event, survives bad files."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS, Transformer

from engine.data.sevir import SEVIR_PROJ, write_catalog, write_vil_file
from engine.data.sevir.format import file_name, format_minute_offsets, nominal_minute_offsets

from .conftest import plotly_specs

STORM_PAGE = "app_pages/storm_explorer.py"
SIZE = 96  # pixels per side: small and fast; the page handles any size
# id, event type, time_utc, patch centre in the SEVIR projection (km), file year
EVENTS = (
    ("S1001", "Hail", datetime(2018, 5, 2, 21, 30), (0, -150), 2018),  # Oklahoma / Kansas
    ("S1002", "Tornado", datetime(2018, 6, 10, 0, 5), (-50, 300), 2018),  # Nebraska / South Dakota
    ("S1003", "Flash Flood", datetime(2019, 3, 15, 18, 0), (1300, -500), 2019),  # Georgia
    ("R1004", None, datetime(2019, 8, 1, 12, 0), (-800, 100), 2019),  # Utah / Colorado
)


def _movie(seed: int) -> np.ndarray:
    """(49, SIZE, SIZE) uint8: a storm crossing the patch and peaking at 255 mid-event."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    t = np.arange(49)[:, None, None]
    cx, cy = 15 + t * (SIZE - 30) / 48, SIZE / 2 + 10 * np.sin(seed + t / 10)
    intensity = 255 * np.exp(-((t - 24) / 20.0) ** 2)
    blob = intensity * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (SIZE / 9) ** 2))
    return np.clip(blob + np.random.default_rng(seed).normal(0, 3, blob.shape), 0, 255).round().astype(np.uint8)


def write_tiny_sevir(root: Path) -> Path:
    """A 4-event SEVIR-format dataset (CATALOG.csv + two VIL files) under ``root``; returns root."""
    crs = CRS.from_user_input(SEVIR_PROJ)
    to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    rows, by_year = [], {}
    for i, (eid, etype, when, (cx, cy), year) in enumerate(EVENTS):
        lon0, lat0 = to_lonlat.transform((cx - 192) * 1e3, (cy - 192) * 1e3)
        lon1, lat1 = to_lonlat.transform((cx + 192) * 1e3, (cy + 192) * 1e3)
        name = file_name("vil", "STORMEVENTS", year, date(year, 1, 1), date(year, 12, 31))
        by_year.setdefault(name, []).append((eid, _movie(i)))
        rows.append({
            "id": eid, "file_name": name, "file_index": len(by_year[name]) - 1, "img_type": "vil",
            "time_utc": when, "minute_offsets": format_minute_offsets(nominal_minute_offsets()),
            "episode_id": 100 + i if etype else np.nan, "event_id": 1000 + i if etype else np.nan,
            "event_type": etype, "llcrnrlat": lat0, "llcrnrlon": lon0, "urcrnrlat": lat1, "urcrnrlon": lon1,
            "proj": SEVIR_PROJ, "size_x": SIZE, "size_y": SIZE, "height_m": 384000.0, "width_m": 384000.0,
            "data_min": 0.0, "data_max": 255.0, "pct_missing": 0.0,
        })
    for name, events in by_year.items():
        write_vil_file(root / "data" / name, [e for e, _ in events], np.stack([v for _, v in events]))
    write_catalog(root / "CATALOG.csv", pd.DataFrame(rows))
    return root


@pytest.fixture
def storm_data(tmp_path: Path, monkeypatch) -> Path:
    """The tiny dataset as the embedded demo (EFS_DEMO_DIR/sevir); no other source configured."""
    root = write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    return root


@pytest.fixture
def storm_page(storm_data, home):
    return home.switch_page(STORM_PAGE).run()


def _table_ids(at) -> list[str]:
    return list(at.dataframe[0].value["id"])


def test_page_renders_the_table_map_player_and_stats_on_demo_data(storm_page):
    at = storm_page
    assert not at.exception and not at.error
    assert at.title[0].value == "Storm explorer"
    assert _table_ids(at) == ["S1001", "S1002", "S1003", "R1004"]
    assert at.selectbox(key="storm_source").value == "Embedded demo"
    assert at.selectbox(key="storm_event_id").value == "S1001"  # the first event opens by default
    assert len(at.get("image")) == 1  # the footprint map (PNG)
    player, stats = plotly_specs(at)
    assert len(player["frames"]) == 49 and player["layout"]["sliders"][0]["steps"][0]["label"] == "-120 min"
    assert player["frames"][0]["data"][0]["z"]["dtype"] == "u1"  # uint8 frames reach the browser
    assert len(stats["data"]) == len((16, 74, 133, 160, 181, 219)) + 1


def test_filters_change_the_table(storm_page):
    at = storm_page
    at.selectbox(key="storm_event_type").set_value("Tornado").run()
    assert not at.exception and _table_ids(at) == ["S1002"]
    at.selectbox(key="storm_event_type").set_value("All").run()
    at.selectbox(key="storm_split").set_value("val").run()
    assert _table_ids(at) == ["S1003"]
    at.selectbox(key="storm_split").set_value("All").run()
    at.selectbox(key="storm_region").set_value("Georgia").run()
    assert _table_ids(at) == ["S1003"]
    at.selectbox(key="storm_region").set_value("Utah").run()
    assert _table_ids(at) == ["R1004"]
    at.selectbox(key="storm_region").set_value("Anywhere in the contiguous US").run()
    at.date_input(key="storm_dates").set_value((date(2018, 6, 1), date(2019, 4, 1))).run()
    assert not at.exception and _table_ids(at) == ["S1002", "S1003"]
    at.selectbox(key="storm_event_type").set_value("Hail").run()  # nothing left
    assert not at.exception and not at.error and _table_ids(at) == []
    assert any("No event matches" in i.value for i in at.info)


def test_selecting_an_event_shows_its_map_player_and_stats(storm_page):
    at = storm_page
    before = plotly_specs(at)
    at.selectbox(key="storm_event_id").set_value("S1003").run()
    assert not at.exception and not at.error
    after = plotly_specs(at)
    assert after[0]["layout"]["title"]["text"].startswith("S1003")
    assert after[1]["data"][0]["y"] != before[1]["data"][0]["y"]
    assert any("S1003" in h.value and "Flash Flood" in h.value for h in at.subheader)
    assert len(at.get("image")) == 1


def test_a_truncated_file_is_one_error_and_other_events_still_work(storm_data, home):
    path = storm_data / "data" / file_name("vil", "STORMEVENTS", 2019, date(2019, 1, 1), date(2019, 12, 31))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    at = home.switch_page(STORM_PAGE).run()
    assert not at.exception and not at.error  # S1001 lives in the intact 2018 file
    at.selectbox(key="storm_event_id").set_value("S1003").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "S1003" in at.error[0].value and path.name in at.error[0].value
    assert not at.get("image") and not at.get("plotly_chart")
    at.selectbox(key="storm_event_id").set_value("S1002").run()
    assert not at.exception and not at.error
    assert len(plotly_specs(at)) == 2


def test_a_missing_catalog_column_is_one_error(storm_data, home):
    catalog = pd.read_csv(storm_data / "CATALOG.csv").drop(columns=["minute_offsets"])
    catalog.to_csv(storm_data / "CATALOG.csv", index=False)
    at = home.switch_page(STORM_PAGE).run()
    assert not at.exception
    assert len(at.error) == 1 and "minute_offsets" in at.error[0].value



def test_missing_demo_data_is_generated_with_progress_on_first_visit(tmp_path, monkeypatch, home):
    from engine.data import demo

    calls = []

    def small_dataset(root, n_events, seed, progress=None):  # the real one writes 100 events (a minute)
        calls.append(progress)
        progress(0.5, "writing storms")
        write_tiny_sevir(Path(root))

    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    monkeypatch.setattr(demo, "write_dataset", small_dataset)  # api.ensure_demo -> demo.ensure_demo -> this
    at = home.switch_page(STORM_PAGE).run()
    assert not at.exception and not at.error
    assert len(calls) == 1 and callable(calls[0])
    assert (tmp_path / "demo" / "sevir" / demo.STAMP_NAME).is_file()
    assert _table_ids(at) == ["S1001", "S1002", "S1003", "R1004"]
    at.run()  # the data is there now: no second generation
    assert len(calls) == 1


def test_a_bad_projection_costs_only_the_map(storm_data, home):
    catalog = pd.read_csv(storm_data / "CATALOG.csv")
    catalog.loc[catalog["id"] == "S1001", "proj"] = "+proj=nonsense"
    catalog.to_csv(storm_data / "CATALOG.csv", index=False)
    at = home.switch_page(STORM_PAGE).run()
    assert not at.exception
    assert len(at.error) == 1 and "map of S1001" in at.error[0].value and "proj" in at.error[0].value
    assert len(plotly_specs(at)) == 2 and not at.get("image")  # player and statistics still shown
