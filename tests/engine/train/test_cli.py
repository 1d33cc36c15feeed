"""``python -m engine train``: an end-to-end run with its logs, resume, and one-line errors."""
from __future__ import annotations

import json

import pytest
import torch

from engine.cli import main
from engine.forecast import Forecaster

from .conftest import TINY


def train(*args: str) -> int:
    return main(["train", "--no-progress", *args])


def error_line(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        train(*args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_a_cli_run_writes_logs_and_a_loadable_best_model_and_resumes(tiny_root, tiny_model_json, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--model", str(tiny_model_json), "--data", "sevir", "--root", str(tiny_root), "--out", str(out),
              "--stride", "4", "--val-stride", "4", "--epochs", "2", "--batch-size", "2", "--accumulate", "2", "--limit-train", "4",
              "--limit-val", "2", "--max-minutes", "1e-9"]
    assert train(*common) == 0
    assert "time budget" in capsys.readouterr().out
    assert train(*common[:-2], "--resume", "--max-minutes", "0", "--num-workers", "0") == 0
    assert "finished: epoch 2, step 2" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["environment"]["torch"] == torch.__version__ and run["environment"]["world_size"] == 1
    assert run["data"]["pool"] == 2 and run["data"]["in_len"] == 3 and run["samples"] == {"train": 9, "val": 6}
    assert run["train"]["accumulate"] == 2 and run["train"]["total_batch_size"] is None
    assert len(run["resumes"]) == 1
    assert [m["epoch"] for m in json.loads((out / "metrics.json").read_text())] == [1, 2]
    header = (out / "train_log.csv").read_text().splitlines()[0]
    assert header == "step,epoch,loss,lr,grad_norm,samples_per_s,elapsed_s"
    forecaster = Forecaster.from_checkpoint(out / "best", device="cpu")
    assert forecaster.config == TINY
    assert forecaster.predict(torch.rand(1, *TINY.input_shape).numpy()).shape == (1, *TINY.target_shape)
    err = error_line(capsys, *common[:-2], "--resume", "--epochs", "7")
    assert "epochs (checkpoint 2, asked 7)" in err
    err = error_line(capsys, *common[:-2])
    assert "pass --resume" in err


@pytest.mark.parametrize("args, message", [
    (["--model", "nosuch"], "--model: expected a model preset"),
    (["--recipe", "nosuch"], "unknown training recipe 'nosuch'"),
    (["--pool", "1"], "data/model mismatch: the model expects inputs (T, H, W, C) = (3, 8, 8, 1), the data gives (3, 16, 16, 1)"),
    (["--out-len", "3"], "data/model mismatch: the model predicts"),
    (["--resume"], "--resume: expected a checkpoint at"),
])
def test_bad_input_is_one_line_and_exit_code_2(tiny_root, tiny_model_json, tmp_path, capsys, args, message):
    base = {"--model": str(tiny_model_json), "--data": "sevir", "--root": str(tiny_root), "--out": str(tmp_path / "r")}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    flat = [x for kv in base.items() for x in kv] + [a for a in args if a == "--resume"]
    assert message in error_line(capsys, *flat, "--stride", "4")


def test_missing_data_is_one_line(tiny_model_json, tmp_path, capsys):
    err = error_line(capsys, "--model", str(tiny_model_json), "--data", "sevir", "--root", str(tmp_path / "none"),
                     "--out", str(tmp_path / "r"))
    assert "expected a dataset directory at" in err
