"""The latent Earthformer-UNet denoiser: published size, zero output at init, conditioning, checkpoints."""
from __future__ import annotations

import json

import pytest
import torch

from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.prediff.denoiser import LatentDenoiser
from engine.models.prediff.denoiser_config import (
    PRESETS,
    PUBLISHED_PARAMETER_COUNTS,
    DenoiserConfig,
    get_preset,
)

TINY = DenoiserConfig(context_frames=3, target_frames=2, latent_shape=(4, 4, 3), base_units=8, depth=(1, 1),
                      num_heads=2, norm_groups=4)


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _inputs(config: DenoiserConfig, batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    z_t = torch.randn(batch, *config.target_shape, generator=g)
    context = torch.randn(batch, *config.context_shape, generator=g)
    return z_t, torch.randint(0, 1000, (batch,), generator=g), context


def _perturbed(config: DenoiserConfig, seed: int = 0) -> LatentDenoiser:
    """A denoiser with every parameter moved off its init (so no branch is zero)."""
    torch.manual_seed(seed)
    model = LatentDenoiser(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


# Closed-form counts of the published modules ([PD] cuboid_transformer_unet.py, time_embed.py).
def _conv3d(c_in, c_out, k):
    return c_in * c_out * k**3 + c_out


def _res_block(c_in, c_out, emb=None):
    skip = 0 if c_in == c_out else _conv3d(c_in, c_out, 1)
    return 2 * c_in + _conv3d(c_in, c_out, 3) + 2 * c_out + _conv3d(c_out, c_out, 3) + skip + (
        0 if emb is None else emb * c_out + c_out)


def _axial_block(c, thw, heads=4):
    attention = sum(2 * c + 4 * c * c + c + (2 * n - 1) * heads for n in thw)  # LN, qkv, proj, bias table
    return attention + 3 * (2 * c + 8 * c * c + 5 * c)  # 3 FFNs: LN, C->4C->C


PUBLISHED_SUBMODULES = {
    "first_proj": _res_block(65, 256),
    "pos_embed": (13 + 16 + 16) * 256,
    "time_embed": 256 * 1024 + 1024 + 1024 * 1024 + 1024,
    "downsample_layers": 2 * 1024 + 1024 * 512,
    "upsample_layers": 512 * 256 * 9 + 256,
    # one ResBlock per level, shared by the level's 4 units
    "down_time_embed_blocks": _res_block(256, 256, 1024) + _res_block(512, 512, 1024),
    "up_time_embed_blocks": _res_block(256, 256, 1024) + _res_block(512, 512, 1024),
    "down_self_blocks": 4 * _axial_block(256, (13, 16, 16)) + 4 * _axial_block(512, (13, 8, 8)),
    "up_self_blocks": 4 * _axial_block(256, (13, 16, 16)) + 4 * _axial_block(512, (13, 8, 8)),
    "final_proj": 256 * 64 + 64,
}


def test_published_preset_has_the_published_parameter_count_in_every_submodule():
    with torch.device("meta"):
        model = LatentDenoiser(PRESETS["prediff_denoiser_sevirlr"])
    assert _count(model) == PUBLISHED_PARAMETER_COUNTS["prediff_denoiser_sevirlr"] == 136_817_538
    assert {name: _count(m) for name, m in model.named_children()} == PUBLISHED_SUBMODULES
    assert sum(PUBLISHED_SUBMODULES.values()) == 136_817_538
    assert model.mem_shapes == [(13, 16, 16, 256), (13, 8, 8, 512)]


def test_demo_preset_follows_the_demo_autoencoder_and_predicts_zero_noise_untrained():
    config = get_preset("prediff_denoiser_demo")
    assert (config.context_frames, config.target_frames, config.latent_shape) == (13, 12, (12, 12, 4))
    torch.manual_seed(0)
    model = LatentDenoiser(config).eval()
    assert _count(model) == 1_036_254
    z_t, t, context = _inputs(config)
    with torch.no_grad():
        eps = model(z_t, t, context)
    assert eps.shape == (2, 12, 12, 12, 4) and torch.equal(eps, torch.zeros_like(eps))


def test_untrained_first_step_reaches_only_the_output_layer_then_perturbed_every_parameter():
    torch.manual_seed(0)
    model = LatentDenoiser(TINY).train()
    z_t, t, context = _inputs(TINY)
    model(z_t, t, context).sub(z_t).pow(2).mean().backward()
    reached = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert reached == {"final_proj.weight", "final_proj.bias"}  # zero output layer blocks the rest
    model = _perturbed(TINY).train()
    model(z_t, t, context).sub(z_t).pow(2).mean().backward()
    silent = [n for n, p in model.named_parameters() if p.grad is None or not torch.all(torch.isfinite(p.grad))
              or p.grad.abs().sum() == 0]
    assert silent == []


def test_three_plain_sgd_steps_from_the_zero_init_reach_every_parameter():
    torch.manual_seed(0)
    model = LatentDenoiser(TINY).train()
    z_t, t, context = _inputs(TINY)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    reached: set[str] = set()
    for _ in range(3):  # output layer, then the zeroed residual branches, then everything behind them
        optimiser.zero_grad()
        model(z_t, t, context).sub(z_t).pow(2).mean().backward()
        reached |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        optimiser.step()
    assert reached == {n for n, _ in model.named_parameters()}


def test_the_context_the_timestep_and_the_skip_all_change_the_prediction():
    model = _perturbed(TINY)
    z_t, t, context = _inputs(TINY)
    with torch.no_grad():
        eps = model(z_t, t, context)
        assert not torch.allclose(model(z_t, t, context + 1.0), eps)
        assert not torch.allclose(model(z_t, (t + 500) % 1000, context), eps)
        skipless = LatentDenoiser(TINY.__class__(**{**TINY.to_dict(), "unet_skip": False})).eval()
        skipless.load_state_dict(model.state_dict())
        assert not torch.allclose(skipless(z_t, t, context), eps)


def test_the_network_sees_context_then_target_frames_with_a_one_zero_observation_channel():
    model = _perturbed(TINY)
    z_t, t, context = _inputs(TINY)
    seen = []
    model.first_proj.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    with torch.no_grad():
        model(z_t, t, context)
    (x,) = seen
    assert x.shape == (2, 5, 4, 4, 4)  # 3 + 2 frames, 3 latent channels + the indicator
    assert torch.equal(x[:, :3, ..., :3], context) and torch.equal(x[:, 3:, ..., :3], z_t)
    assert torch.equal(x[:, :3, ..., 3], torch.ones(2, 3, 4, 4)) and torch.equal(x[:, 3:, ..., 3], torch.zeros(2, 2, 4, 4))


def test_batch_rows_are_independent():
    model = _perturbed(TINY)
    z_t, t, context = _inputs(TINY, batch=3)
    with torch.no_grad():
        full = model(z_t, t, context)
        alone = model(z_t[1:2], t[1:2], context[1:2])
    torch.testing.assert_close(full[1:2], alone, rtol=1e-4, atol=1e-5)


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    model = _perturbed(TINY)
    save_checkpoint(model, tmp_path / "den", metadata={"note": "tiny"})
    assert read_config(tmp_path / "den") == ("prediff_denoiser", TINY, {"note": "tiny"})
    loaded = load_checkpoint(tmp_path / "den")
    assert isinstance(loaded, LatentDenoiser)
    z_t, t, context = _inputs(TINY)
    with torch.no_grad():
        assert torch.equal(loaded(z_t, t, context), model(z_t, t, context))


def test_a_checkpoint_whose_config_was_edited_names_the_mismatched_weights(tmp_path):
    save_checkpoint(LatentDenoiser(TINY), tmp_path / "den")
    path = tmp_path / "den" / "config.json"
    document = json.loads(path.read_text())
    document["config"]["base_units"] = 16
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="weights do not fit this model configuration"):
        load_checkpoint(tmp_path / "den")


@pytest.mark.parametrize(("z_shape", "t_shape", "c_shape", "message"), [
    ((2, 3, 4, 4, 3), (2,), (2, 3, 4, 4, 3), r"z_t: expected shape \(B, 2, 4, 4, 3\), got \(2, 3, 4, 4, 3\)"),
    ((2, 2, 4, 4, 3), (2,), (2, 4, 4, 4, 3), r"context: expected shape \(2, 3, 4, 4, 3\), got \(2, 4, 4, 4, 3\)"),
    ((2, 2, 4, 4, 3), (2,), (1, 3, 4, 4, 3), r"context: expected shape \(2, 3, 4, 4, 3\), got \(1, 3, 4, 4, 3\)"),
    ((2, 2, 4, 4, 3), (3,), (2, 3, 4, 4, 3), r"t: expected a \(2,\) tensor of timesteps, got \(3,\)"),
    ((2, 2, 4, 4, 3), (), (2, 3, 4, 4, 3), r"t: expected a \(2,\) tensor of timesteps, got \(\)"),
])
def test_bad_shapes_get_one_clear_message(z_shape, t_shape, c_shape, message):
    model = LatentDenoiser(TINY)
    with pytest.raises(ValueError, match=message):
        model(torch.zeros(z_shape), torch.zeros(t_shape, dtype=torch.int64), torch.zeros(c_shape))


@pytest.mark.parametrize(("change", "message"), [
    ({"base_units": 6, "num_heads": 4}, r"base_units: expected level widths \[6, 12\] divisible by num_heads=4"),
    ({"attn_pattern": "axail"}, r"attn_pattern: expected one of \[.*'axial'.*\], got 'axail'"),
    ({"latent_shape": (16, 16)}, r"latent_shape: expected three positive sizes \(h, w, c\), got \(16, 16\)"),
    ({"depth": ()}, r"depth: expected one positive block count per level, got \(\)"),
    ({"ffn_drop": 1.0}, r"ffn_drop: expected a rate in \[0, 1\), got 1.0"),
    ({"context_frames": 0}, r"context_frames: expected >= 1, got 0"),
])
def test_bad_configs_are_refused_with_the_field_name(change, message):
    with pytest.raises(ValueError, match=message):
        DenoiserConfig(**change)


def test_config_round_trips_through_a_dict_and_unknown_presets_list_the_valid_ones():
    assert DenoiserConfig.from_dict(json.loads(json.dumps(TINY.to_dict()))) == TINY
    with pytest.raises(ValueError, match="unknown PreDiff denoiser preset 'demo'; valid: prediff_denoiser_demo, "
                                         "prediff_denoiser_sevirlr"):
        get_preset("demo")


def test_every_time_embedding_resblock_of_the_demo_presets_has_several_channels_per_norm_group():
    from engine.models.prediff.alignment import AlignmentNet
    from engine.models.prediff.alignment_config import get_preset as get_alignment_preset
    from engine.models.prediff.time_embed import TimeEmbedResBlock

    with torch.device("meta"):
        models = [LatentDenoiser(get_preset("prediff_denoiser_demo")),
                  AlignmentNet(get_alignment_preset("prediff_alignment_demo"))]
    norms = [m.out_layers[0] for model in models for m in model.modules()
             if isinstance(m, TimeEmbedResBlock) and hasattr(m, "emb_layers")]
    assert len(norms) == 6 and all(n.num_channels // n.num_groups >= 4 for n in norms)
