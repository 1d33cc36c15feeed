"""Fused nearest-upsampling + 3x3 convolution equals the two-step published computation."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.models.earthformer.upsample import fused_upsampling, upsample_conv3x3


def _reference(x, weight, bias, size):
    return F.conv2d(F.interpolate(x, size=size, mode="nearest"), weight, bias, padding=1)


@pytest.mark.parametrize("hw, size", [((4, 5), (8, 10)), ((4, 4), (12, 12)), ((3, 5), (6, 15)), ((5, 5), (5, 5)),
                                      ((6, 6), (11, 11)), ((7, 3), (28, 12))])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_equals_upsample_then_conv_in_float64(hw, size, channels_last):
    torch.manual_seed(0)
    x = torch.randn(2, 6, *hw, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    weight, bias = torch.randn(7, 6, 3, 3, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    got = upsample_conv3x3(x, weight, bias, size)
    assert got.shape == (2, 7, *size)
    torch.testing.assert_close(got, _reference(x, weight, bias, size), rtol=0, atol=1e-12)


def test_switching_fusion_off_gives_the_reference_path():
    x, weight = torch.randn(1, 3, 4, 4), torch.randn(5, 3, 3, 3)
    with fused_upsampling(False):
        off = upsample_conv3x3(x, weight, None, (8, 8))
    torch.testing.assert_close(off, _reference(x, weight, None, (8, 8)), rtol=0, atol=0)


def test_fused_output_follows_autocast_dtype():
    x, weight, bias = torch.randn(1, 4, 4, 4), torch.randn(4, 4, 3, 3), torch.randn(4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = upsample_conv3x3(x, weight, bias, (12, 12))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), _reference(x, weight, bias, (12, 12)), rtol=0.05, atol=0.1)


def test_gradients_match_the_reference():
    torch.manual_seed(1)
    x = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    grads = torch.autograd.grad(upsample_conv3x3(x, weight, None, (12, 15)).square().sum(), (x, weight))
    ref = torch.autograd.grad(_reference(x, weight, None, (12, 15)).square().sum(), (x, weight))
    for a, b in zip(grads, ref):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
