"""The Trainer: it learns, and a run stopped or killed at any point resumes to the same weights."""
from __future__ import annotations

import csv
import json
from dataclasses import replace

import pytest
import torch

from engine.models.checkpoint import load_checkpoint
from engine.models.earthformer.model import Earthformer
from engine.train import checkpoints as ckpt
from engine.train.loop import Trainer, state_hash

from .conftest import FAST, TINY

RESUMABLE = replace(FAST, accumulate=2, ema=True, ema_decay=0.9)  # 5 micro-batches -> 3 steps per epoch


def make_trainer(tiny_data, run_dir, config=FAST, resume=False, task=None):
    train, val, default_task = tiny_data
    torch.manual_seed(0)
    return Trainer(Earthformer(TINY), task or default_task, train, val, config, run_dir, resume=resume,
                   metadata={"preset": "tiny"}, progress=False)


def train_mse(model, dataset, task) -> float:
    model.eval()
    with torch.no_grad():
        batch = torch.stack([dataset[i] for i in range(len(dataset))])
        x, y = task.split(batch)
        return float(torch.mean((model(x) - y) ** 2))


def logged_steps(run_dir) -> list[int]:
    with open(run_dir / "train_log.csv", newline="") as fh:
        return [int(row["step"]) for row in csv.DictReader(fh)]


def test_a_tiny_earthformer_reduces_its_training_loss(tiny_data, tmp_path):
    train, _, task = tiny_data
    trainer = make_trainer(tiny_data, tmp_path, replace(FAST, epochs=3))
    before = train_mse(trainer.model, train, task)
    summary = trainer.fit()
    after = train_mse(trainer.model, train, task)
    assert summary["step"] == 15 and summary["reason"] == "finished"
    assert after < 0.5 * before, (before, after)
    history = json.loads((tmp_path / "metrics.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(-1 <= h["selection"] <= 0 and h["selection"] == -h["CSI-M"] for h in history)
    assert logged_steps(tmp_path) == list(range(1, 16))
    with open(tmp_path / "train_log.csv", newline="") as fh:  # each step logs the LR it used
        lrs = [float(row["lr"]) for row in csv.DictReader(fh)]
    assert lrs == pytest.approx([FAST.lr * trainer.schedule(s) for s in range(15)], rel=1e-5)
    best = load_checkpoint(tmp_path / ckpt.EXPORT_DIR)  # the exported best model is a normal checkpoint
    assert best.config == TINY


@pytest.fixture(scope="module")
def uninterrupted(tiny_data, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    return make_trainer(tiny_data, run_dir, RESUMABLE).fit(), run_dir


def test_a_time_budget_stop_inside_an_epoch_then_resume_equals_uninterrupted_training(tiny_data, tmp_path,
                                                                                       uninterrupted):
    reference, ref_dir = uninterrupted
    stopped = make_trainer(tiny_data, tmp_path, replace(RESUMABLE, max_minutes=1e-9)).fit()
    assert stopped["reason"].startswith("time budget") and (stopped["step"], stopped["micro_done"]) == (1, 2)
    resumed = make_trainer(tiny_data, tmp_path, RESUMABLE, resume=True).fit()
    assert resumed["step"] == reference["step"] == 6
    assert resumed["weights_sha256"] == reference["weights_sha256"]  # bitwise equal weights
    assert logged_steps(tmp_path) == logged_steps(ref_dir) == list(range(1, 7))
    ours, theirs = (json.loads((d / "metrics.json").read_text()) for d in (tmp_path, ref_dir))
    assert ours == theirs


def test_a_run_killed_after_a_checkpoint_resumes_to_the_same_weights(tiny_data, tmp_path, uninterrupted,
                                                                     monkeypatch):
    reference, _ = uninterrupted
    original = Trainer._optimizer_step

    def killed_at_step_5(self):
        if self.step == 4:  # inside epoch 2, after the end-of-epoch-1 checkpoint (step 3)
            raise KeyboardInterrupt("kill -9")
        return original(self)

    monkeypatch.setattr(Trainer, "_optimizer_step", killed_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        make_trainer(tiny_data, tmp_path, RESUMABLE).fit()
    monkeypatch.undo()
    assert ckpt.load_training_state(ckpt.checkpoint_path(tmp_path))["step"] == 3
    resumed = make_trainer(tiny_data, tmp_path, RESUMABLE, resume=True).fit()
    assert resumed["weights_sha256"] == reference["weights_sha256"]
    assert logged_steps(tmp_path) == list(range(1, 7))  # the killed run's step 4 row was dropped and redone


def test_resume_refuses_a_changed_schedule(tiny_data, tmp_path):
    make_trainer(tiny_data, tmp_path, replace(FAST, epochs=1, limit_train=2)).fit()
    with pytest.raises(ValueError, match="epochs/batch_size/seed"):
        make_trainer(tiny_data, tmp_path, replace(FAST, epochs=5, limit_train=2), resume=True)


class ConstantSelection:
    """The tiny task with a selection metric that never improves after the first validation."""

    def __init__(self, task):
        self.task = task
        self.selection = task.selection

    def __getattr__(self, name):
        return getattr(self.task, name)

    def compute(self, state):
        return {**self.task.compute(state), "selection": -0.5}


def test_early_stopping_ends_the_run_after_patience_validations_without_improvement(tiny_data, tmp_path):
    config = replace(FAST, epochs=6, patience=2, limit_train=2, limit_val=2)
    summary = make_trainer(tiny_data, tmp_path, config, task=ConstantSelection(tiny_data[2])).fit()
    assert summary["reason"].startswith("early stopping") and summary["epoch"] == 3
    history = json.loads((tmp_path / "metrics.json").read_text())
    assert [h["improved"] for h in history] == [True, False, False]
    assert summary["best_epoch"] == 1
    again = make_trainer(tiny_data, tmp_path, config, task=ConstantSelection(tiny_data[2]), resume=True).fit()
    assert again["reason"].startswith("early stopping") and again["step"] == summary["step"]


def test_the_ema_model_is_what_gets_validated_and_exported(tiny_data, tmp_path):
    trainer = make_trainer(tiny_data, tmp_path, replace(FAST, epochs=1, limit_train=4, ema=True, ema_decay=0.5))
    trainer.fit()
    exported = load_checkpoint(tmp_path / ckpt.EXPORT_DIR)
    shadow = trainer.ema.shadow
    for name, tensor in exported.state_dict().items():
        torch.testing.assert_close(tensor, shadow[name].to(tensor.dtype), rtol=0, atol=0)
    assert state_hash(exported) != state_hash(trainer.model)  # the raw weights differ from the average
