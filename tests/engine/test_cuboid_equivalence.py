"""Cuboid attention equals full attention under a mask built from the decomposition's definition."""
from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.models.earthformer.cross_attention import CuboidCrossAttention
from engine.models.earthformer.layer_config import AttentionConfig, GlobalVectorConfig
from engine.models.earthformer.patterns import CrossAttentionSpec, SelfAttentionSpec
from engine.models.earthformer.self_attention import CuboidSelfAttention

from . import brute_force

CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIM = 8
axis_strategy = st.sampled_from(["local", "dilated"])


@st.composite
def self_attention_cases(draw):
    shape = tuple(draw(st.integers(1, 7)) for _ in range(3))
    cuboid = tuple(draw(st.integers(1, 5)) for _ in range(3))
    shift = tuple(draw(st.integers(0, b - 1)) for b in cuboid)
    strategy = tuple(draw(axis_strategy) for _ in range(3))
    config = AttentionConfig(
        num_heads=draw(st.sampled_from([1, 2])),
        padding_type=draw(st.sampled_from(["ignore", "zeros", "nearest"])),
        use_relative_pos=draw(st.booleans()),
        qkv_bias=draw(st.booleans()),
        backend=draw(st.sampled_from(["matmul", "sdpa"])),
    )
    n_global = draw(st.sampled_from([0, 0, 1, 3]))
    global_config = None
    if n_global:
        global_config = GlobalVectorConfig(
            use_global_self_attn=draw(st.booleans()), separate_global_qkv=draw(st.booleans())
        )
    return shape, SelfAttentionSpec(cuboid, strategy, shift), config, global_config, n_global


def _randomise(module: torch.nn.Module) -> None:
    """Non-trivial weights everywhere (biases, norms and bias tables included)."""
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, 0.5)


@CASES
@given(case=self_attention_cases(), seed=st.integers(0, 2**16))
def test_self_attention_equals_masked_full_attention(case, seed):
    shape, spec, config, global_config, n_global = case
    torch.manual_seed(seed)
    layer = CuboidSelfAttention(DIM, spec, config, global_config).eval()
    _randomise(layer)
    x = torch.randn(2, *shape, DIM, dtype=torch.float64)
    layer = layer.double()
    if global_config is None:
        torch.testing.assert_close(layer(x), brute_force.self_attention(layer, x), rtol=1e-9, atol=1e-9)
    else:
        g = torch.randn(2, n_global, DIM, dtype=torch.float64)
        out, new_g = layer(x, g)
        ref_out, ref_g = brute_force.self_attention(layer, x, g)
        torch.testing.assert_close(out, ref_out, rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(new_g, ref_g, rtol=1e-9, atol=1e-9)


@st.composite
def cross_attention_cases(draw):
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    cuboid_hw = (draw(st.integers(1, H)), draw(st.integers(1, W)))
    shift_hw = tuple(draw(st.integers(0, b - 1)) for b in cuboid_hw)
    spec = CrossAttentionSpec(
        cuboid_hw, shift_hw, tuple(draw(axis_strategy) for _ in range(3)), draw(st.integers(1, 3))
    )
    t_x, t_m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    config = AttentionConfig(
        num_heads=draw(st.sampled_from([1, 2])),
        padding_type=draw(st.sampled_from(["ignore", "zeros", "nearest"])),
        use_relative_pos=draw(st.booleans()),
        backend=draw(st.sampled_from(["matmul", "sdpa"])),
    )
    n_global = draw(st.sampled_from([0, 0, 2]))
    global_config = GlobalVectorConfig(separate_global_qkv=draw(st.booleans())) if n_global else None
    return (t_x, t_m, H, W), spec, config, global_config, n_global


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cross_attention_cases(), seed=st.integers(0, 2**16))
def test_cross_attention_equals_masked_full_attention(case, seed):
    (t_x, t_m, H, W), spec, config, global_config, n_global = case
    torch.manual_seed(seed)
    layer = CuboidCrossAttention(DIM, spec, config, max_temporal_relative=t_x + t_m + 1, global_config=global_config)
    _randomise(layer)
    layer = layer.double().eval()
    x = torch.randn(2, t_x, H, W, DIM, dtype=torch.float64)
    mem = torch.randn(2, t_m, H, W, DIM, dtype=torch.float64)
    g = torch.randn(2, n_global, DIM, dtype=torch.float64) if n_global else None
    torch.testing.assert_close(layer(x, mem, g), brute_force.cross_attention(layer, x, mem, g), rtol=1e-9, atol=1e-9)
