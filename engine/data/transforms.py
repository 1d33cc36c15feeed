"""Layout conversions and pooling: the only place arrays change layout.

SEVIR files store (N, H, W, T); events are (T, H, W); models take (B, T, H, W, C).
All functions are pure NumPy and keep the dtype (max pooling of uint8 stays uint8).
"""
from __future__ import annotations

import numpy as np

#: SEVIR-LR (PreDiff): every second frame (10-min steps) and 3 x 3 max pooling (384 -> 128).
LR_TIME_STEP = 2
LR_POOL = 3


def nhwt_to_nthw(x: np.ndarray) -> np.ndarray:
    """(N, H, W, T) file layout -> (N, T, H, W)."""
    _check_ndim(x, 4, "(N, H, W, T)")
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def nthw_to_nhwt(x: np.ndarray) -> np.ndarray:
    """(N, T, H, W) -> (N, H, W, T) file layout."""
    _check_ndim(x, 4, "(N, T, H, W)")
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))


def thw_to_thwc(x: np.ndarray) -> np.ndarray:
    """(T, H, W) -> (T, H, W, 1): add the channel axis the engine's layout expects."""
    _check_ndim(x, 3, "(T, H, W)")
    return x[..., None]


def max_pool_hw(x: np.ndarray, factor: int) -> np.ndarray:
    """Max pooling over the last two axes with kernel = stride = ``factor``.

    (..., H, W) -> (..., H / factor, W / factor); H and W must be divisible by ``factor``.
    """
    if factor < 1:
        raise ValueError(f"pool factor: expected >= 1, got {factor}")
    if factor == 1:
        return x
    h, w = x.shape[-2:]
    if h % factor or w % factor:
        raise ValueError(f"pool factor {factor}: expected it to divide the frame size, got {h} x {w}")
    blocks = x.reshape(*x.shape[:-2], h // factor, factor, w // factor, factor)  # (..., h', k, w', k)
    return blocks.max(axis=(-3, -1))


def every_nth_frame(x: np.ndarray, step: int) -> np.ndarray:
    """(T, ...) -> (ceil(T / step), ...): frames 0, step, 2 * step, ..."""
    if step < 1:
        raise ValueError(f"frame step: expected >= 1, got {step}")
    return x[::step]


def sevir_lr(x: np.ndarray) -> np.ndarray:
    """SEVIR-LR of an event: (49, 384, 384) -> (25, 128, 128), every 2nd frame then 3 x 3 max pool."""
    _check_ndim(x, 3, "(T, H, W)")
    return max_pool_hw(every_nth_frame(x, LR_TIME_STEP), LR_POOL)


def window_starts(n_frames: int, seq_len: int, stride: int) -> list[int]:
    """First frame of each window of ``seq_len`` frames every ``stride`` frames.

    49 frames, seq_len 25, stride 12 -> [0, 12, 24] (frames 0-24, 12-36, 24-48).
    """
    if seq_len < 1 or stride < 1:
        raise ValueError(f"seq_len and stride: expected >= 1, got seq_len={seq_len}, stride={stride}")
    return list(range(0, n_frames - seq_len + 1, stride))


def _check_ndim(x: np.ndarray, ndim: int, layout: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"array: expected {ndim} dims {layout}, got shape {x.shape}")
