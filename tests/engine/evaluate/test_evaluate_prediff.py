"""``evaluate`` scores a PreDiff set as an ensemble: its CRPS equals the CRPS of the same samples
drawn by hand through the pipeline, and a set without ``--members`` is one clear error."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.evaluation import EvalRequest, evaluate
from engine.evaluation.windows import sevir_windows
from engine.metrics.ensemble import crps_map
from engine.prediff import PreDiffForecaster, PreDiffModels
from tests.engine.prediff_pipeline.tiny import FRAME, T_IN, T_OUT, save_tiny_set


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    return save_tiny_set(tmp_path_factory.mktemp("sets") / "tiny_prediff")


def test_a_prediff_set_is_scored_as_an_ensemble_of_its_own_samples(sevir_root, tiny_set, tmp_path, capsys):
    out = tmp_path / "scores.json"
    code = main(["evaluate", "--data", "sevir", "--root", str(sevir_root.root), "--split", "test", "--quiet",
                 "--limit", "3", "--batch-size", "2", "--members", "2", "--seed", "5",
                 "--model", str(tiny_set), "--model", "persistence", "--json", str(out)])
    assert code == 0 and "tiny_prediff" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert (result["t_in"], result["t_out"], result["frame"]) == (T_IN, T_OUT, [FRAME, FRAME])
    row = result["models"]["tiny_prediff"]
    assert row["family"] == "prediff" and row["members"] == 2
    # The same windows sampled by hand: batch k draws its noise from seed 5 + k.
    windows = sevir_windows(sevir_root.root, "test", T_IN, T_OUT, FRAME, "none", None, "resolution")
    forecaster = PreDiffForecaster(PreDiffModels.from_directory(tiny_set))
    scores, preds = [], []
    for k, (context, target, _) in enumerate(windows.batches(3, 2)):
        frames = forecaster.sample(torch.as_tensor(context), members=2, seed=5 + k).frames.numpy()
        preds.append(frames)
        scores.append(crps_map(frames[..., 0].astype(np.float64), target[..., 0].astype(np.float64)))
    by_hand = np.concatenate([s.reshape(-1) for s in scores]).mean()
    assert row["all"]["CRPS"] == pytest.approx(by_hand, rel=1e-5)
    mae = np.concatenate([np.abs(p.mean(0) - t).reshape(-1) for p, (_, t, _) in
                          zip(preds, windows.batches(3, 2))]).mean()
    assert row["all"]["CRPS"] <= row["all"]["MAE"] + 1e-12 and row["all"]["MAE"] == pytest.approx(mae, rel=1e-5)


def test_a_prediff_set_without_members_is_refused(sevir_root, tiny_set):
    with pytest.raises(ValueError, match="expected --members M"):
        evaluate(EvalRequest("sevir", (str(tiny_set),), sevir_root.root, split="test", limit=1))


def test_a_prediff_set_is_refused_for_enso(sinusoid_enso, tiny_set):
    with pytest.raises(ValueError, match="PreDiff set \\(sevir\\)"):
        evaluate(EvalRequest("icar-enso", (str(tiny_set),), sinusoid_enso, split="test", members=2))
