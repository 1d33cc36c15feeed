"""Our Earthformer forward vs the published implementation, same weights and input, one process.

Runs alternate (published, ours fp32, ours bf16, published bf16, ...) so drift in machine load
hits all of them alike; each figure is the median over ``repeats`` rounds. Achieved GFLOP/s use
the nominal FLOPs of the architecture (2 per multiply-add) and are printed beside the machine's
measured matmul peak, so the distance to the hardware limit is visible.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from ..models.earthformer.convert import earthformer_from_published, published_state_dict
from ..models.earthformer.flops import forward_cost
from ..models.earthformer.presets import get_preset
from ..models.earthformer.published_config import published_kwargs
from .published import load_published_cuboid_transformer

VARIANTS = ("published fp32", "ours fp32", "ours bf16", "published bf16")


@dataclass(frozen=True)
class EarthformerTiming:
    preset: str
    batch: int
    seconds: dict[str, float]  # variant -> median seconds per forward (whole batch)
    gflop_per_sample: float
    max_rel_diff_fp32: float  # max |ours - published| / max |published|
    max_rel_diff_bf16: float  # ours bf16 vs published fp32


def matmul_peak_gflops(dtype: torch.dtype, device: torch.device, n: int = 2048, repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of an n x n matmul: the practical peak of this machine.

    A dtype without hardware support (bf16 on a CPU without AVX512-BF16/AMX) is emulated and can
    be 100x slower; a 256 x 256 probe first shrinks n so the measurement stays under a few seconds.
    """
    probe = torch.randn(256, 256, device=device).to(dtype)
    _sync(device)
    start = time.perf_counter()
    probe @ probe
    _sync(device)
    probe_gflops = 2 * 256**3 / max(time.perf_counter() - start, 1e-9) / 1e9
    if probe_gflops < 20:  # emulated: keep one run near a second
        n, repeats = 512, 2
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    best = float("inf")
    for _ in range(repeats + 1):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn: Callable[[], torch.Tensor], device: torch.device) -> tuple[float, torch.Tensor]:
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return time.perf_counter() - start, out


def time_preset(preset: str, batch: int, device: torch.device, repeats: int = 3,
                variants: tuple[str, ...] = VARIANTS) -> EarthformerTiming:
    """Median forward time of each variant on one random input, alternating variants each round."""
    published = load_published_cuboid_transformer()
    config = get_preset(preset)
    torch.manual_seed(0)
    theirs = published.CuboidTransformerModel(**published_kwargs(config)).eval().to(device)
    ours = earthformer_from_published(published_state_dict(theirs.state_dict()), config).to(device)
    x = torch.rand(batch, *config.input_shape, device=device)

    def run(model, bf16: bool) -> Callable[[], torch.Tensor]:
        def call() -> torch.Tensor:
            with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                return model(x)
        return call

    calls = {"published fp32": run(theirs, False), "ours fp32": run(ours, False),
             "ours bf16": run(ours, True), "published bf16": run(theirs, True)}
    samples: dict[str, list[float]] = {v: [] for v in variants}
    outputs: dict[str, torch.Tensor] = {}
    for variant in variants:  # warm-up round (allocator, oneDNN primitive caches)
        _, outputs[variant] = _timed(calls[variant], device)
    for _ in range(repeats):
        for variant in variants:
            seconds, _ = _timed(calls[variant], device)
            samples[variant].append(seconds)
    ref = outputs.get("published fp32")
    scale = ref.abs().max().item() if ref is not None else float("nan")

    def diff(name: str) -> float:
        if ref is None or name not in outputs:
            return float("nan")
        return (outputs[name].float() - ref).abs().max().item() / scale

    return EarthformerTiming(
        preset=preset, batch=batch, seconds={v: statistics.median(s) for v, s in samples.items()},
        gflop_per_sample=forward_cost(config).nominal_flops / 1e9,
        max_rel_diff_fp32=diff("ours fp32"), max_rel_diff_bf16=diff("ours bf16"),
    )
