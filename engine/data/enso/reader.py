"""Read an ICAR-ENSO directory through xarray (netCDF4) into one monthly series per model.

``IcarEnso(root)`` checks the files' metadata at once (names, dims, sizes, grid, layout, label
file against training file) and reads data only when a model is loaded: every third sample of
that model (see ``fold.py``), SST cropped to 24 x 48, and its Nino3.4 labels; NaN or inf in
what is loaded (over land or anywhere) is an error then. Every problem is one ``ValueError``
naming the file and variable and saying "expected ..., got ...".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .fold import fold_plan
from .format import (CMIP_LABEL, CMIP_TRAIN, CROPPED_LONGITUDES, DATASET_ATTR, GRID_SHAPE, LABEL_DIMS,
                     LABEL_VARIABLE, LATITUDES, LAYOUT_ATTRS, LONGITUDES, PUBLISHED_LAYOUT, SODA_LABEL,
                     SODA_TRAIN, TRAIN_DIMS, WINDOW_MONTHS, Family, Layout, SplitName, months_in_series)

_LON_SLICE = slice(int(np.searchsorted(LONGITUDES, CROPPED_LONGITUDES[0])),
                   int(np.searchsorted(LONGITUDES, CROPPED_LONGITUDES[-1])) + 1)


@dataclass(frozen=True)
class ModelInfo:
    """One climate model (or the SODA reanalysis) of a directory.

    ``first_sample`` indexes the ``year`` dimension of its training file; ``split`` follows
    Earthformer: the last CMIP5 model is ``test``, the one before it ``val`` (models 17 and 16
    in the released files), every other CMIP model ``train``, and SODA is its own group.
    """

    name: str
    family: Family
    number: int
    years: int
    first_sample: int
    split: SplitName

    @property
    def months(self) -> int:
        return months_in_series(self.years)


@dataclass(frozen=True, eq=False)
class ModelSeries:
    """A model's folded run: ``sst`` (months, 24, 48) float32 degC, ``nino`` (months,) float32 degC."""

    info: ModelInfo
    sst: np.ndarray
    nino: np.ndarray


def models_of_layout(layout: Layout) -> list[ModelInfo]:
    """ModelInfo for every CMIP model of ``layout``, CMIP6 block first, with Earthformer's split."""
    infos, start = [], 0
    for block in (layout.cmip6, layout.cmip5):
        for k in range(1, block.models + 1):
            split = "train"
            if block.family == "CMIP5" and k == block.models:
                split = "test"
            elif block.family == "CMIP5" and k == block.models - 1:
                split = "val"
            infos.append(ModelInfo(f"{block.family}-{k:02d}", block.family, k, block.years, start, split))
            start += block.years
    return infos


