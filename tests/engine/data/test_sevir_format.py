"""SEVIR's format facts: catalog columns, file names, text formats, VIL codec, split dates."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from engine.data.sevir import format as fmt


def test_catalog_has_the_21_real_columns_in_order():
    assert len(fmt.CATALOG_COLUMNS) == 21
    assert fmt.CATALOG_COLUMNS[:6] == ("id", "file_name", "file_index", "img_type", "time_utc", "minute_offsets")
    assert fmt.CATALOG_COLUMNS[-1] == "pct_missing"


def test_projection_is_lambert_azimuthal_equal_area_centred_on_38n_98w():
    assert fmt.SEVIR_PROJ.split()[:3] == ["+proj=laea", "+lat_0=38", "+lon_0=-98"]


def test_file_name_follows_the_real_rule():
    assert fmt.file_name("vil", "STORMEVENTS", 2018, date(2018, 1, 1), date(2018, 6, 30)) == \
        "vil/2018/SEVIR_VIL_STORMEVENTS_2018_0101_0630.h5"
    with pytest.raises(ValueError, match="event_set"):
        fmt.file_name("vil", "STORMS", 2018, date(2018, 1, 1), date(2018, 6, 30))


def test_time_and_minute_offsets_text_round_trip():
    t = datetime(2018, 5, 2, 21, 30)
    assert fmt.format_time_utc(t) == "2018-05-02 21:30:00" and fmt.parse_time_utc("2018-05-02 21:30:00") == t
    offsets = fmt.nominal_minute_offsets()
    assert len(offsets) == fmt.FRAMES_PER_EVENT and offsets[0] == -120 and offsets[24] == 0 and offsets[-1] == 120
    text = fmt.format_minute_offsets(offsets)
    assert text.startswith("-120:-115:") and np.array_equal(fmt.parse_minute_offsets(text), offsets)


@pytest.mark.parametrize("x, kg", [(16, 0.154), (74, 0.775), (133, 3.53), (160, 7.07), (181, 12.14), (219, 32.2)])
def test_threshold_table_in_kg_per_m2_to_three_significant_digits(x, kg):
    assert x in fmt.VIL_THRESHOLDS
    assert float(f"{fmt.decode_vil(np.uint8(x)):.3g}") == pytest.approx(float(f"{kg:.3g}"))


def test_decode_vil_pieces():
    x = np.arange(256, dtype=np.uint8)
    kg = fmt.decode_vil(x)
    assert kg.dtype == np.float32 and kg.shape == (256,)
    assert np.all(kg[:6] == 0)
    assert kg[18] == pytest.approx(16 / 90.66) and kg[19] == pytest.approx(np.exp((19 - 83.9) / 38.9))
    assert np.all(np.diff(kg[5:]) > 0)  # strictly increasing above the dead zone


def test_encode_inverts_decode_on_every_distinguishable_code():
    x = np.arange(255, dtype=np.uint8)
    back = fmt.encode_vil(fmt.decode_vil(x))
    assert np.array_equal(back[6:], x[6:]) and np.all(back[:6] == 0)
    assert back.dtype == np.uint8


def test_encode_clips_and_maps_small_values_to_zero():
    assert fmt.encode_vil(np.array([-1.0, 0.0, 0.01, 1e6])).tolist() == [0, 0, 0, 254]


def test_scale_01_maps_uint8_to_unit_interval():
    y = fmt.scale_01(np.array([0, 51, 255], dtype=np.uint8))
    assert y.dtype == np.float32 and y.tolist() == pytest.approx([0.0, 0.2, 1.0])


@pytest.mark.parametrize("t, split", [
    (datetime(2018, 12, 31, 23, 55), "train"), (datetime(2019, 1, 1), "train"),
    (datetime(2019, 1, 1, 0, 5), "val"), (datetime(2019, 6, 1), "val"),
    (datetime(2019, 6, 1, 0, 5), "test"), (datetime(2019, 12, 31), "test"),
])
def test_earthformer_split_boundaries(t, split):
    assert fmt.earthformer_split(t) == split
