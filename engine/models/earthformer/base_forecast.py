"""A baseline forecast the Earthformer can correct instead of forecasting from nothing.

With ``EarthformerConfig.base_forecast = "optical_flow"`` the model first extrapolates the
context along its optical flow (pysteps Proesmans motion + semi-Lagrangian advection: exactly the
``optical_flow`` baseline of ``engine.baselines``). The network sees that extrapolation as a second
input channel beside the context (``base_input``) and returns a gain g and an offset r per pixel:
forecast = base * (1 + g) + r. Extrapolation carries the storms' fine texture along their motion,
which a 12 x 12 token grid cannot redraw; the gain scales that texture (growth, decay, or damping
where the motion is uncertain) and the offset adds what extrapolation cannot move there. "none" is
the published model.

The extrapolation is computed on the CPU in float64 without gradients, one sample at a time
(about 0.1 s for 13 frames of 96 x 96 on this CPU). Training sees the same windows every epoch,
so results are kept in a bounded cache keyed by the context's bytes.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Literal

import numpy as np
import torch

BaseForecast = Literal["none", "optical_flow"]
BASE_FORECASTS: tuple[str, ...] = ("none", "optical_flow")

CACHE_BYTES = 1 << 29  # 512 MiB: ~1,200 windows of 12 x 96 x 96 (the demo's 810), ~75 of 12 x 384 x 384


class _Cache:
    """Least-recently-used map from a context's bytes to its extrapolation, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.store: OrderedDict[bytes, np.ndarray] = OrderedDict()

    def get(self, key: bytes) -> np.ndarray | None:
        value = self.store.get(key)
        if value is not None:
            self.store.move_to_end(key)
        return value

    def put(self, key: bytes, value: np.ndarray) -> None:
        if key in self.store:
            self.bytes -= self.store.pop(key).nbytes
        self.store[key] = value
        self.bytes += value.nbytes
        while self.bytes > self.max_bytes and len(self.store) > 1:
            self.bytes -= self.store.popitem(last=False)[1].nbytes


_CACHE = _Cache(CACHE_BYTES)


def _extrapolate(context: np.ndarray, out_len: int) -> np.ndarray:
    """One context (T_in, H, W) float32 -> (out_len, H, W) float32, cached (callers must not modify it)."""
    from ...baselines.extrapolation import optical_flow  # the baselines import the models: import late

    digest = hashlib.blake2b(repr((context.shape, out_len)).encode(), digest_size=16)
    digest.update(context.tobytes())
    key = digest.digest()
    out = _CACHE.get(key)
    if out is None:
        out = optical_flow(context.astype(np.float64), out_len).astype(np.float32)
        _CACHE.put(key, out)
    return out


def base_forecast(name: str, x: torch.Tensor, out_len: int) -> torch.Tensor:
    """The baseline ``name`` for a batch: x (B, T_in, H, W, 1) -> (B, out_len, H, W, 1), x's dtype and device.

    Values keep x's units (the extrapolation carries intensities unchanged); no gradient flows.
    """
    if name not in BASE_FORECASTS or name == "none":
        raise ValueError(f"base_forecast: expected one of {[n for n in BASE_FORECASTS if n != 'none']}, got {name!r}")
    if x.ndim != 5 or x.shape[-1] != 1:
        raise ValueError(f"base_forecast: expected (B, T_in, H, W, 1), got {tuple(x.shape)}")
    b, _, h, w, _ = x.shape
    if x.is_meta:  # shape-only runs (FLOP counting): the extrapolation has no matmuls or convolutions
        return torch.empty((b, out_len, h, w, 1), dtype=x.dtype, device=x.device)
    contexts = x.detach()[..., 0].float().cpu().numpy()  # (B, T_in, H, W)
    futures = np.stack([_extrapolate(np.ascontiguousarray(c), out_len) for c in contexts])  # (B, T_out, H, W)
    return torch.from_numpy(futures[..., None]).to(device=x.device, dtype=x.dtype)


def base_input(x: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
    """The base forecast as an input channel: (B, T_in, H, W, 1) holding the last context frame and
    then the forecast frames, cut or padded (last frame repeated) to T_in frames.

    For SEVIR's 13 -> 12 frames this is the whole forecast after the frame it starts from, so
    the network can compare its texture with what it would forecast itself.
    """
    t_in = x.shape[1]
    seq = torch.cat([x[:, -1:, ..., :1], base], dim=1)[:, :t_in]  # (B, <= T_in, H, W, 1)
    if seq.shape[1] < t_in:
        seq = torch.cat([seq, seq[:, -1:].expand(-1, t_in - seq.shape[1], -1, -1, -1)], dim=1)
    return seq
