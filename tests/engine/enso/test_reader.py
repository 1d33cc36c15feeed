"""Synthetic files round-trip through xarray in the exact ICAR-ENSO format, and the reader folds them."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from engine.data.enso.format import PUBLISHED_LAYOUT, WINDOW_MONTHS
from engine.data.enso.nino import nino34_index
from engine.data.enso.reader import IcarEnso, models_of_layout
from engine.data.enso.windows import WindowSpec, window_counts
from engine.data.synthetic_enso import make_synthetic

from .conftest import TINY


def test_files_have_the_released_names_dims_grid_and_dtypes(enso_dir):
    names = sorted(p.name for p in enso_dir.glob("*.nc"))
    assert names == ["CMIP_label.nc", "CMIP_train.nc", "SODA_label.nc", "SODA_train.nc"]
    n_cmip = TINY.cmip6_models * TINY.cmip6_years + TINY.cmip5_models * TINY.cmip5_years
    for stem, n in (("CMIP", n_cmip), ("SODA", TINY.soda_years)):
        with xr.open_dataset(enso_dir / f"{stem}_train.nc", engine="netcdf4") as train:
            assert sorted(train.data_vars) == ["sst", "t300", "ua", "va"]
            for var in train.data_vars.values():
                assert var.dims == ("year", "month", "lat", "lon") and var.dtype == np.float32
            assert dict(train.sizes) == {"year": n, "month": 36, "lat": 24, "lon": 72}
            assert train.lat.values.tolist() == list(range(-55, 61, 5))
            assert train.lon.values.tolist() == list(range(0, 356, 5))
        with xr.open_dataset(enso_dir / f"{stem}_label.nc", engine="netcdf4") as label:
            assert list(label.data_vars) == ["nino"]
            assert label.nino.dims == ("year", "month") and label.nino.shape == (n, 36)
            assert label.nino.dtype == np.float32


def test_reader_folds_every_model_consistently_with_every_raw_sample(enso_dir):
    store = IcarEnso(enso_dir)
    with xr.open_dataset(enso_dir / "CMIP_train.nc") as train, xr.open_dataset(enso_dir / "CMIP_label.nc") as label:
        sst_raw = train.sst.values[..., 19:67]  # brute force: all samples, cropped by index
        nino_raw = label.nino.values
    for info in store.models[:-1]:
        series = store.load(info.name)
        assert series.sst.shape == (12 * info.years + 24, 24, 48) and series.nino.shape == (12 * info.years + 24,)
        for i in range(info.years):
            row = info.first_sample + i
            assert np.array_equal(series.sst[12 * i:12 * i + WINDOW_MONTHS], sst_raw[row])
            assert np.array_equal(series.nino[12 * i:12 * i + WINDOW_MONTHS], nino_raw[row])


def test_labels_equal_the_nino34_index_of_the_files_own_sst_exactly(enso_dir):
    store = IcarEnso(enso_dir)
    for info in store.models:  # includes SODA
        series = store.load(info.name)
        assert np.array_equal(nino34_index(series.sst), series.nino[:-2]), info.name


def test_models_and_splits_follow_the_earthformer_rule(enso_dir):
    store = IcarEnso(enso_dir)
    assert [m.name for m in store.models] == ["CMIP6-01", "CMIP6-02", "CMIP5-01", "CMIP5-02", "CMIP5-03", "SODA"]
    assert [m.name for m in store.split("val")] == ["CMIP5-02"]
    assert [m.name for m in store.split("test")] == ["CMIP5-03"]
    assert [m.first_sample for m in store.models[:5]] == [0, 5, 10, 16, 22]


def test_published_layout_gives_the_published_split_and_window_counts():
    models = models_of_layout(PUBLISHED_LAYOUT)
    assert PUBLISHED_LAYOUT.samples == 4645 and len(models) == 32
    assert [m.name for m in models if m.split == "val"] == ["CMIP5-16"]
    assert [m.name for m in models if m.split == "test"] == ["CMIP5-17"]
    assert {m.months for m in models if m.family == "CMIP6"} == {1836}
    assert {m.months for m in models if m.family == "CMIP5"} == {1704}
    assert window_counts(models) == {"train": 52350, "val": 1679, "test": 1679, "soda": 0}


def test_window_counts_of_the_tiny_set(enso_dir):
    counts = window_counts(IcarEnso(enso_dir).models)
    # months - 25 windows per model: CMIP6 5 years -> 84 months, CMIP5 6 -> 96, SODA 4 -> 72
    assert counts == {"train": 2 * 59 + 71, "val": 71, "test": 71, "soda": 47}
    assert window_counts(IcarEnso(enso_dir).models, WindowSpec(stride=12))["test"] == len(range(0, 71, 12))


def test_generation_is_deterministic_given_the_seed(tmp_path):
    spec = TINY.__class__(cmip6_models=0, cmip5_models=2, cmip5_years=2, soda_years=0, seed=11)
    first, again = make_synthetic(tmp_path / "a", spec), make_synthetic(tmp_path / "b", spec)
    other = make_synthetic(tmp_path / "c", spec.__class__(**{**spec.__dict__, "seed": 12}))
    read = [IcarEnso(p).load("CMIP5-02").sst for p in (first, again, other)]
    assert np.array_equal(read[0], read[1]) and not np.array_equal(read[0], read[2])


def test_ensure_demo_builds_once_and_never_overwrites_foreign_files(tmp_path, monkeypatch):
    from engine.data.synthetic_enso import SyntheticSpec, ensure_enso_demo

    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path))
    spec = SyntheticSpec(cmip6_models=0, cmip5_models=2, cmip5_years=2, soda_years=0)
    calls = []
    path = ensure_enso_demo(spec=spec, progress=lambda f, m: calls.append(f))
    assert path == tmp_path / "icar_enso" and calls[-1] == 1.0
    stamp = (path / "CMIP_train.nc").stat().st_mtime_ns
    assert ensure_enso_demo(spec=spec) == path and (path / "CMIP_train.nc").stat().st_mtime_ns == stamp
    foreign = tmp_path / "real"
    foreign.mkdir()
    xr.Dataset({"sst": (("year",), np.zeros(3, np.float32))}).to_netcdf(foreign / "CMIP_train.nc")
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: variable 'sst': expected dims"):
        ensure_enso_demo(foreign, spec=spec)
    assert not (foreign / "CMIP_label.nc").exists()
