"""Tasks: batches split into input and target; validation states merge exactly across processes
(what the distributed all-reduce relies on); ENSO training selects on -C-Nino3.4-M."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from engine.data.synthetic_enso import make_synthetic
from engine.metrics.categorical import CategoricalScores
from engine.models.earthformer.model import Earthformer
from engine.models.earthformer.presets import ICAR_ENSO
from engine.train.data import DataSpec, build_datasets, resolve_spec
from engine.train.loop import Trainer
from engine.train.tasks import EnsoTask, SevirTask, task_for
from tests.engine.enso.conftest import TINY as ENSO_TINY

from .conftest import FAST, TINY

ENSO_MODEL = replace(ICAR_ENSO, base_units=16, num_heads=2, enc_depth=(1,), dec_depth=(1,))


def test_sevir_batches_split_into_the_first_and_following_frames():
    batch = torch.arange(2 * 5).reshape(2, 5, 1, 1, 1).float()
    x, y = SevirTask(3, 2).split(batch)
    assert x[:, :, 0, 0, 0].tolist() == [[0, 1, 2], [5, 6, 7]] and y[:, :, 0, 0, 0].tolist() == [[3, 4], [8, 9]]


def test_sevir_scores_merged_from_two_shards_equal_the_scores_of_all_samples():
    torch.manual_seed(0)
    task = SevirTask(3, 2)
    batch, pred = torch.rand(6, 5, 8, 8, 1), torch.rand(6, 2, 8, 8, 1)
    whole = task.compute(task.accumulate(task.init(), pred, batch))
    a = task.accumulate(task.init(), pred[:2], batch[:2])
    b = task.accumulate(task.init(), pred[2:], batch[2:])
    merged = task.compute(task.merge(a, b))
    assert merged == pytest.approx(whole, rel=1e-12)
    direct = CategoricalScores(scale=1.0)(pred[..., 0].numpy(), batch[:, 3:, ..., 0].numpy())
    assert whole["CSI-M"] == pytest.approx(float(direct["CSI-M"])) and whole["selection"] == -whole["CSI-M"]
    assert whole["MSE"] == pytest.approx(float(((pred - batch[:, 3:]) ** 2).mean()), rel=1e-6)


@pytest.fixture(scope="module")
def enso_data(tmp_path_factory):
    root = make_synthetic(tmp_path_factory.mktemp("enso"), ENSO_TINY)
    spec = resolve_spec(DataSpec(kind="icar_enso", root=str(root)), ENSO_MODEL.input_shape, ENSO_MODEL.target_shape)
    train, val = build_datasets(spec)
    return train, val, task_for(spec)


def test_enso_scores_merge_exactly_and_select_on_minus_c_nino34_m(enso_data):
    _, val, task = enso_data
    assert isinstance(task, EnsoTask)
    batch = [torch.stack(items) for items in zip(*(val[i] for i in range(8)))]
    pred = batch[1] + 0.01 * torch.randn_like(batch[1])
    whole = task.compute(task.accumulate(task.init(), pred, batch))
    halves = [task.accumulate(task.init(), pred[s], [b[s] for b in batch]) for s in (slice(0, 3), slice(3, 8))]
    assert task.compute(task.merge(*halves)) == pytest.approx(whole, rel=1e-9)
    assert whole["selection"] == -whole["C-Nino3.4-M"] and whole["C-Nino3.4-M"] > 0.9  # near-perfect forecast


def test_an_enso_model_trains_and_validates_on_icar_enso_windows(enso_data, tmp_path):
    train, val, task = enso_data
    torch.manual_seed(0)
    config = replace(FAST, epochs=1, batch_size=4, limit_train=8, limit_val=8)
    summary = Trainer(Earthformer(ENSO_MODEL), task, train, val, config, tmp_path, progress=False).fit()
    assert summary["step"] == 2
    entry = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["history"][0]
    assert entry["selection"] == -entry["C-Nino3.4-M"] and -1 <= entry["C-Nino3.4-M"] <= 1


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_low_precision_autocast_trains_on_cpu(tiny_data, tmp_path, precision):
    from .conftest import TINY

    train, val, task = tiny_data
    torch.manual_seed(0)
    config = replace(FAST, epochs=1, limit_train=4, limit_val=2, precision=precision)
    summary = Trainer(Earthformer(TINY), task, train, val, config, tmp_path, progress=False).fit()
    assert summary["step"] == 2 and summary["best_selection"] is not None


def test_validation_keeps_the_evaluate_windows_when_training_windows_are_denser(tiny_root):
    spec = resolve_spec(DataSpec(root=str(tiny_root), stride=1), TINY.input_shape, TINY.target_shape)
    assert (spec.stride, spec.val_stride) == (1, TINY.target_shape[0])
    train, val = build_datasets(spec)
    denser = build_datasets(replace(spec, val_stride=1))[1]
    # 13-frame events, 5-frame windows: 9 starts per event every frame, 5 every 2 frames (T_out)
    assert len(denser) * 5 == len(val) * 9 and len(train) % 9 == 0
