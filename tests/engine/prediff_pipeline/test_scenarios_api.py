"""The scenarios facade: sets listed from the model folders (broken ones as problems), windows, scores."""
from __future__ import annotations

import numpy as np
import pytest

from engine import api
from engine.metrics import crps_map

from .tiny import FRAME, T_IN, T_OUT, TRAIN_VALUES, save_tiny_set


@pytest.fixture
def model_dirs(tmp_path, monkeypatch):
    import engine.data.sources

    folder = tmp_path / "models"
    monkeypatch.setattr(engine.data.sources, "SHIPPED_MODELS_DIR", tmp_path / "no_shipped_models")
    monkeypatch.setenv("EFS_MODEL_DIRS", f"Test models={folder}")
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    return folder


def test_sets_in_the_model_folders_are_listed_and_broken_ones_reported(model_dirs):
    save_tiny_set(model_dirs / "tiny", pool=2)
    broken = save_tiny_set(model_dirs / "broken")
    (broken / "denoiser" / "model.safetensors").write_bytes(b"not safetensors")
    sets, problems = api.scenario_sets()
    assert [s.label for s in sets] == ["tiny"]
    tiny = sets[0]
    assert (tiny.frame_shape, tiny.context_frames, tiny.target_frames, tiny.pool) == ((FRAME, FRAME, 1), T_IN, T_OUT, 2)
    assert tiny.has_alignment and tiny.folder == "Test models"
    assert [p.path.name for p in problems] == ["broken"] and "unreadable safetensors" in problems[0].message
    assert api.scenario_set("tiny") == tiny
    with pytest.raises(ValueError, match=r"PreDiff set: expected one of \['tiny'\], got 'other'"):
        api.scenario_set("other")


def test_a_scenario_runs_from_an_event_window_at_the_sets_resolution(model_dirs):
    save_tiny_set(model_dirs / "tiny", pool=2)
    vil = np.random.default_rng(0).integers(0, 256, (T_IN + T_OUT + 2, 2 * FRAME, 2 * FRAME), dtype=np.uint8)
    context, observed = api.scenario_window(vil, 1, 2, T_IN, T_OUT)
    assert context.shape == (T_IN, FRAME, FRAME) and observed.shape == (T_OUT, FRAME, FRAME)
    assert observed[0, 0, 0] == pytest.approx(vil[1 + T_IN, :2, :2].max() / 255.0)
    forecaster = api.load_scenario_forecaster(api.scenario_set("tiny").path)
    anticipated, name = api.anticipated_forecast(context, T_OUT)
    assert name == "persistence" and np.array_equal(anticipated[1], context[-1])
    result = api.run_scenario(forecaster, context, members=3, steps=3, n_sigma=1.0, anticipated=anticipated)
    assert result.frames.shape == (3, T_OUT, FRAME, FRAME) and result.intensity.shape == (3, T_OUT)
    assert result.mu == pytest.approx(float(anticipated.mean()))
    assert result.target == pytest.approx(result.mu + result.sigma)
    assert result.training_max == pytest.approx(TRAIN_VALUES[-1])  # the most intense training future
    with pytest.raises(ValueError, match="window start: expected a frame in 0..2, got 3"):
        api.scenario_window(vil, 3, 2, T_IN, T_OUT)


def test_the_crps_of_one_member_equals_its_mae():
    rng = np.random.default_rng(1)
    member, observed = rng.random((1, T_OUT, 8, 8)), rng.random((T_OUT, 8, 8))
    scores = api.scenario_scores(member, observed)
    assert scores["CRPS"] == pytest.approx(scores["MAE"]) and scores["MAE"] == pytest.approx(np.abs(member[0] - observed).mean())


def test_ensemble_crps_matches_the_brute_force_estimator():
    rng = np.random.default_rng(2)
    ens, obs = rng.random((5, T_OUT, 4, 4)), rng.random((T_OUT, 4, 4))
    brute = np.abs(ens - obs).mean(0) - np.abs(ens[:, None] - ens[None]).mean((0, 1)) / 2
    assert api.scenario_scores(ens, obs)["CRPS"] == pytest.approx(brute.mean())
    assert np.allclose(crps_map(ens, obs), brute)


def test_exceedance_map_is_the_share_of_members_at_or_above_the_pixel_threshold():
    frames = np.stack([np.full((1, 2, 2), v / 255.0) for v in (10, 74, 200, 74)])
    assert np.allclose(api.exceedance_map(frames, 74), 0.75)
