"""Brute-force references for cuboid attention, written from the definitions alone.

Each one runs plain full attention over every token of the padded grid in (t, h, w) order,
restricted by a mask that is built element by element: for each element we compute where the
cyclic shift moves it, which cuboid and in-cuboid position that gives under the local or
dilated rule, and which Swin shift region it lands in. Nothing here calls the engine's
reorder, roll or mask code; only the layer's weights are borrowed.
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F


def clip(shape, cuboid, shift, strategy):
    """The reference size normalisation, restated."""
    cuboid, shift = list(cuboid), list(shift)
    for a in range(3):
        if strategy[a] == "dilated":
            shift[a] = 0
        if shape[a] <= cuboid[a]:
            cuboid[a], shift[a] = shape[a], 0
    return cuboid, shift


def element_index(p, length, block, shift, strategy):
    """(cuboid index, in-cuboid index, region) of padded position p on one axis."""
    r = (p - shift) % length
    n = length // block
    k, j = (r // block, r % block) if strategy == "local" else (r % n, r // n)
    region = 0 if shift == 0 else (0 if r < length - block else 1 if r < length - shift else 2)
    return k, j, region


def _pad(x, pads, padding_type, t_left=False):
    pt, ph, pw = pads
    if padding_type == "nearest":
        B, T, H, W, C = x.shape
        return F.interpolate(x.permute(0, 4, 1, 2, 3), size=(T + pt, H + ph, W + pw)).permute(0, 2, 3, 4, 1)
    return F.pad(x, (0, 0, 0, pw, 0, ph) + ((pt, 0) if t_left else (0, pt)))


def _unpad(x, shape, padding_type):
    if padding_type == "nearest":
        return F.interpolate(x.permute(0, 4, 1, 2, 3), size=tuple(shape)).permute(0, 2, 3, 4, 1)
    T, H, W = shape
    return x[:, :T, :H, :W]


def _softmax(scores, mask):
    scores = scores.masked_fill(~mask, -1e18)
    return scores.softmax(-1) * mask


def _split(t, heads):  # (B, n, C) -> (B, h, n, D)
    B, n, C = t.shape
    return t.reshape(B, n, heads, C // heads).transpose(1, 2)


def self_attention(layer, x, g=None):
    """Full masked attention equal, by definition, to ``layer(x[, g])`` (eval mode)."""
    cfg, spec = layer.config, layer.spec
    B, T, H, W, C = x.shape
    cuboid, shift = clip((T, H, W), spec.cuboid_size, spec.shift_size, spec.strategy)
    pads = [(b - L % b) % b for L, b in zip((T, H, W), cuboid)]
    Tp, Hp, Wp = (L + p for L, p in zip((T, H, W), pads))
    xn = _pad(layer.norm(x), pads, cfg.padding_type)
    tokens = xn.reshape(B, Tp * Hp * Wp, C)
    ids, coords, regions, valid = [], [], [], []
    for t, h, w in itertools.product(range(Tp), range(Hp), range(Wp)):
        per_axis = [element_index(p, L, b, z, s) for p, L, b, z, s in zip((t, h, w), (Tp, Hp, Wp), cuboid, shift, spec.strategy)]
        ids.append(tuple(k for k, _, _ in per_axis))
        coords.append([j for _, j, _ in per_axis])
        regions.append(tuple(r for _, _, r in per_axis))
        valid.append(t < T and h < H and w < W)
    n = len(ids)
    mask = torch.tensor([[ids[a] == ids[b] and regions[a] == regions[b] for b in range(n)] for a in range(n)])
    valid = torch.tensor(valid)
    if cfg.padding_type == "ignore":
        mask &= valid[:, None] & valid[None, :]
    heads = cfg.num_heads
    q, k, v = (_split(t, heads) for t in layer.qkv(tokens).chunk(3, -1))
    q = q * layer.scale
    scores = q @ k.transpose(-1, -2)  # (B, h, n, n)
    if cfg.use_relative_pos:
        coords = torch.tensor(coords)
        delta = coords[:, None, :] - coords[None, :, :]  # (n, n, 3)
        bt, bh, bw = spec.cuboid_size
        index = (delta[..., 0] + bt - 1) * (2 * bh - 1) * (2 * bw - 1) + (delta[..., 1] + bh - 1) * (2 * bw - 1) + delta[..., 2] + bw - 1
        index = index.clamp(0, layer.relative_position_bias_table.shape[0] - 1)  # masked pairs may fall outside
        scores = scores + layer.relative_position_bias_table[index].permute(2, 0, 1)
    if g is None:
        out = _softmax(scores, mask) @ v
        new_g = None
    else:
        out, new_g = _with_globals(layer, tokens, q, k, v, scores, mask, valid, g)
    out = out.transpose(1, 2).reshape(B, n, C)
    if cfg.use_final_proj:
        out = layer.proj(out)
    out = _unpad(out.reshape(B, Tp, Hp, Wp, C), (T, H, W), cfg.padding_type)
    return out if g is None else (out, new_g)


def _with_globals(layer, tokens, q, k, v, scores, mask, valid, g):
    gc, heads = layer.global_config, layer.config.num_heads
    g = layer.global_vec_norm(g)
    P = g.shape[1]
    if gc.separate_global_qkv:
        l2g_q = _split(layer.l2g_q_net(tokens), heads) * layer.scale
        gk, gv = (_split(t, heads) for t in layer.l2g_global_kv_net(g).chunk(2, -1))
        g2l_q = _split(layer.g2l_global_q_net(g), heads) * layer.scale
        g2l_k, g2l_v = _split(layer.g2l_k_net(tokens), heads), _split(layer.g2l_v_net(tokens), heads)
        if gc.use_global_self_attn:
            g2g_q, g2g_k, g2g_v = (_split(t, heads) for t in layer.g2g_global_qkv_net(g).chunk(3, -1))
            g2g_q = g2g_q * layer.scale
    else:
        gq, gk, gv = (_split(t, heads) for t in layer.global_qkv(g).chunk(3, -1))
        l2g_q, g2l_q, g2l_k, g2l_v = q, gq * layer.scale, k, v
        g2g_q, g2g_k, g2g_v = gq * layer.scale, gk, gv
    # local queries: their cuboid plus every global vector, one softmax
    all_scores = torch.cat((scores, l2g_q @ gk.transpose(-1, -2)), -1)
    all_mask = torch.cat((mask, torch.ones(mask.shape[0], P, dtype=torch.bool)), -1)
    out = _softmax(all_scores, all_mask) @ torch.cat((v, gv), 2)
    # global queries: every real token (all tokens unless padding is ignored) [+ globals]
    keys_ok = valid if layer.config.padding_type == "ignore" else torch.ones_like(valid)
    g_scores, g_values = g2l_q @ g2l_k.transpose(-1, -2), g2l_v
    if gc.use_global_self_attn:
        g_scores = torch.cat((g_scores, g2g_q @ g2g_k.transpose(-1, -2)), -1)
        g_values = torch.cat((g_values, g2g_v), 2)
        keys_ok = torch.cat((keys_ok, torch.ones(P, dtype=torch.bool)))
    new_g = _softmax(g_scores, keys_ok[None, None, None, :]) @ g_values
    B = g.shape[0]
    new_g = new_g.transpose(1, 2).reshape(B, P, -1)
    if layer.config.use_final_proj:
        new_g = layer.global_proj(new_g)
    return out, new_g


def cross_attention(layer, x, mem, g=None):
    """Full masked attention from every query token to every memory token, equal to ``layer(x, mem[, g])``."""
    cfg, spec = layer.config, layer.spec
    B, Tx, H, W, C = x.shape
    Tm = mem.shape[1]
    n_t = spec.n_temporal
    (bh, bw), strategy = spec.cuboid_hw, spec.strategy
    shift = [0 if s == "dilated" else z for s, z in zip(strategy[1:], spec.shift_hw)]
    pt_x, pt_m = (n_t - Tx % n_t) % n_t, (n_t - Tm % n_t) % n_t
    ph, pw = (bh - H % bh) % bh, (bw - W % bw) % bw
    Hp, Wp = H + ph, W + pw
    xs = _pad(layer.norm(x), (pt_x, ph, pw), cfg.padding_type)
    ms = _pad(mem, (pt_m, ph, pw), cfg.padding_type, t_left=True)

    def describe(Tp, pad_t, left):
        out = []
        bt = Tp // n_t
        for t, h, w in itertools.product(range(Tp), range(Hp), range(Wp)):
            kt, jt, _ = element_index(t, Tp, bt, 0, strategy[0])
            kh, jh, rh = element_index(h, Hp, bh, shift[0], strategy[1])
            kw, jw, rw = element_index(w, Wp, bw, shift[1], strategy[2])
            real_t = (t >= pad_t) if left else (t < Tp - pad_t)
            out.append(((kt, kh, kw), (jt, jh, jw), (rh, rw), real_t and h < H and w < W))
        return out

    qd, md = describe(Tx + pt_x, pt_x, False), describe(Tm + pt_m, pt_m, True)
    mask = torch.tensor([[a[0] == b[0] and a[2] == b[2] for b in md] for a in qd])
    if cfg.padding_type == "ignore":
        mask &= torch.tensor([a[3] for a in qd])[:, None] & torch.tensor([b[3] for b in md])[None, :]
    heads = cfg.num_heads
    q = _split(layer.q_proj(xs.reshape(B, -1, C)), heads) * layer.scale
    k, v = (_split(t, heads) for t in layer.kv_proj(ms.reshape(B, -1, C)).chunk(2, -1))
    scores = q @ k.transpose(-1, -2)
    if cfg.use_relative_pos:
        maxT = layer.max_temporal_relative
        qc, mc = torch.tensor([a[1] for a in qd]), torch.tensor([b[1] for b in md])
        d = qc[:, None, :] - mc[None, :, :]
        index = (d[..., 0] + maxT - 1) * (2 * bh - 1) * (2 * bw - 1) + (d[..., 1] + bh - 1) * (2 * bw - 1) + d[..., 2] + bw - 1
        index = index.clamp(0, layer.relative_position_bias_table.shape[0] - 1)
        scores = scores + layer.relative_position_bias_table[index].permute(2, 0, 1)
    if g is not None:
        if layer.global_config.separate_global_qkv:
            l2g_q = _split(layer.l2g_q_net(xs.reshape(B, -1, C)), heads) * layer.scale
            gk, gv = (_split(t, heads) for t in layer.l2g_global_kv_net(g).chunk(2, -1))
        else:
            l2g_q = q
            gk, gv = (_split(t, heads) for t in layer.kv_proj(g).chunk(2, -1))
        scores = torch.cat((scores, l2g_q @ gk.transpose(-1, -2)), -1)
        mask = torch.cat((mask, torch.ones(mask.shape[0], g.shape[1], dtype=torch.bool)), -1)
        v = torch.cat((v, gv), 2)
    out = (_softmax(scores, mask) @ v).transpose(1, 2).reshape(B, -1, C)
    out = layer.proj(out).reshape(B, Tx + pt_x, Hp, Wp, C)
    return _unpad(out, (Tx, H, W), cfg.padding_type)
