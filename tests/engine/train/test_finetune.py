"""Two-stage demo recipes: intensity-weighted MSE (``threshold_weights``) and ``--init``."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from engine.cli import main
from engine.models.checkpoint import load_checkpoint, save_checkpoint
from engine.train.checkpoints import checkpoint_path, load_training_state
from engine.train.config import ObjectiveConfig
from engine.train.loop import state_hash
from engine.train.objectives.supervised import Supervised, threshold_weight_map
from engine.train.run import initialise_from
from engine.train.setup import build_model
from engine.train.tasks import EnsoTask

from .conftest import TINY

WEIGHTS = (2.0, 5.0, 10.0, 20.0, 30.0, 30.0)


def test_each_pixel_weighs_the_weight_of_the_highest_threshold_it_reaches():
    thresholds = (16.0, 74.0, 133.0, 160.0, 181.0, 219.0)
    levels = torch.tensor([0, 15, 16, 73, 74, 132, 133, 159, 160, 180, 181, 218, 219, 255], dtype=torch.float64)
    target = (levels / 255.0).reshape(2, 7)
    weights = (2.0, 3.0, 4.0, 5.0, 6.0, 7.0)

    def by_hand(level: float) -> float:
        reached = [w for t, w in zip(thresholds, weights) if level >= t]
        return reached[-1] if reached else 1.0

    expected = torch.tensor([by_hand(v) for v in levels.tolist()], dtype=torch.float64).reshape(2, 7)
    assert torch.equal(threshold_weight_map(target, thresholds, weights), expected)


def test_weighted_loss_is_the_weighted_mean_and_unit_weights_give_plain_mse(tiny_data):
    train, _, task = tiny_data
    batch = torch.stack([train[i] for i in range(3)])
    model = build_model("earthformer", TINY, seed=0).eval()  # no dropout: equal outputs per call

    def loss(weights):
        return Supervised(task, weights).loss(model, batch, 0, lambda: torch.autocast("cpu", enabled=False))

    x, y = task.split(batch)
    with torch.no_grad():
        pred = model(x)
        weighted = (threshold_weight_map(y, task.thresholds, WEIGHTS) * (pred - y) ** 2).mean()
        assert torch.allclose(loss(WEIGHTS), weighted)
        assert torch.allclose(loss((1.0,) * 6), F.mse_loss(pred, y))
        assert torch.equal(loss(()), F.mse_loss(pred, y))
        assert (y >= 16 / 255).any() and loss(WEIGHTS) > loss(())  # the test data has rain to weigh


def test_weights_need_one_per_threshold_positive_values_and_a_storm_task(tiny_data):
    _, _, task = tiny_data
    with pytest.raises(ValueError, match=r"threshold_weights: expected one weight per threshold .* got 2"):
        Supervised(task, (2.0, 3.0))
    with pytest.raises(ValueError, match="threshold_weights: expected a task with VIL thresholds"):
        Supervised(EnsoTask(), WEIGHTS)
    with pytest.raises(ValueError, match="objective threshold_weights: expected positive weights"):
        ObjectiveConfig(threshold_weights=(1.0, 0.0, 1.0, 1.0, 1.0, 1.0))


def test_init_loads_the_saved_weights_and_refuses_another_configuration(tmp_path):
    saved = build_model("earthformer", TINY, seed=1)
    save_checkpoint(saved, tmp_path / "saved")
    model = build_model("earthformer", TINY, seed=2)
    assert state_hash(model) != state_hash(saved)
    record = initialise_from(model, "earthformer", TINY, str(tmp_path / "saved"))
    assert state_hash(model) == state_hash(saved) == record["weights_sha256"]
    with pytest.raises(ValueError, match=r"--init .*saved: expected this run's earthformer configuration"):
        initialise_from(model, "earthformer", replace(TINY, base_units=8), str(tmp_path / "saved"))
    with pytest.raises(ValueError, match=r"--init .*saved: expected a unet model, got a earthformer model"):
        initialise_from(model, "unet", TINY, str(tmp_path / "saved"))
    with pytest.raises(ValueError, match=r"--init .*nothing: checkpoint: expected"):
        initialise_from(model, "earthformer", TINY, str(tmp_path / "nothing"))


def _recipe(tmp_path, tiny_model_json) -> str:
    path = tmp_path / "weighted.yaml"
    path.write_text(f"model: {tiny_model_json}\n"
                    f"objective: {{threshold_weights: {list(WEIGHTS)}}}\n"
                    "train: {epochs: 2, batch_size: 2, lr: 3.0e-3, patience: 0, checkpoint_minutes: 0.0}\n")
    return str(path)


def test_a_weighted_fine_tune_records_its_start_and_loss_and_resumes(tiny_root, tiny_model_json, tmp_path, capsys):
    data = ["--data", "sevir", "--root", str(tiny_root), "--stride", "4", "--val-stride", "4",
            "--limit-train", "4", "--limit-val", "2", "--no-progress"]
    assert main(["train", "--model", str(tiny_model_json), "--out", str(tmp_path / "first"), "--epochs", "1",
                 *data]) == 0
    start = tmp_path / "first" / "best"
    second = ["train", "--recipe", _recipe(tmp_path, tiny_model_json), "--out", str(tmp_path / "second"),
              "--init", str(start), *data]
    assert main([*second, "--max-minutes", "1e-9"]) == 0  # stops after its first epoch
    run = json.loads((tmp_path / "second" / "run.json").read_text())
    assert run["init"] == {"path": str(start), "weights_sha256": state_hash(load_checkpoint(start))}
    assert run["objective"]["threshold_weights"] == list(WEIGHTS)
    assert main([*second, "--resume", "--max-minutes", "0"]) == 0
    assert "finished: epoch 2" in capsys.readouterr().out
    state = load_training_state(checkpoint_path(tmp_path / "second"))
    assert state["metadata"]["init"] == run["init"]  # still known after the resume
    with pytest.raises(SystemExit):
        main([*second[:-len(data) - 2], "--init", str(tmp_path / "other"), *data, "--resume"])
    assert "init (checkpoint" in capsys.readouterr().err
