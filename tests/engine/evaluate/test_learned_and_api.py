"""Learned baselines follow the baseline call contract; the app's verification facade is plain numpy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import api
from engine.baselines import persistence
from engine.baselines.learned import learned_baseline
from engine.metrics.suites import sevir_scores
from engine.models.checkpoint import save_checkpoint
from engine.models.convlstm.config import ConvLSTMConfig
from engine.models.convlstm.model import ConvLSTM
from engine.models.unet.config import UNetConfig
from engine.models.unet.model import UNet

SHAPES = dict(input_shape=(4, 16, 16, 1), target_shape=(3, 16, 16, 1))


@pytest.fixture(scope="module", params=["unet", "convlstm"])
def checkpoint(request, tmp_path_factory):
    torch.manual_seed(0)
    model = (UNet(UNetConfig(**SHAPES, base_channels=4, depth=1)) if request.param == "unet"
             else ConvLSTM(ConvLSTMConfig(**SHAPES, stem_channels=4, stem_stride=2, hidden_channels=(4,))))
    return save_checkpoint(model.eval(), tmp_path_factory.mktemp("ck") / request.param), model.eval()


def test_a_checkpoint_forecasts_like_a_baseline(checkpoint):
    directory, model = checkpoint
    context = np.random.default_rng(0).random((4, 16, 16)).astype(np.float32)
    forecast = learned_baseline(directory)
    with torch.no_grad():
        direct = model(torch.from_numpy(context)[None, ..., None])[0, ..., 0].numpy()
    same = dict(rtol=1e-5, atol=1e-7)  # convolution kernels may differ with the batch size
    np.testing.assert_allclose(forecast(context, 3), direct, **same)
    np.testing.assert_allclose(forecast(context, 2), direct[:2], **same)
    assert forecast(context[..., None], 3).shape == (3, 16, 16, 1)
    np.testing.assert_allclose(forecast.batch(np.stack([context, context]))[1], direct, **same)
    np.testing.assert_allclose(api.run_learned_baseline(directory, context, 3), direct, **same)


def test_a_learned_baseline_refuses_more_steps_or_another_shape(checkpoint):
    forecast = learned_baseline(checkpoint[0])
    with pytest.raises(ValueError, match=r"n_steps: expected 1\.\.3 .*got 4"):
        forecast(np.zeros((4, 16, 16), np.float32), 4)
    with pytest.raises(ValueError, match=r"input: expected an array of shape \(N, 4, 16, 16, 1\)"):
        forecast(np.zeros((5, 16, 16), np.float32), 3)


def test_facade_baselines_match_the_registry_and_list_per_data():
    context = np.random.default_rng(1).random((5, 32, 32)) * 255
    np.testing.assert_array_equal(api.run_baseline("persistence", context, 4), persistence(context, 4))
    assert api.run_baseline("steps", context, 2, members=2).shape == (2, 2, 32, 32)
    assert api.baseline_names("sevir") == ["persistence", "optical_flow", "steps"]
    assert "climatology" in api.baseline_names("icar-enso")
    with pytest.raises(ValueError, match="members: expected an ensemble size for steps"):
        api.run_baseline("steps", context, 2)
    assert api.run_baseline("optical_flow", context[:, :16, :16], 2).shape == (2, 16, 16)  # fewer pyramid levels
    with pytest.raises(ValueError, match="data: expected one of sevir, icar-enso"):
        api.baseline_names("mnist")


def test_facade_scores_equal_the_metric_suites():
    rng = np.random.default_rng(2)
    obs, pred = rng.random((2, 3, 16, 16)) * 255, rng.random((2, 3, 16, 16)) * 255
    got, want = api.score_sevir(pred, obs), sevir_scores(pred, obs)
    np.testing.assert_array_equal(got["all"]["CSI"], want["all"]["CSI"])
    assert api.score_sevir(obs, obs)["all"]["MSE"] == 0.0
    series = rng.normal(size=(40, 12))  # degC-sized anomalies: the papers' eps 1e-6 is negligible
    assert api.score_enso(series, series)["C-Nino3.4-M"] == pytest.approx(1.0, abs=1e-6)


def test_facade_evaluation_reports_progress_and_every_row(sevir_root, monkeypatch):
    monkeypatch.setenv("EFS_SEVIR_ROOTS", f"tiny={sevir_root.root}")
    seen = []
    result = api.evaluate_forecaster(["persistence", "optical_flow"], source="tiny", split="val", limit=3,
                                     progress=lambda fraction, message: seen.append(fraction))
    assert list(result["models"]) == ["persistence", "optical_flow"] and result["n_windows"] == 3
    assert seen[-1] == 1.0
