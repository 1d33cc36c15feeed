"""Tiny data for evaluation tests: the SEVIR-format writer of tests/engine/data and a constructed
ICAR-ENSO directory whose Nino3.4 is a pure sinusoid (so persistence skill has a closed form)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data.enso.format import CMIP_LABEL, CMIP_TRAIN, GRID_SHAPE, Block, Layout
from engine.data.synthetic_enso import ModelRun, run_months, write_pair
from engine.data.synthetic_enso.writer import dataset_attrs
from tests.engine.data.conftest import EVENTS, write_sevir
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse: small models, one thread)

PERIOD = 24  # months of the constructed oscillation
ENSO_YEARS = 5  # samples per model: 84 months, 59 windows of 12 + 14 months


@pytest.fixture(scope="session")
def sevir_root(tmp_path_factory):
    """Six 49 x 48 x 48 events: 3 train, 2 val (6 windows of 25 frames), 1 test (3 windows)."""
    return write_sevir(tmp_path_factory.mktemp("sevir") / "sevir", EVENTS, size=48, frames=49)


@pytest.fixture(scope="session")
def sinusoid_enso(tmp_path_factory):
    """CMIP files (2 CMIP6 + 3 CMIP5 models) whose SST anomaly is sin(2 pi m / PERIOD) everywhere."""
    out = tmp_path_factory.mktemp("enso")
    months = run_months(ENSO_YEARS)
    wave = np.sin(2 * np.pi * np.arange(months) / PERIOD).astype(np.float32)
    sst = np.broadcast_to(wave[:, None, None], (months, *GRID_SHAPE)).copy()
    zeros = np.zeros_like(sst)
    run = ModelRun(sst=sst, t300=zeros, ua=zeros, va=zeros, t_east=wave, h_west=wave)
    layout = Layout(Block("CMIP6", 2, ENSO_YEARS), Block("CMIP5", 3, ENSO_YEARS))
    write_pair(out / CMIP_TRAIN, out / CMIP_LABEL, [run] * 5, [ENSO_YEARS] * 5,
               dataset_attrs("CMIP", 0, layout.as_attrs()))
    return out
