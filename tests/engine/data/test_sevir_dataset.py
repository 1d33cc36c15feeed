"""Sequence windows, SEVIR-LR and the torch Dataset, checked against brute-force loops."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.data import transforms
from engine.data.sevir import SevirStore
from engine.data.sevir.dataset import SequenceSpec, SevirSequences
from engine.data.sevir.lr import write_lr_copy

from .conftest import SPLITS


def _brute_max_pool(x, k):
    t, h, w = x.shape
    out = np.zeros((t, h // k, w // k), x.dtype)
    for a in range(t):
        for i in range(h // k):
            for j in range(w // k):
                out[a, i, j] = max(x[a, i * k + di, j * k + dj] for di in range(k) for dj in range(k))
    return out


def test_earthformer_windows_are_0_24_12_36_24_48():
    starts = transforms.window_starts(49, 25, 12)
    assert starts == [0, 12, 24] and [s + 24 for s in starts] == [24, 36, 48]
    assert transforms.window_starts(25, 13, 6) == [0, 6, 12] and transforms.window_starts(10, 25, 12) == []
    with pytest.raises(ValueError, match="stride"):
        transforms.window_starts(49, 25, 0)


def test_sevir_lr_equals_a_brute_force_loop():
    x = np.random.default_rng(0).integers(0, 255, size=(7, 12, 9), dtype=np.uint8)
    assert np.array_equal(transforms.sevir_lr(x), _brute_max_pool(x[::2], 3))
    assert transforms.sevir_lr(np.zeros((49, 384, 384), np.uint8)).shape == (25, 128, 128)


def test_max_pool_rejects_sizes_it_does_not_divide():
    assert np.array_equal(transforms.max_pool_hw(np.arange(16).reshape(1, 4, 4), 2), [[[5, 7], [13, 15]]])
    with pytest.raises(ValueError, match=r"pool factor 5: expected it to divide the frame size, got 48 x 48"):
        transforms.max_pool_hw(np.zeros((2, 48, 48)), 5)


def test_layout_conversions_are_inverse_transposes():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)  # (N, H, W, T)
    nthw = transforms.nhwt_to_nthw(x)
    assert nthw.shape == (2, 5, 3, 4) and nthw[1, 4, 2, 3] == x[1, 2, 3, 4]
    assert np.array_equal(transforms.nthw_to_nhwt(nthw), x)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_dataset_counts_three_windows_per_event_of_the_split(tiny_sevir, split):
    ds = SevirSequences(tiny_sevir.root, SequenceSpec(split=split))
    n_events = sum(1 for s in SPLITS.values() if s == split)
    assert len(ds) == 3 * n_events
    assert [s for _, s in ds.items[:3]] == [0, 12, 24]


def test_items_are_scaled_windows_with_a_channel_axis(tiny_sevir):
    ds = SevirSequences(SevirStore(tiny_sevir.root), SequenceSpec(split="train"))
    eid, start = ds.items[4]
    item = ds[4]
    assert item.dtype == torch.float32 and item.shape == (25, 48, 48, 1)
    assert 0.0 <= float(item.min()) and float(item.max()) <= 1.0
    expected = tiny_sevir.expected(eid)[start:start + 25] / np.float32(255)
    np.testing.assert_allclose(item[..., 0].numpy(), expected, rtol=0, atol=1e-7)
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch.shape == (4, 25, 48, 48, 1)  # (B, T, H, W, C)


def test_lr_and_pooling_options(tiny_sevir):
    lr = SevirSequences(tiny_sevir.root, SequenceSpec(split="val", seq_len=13, stride=6, downsampling="lr"))
    assert len(lr) == 2 * 3 and lr[0].shape == (13, 16, 16, 1)
    eid, start = lr.items[1]
    expected = _brute_max_pool(tiny_sevir.expected(eid)[::2], 3)[start:start + 13] / np.float32(255)
    np.testing.assert_allclose(lr[1][..., 0].numpy(), expected, atol=1e-7)
    pooled = SevirSequences(tiny_sevir.root, SequenceSpec(split="test", pool=4))
    assert pooled[0].shape == (25, 12, 12, 1)


def test_bad_spec_and_unknown_events_are_named(tiny_sevir):
    with pytest.raises(ValueError, match="downsampling: expected 'none' or 'lr', got 'half'"):
        SequenceSpec(downsampling="half")
    with pytest.raises(ValueError, match="split"):
        SequenceSpec(split="training")
    with pytest.raises(ValueError, match="event_ids: S103 not among the 3 events of split train"):
        SevirSequences(tiny_sevir.root, SequenceSpec(split="train"), event_ids=["S103"])


def test_lr_copy_reads_back_equal_to_on_the_fly_lr(tiny_sevir, tmp_path):
    result = write_lr_copy(tiny_sevir.root, tmp_path / "lr")
    assert result["events"] == 6 and not result["skipped"]
    copy = SevirStore(tmp_path / "lr")
    assert copy.ids == SevirStore(tiny_sevir.root).ids
    for eid in copy.ids:
        assert np.array_equal(copy.read_vil(eid), transforms.sevir_lr(tiny_sevir.expected(eid)))
    row = copy.row("S100")
    assert row["size_x"] == 16 and row["minute_offsets"].startswith("-120:-110:") and row["split"] == "train"
    on_the_fly = SevirSequences(tiny_sevir.root, SequenceSpec(split=None, seq_len=13, stride=6, downsampling="lr"))
    from_copy = SevirSequences(copy, SequenceSpec(split=None, seq_len=13, stride=6))
    assert len(on_the_fly) == len(from_copy) == 18
    assert torch.equal(on_the_fly[7], from_copy[7])
