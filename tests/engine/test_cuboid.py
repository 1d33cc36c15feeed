"""Facts about the decomposition, the layers' contracts and their error messages."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.models.earthformer.blocks import StackCuboidCrossAttentionBlock, StackCuboidSelfAttentionBlock
from engine.models.earthformer.cost import attention_cost
from engine.models.earthformer.cuboid import (
    cuboid_reorder,
    cuboid_reorder_reverse,
    resolve_decomposition,
    self_attention_mask,
)
from engine.models.earthformer.explain import attended_elements, cuboid_layout, padded_keys, padded_keys_seen
from engine.models.earthformer.layer_config import AttentionConfig, GlobalVectorConfig
from engine.models.earthformer.patterns import (
    CROSS_PATTERNS,
    SELF_PATTERNS,
    SelfAttentionSpec,
    get_cross_pattern,
    get_self_pattern,
)
from engine.models.earthformer.self_attention import CuboidSelfAttention

LOCAL, DILATED = ("local",) * 3, ("dilated",) * 3


@settings(max_examples=200, deadline=None)
@given(
    padded=st.tuples(*(st.integers(1, 4) for _ in range(3))),
    blocks=st.tuples(*(st.integers(1, 4) for _ in range(3))),
    strategy=st.tuples(*(st.sampled_from(["local", "dilated"]) for _ in range(3))),
)
def test_reorder_then_reverse_is_the_identity(padded, blocks, strategy):
    shape = tuple(p * b for p, b in zip(padded, blocks))
    decomp = resolve_decomposition(shape, blocks, strategy)
    x = torch.randn(2, *shape, 3)
    tokens = cuboid_reorder(x, decomp)
    assert tokens.shape == (2, decomp.num_cuboids, decomp.volume, 3)
    torch.testing.assert_close(cuboid_reorder_reverse(tokens, decomp), x, rtol=0, atol=0)


@settings(max_examples=100, deadline=None)
@given(
    shape=st.tuples(*(st.integers(1, 6) for _ in range(3))),
    cuboid=st.tuples(*(st.integers(1, 4) for _ in range(3))),
    strategy=st.tuples(*(st.sampled_from(["local", "dilated"]) for _ in range(3))),
    data=st.data(),
)
def test_layout_explainer_agrees_with_the_reorder(shape, cuboid, strategy, data):
    shift = tuple(data.draw(st.integers(0, b - 1)) for b in cuboid)
    spec = SelfAttentionSpec(cuboid, strategy, shift)
    layout = cuboid_layout(shape, spec)
    decomp = layout.decomposition
    # label each padded element with its flat index, reorder, read back ids/positions
    T, H, W = decomp.padded_shape
    flat = torch.arange(T * H * W, dtype=torch.float64).reshape(1, T, H, W, 1)
    rolled = torch.roll(flat, shifts=tuple(-z for z in decomp.shift_size), dims=(1, 2, 3))
    tokens = cuboid_reorder(rolled, decomp)[0, :, :, 0].long().numpy()  # (N, V) flat index of each token
    ids = np.empty(T * H * W, dtype=int)
    pos = np.empty(T * H * W, dtype=int)
    for n in range(tokens.shape[0]):
        ids[tokens[n]] = n
        pos[tokens[n]] = np.arange(tokens.shape[1])
    np.testing.assert_array_equal(layout.padded_cuboid_id.reshape(-1), ids)
    np.testing.assert_array_equal(layout.padded_position.reshape(-1), pos)


def test_paper_illustration_shape_6x4x4_cuboid_3x2x2():
    local = cuboid_layout((6, 4, 4), SelfAttentionSpec((3, 2, 2)))
    assert np.bincount(local.cuboid_id.ravel()).tolist() == [12] * 8
    assert (local.cuboid_id[:3, :2, :2] == 0).all()  # the first cuboid is the contiguous corner block
    dilated = cuboid_layout((6, 4, 4), SelfAttentionSpec((3, 2, 2), DILATED))
    assert set(dilated.cuboid_id[::2, ::2, ::2].ravel()) == {0}  # every second element along each axis
    shifted = cuboid_layout((6, 4, 4), SelfAttentionSpec((3, 2, 2), LOCAL, (1, 1, 1)))
    # the wrapped corner cuboid splits into 8 shift regions of sizes 2*1*1 ... 1*1*1
    corner = shifted.cuboid_id == shifted.cuboid_id[0, 0, 0]
    assert corner.sum() == 12 and attended_elements(shifted, (0, 0, 0)).sum() == 1
    assert attended_elements(shifted, (1, 1, 1)).sum() == 12  # an interior cuboid is whole


def test_padded_keys_are_counted_unless_ignored():
    layout = cuboid_layout((5, 5, 5), SelfAttentionSpec((2, 2, 2)))
    assert padded_keys_seen(layout, (4, 4, 4)) == 7
    assert padded_keys_seen(cuboid_layout((5, 5, 5), SelfAttentionSpec((2, 2, 2)), "ignore"), (4, 4, 4)) == 0
    shifted = cuboid_layout((5, 5, 4), SelfAttentionSpec((2, 3, 3), ("local", "dilated", "local"), (1, 0, 1)))
    for query in np.ndindex(5, 5, 4):
        keys = padded_keys(shifted, query)
        assert not keys[:5, :5, :4].any()  # only padding cells
        same = shifted.padded_cuboid_id == shifted.padded_cuboid_id[query]
        assert (shifted.padded_cuboid_id[keys] == shifted.padded_cuboid_id[query]).all()
        whole = same & (shifted.padded_region == shifted.padded_region[query])
        assert keys.sum() + attended_elements(shifted, query).sum() == whole.sum()


def test_sizes_clip_to_short_axes_and_dilated_axes_do_not_shift():
    decomp = resolve_decomposition((2, 8, 8), (4, 4, 4), ("local", "dilated", "local"), (1, 2, 2))
    assert decomp.cuboid_size == (2, 4, 4) and decomp.shift_size == (0, 0, 2)


def test_masks_are_computed_once_per_shape():
    decomp = resolve_decomposition((4, 6, 6), (2, 4, 4), LOCAL, (1, 2, 2))
    first = self_attention_mask(decomp, "zeros", torch.device("cpu"))
    assert self_attention_mask(decomp, "zeros", torch.device("cpu")) is first
    assert self_attention_mask(resolve_decomposition((4, 8, 8), (2, 4, 4)), "zeros", torch.device("cpu")) is None


@pytest.mark.parametrize("name", sorted(SELF_PATTERNS))
def test_every_self_pattern_builds_a_working_block(name):
    shape = (5, 8, 8)
    specs = get_self_pattern(name)(shape)
    assert specs and all(isinstance(s, SelfAttentionSpec) for s in specs)
    block = StackCuboidSelfAttentionBlock(8, specs, AttentionConfig(num_heads=2))
    assert block(torch.randn(1, *shape, 8)).shape == (1, *shape, 8)


@pytest.mark.parametrize("name", sorted(CROSS_PATTERNS))
def test_every_cross_pattern_builds_a_working_block(name):
    specs = get_cross_pattern(name)((6, 8, 8))
    block = StackCuboidCrossAttentionBlock(8, specs, AttentionConfig(num_heads=2), max_temporal_relative=12)
    assert block(torch.randn(1, 5, 8, 8, 8), torch.randn(1, 6, 8, 8, 8)).shape == (1, 5, 8, 8, 8)


def test_gradients_reach_every_parameter_and_the_inputs():
    gc = GlobalVectorConfig(use_global_self_attn=True, separate_global_qkv=True, use_global_vector_ffn=True)
    block = StackCuboidSelfAttentionBlock(8, get_self_pattern("video_swin_2x4")((5, 6, 6)), AttentionConfig(num_heads=2), gc)
    x = torch.randn(2, 5, 6, 6, 8, requires_grad=True)
    g = torch.randn(2, 3, 8, requires_grad=True)
    out, new_g = block(x, g)
    (out.square().mean() + new_g.square().mean()).backward()
    missing = [n for n, p in block.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing
    assert x.grad.abs().sum() > 0 and g.grad.abs().sum() > 0


def test_checkpointing_gives_the_same_gradients():
    specs = get_self_pattern("axial")((4, 4, 4))
    torch.manual_seed(0)
    plain = StackCuboidSelfAttentionBlock(8, specs, AttentionConfig(num_heads=2))
    ckpt = StackCuboidSelfAttentionBlock(8, specs, AttentionConfig(num_heads=2), checkpoint_level=2)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(1, 4, 4, 4, 8)
    for block in (plain, ckpt):
        block(x).sum().backward()
    for (name, a), b in zip(plain.named_parameters(), ckpt.parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_bf16_autocast_runs_and_stays_close():
    layer = CuboidSelfAttention(16, SelfAttentionSpec((2, 4, 4), LOCAL, (1, 2, 2)), AttentionConfig(num_heads=2)).eval()
    x = torch.randn(1, 4, 8, 8, 16)
    with torch.no_grad():
        ref = layer(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = layer(x)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), ref, rtol=0.05, atol=0.05)


def test_axial_is_cheaper_than_full_attention_by_the_formula():
    full = attention_cost((13, 32, 32), get_self_pattern("full")((13, 32, 32)), 128, 4)
    axial = attention_cost((13, 32, 32), get_self_pattern("axial")((13, 32, 32)), 128, 4)
    n = 13 * 32 * 32
    assert full.macs == 2 * n * n * 128
    assert axial.macs == 2 * n * (13 + 32 + 32) * 128


# ----------------------------------------------------------------------------- errors
def test_unknown_pattern_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown self-attention pattern 'axal'.*'axial'"):
        get_self_pattern("axal")
    with pytest.raises(ValueError, match="unknown cross-attention pattern.*cross_1x1"):
        get_cross_pattern("cross_3x3")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(cuboid_size=(0, 2, 2)), r"cuboid_size: expected three integers >= 1"),
        (dict(cuboid_size=(2, 2)), r"cuboid_size: expected three integers"),
        (dict(cuboid_size=(2, 2, 2), shift_size=(2, 0, 0)), r"shift_size: expected each shift smaller"),
        (dict(cuboid_size=(2, 2, 2), strategy=("local", "diagonal", "local")), r"strategy: expected three of \['local', 'dilated'\]"),
    ],
)
def test_bad_decompositions_name_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        resolve_decomposition((4, 4, 4), **kwargs)


def test_layers_reject_wrong_shapes_with_expected_and_got():
    layer = CuboidSelfAttention(8, SelfAttentionSpec((2, 2, 2)), AttentionConfig(num_heads=2), GlobalVectorConfig())
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, H, W, 8\), got \(1, 4, 4, 4, 6\)"):
        layer(torch.randn(1, 4, 4, 4, 6), torch.randn(1, 2, 8))
    with pytest.raises(ValueError, match=r"global_vectors: expected shape \(1, P, 8\), got None"):
        layer(torch.randn(1, 4, 4, 4, 8))
    with pytest.raises(ValueError, match="padding_type: expected one of"):
        AttentionConfig(padding_type="reflect")
    with pytest.raises(ValueError, match="dim: expected a multiple of num_heads=3"):
        CuboidSelfAttention(8, SelfAttentionSpec((2, 2, 2)), AttentionConfig(num_heads=3))
