"""``python -m engine bench prediff``: time a demo PreDiff ensemble and count sampler network calls.

The parser is added under ``bench`` by :mod:`engine.commands.bench` (one ``bench`` command, one
sub-command per benchmark); this module's ``register`` adds nothing at the top level.
"""
from __future__ import annotations

import argparse
import json


def _cmd_bench_prediff(args: argparse.Namespace) -> int:
    import torch

    from ..bench.prediff import TARGET_SECONDS, bench_prediff, network_calls
    from ..diffusion.samplers import DEFAULT_SAMPLER

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.members < 1 or args.repeats < 1:
        raise ValueError(f"--members and --repeats: expected at least 1, got {args.members} and {args.repeats}")
    timing = bench_prediff(args.set, args.members, args.steps, args.sampler or DEFAULT_SAMPLER, not args.unguided,
                           args.repeats, compare_sequential=not args.unguided and not args.no_compare)
    fast = network_calls(DEFAULT_SAMPLER, None)
    slow = network_calls("ddpm", None)
    if args.json:
        print(json.dumps({**timing.__dict__, "default_sampler_calls": fast, "ddpm_calls": slow,
                          "ddpm_seconds_estimate": timing.seconds_per_call * slow,
                          "achieved_gflops": timing.achieved_gflops, "fraction_of_peak": timing.fraction_of_peak},
                         indent=2))
        return 0
    weights = "trained set" if timing.trained else "random weights: no trained PreDiff set in the model folders; " \
                                                   "timings hold, samples are noise"
    print(f"PreDiff ensemble on {timing.source} ({weights}); {timing.threads} torch threads, "
          f"load average {timing.load_average:.1f}; median of {args.repeats} runs after one warm-up.")
    verdict = "meets" if timing.seconds <= TARGET_SECONDS else "misses"
    print(f"{timing.members} members, {timing.sampler} {timing.steps} steps, "
          f"{'with' if timing.guided else 'without'} knowledge control: {timing.seconds:.2f} s "
          f"({verdict} the {TARGET_SECONDS:.0f} s target); denoising {timing.stages['denoise']:.2f} s "
          f"({1e3 * timing.seconds_per_call:.0f} ms per batched call), decoding {timing.stages['decode']:.2f} s.")
    if timing.gflop is not None and timing.peak_gflops:
        floor = timing.gflop / timing.peak_gflops
        print(f"Work: {timing.gflop:.0f} GFLOP (matrix products and convolutions) in {timing.seconds:.2f} s = "
              f"{timing.achieved_gflops:.0f} GFLOP/s, {timing.fraction_of_peak:.2f}x the float32 matmul peak measured "
              f"in this run at {timing.threads} threads ({timing.peak_gflops:.0f} GFLOP/s; at that peak the work "
              f"alone takes {floor:.1f} s). Compare sittings by that fraction: the machine's speed varies.")
    if timing.sequential is not None and timing.beside is not None:
        default = "beside" if timing.overlapped else "after"
        print(f"Knowledge control beside the denoiser (second thread) vs after it, taking turns: {timing.beside:.2f} s "
              f"vs {timing.sequential:.2f} s ({timing.sequential / timing.beside:.2f}x); the default with "
              f"{timing.threads} torch threads here: {default}.")
    print(f"Network calls: {DEFAULT_SAMPLER} (default) {fast}, ddpm (published) {slow}: {slow / fast:.0f}x fewer; "
          f"1000-step DDPM would take about {timing.seconds_per_call * slow:.0f} s here (extrapolated per call).")
    return 0


def add_parser(bench_sub: argparse._SubParsersAction) -> None:
    """Add ``prediff`` to the sub-commands of ``bench``."""
    p = bench_sub.add_parser("prediff", help="time an 8-member PreDiff demo ensemble; sampler network calls")
    p.add_argument("--set", help="PreDiff set directory (default: the trained demo set, else random weights)")
    p.add_argument("--members", type=int, default=8)
    p.add_argument("--steps", type=int, help="network evaluations (default: the sampler's, 20 for the default)")
    p.add_argument("--sampler", help="default: the default sampler (ddim_eta1); also dpm_solver_pp, ddim or ddpm")
    p.add_argument("--unguided", action="store_true", help="no knowledge control (n_sigma None)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-compare", action="store_true",
                   help="guided: skip timing the guidance after the denoiser (sequential) for comparison")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_bench_prediff)


def register(sub: argparse._SubParsersAction) -> None:
    """Nothing at the top level: see the module docstring."""
