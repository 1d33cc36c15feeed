"""Our layers load the published layers' weights unchanged and give the same outputs."""
from __future__ import annotations

import pytest
import torch

from engine.models.earthformer.blocks import StackCuboidCrossAttentionBlock, StackCuboidSelfAttentionBlock
from engine.models.earthformer.layer_config import AttentionConfig, GlobalVectorConfig
from engine.models.earthformer.patterns import get_cross_pattern, get_self_pattern

from ..published import load_published_cuboid_transformer

SHORT = {"local": "l", "dilated": "d"}


@pytest.fixture(scope="module")
def published():
    return load_published_cuboid_transformer()


def _load(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    state = {k: v for k, v in theirs.state_dict().items() if not k.endswith("relative_position_index")}
    ours.load_state_dict(state, strict=True)


def _as_published(specs):
    cuboid = [s.cuboid_size for s in specs]
    strategy = [tuple(SHORT[a] for a in s.strategy) for s in specs]
    shift = [s.shift_size for s in specs]
    return cuboid, strategy, shift


@pytest.mark.parametrize("pattern", ["axial", "video_swin_2x4", "axial_space_dilate_2", "spatial_lg_2", "divided_st", "full"])
@pytest.mark.parametrize("globals_", ["none", "shared", "separate+g2g+ffn"])
def test_self_block_matches_published(published, pattern, globals_):
    torch.manual_seed(0)
    shape = (5, 8, 8)
    specs = get_self_pattern(pattern)(shape)
    cuboid, strategy, shift = _as_published(specs)
    use_g = globals_ != "none"
    separate = globals_.startswith("separate")
    extra = globals_.endswith("ffn")
    # 'zeros' padding: with 'ignore' + padding + global vectors the published code flattens the
    # global-to-local padding mask in the wrong order (a known bug we do not reproduce).
    theirs = published.StackCuboidSelfAttentionBlock(
        16, 4, block_cuboid_size=cuboid, block_strategy=strategy, block_shift_size=shift, padding_type="zeros",
        activation="gelu", use_inter_ffn=True, use_global_vector=use_g, use_global_vector_ffn=extra, use_global_self_attn=extra,
        separate_global_qkv=separate,
    ).eval()
    gc = GlobalVectorConfig(use_global_self_attn=extra, separate_global_qkv=separate, use_global_vector_ffn=extra) if use_g else None
    ours = StackCuboidSelfAttentionBlock(16, specs, AttentionConfig(padding_type="zeros"), gc).eval()
    _load(ours, theirs)
    x = torch.randn(2, *shape, 16)
    if use_g:
        g = torch.randn(2, 3, 16)
        for a, b in zip(ours(x, g), theirs(x, g)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    else:
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pattern", ["cross_1x1", "cross_2x2_lg", "cross_4x4_heter"])
@pytest.mark.parametrize("padding_type", ["ignore", "zeros"])
def test_cross_block_matches_published(published, pattern, padding_type):
    torch.manual_seed(0)
    specs = get_cross_pattern(pattern)((6, 8, 8))
    theirs = published.StackCuboidCrossAttentionBlock(
        16, 4, block_cuboid_hw=[s.cuboid_hw for s in specs], block_shift_hw=[s.shift_hw for s in specs],
        block_strategy=[tuple(SHORT[a] for a in s.strategy) for s in specs], block_n_temporal=[s.n_temporal for s in specs],
        padding_type=padding_type, max_temporal_relative=12, activation="gelu", use_inter_ffn=True,
    ).eval()
    ours = StackCuboidCrossAttentionBlock(16, specs, AttentionConfig(padding_type=padding_type), 12).eval()
    _load(ours, theirs)
    x, mem = torch.randn(2, 5, 8, 8, 16), torch.randn(2, 6, 8, 8, 16)
    torch.testing.assert_close(ours(x, mem), theirs(x, mem), rtol=1e-5, atol=1e-5)
