"""Checkpoints round-trip, foreign weights load safely, and bad input gets one clear message."""
from __future__ import annotations

import json
import pickle
import re

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.forecast import Forecaster
from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.earthformer.config import EarthformerConfig
from engine.models.earthformer.convert import LIGHTNING_PREFIX, read_foreign_weights
from engine.models.earthformer.model import Earthformer

TINY = EarthformerConfig(input_shape=(3, 8, 8, 1), target_shape=(2, 8, 8, 1), base_units=16, num_global_vectors=2,
                         initial_downsample_scale=(1, 2, 2), final_upsample_conv_layers=1)


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return Earthformer(TINY).eval()


def test_save_then_load_gives_the_same_model_and_outputs(tmp_path, tiny_model):
    save_checkpoint(tiny_model, tmp_path / "ck", metadata={"note": "test"})
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["config.json", "model.safetensors"]
    family, config, metadata = read_config(tmp_path / "ck")
    assert (family, config, metadata) == ("earthformer", TINY, {"note": "test"})
    loaded = load_checkpoint(tmp_path / "ck")
    x = torch.rand(2, *TINY.input_shape)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), tiny_model(x), rtol=0, atol=0)


def test_a_checkpoint_of_another_configuration_names_the_mismatched_keys(tmp_path, tiny_model):
    save_checkpoint(tiny_model, tmp_path / "ck")
    document = json.loads((tmp_path / "ck" / "config.json").read_text())
    document["config"]["base_units"] = 32
    (tmp_path / "ck" / "config.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"model.safetensors: weights do not fit.*keys with other shapes.*expected"):
        load_checkpoint(tmp_path / "ck")


def test_truncated_weights_and_missing_files_are_clear_errors(tmp_path, tiny_model):
    with pytest.raises(ValueError, match="expected .*config.json"):
        load_checkpoint(tmp_path / "nothing")
    save_checkpoint(tiny_model, tmp_path / "ck")
    weights = tmp_path / "ck" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ValueError, match="unreadable safetensors"):
        load_checkpoint(tmp_path / "ck")


def test_foreign_pickles_with_code_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"state_dict": Evil()}))
    with pytest.raises(ValueError, match=r"weights_only=True"):
        read_foreign_weights(path)


def test_lightning_checkpoints_lose_their_prefix(tmp_path, tiny_model):
    state = {LIGHTNING_PREFIX + k: v for k, v in tiny_model.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 7, "optimizer_states": []}, tmp_path / "run.ckpt")
    assert set(read_foreign_weights(tmp_path / "run.ckpt")) == set(tiny_model.state_dict())


def test_model_rejects_wrong_shapes_with_the_expected_shape(tiny_model):
    with pytest.raises(ValueError, match=r"expected shape \(B, 3, 8, 8, 1\).*got \(2, 3, 8, 9, 1\)"):
        tiny_model(torch.zeros(2, 3, 8, 9, 1))


def test_cli_convert_and_forecast_round_trip(tmp_path, tiny_model, capsys):
    torch.save(tiny_model.state_dict(), tmp_path / "weights.pt")
    config_yaml = tmp_path / "cfg.yaml"
    config_yaml.write_text("model:\n  input_shape: [3, 8, 8, 1]\n  target_shape: [2, 8, 8, 1]\n  base_units: 16\n"
                           "  num_global_vectors: 2\n  initial_downsample_scale: [1, 2, 2]\n"
                           "  final_upsample_conv_layers: 1\n")
    assert main(["earthformer", "convert", "--checkpoint", str(tmp_path / "weights.pt"), "--config", str(config_yaml),
                 "--out", str(tmp_path / "ck")]) == 0
    x = np.random.default_rng(0).random((3, *TINY.input_shape), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    assert main(["forecast", "--model", str(tmp_path / "ck"), "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy"), "--batch-size", "2", "--device", "cpu"]) == 0
    y = np.load(tmp_path / "y.npy")
    with torch.no_grad():
        expected = tiny_model(torch.from_numpy(x)).numpy()
    assert y.shape == (3, *TINY.target_shape) and y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (np.full((1, 3, 8, 8, 1), np.nan, dtype=np.float32), "expected finite values, got 192 NaN"),
    (np.zeros((1, 2, 8, 8, 1), dtype=np.float32), r"expected an array of shape \(N, 3, 8, 8, 1\)"),
    (np.zeros((1, 3, 8, 8, 1), dtype=np.uint8), "expected float values"),
])
def test_cli_forecast_bad_input_is_one_line(tmp_path, tiny_model, capsys, bad, message):
    save_checkpoint(tiny_model, tmp_path / "ck")
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(SystemExit) as exit_:
        main(["forecast", "--model", str(tmp_path / "ck"), "--input", str(tmp_path / "bad.npy"),
              "--output", str(tmp_path / "y.npy")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "Traceback" not in err
    assert re.search(message, err)


def test_convert_needs_exactly_one_of_preset_or_config(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["earthformer", "convert", "--checkpoint", "x.pt", "--out", str(tmp_path)])
    assert "exactly one of --preset NAME or --config" in capsys.readouterr().err


def test_bf16_forecast_stays_close_to_fp32(tmp_path, tiny_model):
    save_checkpoint(tiny_model, tmp_path / "ck")
    x = np.random.default_rng(1).random((2, *TINY.input_shape), dtype=np.float32)
    fp32 = Forecaster.from_checkpoint(tmp_path / "ck", "cpu", "fp32").predict(x)
    bf16 = Forecaster.from_checkpoint(tmp_path / "ck", "cpu", "bf16").predict(x)
    assert np.abs(bf16 - fp32).max() <= 2e-2 * np.abs(fp32).max() + 1e-3


def test_a_model_first_run_in_inference_mode_still_trains():
    # cached masks and index tables must not be inference tensors (regression: evaluate, then train)
    config = EarthformerConfig(input_shape=(3, 10, 10, 1), target_shape=(2, 10, 10, 1), base_units=16,
                               enc_attn_patterns=("video_swin_2x4",), dec_self_attn_patterns=("video_swin_2x4",),
                               dec_cross_attn_patterns=("cross_2x2",), padding_type="ignore",
                               initial_downsample_scale=(1, 1, 1), final_upsample_conv_layers=1)
    model = Earthformer(config)
    x = torch.rand(1, *config.input_shape)
    with torch.inference_mode():
        model.eval()(x)
    model.train()(x).square().mean().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_the_facade_describes_and_runs_a_checkpoint(tmp_path, tiny_model):
    from engine import api

    save_checkpoint(tiny_model, tmp_path / "ck", metadata={"trained_on": "nothing"})
    info = api.model_info(tmp_path / "ck")
    assert (info.family, info.input_shape, info.target_shape) == ("earthformer", (3, 8, 8, 1), (2, 8, 8, 1))
    assert info.parameters == sum(p.numel() for p in tiny_model.parameters())
    x = np.random.default_rng(2).random((2, *TINY.input_shape), dtype=np.float32)
    calls = []
    y = api.forecast(tmp_path / "ck", x, device="cpu", batch_size=1, progress=lambda done, total: calls.append(done))
    with torch.no_grad():
        np.testing.assert_allclose(y, tiny_model(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)
    assert calls == [1, 2] and "sevir_demo" in api.model_preset_names() and "unet_sevir_demo" in api.model_preset_names()
