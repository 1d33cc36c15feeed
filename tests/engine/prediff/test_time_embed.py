"""The sinusoidal timestep code matches its closed form; the 3-D ResBlocks start as their skip path."""
from __future__ import annotations

import math

import pytest
import torch

from engine.models.prediff.time_embed import TimeEmbedding, TimeEmbedResBlock, timestep_embedding


def test_embedding_matches_the_closed_form_cos_then_sin():
    t = torch.tensor([0, 1, 37, 500, 999])
    dim, half = 10, 5
    emb = timestep_embedding(t, dim)
    expected = [[math.cos(s * 10_000 ** (-k / half)) for k in range(half)]
                + [math.sin(s * 10_000 ** (-k / half)) for k in range(half)] for s in t.tolist()]
    assert emb.dtype == torch.float32 and emb.shape == (5, dim)
    torch.testing.assert_close(emb, torch.tensor(expected, dtype=torch.float32), rtol=0, atol=2e-4)


def test_timestep_zero_is_all_ones_then_all_zeros():
    emb = timestep_embedding(torch.zeros(1, dtype=torch.int64), 256)
    assert torch.equal(emb, torch.cat((torch.ones(1, 128), torch.zeros(1, 128)), dim=-1))


def test_all_thousand_timesteps_have_distinct_unit_scale_embeddings():
    emb = timestep_embedding(torch.arange(1000), 256).double()
    distances = torch.cdist(emb, emb) + torch.eye(1000, dtype=torch.float64) * 1e9
    assert distances.min() > 0.1  # neighbouring steps differ by about 0.12
    torch.testing.assert_close(emb.norm(dim=-1), torch.full((1000,), math.sqrt(128.0), dtype=torch.float64))


def test_odd_width_gets_one_zero_column_and_fractional_steps_are_allowed():
    emb = timestep_embedding(torch.tensor([2.5, 7.0]), 7)
    assert emb.shape == (2, 7) and torch.equal(emb[:, -1], torch.zeros(2))
    torch.testing.assert_close(emb[:, 0], torch.cos(torch.tensor([2.5, 7.0])))


def test_embedding_needs_a_one_dimensional_batch_of_steps():
    with pytest.raises(ValueError, match=r"t: expected shape \(B,\), got \(2, 1\)"):
        timestep_embedding(torch.zeros(2, 1), 8)


def test_time_mlp_is_linear_silu_linear_over_the_code():
    torch.manual_seed(0)
    mlp = TimeEmbedding(16, 64)
    t = torch.tensor([3, 400])
    first, _, second = mlp.layer
    expected = second(torch.nn.functional.silu(first(timestep_embedding(t, 16))))
    torch.testing.assert_close(mlp(t), expected, rtol=0, atol=0)
    assert mlp(t).shape == (2, 64)


def test_fresh_block_is_its_skip_path():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5, 32)
    same = TimeEmbedResBlock(32, 32, emb_dim=16)
    assert torch.equal(same(x, torch.randn(2, 16)), x)  # zero last conv + identity skip
    wider = TimeEmbedResBlock(32, 64)
    skip = wider.skip_connection(x.permute(0, 4, 1, 2, 3)).permute(0, 2, 3, 4, 1)
    torch.testing.assert_close(wider(x), skip, rtol=0, atol=0)


def test_the_embedding_changes_the_output_once_the_last_conv_is_trained():
    torch.manual_seed(0)
    block = TimeEmbedResBlock(8, 8, emb_dim=4).eval()
    x, emb = torch.randn(2, 5, 6, 6, 8), torch.randn(2, 4)
    assert torch.equal(block(x, emb), block(x, torch.zeros(2, 4)))  # zero-initialised last conv
    torch.nn.init.normal_(block.out_layers[3].weight, std=0.1)
    y = block(x, emb)
    assert y.shape == (2, 5, 6, 6, 8) and not torch.equal(y, block(x, torch.zeros(2, 4)))
    # batch rows are independent: row 0 does not see row 1's embedding
    torch.testing.assert_close(block(x, torch.stack((emb[0], -emb[1])))[0], y[0], rtol=0, atol=0)


def test_block_with_an_embedding_rejects_its_absence_and_vice_versa():
    with pytest.raises(ValueError, match=r"emb: expected a \(B, E\) time embedding, got None"):
        TimeEmbedResBlock(32, emb_dim=8)(torch.zeros(1, 1, 2, 2, 32))
    with pytest.raises(ValueError, match=r"emb: expected None, got \(1, 8\)"):
        TimeEmbedResBlock(32)(torch.zeros(1, 1, 2, 2, 32), torch.zeros(1, 8))
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, H, W, 32\), got \(1, 1, 2, 2, 16\)"):
        TimeEmbedResBlock(32)(torch.zeros(1, 1, 2, 2, 16))


def test_group_norm_uses_32_groups_or_one_per_channel_when_32_does_not_divide():
    assert TimeEmbedResBlock(64, 256).in_layers[0].num_groups == 32
    assert TimeEmbedResBlock(65, 256).in_layers[0].num_groups == 65


def test_one_channel_per_norm_group_erases_the_time_shift_and_two_keep_it():
    torch.manual_seed(0)
    x, emb = torch.randn(1, 3, 4, 4, 8), torch.randn(1, 4)
    for groups, erased in ((8, True), (4, False)):
        block = TimeEmbedResBlock(8, 8, emb_dim=4, norm_groups=groups).eval()
        torch.nn.init.normal_(block.out_layers[3].weight, std=0.1)
        with torch.no_grad():
            shifted, plain = block(x, emb), block(x, torch.zeros(1, 4))
        # a per-channel constant is removed by a norm over that channel alone
        assert torch.allclose(shifted, plain, atol=1e-5) is erased
