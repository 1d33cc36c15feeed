"""The UNet and ConvLSTM baselines: shapes, gradients, checkpoints, presets and learning a blob."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.convlstm.config import PRESETS as CONVLSTM_PRESETS
from engine.models.convlstm.config import ConvLSTMConfig, get_preset as convlstm_preset
from engine.models.convlstm.model import ConvLSTM
from engine.models.unet.config import PRESETS as UNET_PRESETS
from engine.models.unet.config import UNetConfig, get_preset as unet_preset
from engine.models.unet.model import UNet

TINY = {
    "unet": (UNet, UNetConfig(input_shape=(4, 16, 16, 1), target_shape=(3, 16, 16, 1), base_channels=8, depth=2)),
    "convlstm": (ConvLSTM, ConvLSTMConfig(input_shape=(4, 16, 16, 1), target_shape=(3, 16, 16, 1), stem_channels=8,
                                          stem_stride=2, hidden_channels=(8, 12))),
}


def _build(family: str, seed: int = 0):
    cls, config = TINY[family]
    torch.manual_seed(seed)
    return cls(config)


def moving_blob(n: int, frames: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    """(n, frames, size, size, 1) Gaussian blobs moving one pixel per frame in a random direction."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((n, frames, size, size, 1), dtype=np.float32)
    for i in range(n):
        y0, x0 = rng.uniform(5, size - 5, 2)
        vy, vx = rng.choice([-1.0, 1.0], 2) * 0.5
        for t in range(frames):
            out[i, t, ..., 0] = np.exp(-((yy - y0 - vy * t) ** 2 + (xx - x0 - vx * t) ** 2) / 6.0)
    return torch.from_numpy(out)


@pytest.mark.parametrize("family", sorted(TINY))
def test_forward_maps_the_input_window_to_the_target_window(family):
    model = _build(family)
    out = model(torch.rand(2, 4, 16, 16, 1))
    assert out.shape == (2, 3, 16, 16, 1) and torch.isfinite(out).all()


@pytest.mark.parametrize("family", sorted(TINY))
def test_every_parameter_receives_a_gradient(family):
    model = _build(family)
    model(torch.rand(2, 4, 16, 16, 1)).square().mean().backward()
    dead = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead


@pytest.mark.parametrize("family", sorted(TINY))
def test_save_then_load_gives_the_same_family_config_and_outputs(family, tmp_path):
    model = _build(family).eval()
    save_checkpoint(model, tmp_path / "ck", metadata={"preset": "tiny"})
    name, config, meta = read_config(tmp_path / "ck")
    assert (name, config, meta) == (family, TINY[family][1], {"preset": "tiny"})
    x = torch.rand(1, 4, 16, 16, 1)
    with torch.no_grad():
        torch.testing.assert_close(load_checkpoint(tmp_path / "ck")(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("family", sorted(TINY))
def test_config_round_trips_through_its_dict(family):
    config = TINY[family][1]
    assert type(config).from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        type(config).from_dict({**config.to_dict(), "colour": 1})


@pytest.mark.parametrize("family", sorted(TINY))
def test_forty_adam_steps_on_moving_blobs_beat_persistence(family):
    torch.manual_seed(0)
    model = _build(family)
    seq = moving_blob(8, 7)
    x, y = seq[:, :4], seq[:, 4:]
    persistence = (x[:, -1:] - y).square().mean().item()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = (model(x) - y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0] and losses[-1] < 0.5 * persistence


def test_wrong_input_shape_is_one_clear_error():
    with pytest.raises(ValueError, match=r"input: expected shape \(B, 4, 16, 16, 1\).*got \(2, 4, 8, 8, 1\)"):
        _build("unet")(torch.rand(2, 4, 8, 8, 1))
    with pytest.raises(ValueError, match=r"input: expected shape \(B, 4, 16, 16, 1\)"):
        _build("convlstm")(torch.rand(2, 5, 16, 16, 1))


@pytest.mark.parametrize("make, kwargs, message", [
    (UNetConfig, dict(input_shape=(4, 20, 20, 1), target_shape=(3, 20, 20, 1), depth=3), "divisible by 8"),
    (UNetConfig, dict(input_shape=(4, 16, 16, 1), target_shape=(3, 8, 8, 1)), "expected the input's H, W"),
    (ConvLSTMConfig, dict(hidden_channels=()), "hidden_channels"),
    (ConvLSTMConfig, dict(kernel_size=4), "odd"),
])
def test_inconsistent_configs_are_refused(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def _count(cls, config) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in cls(config).parameters())


def test_presets_have_the_documented_shapes_and_sizes():
    counts = {name: _count(UNet, c) for name, c in UNET_PRESETS.items()}
    counts |= {name: _count(ConvLSTM, c) for name, c in CONVLSTM_PRESETS.items()}
    assert counts["unet_sevir"] == pytest.approx(17.5e6, rel=0.01)  # the paper's UNet: 16.6M
    assert counts["convlstm_sevir"] == pytest.approx(11.1e6, rel=0.01)  # the paper's ConvLSTM: 14.0M
    assert counts["unet_sevir_demo"] == pytest.approx(1.09e6, rel=0.01)
    assert counts["convlstm_sevir_demo"] == pytest.approx(0.40e6, rel=0.02)
    for name in ("unet_sevir_demo", "convlstm_sevir_demo"):
        config = (UNET_PRESETS | CONVLSTM_PRESETS)[name]
        assert (config.input_shape, config.target_shape) == ((13, 96, 96, 1), (12, 96, 96, 1))
    assert unet_preset("unet_sevir").input_shape == convlstm_preset("convlstm_sevir").input_shape == (13, 384, 384, 1)
    with pytest.raises(ValueError, match="unknown UNet preset 'x'; valid: unet_icar_enso"):
        unet_preset("x")


@pytest.mark.parametrize("name", ["unet_sevir_demo", "convlstm_sevir_demo", "unet_icar_enso", "convlstm_icar_enso"])
def test_small_presets_run_a_forward_pass(name):
    cls, config = (UNet, UNET_PRESETS[name]) if name.startswith("unet") else (ConvLSTM, CONVLSTM_PRESETS[name])
    with torch.no_grad():
        assert cls(config)(torch.rand(1, *config.input_shape)).shape == (1, *config.target_shape)


def test_variants_come_from_dataclasses_replace():
    wider = dataclasses.replace(TINY["unet"][1], base_channels=16)
    assert _count(UNet, wider) > _count(UNet, TINY["unet"][1])
