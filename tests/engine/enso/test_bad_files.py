"""Every broken ICAR-ENSO directory gives one clear ValueError naming the file and variable."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import xarray as xr

from engine.cli import main
from engine.data.enso.reader import IcarEnso


def _copy(enso_dir, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(enso_dir, out)
    return out


def _rewrite(path, change):
    with xr.open_dataset(path) as ds:
        ds = change(ds.load())
    path.unlink()
    ds.to_netcdf(path, engine="netcdf4")


def test_missing_label_file_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    (root / "CMIP_label.nc").unlink()
    with pytest.raises(ValueError, match=r"CMIP_label\.nc: missing file \(expected CMIP_train\.nc and CMIP_label\.nc"):
        IcarEnso(root)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(ValueError, match="expected an existing directory"):
        IcarEnso(tmp_path / "nowhere")


def test_missing_sst_variable_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_train.nc", lambda ds: ds.rename({"sst": "temperature"}))
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: missing variable 'sst' \(expected sst with dims"):
        IcarEnso(root)


def test_wrong_dimension_names_are_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_label.nc", lambda ds: ds.rename({"month": "time"}))
    with pytest.raises(ValueError, match=r"CMIP_label\.nc: variable 'nino': expected dims \('year', 'month'\)"):
        IcarEnso(root)


def test_grid_of_the_wrong_size_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_train.nc", lambda ds: ds.isel(lat=slice(0, 20)))
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: variable 'sst' dimension 'lat': expected 24, got 20"):
        IcarEnso(root)


def test_shifted_longitudes_are_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_train.nc", lambda ds: ds.assign_coords(lon=ds.lon.values - 180))
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: coordinate 'lon': expected 0\.\.355"):
        IcarEnso(root)


@pytest.mark.parametrize("file, var", [("CMIP_train.nc", "sst"), ("CMIP_label.nc", "nino")])
def test_nans_are_named_with_file_variable_and_model(enso_dir, tmp_path, file, var):
    root = _copy(enso_dir, tmp_path)

    def poke(ds):
        values = ds[var].values.copy()
        values[-1, 30, ...] = np.nan  # last sample = the test model's tail
        ds[var].values = values
        return ds

    _rewrite(root / file, poke)
    store = IcarEnso(root)  # metadata stays valid; the data error shows on load
    store.load("CMIP6-01")
    with pytest.raises(ValueError, match=rf"{file}: variable '{var}' of model CMIP5-03: expected finite values, got \d+ NaN"):
        store.load("CMIP5-03")


def test_soda_file_given_as_cmip_is_recognised(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    for stem in ("train", "label"):
        shutil.copy(root / f"SODA_{stem}.nc", root / f"CMIP_{stem}.nc")
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: expected a CMIP file, got one marked efs_dataset='SODA'"):
        IcarEnso(root)


def test_sample_count_that_does_not_fit_the_layout_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_train.nc", lambda ds: ds.isel(year=slice(0, -1)))
    with pytest.raises(ValueError, match=r"CMIP_train\.nc: dimension 'year': expected 28 samples \(2 CMIP6 models x 5 years"):
        IcarEnso(root)


def test_released_layout_is_assumed_without_layout_attributes(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_train.nc", lambda ds: ds.drop_attrs())
    with pytest.raises(ValueError, match=r"expected 4645 samples \(15 CMIP6 models x 151 years \+ 17 CMIP5"):
        IcarEnso(root)


def test_label_file_that_does_not_match_its_training_file_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    _rewrite(root / "CMIP_label.nc", lambda ds: ds.isel(year=slice(0, 10)))
    with pytest.raises(ValueError, match=r"CMIP_label\.nc: variable 'nino' dimension 'year': expected 28 \(as in CMIP_train\.nc\), got 10"):
        IcarEnso(root)


def test_soda_labels_given_for_cmip_are_recognised(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    shutil.copy(root / "SODA_label.nc", root / "CMIP_label.nc")
    with pytest.raises(ValueError, match=r"CMIP_label\.nc: expected a CMIP label file, got one marked efs_dataset='SODA'"):
        IcarEnso(root)


def test_junk_file_is_named(enso_dir, tmp_path):
    root = _copy(enso_dir, tmp_path)
    (root / "SODA_label.nc").write_text("not netCDF")
    with pytest.raises(ValueError, match=r"SODA_label\.nc: expected a readable netCDF file"):
        IcarEnso(root)


def test_unknown_model_lists_the_valid_names(enso_dir):
    with pytest.raises(ValueError, match=r"unknown model 'CMIP5-17': expected one of \['CMIP6-01'"):
        IcarEnso(enso_dir).load("CMIP5-17")


def test_cli_turns_a_bad_directory_into_one_line_and_exit_2(enso_dir, tmp_path, capsys):
    root = _copy(enso_dir, tmp_path)
    (root / "CMIP_train.nc").unlink()
    with pytest.raises(SystemExit) as exit_:
        main(["enso", "info", "--root", str(root)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "CMIP_train.nc: missing file" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
