"""The ICAR-ENSO file format (Tianchi "AI Earth" 2021) and Earthformer's processing constants.

Files (one directory): ``CMIP_train.nc`` / ``CMIP_label.nc`` (climate-model runs) and
``SODA_train.nc`` / ``SODA_label.nc`` (reanalysis). Training files hold ``sst``, ``t300``,
``ua``, ``va`` with dims ``(year, month, lat, lon)``; label files hold ``nino`` with dims
``(year, month)``. Each ``year`` sample is a 36-month window starting in January of that year,
so consecutive samples overlap by 24 months. The 5 degree grid has 24 latitudes (-55..60) and
72 longitudes (0..355 E). The published CMIP file stacks 15 CMIP6 models x 151 years, then
17 CMIP5 models x 140 years (4645 samples).

Earthformer keeps SST only, crops longitudes 95..330 E (24 x 48 grid) and scales SST with the
published CMIP6 extremes (Gao et al., NeurIPS 2022, Sec. 4.2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

# File and variable names of the released archive.
CMIP_TRAIN = "CMIP_train.nc"
CMIP_LABEL = "CMIP_label.nc"
SODA_TRAIN = "SODA_train.nc"
SODA_LABEL = "SODA_label.nc"
TRAIN_VARIABLES: tuple[str, ...] = ("sst", "t300", "ua", "va")
LABEL_VARIABLE = "nino"
TRAIN_DIMS: tuple[str, ...] = ("year", "month", "lat", "lon")
LABEL_DIMS: tuple[str, ...] = ("year", "month")

# 36-month windows, one per year, advancing by 12 months.
WINDOW_MONTHS = 36
WINDOW_STRIDE = 12

# The 5 degree grid (degrees north, degrees east).
LATITUDES = np.arange(-55.0, 60.0 + 1, 5.0)
LONGITUDES = np.arange(0.0, 355.0 + 1, 5.0)
CROP_LON_MIN, CROP_LON_MAX = 95.0, 330.0
CROPPED_LONGITUDES = LONGITUDES[(LONGITUDES >= CROP_LON_MIN) & (LONGITUDES <= CROP_LON_MAX)]
GRID_SHAPE = (len(LATITUDES), len(LONGITUDES))  # (24, 72)
CROPPED_SHAPE = (len(LATITUDES), len(CROPPED_LONGITUDES))  # (24, 48)

# Published normalisation: min / max SST anomaly (degC) over CMIP6, which also bound CMIP5.
SST_MIN = -16.549121856689453
SST_MAX = 10.198975563049316

# Earthformer's sequence lengths: 12 input months, 14 output months (12 leads + 2 for the
# 3-month running mean of the Nino3.4 index).
IN_MONTHS = 12
OUT_MONTHS = 14

Family = Literal["CMIP6", "CMIP5", "SODA"]
SplitName = Literal["train", "val", "test", "soda"]
SPLITS: tuple[str, ...] = ("train", "val", "test", "soda")

# Global attributes the synthetic generator writes so the reader knows a non-published layout.
LAYOUT_ATTRS: tuple[str, ...] = ("cmip6_models", "cmip6_years", "cmip5_models", "cmip5_years")
DATASET_ATTR = "efs_dataset"  # "CMIP" or "SODA"; absent in the released files


@dataclass(frozen=True)
class Block:
    """One family of climate models stacked along ``year``: ``models`` runs of ``years`` samples."""

    family: Family
    models: int
    years: int

    @property
    def samples(self) -> int:
        return self.models * self.years

    @property
    def months(self) -> int:
        """Length of one model's folded monthly series: 12 per sample + the last window's tail."""
        return months_in_series(self.years)


@dataclass(frozen=True)
class Layout:
    """How the ``year`` samples of a CMIP file divide into climate models (CMIP6 block first)."""

    cmip6: Block
    cmip5: Block

    @property
    def samples(self) -> int:
        return self.cmip6.samples + self.cmip5.samples

    def describe(self) -> str:
        return (f"{self.cmip6.models} CMIP6 models x {self.cmip6.years} years + "
                f"{self.cmip5.models} CMIP5 models x {self.cmip5.years} years")

    def as_attrs(self) -> dict[str, int]:
        return {"cmip6_models": self.cmip6.models, "cmip6_years": self.cmip6.years,
                "cmip5_models": self.cmip5.models, "cmip5_years": self.cmip5.years}

    @classmethod
    def from_attrs(cls, attrs: dict) -> "Layout":
        return cls(Block("CMIP6", int(attrs["cmip6_models"]), int(attrs["cmip6_years"])),
                   Block("CMIP5", int(attrs["cmip5_models"]), int(attrs["cmip5_years"])))


PUBLISHED_LAYOUT = Layout(Block("CMIP6", 15, 151), Block("CMIP5", 17, 140))  # 2265 + 2380 = 4645


def months_in_series(years: int) -> int:
    """Months covered by ``years`` overlapping 36-month windows (151 -> 1836, 140 -> 1704)."""
    return WINDOW_STRIDE * years + (WINDOW_MONTHS - WINDOW_STRIDE)


def crop_longitudes(field: np.ndarray) -> np.ndarray:
    """Keep Earthformer's longitudes 95..330 E: (..., 24, 72) -> (..., 24, 48) (a view)."""
    if field.shape[-2:] != GRID_SHAPE:
        raise ValueError(f"field: expected a (..., {GRID_SHAPE[0]}, {GRID_SHAPE[1]}) grid, got {field.shape}")
    first = int(np.searchsorted(LONGITUDES, CROP_LON_MIN))
    return field[..., first:first + CROPPED_SHAPE[1]]


def scale_sst(sst: np.ndarray) -> np.ndarray:
    """SST anomaly (degC) -> Earthformer's scaled units, (sst - SST_MIN) / (SST_MAX - SST_MIN)."""
    return (sst - SST_MIN) / (SST_MAX - SST_MIN)


def unscale_sst(scaled: np.ndarray) -> np.ndarray:
    """Inverse of :func:`scale_sst` (scaled units -> degC)."""
    return scaled * (SST_MAX - SST_MIN) + SST_MIN
