"""Nearest-neighbour upsampling followed by a 3x3 convolution, computed without the upsampling.

Earthformer's decoder upsamples each frame by an integer factor s (nearest) and convolves with a
3x3 kernel (``Upsample3DLayer``). On the upsampled grid, output pixel u = s*i + r only ever sees
source pixels i-1, i, i+1, and which source pixel each of the three taps lands on depends only
on the phase r. So the same result is s*s small convolutions on the *source* grid, one per phase
(ry, rx), each with the 3x3 weights summed into the taps that share a source pixel:
per axis the phases need 2, 1, 2 taps (s = 3) or 2, 2 (s = 2) instead of 3. For the SEVIR head
(384 = 3 x 128) that is 25 instead of 81 multiply-adds per source pixel and channel pair, and the
9x larger upsampled tensor is never written. Zero padding of the upsampled grid is zero padding
of the source grid, so the identity is exact up to float rounding.

Non-integer factors, and factors of 1 on either axis (where fusing saves nothing), fall back to
``interpolate`` + ``conv2d``.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.functional as F

_FUSED = True


@contextmanager
def fused_upsampling(enabled: bool) -> Iterator[None]:
    """Temporarily switch the fused path on or off (for nominal FLOP counts and benchmarks)."""
    global _FUSED
    previous, _FUSED = _FUSED, enabled
    try:
        yield
    finally:
        _FUSED = previous


def _phase_taps(scale: int, phase: int) -> tuple[int, torch.Tensor]:
    """Source offsets seen by phase ``phase`` and the (n_taps, 3) matrix summing kernel taps into them.

    Returns the first source offset (-1 or 0) and a 0/1 matrix A with A[j, d + 1] = 1 when kernel
    tap d in {-1, 0, 1} lands on source offset first + j.
    """
    offsets = [(phase + d) // scale for d in (-1, 0, 1)]
    first, last = min(offsets), max(offsets)
    combine = torch.zeros(last - first + 1, 3)
    for tap, offset in enumerate(offsets):
        combine[offset - first, tap] = 1.0
    return first, combine


def upsample_conv3x3(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, size: tuple[int, int]) -> torch.Tensor:
    """``conv2d(interpolate(x, size, 'nearest'), weight, bias, padding=1)`` in fewer operations.

    Parameters
    ----------
    x : (N, C_in, H, W), any memory format (channels-last is fastest on CPU).
    weight : (C_out, C_in, 3, 3); bias : (C_out,) or None.
    size : target (H_out, W_out).

    Returns
    -------
    (N, C_out, H_out, W_out) in channels-last memory format.
    """
    n, _, h, w = x.shape
    h_out, w_out = size
    if not _FUSED or weight.shape[-2:] != (3, 3) or h_out % h or w_out % w:
        up = F.interpolate(x, size=size, mode="nearest") if (h, w) != tuple(size) else x
        return F.conv2d(up, weight, bias, padding=weight.shape[-1] // 2)
    sh, sw = h_out // h, w_out // w
    if sh == 1 or sw == 1:  # no saving when one axis is not upsampled: the row phases are all 3 taps
        up = F.interpolate(x, size=size, mode="nearest") if (sh, sw) != (1, 1) else x
        return F.conv2d(up, weight, bias, padding=1)
    padded = F.pad(x, (1, 1, 1, 1))  # source offsets -1..1 become slices of one padded copy
    c_out = weight.shape[0]
    # Columns: every phase rx embedded in the full offset range -1..1, stacked along output channels,
    # so one convolution per row phase serves all column phases (fewer, larger GEMMs).
    cols = torch.zeros(sw, 3, 3)
    for rx in range(sw):
        left, combine = _phase_taps(sw, rx)
        cols[rx, 1 + left : 1 + left + combine.shape[0]] = combine
    out = out_nhwc = None
    for ry in range(sh):
        top, rows = _phase_taps(sh, ry)
        kernel = torch.einsum("ad,oidk,rbk->roiab", rows.to(weight), weight, cols.to(weight))  # (sw, C_out, C_in, n, 3)
        kernel = kernel.reshape(sw * c_out, weight.shape[1], rows.shape[0], 3)
        window = padded[:, :, 1 + top : top + h + rows.shape[0]]
        phase = F.conv2d(window, kernel, None if bias is None else bias.repeat(sw))  # (N, sw*C_out, H, W)
        if out is None:  # allocated here so it takes the conv's dtype (autocast may change it)
            out = torch.empty(n, c_out, h_out, w_out, dtype=phase.dtype, device=x.device, memory_format=torch.channels_last)
            out_nhwc = out.permute(0, 2, 3, 1).view(n, h, sh, w, sw, c_out)  # (N, H, sh, W, sw, C_out)
        out_nhwc[:, :, ry] = phase.permute(0, 2, 3, 1).reshape(n, h, w, sw, c_out)
    return out
