"""An Earthformer correcting optical-flow extrapolation: it starts as the extrapolation, applies
exactly base * (1 + gain) + offset, sees the extrapolation as an input channel, and round-trips."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.baselines import optical_flow
from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.earthformer import base_forecast as bf
from engine.models.earthformer.config import EarthformerConfig
from engine.models.earthformer.model import Earthformer
from engine.models.earthformer.presets import PRESETS

SMALL = EarthformerConfig(input_shape=(4, 32, 32, 1), target_shape=(3, 32, 32, 1), base_units=16, num_heads=2,
                          num_global_vectors=2, initial_downsample_scale=(1, 4, 4), final_upsample_conv_layers=1,
                          base_forecast="optical_flow")


def moving_blobs(batch: int = 2, frames: int = 4, size: int = 32) -> torch.Tensor:
    """(B, T, H, W, 1) Gaussian storms drifting one pixel right and down per frame, in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.zeros((batch, frames, size, size, 1), np.float32)
    for b in range(batch):
        for t in range(frames):
            cy, cx = 10 + 2 * b + t, 8 + b + t
            out[b, t, ..., 0] = 0.8 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
    return torch.from_numpy(out)


def test_the_untrained_model_is_exactly_the_optical_flow_baseline():
    torch.manual_seed(0)
    model = Earthformer(SMALL).eval()
    x = moving_blobs()
    with torch.no_grad():
        out = model(x)
    expected = np.stack([optical_flow(c[..., 0].numpy().astype(np.float64), 3) for c in x])
    assert out.shape == (2, 3, 32, 32, 1)
    np.testing.assert_allclose(out[..., 0].numpy(), expected, rtol=0, atol=1e-6)


def test_the_forecast_is_the_base_times_one_plus_gain_plus_offset():
    torch.manual_seed(0)
    model = Earthformer(SMALL).eval()
    torch.nn.init.normal_(model.dec_final_proj.weight, std=0.3)  # a trained-looking head
    torch.nn.init.normal_(model.dec_final_proj.bias, std=0.1)
    heads = []
    model.dec_final_proj.register_forward_hook(lambda module, args, out: heads.append(out))
    x = moving_blobs()
    with torch.no_grad():
        out = model(x)
        base = bf.base_forecast("optical_flow", x, 3)
    gain, offset = heads[0][..., :1], heads[0][..., 1:]
    assert heads[0].shape == (2, 3, 32, 32, 2)
    torch.testing.assert_close(out, base * (1 + gain) + offset, rtol=0, atol=1e-6)
    assert float((out - base).abs().max()) > 1e-2  # the head changes the forecast


def test_the_network_sees_the_last_frame_then_the_extrapolation():
    x = torch.arange(4.0).view(1, 4, 1, 1, 1).expand(1, 4, 2, 2, 1)  # frames 0, 1, 2, 3
    base = 10 + torch.arange(3.0).view(1, 3, 1, 1, 1).expand(1, 3, 2, 2, 1)  # leads 10, 11, 12
    assert bf.base_input(x, base)[0, :, 0, 0, 0].tolist() == [3, 10, 11, 12]
    assert bf.base_input(x[:, :2], base)[0, :, 0, 0, 0].tolist() == [1, 10]  # cut to T_in
    longer = torch.zeros(1, 6, 2, 2, 1)
    assert bf.base_input(longer, base)[0, :, 0, 0, 0].tolist() == [0, 10, 11, 12, 12, 12]  # padded
    torch.manual_seed(0)
    model = Earthformer(SMALL)
    first_conv = next(m for m in model.initial_encoder.modules() if isinstance(m, torch.nn.Conv3d | torch.nn.Conv2d))
    assert first_conv.in_channels == 2


def test_extrapolations_are_cached_by_context_and_bounded_in_bytes(monkeypatch):
    calls = []
    monkeypatch.setattr("engine.baselines.extrapolation.optical_flow",
                        lambda context, n: calls.append(n) or np.full((n, *context.shape[1:]), float(len(calls))))
    monkeypatch.setattr(bf, "_CACHE", bf._Cache(max_bytes=2 * 3 * 8 * 8 * 4))  # room for two results
    a, b, c = (np.full((4, 8, 8), v, np.float32) for v in (0.1, 0.2, 0.3))
    assert bf._extrapolate(a, 3)[0, 0, 0] == 1 and bf._extrapolate(a, 3)[0, 0, 0] == 1
    assert bf._extrapolate(a, 2).shape == (2, 8, 8)  # another lead count is another entry
    assert len(calls) == 2
    bf._extrapolate(b, 3)  # evicts the least recently used (a, 3)
    bf._extrapolate(c, 3)
    assert len(bf._CACHE.store) == 2 and bf._CACHE.bytes <= bf._CACHE.max_bytes
    bf._extrapolate(a, 3)
    assert len(calls) == 5  # recomputed after eviction


def test_a_base_forecast_checkpoint_round_trips(tmp_path):
    torch.manual_seed(0)
    model = Earthformer(SMALL).eval()
    torch.nn.init.normal_(model.dec_final_proj.weight, std=0.1)
    save_checkpoint(model, tmp_path / "ck")
    assert read_config(tmp_path / "ck")[1].base_forecast == "optical_flow"
    x = moving_blobs()
    with torch.no_grad():
        torch.testing.assert_close(load_checkpoint(tmp_path / "ck")(x), model(x), rtol=0, atol=0)


def test_bad_base_forecasts_get_one_clear_message():
    with pytest.raises(ValueError, match=r"base_forecast: expected one of \['none', 'optical_flow'\], got 'steps'"):
        dataclasses.replace(SMALL, base_forecast="steps")
    with pytest.raises(ValueError, match="base_forecast 'optical_flow': expected one input and one output channel"):
        dataclasses.replace(SMALL, input_shape=(4, 32, 32, 2), target_shape=(3, 32, 32, 2))
    assert PRESETS["sevir_demo_flow"] == dataclasses.replace(PRESETS["sevir_demo"], base_forecast="optical_flow")
    assert all(config.base_forecast == "none" for name, config in PRESETS.items() if name != "sevir_demo_flow")


def test_flop_counting_runs_on_shapes_alone():
    from engine.models.earthformer.flops import forward_cost

    plain = forward_cost(dataclasses.replace(SMALL, base_forecast="none"))
    corrected = forward_cost(SMALL)  # meta tensors: the extrapolation is skipped (no matmuls, no convolutions)
    assert 0 < corrected.nominal_macs - plain.nominal_macs < 0.02 * plain.nominal_macs  # one input channel more
