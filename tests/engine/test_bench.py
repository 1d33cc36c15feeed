"""The benchmark compares like with like: its masked full attention equals the cuboid layer."""
from __future__ import annotations

import pytest
import torch

from engine.bench.cuboid import Case, make_impl


@pytest.mark.parametrize(
    "case",
    [Case("axial", 0, 2, (4, 8, 8, 16)), Case("video_swin_2x4", 3, 1, (5, 9, 8, 16)), Case("video_swin_2x8", 8, 0, (3, 8, 8, 16))],
    ids=str,
)
def test_masked_full_attention_equals_the_cuboid_layer(case):
    cpu = torch.device("cpu")
    ours, x, g = make_impl(case, "cuboid-matmul", cpu)
    reference, _, _ = make_impl(case, "masked-full", cpu)
    with torch.no_grad():
        a = ours(x) if g is None else ours(x, g)
        b = reference(x) if g is None else reference(x, g)
    for left, right in zip(a if g is not None else (a,), b if g is not None else (b,)):
        torch.testing.assert_close(left, right, rtol=1e-5, atol=1e-5)
