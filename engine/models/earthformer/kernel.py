"""Attention inside all cuboids at once: one batched kernel, no Python loop over cuboids.

Tensors arrive already split into heads and cuboids:
``q`` (B, heads, N, Vq, D), ``k``/``v`` (B, heads, N, Vk, D), with ``q`` pre-scaled.
Optional extra keys shared by every cuboid (the global vectors) come as ``extra_k``/``extra_v``
(B, heads, 1, P, D) with their own queries ``extra_q`` (same shape as ``q``); they join the
local keys in one softmax, are never masked, and get no relative-position bias.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .layer_config import AttentionBackend


def _fill_value(dtype: torch.dtype) -> float:
    # Large but finite so a fully masked row (a padded query) gives zeros, not NaN.
    return -1e4 if dtype == torch.float16 else -1e18


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis where ``mask`` (broadcastable bool, True = keep) holds."""
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(~mask, _fill_value(scores.dtype))
    return scores.softmax(dim=-1) * mask


def resolve_backend(backend: AttentionBackend, device: torch.device) -> str:
    """``auto`` -> the measured faster kernel: batched matmul on CPU, fused SDPA on CUDA."""
    if backend == "auto":
        return "sdpa" if device.type == "cuda" else "matmul"
    return backend


def cuboid_attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    extra_q: torch.Tensor | None = None,
    extra_k: torch.Tensor | None = None,
    extra_v: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    backend: AttentionBackend = "auto",
) -> torch.Tensor:
    """Attention within every cuboid.

    Parameters
    ----------
    q, k, v : (B, heads, N, Vq, D), (B, heads, N, Vk, D), (B, heads, N, Vk, D)
    bias : (heads, Vq, Vk) additive relative-position bias, or None
    mask : (N, Vq, Vk) bool, True = may attend, or None
    extra_q, extra_k, extra_v : global-vector query (like ``q``) and keys/values (B, heads, 1, P, D)
    dropout_p : attention dropout (pass 0.0 in eval)

    Returns
    -------
    (B, heads, N, Vq, D)
    """
    has_extra = extra_k is not None
    if resolve_backend(backend, q.device) == "sdpa" and (not has_extra or extra_q is q):
        return _attend_sdpa(q, k, v, bias, mask, extra_k, extra_v, dropout_p)
    scores = q @ k.transpose(-2, -1)  # (B, h, N, Vq, Vk)
    if bias is not None:
        scores = scores + bias.unsqueeze(1)  # bias (h, 1, Vq, Vk)
    if has_extra:
        extra_scores = extra_q @ extra_k.transpose(-2, -1)  # (B, h, N, Vq, P)
        scores = torch.cat((scores, extra_scores), dim=-1)
        if mask is not None:
            mask = F.pad(mask, (0, extra_k.shape[-2]), value=True)
    weights = masked_softmax(scores, mask)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p, training=True)
    if not has_extra:
        return weights @ v
    n_local = k.shape[-2]
    return weights[..., :n_local] @ v + weights[..., n_local:] @ extra_v  # extra_v broadcasts over N


def _attend_sdpa(q, k, v, bias, mask, extra_k, extra_v, dropout_p):
    """Fused kernel path: bias and mask become one additive float mask (heads, 1|N, Vq, Vk)."""
    B, h, N, Vq, D = q.shape
    n_local = k.shape[-2]
    n_extra = 0
    if extra_k is not None:
        n_extra = extra_k.shape[-2]
        k = torch.cat((k, extra_k.expand(B, h, N, n_extra, D)), dim=-2)  # (B, h, N, Vk + P, D)
        v = torch.cat((v, extra_v.expand(B, h, N, n_extra, v.shape[-1])), dim=-2)
    additive = None
    if bias is not None or mask is not None:
        additive = torch.zeros((h, 1, Vq, n_local + n_extra), dtype=q.dtype, device=q.device)
        if bias is not None:
            additive[..., :n_local] = bias.unsqueeze(1).to(q.dtype)
        if mask is not None:
            keep = F.pad(mask, (0, n_extra), value=True)  # (N, Vq, Vk + P)
            additive = additive.masked_fill(~keep, _fill_value(q.dtype))  # (h, N, Vq, Vk + P)
    if additive is not None:  # fused kernels take 4-D inputs: merge (heads, N)
        additive = additive.expand(h, N, Vq, n_local + n_extra).reshape(h * N, Vq, n_local + n_extra)
    q4, k4, v4 = (t.reshape(B, h * N, t.shape[-2], t.shape[-1]) for t in (q, k, v))  # (B, h*N, V, D)
    # q arrives pre-scaled, so SDPA must not scale again.
    out = F.scaled_dot_product_attention(q4, k4, v4, attn_mask=additive, dropout_p=dropout_p, scale=1.0)
    return out.reshape(B, h, N, Vq, v.shape[-1])
