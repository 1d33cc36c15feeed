"""Benchmark: cuboid self-attention vs the same attention computed as masked full attention.

Both run the same layer weights on the same input. The reference materialises the full
(heads, n, n) score matrix over all n = T'H'W' tokens, with the relative-position bias and the
cuboid/shift mask folded into one dense additive tensor (built once, outside the timing) —
the straightforward way to express cuboid attention without a decomposition. Times are
medians of alternating runs in one process; peak memory is measured per case in a fresh
subprocess (peak RSS growth on CPU, ``max_memory_allocated`` on CUDA).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import torch

from ..models.earthformer.explain import cuboid_layout
from ..models.earthformer.layer_config import AttentionConfig, GlobalVectorConfig
from ..models.earthformer.patterns import get_self_pattern
from ..models.earthformer.self_attention import CuboidSelfAttention

SEVIR_LEVEL0 = (13, 32, 32, 128)


@dataclass(frozen=True)
class Case:
    pattern: str
    num_global: int
    layer: int  # which layer of the pattern: the largest cuboid volume is the hardest
    shape: tuple[int, int, int, int] = SEVIR_LEVEL0


def build_layer(case: Case, backend: str = "auto") -> CuboidSelfAttention:
    T, H, W, C = case.shape
    spec = get_self_pattern(case.pattern)((T, H, W))[case.layer]
    gc = GlobalVectorConfig(use_global_self_attn=True, separate_global_qkv=True) if case.num_global else None
    torch.manual_seed(0)
    return CuboidSelfAttention(C, spec, AttentionConfig(num_heads=4, padding_type="zeros", backend=backend), gc)


class MaskedFullAttention(torch.nn.Module):
    """The layer's attention as one full softmax over all tokens with a dense additive mask."""

    def __init__(self, layer: CuboidSelfAttention, thw: tuple[int, int, int]) -> None:
        super().__init__()
        self.layer = layer
        layout = cuboid_layout(thw, layer.spec, layer.config.padding_type)
        if layer.config.padding_type != "zeros":
            raise ValueError("MaskedFullAttention: expected padding_type='zeros'")
        # the padded grid: zero tokens past the end take part like any other token
        ids = torch.from_numpy(layout.padded_cuboid_id.reshape(-1) * 27 + layout.padded_region.reshape(-1))
        pos = torch.from_numpy(layout.padded_position.reshape(-1))
        allowed = ids[:, None] == ids[None, :]  # (n, n)
        self.decomposition = layout.decomposition
        with torch.no_grad():
            bias = layer._bias(self.decomposition)  # (h, V, V)
            bias = bias[:, pos[:, None], pos[None, :]].masked_fill_(~allowed, -1e18)  # (h, n, n)
        self.register_buffer("additive", bias, persistent=False)

    def forward(self, x: torch.Tensor, g: torch.Tensor | None = None):
        lay = self.layer
        B, T0, H0, W0, C = x.shape
        T, H, W = self.decomposition.padded_shape
        h = lay.num_heads
        grid = torch.nn.functional.pad(lay.norm(x), (0, 0, 0, W - W0, 0, H - H0, 0, T - T0))
        tokens = grid.reshape(B, 1, T * H * W, C)  # every token in one "cuboid"
        q, k, v = (t.reshape(B, -1, h, C // h).transpose(1, 2) for t in lay.qkv(tokens).chunk(3, -1))
        scores = (q * lay.scale) @ k.transpose(-1, -2) + self.additive  # (B, h, n, n)
        if g is None:
            out = scores.softmax(-1) @ v
            return lay.proj(out.transpose(1, 2).reshape(B, T, H, W, C)[:, :T0, :H0, :W0])
        gn = lay.global_vec_norm(g)
        l2g_q, gk, gv, g2l_q, g2l_k, g2l_v, g2g = lay._global_projections(tokens, gn, None, None, None)
        weights = torch.cat((scores, l2g_q[:, :, 0] @ gk[:, :, 0].transpose(-1, -2)), -1).softmax(-1)
        n = scores.shape[-1]
        out = weights[..., :n] @ v + weights[..., n:] @ gv[:, :, 0]
        # global vectors already see every token in the cuboid layer: the same update serves both
        new_g = lay.global_proj(lay._update_globals(self.decomposition, g2l_q, g2l_k, g2l_v, g2g, 0.0))
        return lay.proj(out.transpose(1, 2).reshape(B, T, H, W, C)[:, :T0, :H0, :W0]), new_g


def _run(module, x, g, backward: bool) -> None:
    out = module(x) if g is None else module(x, g)
    if backward:
        loss = out.square().mean() if g is None else out[0].square().mean() + out[1].square().mean()
        loss.backward()


def _time(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def make_impl(case: Case, impl: str, device: torch.device):
    """impl: 'cuboid-matmul', 'cuboid-sdpa' or 'masked-full'."""
    backend = "sdpa" if impl == "cuboid-sdpa" else "matmul"
    layer = build_layer(case, backend).to(device)
    module = MaskedFullAttention(layer, case.shape[:3]).to(device) if impl == "masked-full" else layer
    torch.manual_seed(1)
    x = torch.randn(1, *case.shape, device=device, requires_grad=True)
    g = torch.randn(1, case.num_global, case.shape[-1], device=device, requires_grad=True) if case.num_global else None
    return module, x, g


def time_case(case: Case, impls: list[str], device: torch.device, repeats: int = 5) -> dict[str, dict[str, float]]:
    """Median forward and forward+backward seconds per implementation, runs alternating."""
    built = {name: make_impl(case, name, device) for name in impls}
    samples = {name: {"forward": [], "backward": []} for name in impls}
    for name, (m, x, g) in built.items():  # warm-up (mask caches, allocator)
        _run(m, x, g, backward=True)
    for _ in range(repeats):
        for name, (m, x, g) in built.items():
            with torch.no_grad():
                samples[name]["forward"].append(_time(lambda: _run(m, x, g, False), device))
            fwd_bwd = _time(lambda: _run(m, x, g, True), device)
            samples[name]["backward"].append(fwd_bwd - statistics.median(samples[name]["forward"]))
    return {n: {k: statistics.median(v) for k, v in s.items()} for n, s in samples.items()}


def peak_memory_mib(case: Case, impl: str, device: str) -> float:
    """Peak extra memory of one forward+backward, measured in a fresh interpreter."""
    code = (
        "import json,sys,torch,resource\n"
        "from engine.bench.cuboid import Case, make_impl, _run, _reset_peak_rss_mib, _peak_rss_mib\n"
        f"case=Case(**json.loads({json.dumps(json.dumps(asdict(case)))}))\n"
        f"dev=torch.device({device!r})\n"
        f"m,x,g=make_impl(case,{impl!r},dev)\n"
        "if dev.type=='cuda':\n"
        "    torch.cuda.reset_peak_memory_stats(); base=torch.cuda.memory_allocated()\n"
        "    _run(m,x,g,True); torch.cuda.synchronize(); print((torch.cuda.max_memory_allocated()-base)/2**20)\n"
        "else:\n"
        "    base=_reset_peak_rss_mib(); _run(m,x,g,True); print(_peak_rss_mib()-base)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak_rss_mib() -> float:
    """Reset the kernel's peak-RSS mark (VmHWM) and return the current RSS in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mib("VmRSS")


def _peak_rss_mib() -> float:
    return _status_mib("VmHWM")
