"""The knowledge-alignment network U(z_t, t): published size, attention-pool readout, checkpoints."""
from __future__ import annotations

import json
import math

import pytest
import torch

from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.prediff.alignment import AlignmentNet, AttentionPool
from engine.models.prediff.alignment_config import PRESETS, PUBLISHED_PARAMETER_COUNTS, AlignmentConfig, get_preset

TINY = AlignmentConfig(frames=3, latent_shape=(4, 4, 3), base_units=8, depth=(1, 1), num_heads=2, norm_groups=4)


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _inputs(config: AlignmentConfig, batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, *config.input_shape, generator=g), torch.randint(0, 1000, (batch,), generator=g)


def _perturbed(config: AlignmentConfig, seed: int = 0) -> AlignmentNet:
    torch.manual_seed(seed)
    model = AlignmentNet(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


def _res_block(c_in, c_out, emb=None):
    conv = c_in * c_out * 27 + c_out
    skip = 0 if c_in == c_out else c_in * c_out + c_out
    return 2 * c_in + conv + 2 * c_out + c_out * c_out * 27 + c_out + skip + (0 if emb is None else emb * c_out + c_out)


def _axial_block(c, thw, heads=4):
    return sum(2 * c + 4 * c * c + c + (2 * n - 1) * heads for n in thw) + 3 * (2 * c + 8 * c * c + 5 * c)


# Closed-form counts of [PD] NoisyCuboidTransformerEncoder (SEVIR-LR avg_x config).
PUBLISHED_SUBMODULES = {
    "first_proj": _res_block(64, 128),
    "pos_embed": (6 + 16 + 16) * 128,
    "time_embed": 128 * 512 + 512 + 512 * 512 + 512,
    "downsample_layers": 2 * 512 + 512 * 256,
    "down_time_embed_blocks": _res_block(128, 128, 512) + _res_block(256, 256, 512),
    "down_self_blocks": _axial_block(128, (6, 16, 16)) + _axial_block(256, (6, 8, 8)),
    # GroupNorm, positional embedding over 8*8 + 1 tokens, 1x1 qkv, 1x1 output to one value
    "out": 2 * 256 + 256 * 65 + (256 * 768 + 768) + (256 + 1),
}


def test_published_preset_has_the_published_parameter_count_in_every_submodule():
    with torch.device("meta"):
        model = AlignmentNet(PRESETS["prediff_alignment_sevirlr"])
    assert _count(model) == PUBLISHED_PARAMETER_COUNTS["prediff_alignment_sevirlr"] == 8_937_033
    assert {name: _count(m) for name, m in model.named_children()} == PUBLISHED_SUBMODULES
    assert model.mem_shapes == [(6, 16, 16, 128), (6, 8, 8, 256)]


def test_demo_preset_reads_one_value_per_target_frame_of_the_demo_latents():
    config = get_preset("prediff_alignment_demo")
    assert (config.frames, config.latent_shape) == (12, (12, 12, 4))
    torch.manual_seed(0)
    model = AlignmentNet(config).eval()
    assert _count(model) == 553_873
    z_t, t = _inputs(config)
    with torch.no_grad():
        out = model(z_t, t)
    assert out.shape == (2, 12, 1) and torch.all(torch.isfinite(out))


def _published_pool(pool: AttentionPool, x: torch.Tensor) -> torch.Tensor:
    """Brute force of the published readout: all queries, q and k each scaled by D**-1/4, token 0 kept."""
    n, c, _ = x.shape
    heads = pool.num_heads
    d = c // heads
    x = torch.cat((x.mean(dim=-1, keepdim=True), x), dim=-1) + pool.positional_embedding[None]
    q, k, v = pool.qkv_proj(x).chunk(3, dim=1)
    scale = 1 / math.sqrt(math.sqrt(d))
    q, k, v = (y.reshape(n * heads, d, -1) for y in (q * scale, k * scale, v))
    weight = torch.softmax(torch.einsum("bct,bcs->bts", q, k), dim=-1)
    out = torch.einsum("bts,bcs->bct", weight, v).reshape(n, c, -1)
    return pool.c_proj(out)[:, :, 0]


def test_attention_pool_equals_the_published_all_query_readout():
    torch.manual_seed(0)
    pool = AttentionPool(tokens=9, dim=16, num_heads=4, out_dim=3)
    x = torch.randn(5, 16, 9)
    torch.testing.assert_close(pool(x), _published_pool(pool, x), rtol=1e-5, atol=1e-6)


def test_attention_pool_of_identical_tokens_ignores_the_attention_weights():
    torch.manual_seed(0)
    pool = AttentionPool(tokens=4, dim=8, num_heads=2, out_dim=1)
    with torch.no_grad():
        pool.positional_embedding.zero_()  # every token (and their mean) is the same vector
    x = torch.randn(3, 8, 1).expand(3, 8, 4)
    v = pool.qkv_proj(x[..., :1])[:, 16:]  # the value of that one vector
    torch.testing.assert_close(pool(x), pool.c_proj(v)[..., 0])


def test_output_depends_on_the_noisy_latent_and_the_timestep_and_rows_are_independent():
    model = _perturbed(TINY)
    z_t, t = _inputs(TINY, batch=3)
    with torch.no_grad():
        out = model(z_t, t)
        assert out.shape == (3, 3, 1)
        assert not torch.allclose(model(z_t + 0.5, t), out)
        assert not torch.allclose(model(z_t, (t + 500) % 1000), out)
        torch.testing.assert_close(model(z_t[2:], t[2:]), out[2:], rtol=1e-4, atol=1e-5)


def test_every_parameter_gets_a_gradient_and_so_does_z_t_for_guidance():
    model = _perturbed(TINY).train()
    z_t, t = _inputs(TINY)
    z_t.requires_grad_(True)
    model(z_t, t).sub(0.3).pow(2).mean().backward()
    silent = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert silent == [] and z_t.grad is not None and z_t.grad.abs().sum() > 0


def test_untrained_network_trains_every_parameter_within_three_sgd_steps():
    torch.manual_seed(0)
    model = AlignmentNet(TINY).train()
    z_t, t = _inputs(TINY)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    reached: set[str] = set()
    for _ in range(3):  # the zero-initialised residual branches open up one step at a time
        optimiser.zero_grad()
        model(z_t, t).sub(0.3).pow(2).mean().backward()
        reached |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        optimiser.step()
    assert reached == {n for n, _ in model.named_parameters()}


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = _perturbed(TINY)
    save_checkpoint(model, tmp_path / "align", metadata={"target": "avg_x"})
    assert read_config(tmp_path / "align") == ("prediff_alignment", TINY, {"target": "avg_x"})
    loaded = load_checkpoint(tmp_path / "align")
    assert isinstance(loaded, AlignmentNet)
    z_t, t = _inputs(TINY)
    with torch.no_grad():
        assert torch.equal(loaded(z_t, t), model(z_t, t))


@pytest.mark.parametrize(("z_shape", "t_shape", "message"), [
    ((2, 4, 4, 4, 3), (2,), r"z_t: expected shape \(B, 3, 4, 4, 3\), got \(2, 4, 4, 4, 3\)"),
    ((2, 3, 4, 4), (2,), r"z_t: expected shape \(B, 3, 4, 4, 3\), got \(2, 3, 4, 4\)"),
    ((2, 3, 4, 4, 3), (2, 1), r"t: expected a \(2,\) tensor of timesteps, got \(2, 1\)"),
])
def test_bad_shapes_get_one_clear_message(z_shape, t_shape, message):
    with pytest.raises(ValueError, match=message):
        AlignmentNet(TINY)(torch.zeros(z_shape), torch.zeros(t_shape, dtype=torch.int64))


def test_bad_configs_and_unknown_presets_are_refused_clearly():
    with pytest.raises(ValueError, match=r"out_channels: expected >= 1, got 0"):
        AlignmentConfig(out_channels=0)
    with pytest.raises(ValueError, match=r"base_units: expected level widths \[10, 20\] divisible by num_heads=4"):
        AlignmentConfig(base_units=10)
    with pytest.raises(ValueError, match="unknown PreDiff alignment preset 'x'; valid: prediff_alignment_demo, "
                                         "prediff_alignment_sevirlr"):
        get_preset("x")
    assert AlignmentConfig.from_dict(json.loads(json.dumps(TINY.to_dict()))) == TINY
