"""``python -m engine bench ...``: benchmarks that print ratios measured in one run."""
from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from .bench_prediff import add_parser as _add_prediff_parser
from .bench_prediff_skill import add_parser as _add_prediff_skill_parser


def _cmd_bench_cuboid(args: argparse.Namespace) -> int:
    import torch

    from ..bench.cuboid import Case, peak_memory_mib, time_case

    device = torch.device(args.device)
    shape = tuple(args.shape)
    cases = [Case(p, n, _largest_layer(p, shape), shape) for p in args.patterns for n in args.global_vectors]
    impls = ["cuboid-matmul", "cuboid-sdpa", "masked-full"]
    rows = []
    for case in tqdm(cases, desc="bench cuboid", unit="case", file=sys.stderr):
        times = time_case(case, impls, device, repeats=args.repeats)
        memory = {} if args.no_memory else {i: peak_memory_mib(case, i, args.device) for i in impls}
        rows.append({"case": case, "times": times, "memory": memory})
    if args.json:
        print(json.dumps([{**r, "case": r["case"].__dict__} for r in rows], indent=2))
        return 0
    print(f"Cuboid self-attention layer vs masked full attention, shape (B=1, {shape}), {device}, "
          f"median of {args.repeats} alternating runs; ratio = masked-full / cuboid (higher = cuboid better)")
    header = f"{'pattern (layer)':<22}{'P':>3}  {'impl':<14}{'fwd ms':>9}{'bwd ms':>9}{'peak MiB':>10}  {'fwd x':>7}{'bwd x':>7}{'mem x':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        case, times, mem = r["case"], r["times"], r["memory"]
        ref_t, ref_m = times["masked-full"], mem.get("masked-full")
        for impl in impls:
            t, m = times[impl], mem.get(impl)
            ratios = (ref_t["forward"] / t["forward"], ref_t["backward"] / t["backward"], (ref_m / m) if m else float("nan"))
            label = f"{case.pattern} ({case.layer})"
            print(f"{label:<22}{case.num_global:>3}  {impl:<14}{1e3 * t['forward']:>9.1f}{1e3 * t['backward']:>9.1f}"
                  f"{(m if m is not None else float('nan')):>10.1f}  {ratios[0]:>7.1f}{ratios[1]:>7.1f}{ratios[2]:>7.1f}")
    return 0


def _largest_layer(pattern: str, shape) -> int:
    """Index of the pattern's layer with the biggest cuboid (the most expensive one)."""
    from ..models.earthformer.patterns import get_self_pattern

    layers = get_self_pattern(pattern)(shape[:3])
    volumes = [s.cuboid_size[0] * s.cuboid_size[1] * s.cuboid_size[2] for s in layers]
    return max(range(len(layers)), key=lambda i: (volumes[i], i))



def _cmd_bench_earthformer(args: argparse.Namespace) -> int:
    import torch

    from ..bench.earthformer import VARIANTS, matmul_peak_gflops, time_preset
    from ..forecast import resolve_device

    device = resolve_device(args.device)
    peaks = {"fp32": matmul_peak_gflops(torch.float32, device)}
    if args.bf16:
        peaks["bf16"] = matmul_peak_gflops(torch.bfloat16, device)
    variants = tuple(v for v in VARIANTS if args.bf16 or "bf16" not in v)
    cases = [(p, b) for p in args.presets for b in args.batch]
    rows = [time_preset(p, b, device, args.repeats, variants)
            for p, b in tqdm(cases, desc="bench earthformer", unit="case", file=sys.stderr)]
    if args.json:
        print(json.dumps({"device": str(device), "matmul_peak_gflops": peaks, "rows": [r.__dict__ for r in rows]}, indent=2))
        return 0
    print(f"Earthformer forward, ours vs published (earthformer==0.2.1), same weights and input, {device}, "
          f"median of {args.repeats} alternating rounds.")
    print("Measured matmul peak: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items()) + " "
          f"(torch CPU capability {torch.backends.cpu.get_cpu_capability()}).")
    print("ratio = ours / published fp32 time (below 1.0 = ours faster); rel diff = max |ours - published| / max |published|")
    header = f"{'preset':<12}{'batch':>6}  {'variant':<16}{'ms/sample':>11}{'GFLOP/s':>9}{'ratio':>8}  rel diff"
    print(header)
    print("-" * len(header))
    for r in rows:
        base = r.seconds["published fp32"]
        for variant in variants:
            t = r.seconds[variant]
            rel = {"ours fp32": r.max_rel_diff_fp32, "ours bf16": r.max_rel_diff_bf16}.get(variant)
            print(f"{r.preset:<12}{r.batch:>6}  {variant:<16}{1e3 * t / r.batch:>11.1f}"
                  f"{r.gflop_per_sample * r.batch / t:>9.1f}{t / base:>8.3f}  {'' if rel is None else f'{rel:.1e}'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks that print ratios measured in one run")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCH")
    cuboid = bench_sub.add_parser("cuboid", help="cuboid self-attention vs masked full attention (time, memory)")
    cuboid.add_argument("--shape", type=int, nargs=4, default=[13, 32, 32, 128], metavar=("T", "H", "W", "C"))
    cuboid.add_argument("--patterns", nargs="+", default=["axial", "video_swin_2x8"])
    cuboid.add_argument("--global-vectors", type=int, nargs="+", default=[0, 8])
    cuboid.add_argument("--device", default="cpu")
    cuboid.add_argument("--repeats", type=int, default=5)
    cuboid.add_argument("--no-memory", action="store_true", help="skip the per-case peak-memory subprocesses")
    cuboid.add_argument("--json", action="store_true")
    cuboid.set_defaults(func=_cmd_bench_cuboid)
    ef = bench_sub.add_parser("earthformer", help="our Earthformer forward vs the published implementation")
    ef.add_argument("--presets", nargs="+", default=["sevir", "sevir_lr", "icar_enso"])
    ef.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ef.add_argument("--device", default="auto")
    ef.add_argument("--repeats", type=int, default=5)
    ef.add_argument("--no-bf16", dest="bf16", action="store_false", help="fp32 only")
    ef.add_argument("--json", action="store_true")
    ef.set_defaults(func=_cmd_bench_earthformer)
    _add_prediff_parser(bench_sub)
    _add_prediff_skill_parser(bench_sub)
