"""The torch dataset yields Earthformer's ENSO windows: shapes, scaling and Nino3.4 target alignment."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.data.enso.dataset import IcarEnsoWindows
from engine.data.enso.format import scale_sst
from engine.data.enso.nino import nino34_from_scaled
from engine.data.enso.reader import IcarEnso
from engine.data.enso.windows import WindowSpec, window_counts


def test_items_have_the_published_shapes_and_dtype(enso_dir):
    data = IcarEnsoWindows(enso_dir, "test")
    context, target, nino = data[0]
    assert context.shape == (12, 24, 48, 1) and target.shape == (14, 24, 48, 1) and nino.shape == (12,)
    assert context.dtype == target.dtype == nino.dtype == torch.float32
    batch = next(iter(DataLoader(data, batch_size=4)))
    assert [tuple(t.shape) for t in batch] == [(4, 12, 24, 48, 1), (4, 14, 24, 48, 1), (4, 12)]


@pytest.mark.parametrize("split", ["train", "val", "test", "soda"])
def test_length_is_the_window_count_of_the_split(enso_dir, split):
    store = IcarEnso(enso_dir)
    assert len(IcarEnsoWindows(store, split)) == window_counts(store.models)[split]


def test_windows_are_consecutive_scaled_months_and_labels_of_months_12_to_23(enso_dir):
    store = IcarEnso(enso_dir)
    data = IcarEnsoWindows(store, "val")
    series = store.load("CMIP5-02")
    for i in (0, 7, len(data) - 1):
        name, start = data.window(i)
        context, target, nino = data[i]
        assert name == "CMIP5-02" and start == i
        expect = scale_sst(series.sst[start:start + 26]).astype(np.float32)[..., None]
        assert np.array_equal(torch.cat([context, target]).numpy(), expect)
        assert np.array_equal(nino.numpy(), series.nino[start + 12:start + 24])
        # lead l target = running mean of output months l-1..l+1 of the (unscaled) forecast window
        np.testing.assert_allclose(nino34_from_scaled(target.numpy()), nino.numpy(), atol=1e-5)


def test_stride_and_model_selection(enso_dir):
    data = IcarEnsoWindows(enso_dir, models=["CMIP6-02", "SODA"], spec=WindowSpec(stride=12))
    assert [data.window(i) for i in range(len(data))] == [
        ("CMIP6-02", s) for s in range(0, 59, 12)] + [("SODA", s) for s in range(0, 47, 12)]


def test_too_long_windows_are_rejected(enso_dir):
    with pytest.raises(ValueError, match="expected series of at least 100 months"):
        IcarEnsoWindows(enso_dir, "soda", spec=WindowSpec(in_months=50, out_months=50))


def test_scaled_forecasts_of_the_wrong_layout_are_rejected():
    with pytest.raises(ValueError, match=r"expected one channel \(\.\.\., T, 24, 48, 1\), got shape \(2, 14, 24, 48\)"):
        nino34_from_scaled(np.zeros((2, 14, 24, 48)))
