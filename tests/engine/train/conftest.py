"""Tiny training fixtures: a 16 x 16, 13-frame SEVIR-format dataset and a tiny Earthformer.

The dataset comes from the format-level writer of the data tests (independent of the engine's
writer); three events fall in the train split and two in validation. Windows of 5 frames
(3 in, 2 out) with stride 4 give 9 training and 6 validation samples of (5, 8, 8, 1) after
2 x 2 max pooling.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from engine.models.earthformer.config import EarthformerConfig
from engine.train.config import TrainConfig
from engine.train.data import DataSpec, build_datasets, resolve_spec
from engine.train.tasks import task_for
from tests.engine.data.conftest import write_sevir

TINY = EarthformerConfig(input_shape=(3, 8, 8, 1), target_shape=(2, 8, 8, 1), base_units=16, num_heads=2,
                         num_global_vectors=2, enc_depth=(1,), dec_depth=(1,))
TINY_NO_DROPOUT = replace(TINY, attn_drop=0.0, proj_drop=0.0, ffn_drop=0.0)
FAST = TrainConfig(epochs=2, batch_size=2, lr=3e-3, warmup_percentage=0.2, checkpoint_minutes=0.0, patience=0)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    return write_sevir(tmp_path_factory.mktemp("train") / "sevir", size=16, frames=13).root


@pytest.fixture(scope="session")
def tiny_spec(tiny_root) -> DataSpec:
    return resolve_spec(DataSpec(root=str(tiny_root), stride=4), TINY.input_shape, TINY.target_shape)


@pytest.fixture(scope="session")
def tiny_data(tiny_spec):
    """(train, val, task) of the tiny dataset."""
    train, val = build_datasets(tiny_spec)
    return train, val, task_for(tiny_spec)


@pytest.fixture
def tiny_model_json(tmp_path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"family": "earthformer", "config": TINY.to_dict()}))
    return path


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models run an order of magnitude faster on one thread on a shared 2-core machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