class IcarEnso:
    """An ICAR-ENSO directory: ``CMIP_train.nc`` + ``CMIP_label.nc`` (required), SODA pair (optional).

    Parameters
    ----------
    root : directory holding the files (released archive or ``python -m engine enso make-demo``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"ICAR-ENSO directory {self.root}: expected an existing directory, got none")
        n_cmip, attrs, years = self._check_train(CMIP_TRAIN, expect="CMIP")
        self.layout: Layout = _layout(attrs, self.root / CMIP_TRAIN, n_cmip)
        self._check_label(CMIP_LABEL, CMIP_TRAIN, n_cmip, years)
        self.models: list[ModelInfo] = models_of_layout(self.layout)
        if any((self.root / name).exists() for name in (SODA_TRAIN, SODA_LABEL)):
            n_soda, _, years = self._check_train(SODA_TRAIN, expect="SODA")
            self._check_label(SODA_LABEL, SODA_TRAIN, n_soda, years)
            self.models.append(ModelInfo("SODA", "SODA", 1, n_soda, 0, "soda"))

    # ----------------------------------------------------------------------------- metadata
    def model(self, name: str) -> ModelInfo:
        """The model called ``name`` (e.g. ``CMIP5-17``, ``SODA``)."""
        for info in self.models:
            if info.name == name:
                return info
        raise ValueError(f"unknown model {name!r}: expected one of {[m.name for m in self.models]}")

    def split(self, split: SplitName) -> list[ModelInfo]:
        """The models of one split, in file order."""
        if split not in ("train", "val", "test", "soda"):
            raise ValueError(f"split: expected one of ['train', 'val', 'test', 'soda'], got {split!r}")
        return [m for m in self.models if m.split == split]

    def _path(self, name: str) -> Path:
        path = self.root / name
        if not path.is_file():
            raise ValueError(f"{path}: missing file (expected {CMIP_TRAIN} and {CMIP_LABEL}, optionally "
                             f"{SODA_TRAIN} and {SODA_LABEL}, in {self.root})")
        return path

    def _check_train(self, train_name: str, expect: str) -> tuple[int, dict, np.ndarray | None]:
        """Check a training file's metadata; return its sample count, global attributes, year values."""
        train_path = self._path(train_name)
        with _open(train_path) as train:
            kind = train.attrs.get(DATASET_ATTR)
            if kind is not None and kind != expect:
                raise ValueError(f"{train_path}: expected a {expect} file, got one marked {DATASET_ATTR}={kind!r}")
            sst = _variable(train, train_path, "sst", TRAIN_DIMS)
            sizes = dict(zip(sst.dims, sst.shape))
            for dim, size in (("month", WINDOW_MONTHS), ("lat", GRID_SHAPE[0]), ("lon", GRID_SHAPE[1])):
                if sizes[dim] != size:
                    raise ValueError(f"{train_path}: variable 'sst' dimension {dim!r}: expected {size}, got {sizes[dim]}")
            for dim, values in (("lat", LATITUDES), ("lon", LONGITUDES)):
                if dim in train.coords and not np.allclose(train[dim].values, values):
                    raise ValueError(f"{train_path}: coordinate {dim!r}: expected {values[0]:g}..{values[-1]:g} "
                                     f"in steps of 5, got {train[dim].values[0]:g}..{train[dim].values[-1]:g}")
            years = train["year"].values if "year" in train.coords else None
            return sizes["year"], dict(train.attrs), years

    def _check_label(self, label_name: str, train_name: str, n: int, train_years: np.ndarray | None) -> None:
        """Check that a label file matches its training file (samples, months, year values)."""
        label_path = self._path(label_name)
        with _open(label_path) as label:
            kind, expect = label.attrs.get(DATASET_ATTR), "SODA" if label_name == SODA_LABEL else "CMIP"
            if kind is not None and kind != expect:
                raise ValueError(f"{label_path}: expected a {expect} label file, got one marked {DATASET_ATTR}={kind!r}")
            nino = _variable(label, label_path, LABEL_VARIABLE, LABEL_DIMS)
            lsizes = dict(zip(nino.dims, nino.shape))
            if lsizes["year"] != n:
                raise ValueError(f"{label_path}: variable 'nino' dimension 'year': expected {n} "
                                 f"(as in {train_name}), got {lsizes['year']}")
            if lsizes["month"] != WINDOW_MONTHS:
                raise ValueError(f"{label_path}: variable 'nino' dimension 'month': expected {WINDOW_MONTHS}, "
                                 f"got {lsizes['month']}")
            if train_years is not None and "year" in label.coords and not np.array_equal(label["year"].values, train_years):
                raise ValueError(f"{label_path}: coordinate 'year': expected the same values as in {train_name}, "
                                 f"got different ones (labels from another file?)")

    # ----------------------------------------------------------------------------- data
    def load(self, name: str) -> ModelSeries:
        """Read and fold one model: SST (months, 24, 48) and Nino3.4 labels (months,), float32 degC."""
        info = self.model(name)
        train_name, label_name = (SODA_TRAIN, SODA_LABEL) if info.family == "SODA" else (CMIP_TRAIN, CMIP_LABEL)
        samples, tail = fold_plan(info.years)
        rows = [info.first_sample + s for s in samples]
        last = info.first_sample + info.years - 1
        with _open(self._path(train_name)) as train:
            sst = train["sst"].transpose(*TRAIN_DIMS).isel(lon=_LON_SLICE)
            parts = [sst.isel(year=rows).values.reshape(-1, *sst.shape[2:])]
            if tail:
                parts.append(sst.isel(year=last, month=slice(WINDOW_MONTHS - tail, None)).values)
        sst_series = np.concatenate(parts).astype(np.float32, copy=False)
        with _open(self._path(label_name)) as label:
            nino = label[LABEL_VARIABLE].transpose(*LABEL_DIMS)
            parts = [nino.isel(year=rows).values.reshape(-1)]
            if tail:
                parts.append(nino.isel(year=last, month=slice(WINDOW_MONTHS - tail, None)).values)
        nino_series = np.concatenate(parts).astype(np.float32, copy=False)
        _check_finite(sst_series, self.root / train_name, "sst", info)
        _check_finite(nino_series, self.root / label_name, LABEL_VARIABLE, info)
        return ModelSeries(info, sst_series, nino_series)


def _open(path: Path) -> xr.Dataset:
    try:
        return xr.open_dataset(path, engine="netcdf4", decode_times=False)
    except Exception as err:  # netCDF4 raises OSError, RuntimeError or ValueError for junk
        raise ValueError(f"{path}: expected a readable netCDF file, got an error: {err}") from None


def _variable(ds: xr.Dataset, path: Path, name: str, dims: tuple[str, ...]) -> xr.DataArray:
    if name not in ds.data_vars:
        raise ValueError(f"{path}: missing variable {name!r} (expected {name} with dims {dims}, "
                         f"got variables {sorted(ds.data_vars)})")
    var = ds[name]
    if sorted(var.dims) != sorted(dims):
        raise ValueError(f"{path}: variable {name!r}: expected dims {dims}, got {var.dims}")
    return var


def _layout(attrs: dict, path: Path, n: int) -> Layout:
    """The file's layout: from the generator's attributes, else the released 15 x 151 + 17 x 140."""
    present = [a for a in LAYOUT_ATTRS if a in attrs]
    if present and len(present) != len(LAYOUT_ATTRS):
        raise ValueError(f"{path}: expected all layout attributes {LAYOUT_ATTRS}, got only {present}")
    layout = Layout.from_attrs(attrs) if present else PUBLISHED_LAYOUT
    if layout.samples != n:
        hint = " (100 samples is the size of SODA_train.nc: is this a SODA file?)" if n == 100 else ""
        raise ValueError(f"{path}: dimension 'year': expected {layout.samples} samples "
                         f"({layout.describe()}), got {n}{hint}")
    return layout


def _check_finite(values: np.ndarray, path: Path, name: str, info: ModelInfo) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        first = np.argwhere(bad)[0]
        where = f"month {first[0]} of the folded series"
        if values.ndim == 3:
            where += f", lat {LATITUDES[first[1]]:g}, lon {CROPPED_LONGITUDES[first[2]]:g}"
        raise ValueError(f"{path}: variable {name!r} of model {info.name}: expected finite values, "
                         f"got {int(bad.sum())} NaN/inf (first at {where})")
