"""``python -m engine bench prediff-skill``: fast sampler vs 1000-step DDPM, and knowledge control.

    python -m engine bench prediff-skill --set assets/models/prediff_demo --members 4 --json skill.json
    python -m engine bench prediff-skill --set assets/models/prediff_demo --skip-sampler \\
        --mode forecast --earthformer assets/models/sevir_demo

Added under ``bench`` by :mod:`engine.commands.bench`; this module's ``register`` adds nothing.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _print_sampler(result: dict) -> None:
    from ..bench.prediff_skill import CRPS_TOLERANCE

    fast, ref = result["fast"], result["reference"]
    low, high = result["crps_ratio_95"]
    verdict = "meets" if result["within_tolerance"] else "misses"
    print(f"Sampler fidelity, {result['windows']} windows x {result['members']} members (unguided):")
    print(f"  {fast['sampler']}: CRPS {fast['crps']:.5f} with {fast['network_calls']} network calls "
          f"({fast['seconds']:.0f} s)")
    print(f"  {ref['sampler']}: CRPS {ref['crps']:.5f} with {ref['network_calls']} network calls ({ref['seconds']:.0f} s)")
    print(f"  ratio {result['crps_ratio']:.3f} (95 % window bootstrap {low:.3f}-{high:.3f}; {verdict} the "
          f"{100 * CRPS_TOLERANCE:.0f} % target) with {result['call_ratio']:.0f}x fewer network calls")


def _print_control(result: dict) -> None:
    from ..bench.prediff_skill import TARGET_TOLERANCE

    print(f"Knowledge control ({result['mode']} mode), {result['windows']} windows x {result['members']} members, "
          f"sigma {result['sigma']:.5f}, guidance scale {result['guidance_scale']:g}:")
    print(f"  {'n':>4} {'target':>8} {'achieved':>9} {'mean err/sigma':>15} {'mean |err|/sigma':>17}")
    for row in result["rows"]:
        print(f"  {row['n']:>+4g} {row['target']:>8.4f} {row['achieved']:>9.4f} {row['mean_error_sigma']:>+15.2f} "
              f"{row['mean_abs_error_sigma']:>17.2f}")
    verdict = "meets" if result["central_within_tolerance"] else "misses"
    print(f"  strictly rising in n in {result['monotone_windows']} of {result['windows']} windows, never falling in "
          f"{result['never_falling_windows']}; the achieved mean rose in "
          f"{result['rising_steps']} of {result['steps_with_distinct_targets']} steps of n whose targets differ "
          f"(targets clipped at 0 coincide)")
    print(f"  worst mean error for "
          f"|n| <= 2: {result['worst_central_error_sigma']:.2f} sigma ({verdict} the {TARGET_TOLERANCE} sigma target)")


def _cmd_prediff_skill(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from ..bench import prediff_skill as skill
    from ..diffusion.samplers import DEFAULT_SAMPLER
    from ..evaluation.run import data_root
    from ..forecast import Forecaster
    from ..metrics.suites import to_jsonable
    from ..prediff import PreDiffModels

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.mode == "forecast" and not args.earthformer:
        raise ValueError("--mode forecast: expected --earthformer DIR (the deterministic forecast gives mu), got none")
    if args.members < 1 or args.batch < 1:
        raise ValueError(f"--members and --batch: expected at least 1, got {args.members} and {args.batch}")
    root = data_root("sevir", args.source, args.root)
    models = skill.with_guidance_scale(PreDiffModels.from_directory(args.set), args.guidance_scale)
    windows = skill.select_windows(root, models, args.split, args.per_event, args.events)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, tqdm(total=total, desc=stage, unit="window", file=sys.stderr,
                                                             disable=args.quiet))
        bar.update(done - bar.n)

    report: dict = {"set": args.set, "split": args.split, "events": sorted(set(windows.events)),
                    "threads": torch.get_num_threads()}
    if not args.skip_sampler:
        stored = None
        if args.reference_json:
            try:
                stored = json.loads(Path(args.reference_json).read_text())["sampler"]["reference"]
            except (OSError, ValueError, KeyError) as error:
                raise ValueError(f"--reference-json: expected a report with a sampler reference, got "
                                 f"{args.reference_json} ({error.__class__.__name__})") from None
        report["sampler"] = skill.sampler_fidelity(models, windows, args.members, args.fast_steps,
                                                   args.reference_steps, args.seed, args.batch, progress,
                                                   args.fast_sampler or DEFAULT_SAMPLER, stored)
    if not args.skip_control:
        anticipated = None
        if args.mode == "forecast":
            anticipated = Forecaster.from_checkpoint(args.earthformer, device="cpu").predict(windows.contexts)
        report["control"] = skill.knowledge_control(models, windows, args.n, args.members, args.mode, anticipated,
                                                    args.seed, args.batch, progress)
    for bar in bars.values():
        bar.close()
    if "sampler" in report:
        _print_sampler(report["sampler"])
    if "control" in report:
        _print_control(report["control"])
    if args.json:
        Path(args.json).write_text(json.dumps(to_jsonable(report), indent=1))
        print(f"wrote {args.json}")
    return 0


def add_parser(bench_sub: argparse._SubParsersAction) -> None:
    """Add ``prediff-skill`` to the sub-commands of ``bench``."""
    p = bench_sub.add_parser("prediff-skill", help="PreDiff: 20-step sampler vs 1000-step DDPM CRPS, and "
                                                   "knowledge control over n, on held-out windows")
    p.add_argument("--set", required=True, help="PreDiff set directory (e.g. assets/models/prediff_demo)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--source", help="configured SEVIR source (default: the embedded demo)")
    src.add_argument("--root", help="a SEVIR data directory")
    p.add_argument("--split", default="test")
    p.add_argument("--events", type=int, help="first N events of the split (default: all)")
    p.add_argument("--per-event", type=int, default=1, help="windows per event (default 1: the first)")
    p.add_argument("--members", type=int, default=4)
    p.add_argument("--batch", type=int, default=4, help="windows per sampling call")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fast-sampler", help="the sampler compared with DDPM (default: the default sampler, ddim_eta1; "
                                          "also dpm_solver_pp, ddim or ddpm)")
    p.add_argument("--fast-steps", type=int, help="steps of the fast sampler (default: its 20)")
    p.add_argument("--reference-json", help="reuse the 1000-step DDPM result of an earlier --json report "
                                            "(same windows, members, seed and batch)")
    p.add_argument("--reference-steps", type=int, help="DDPM steps (default: all 1000)")
    p.add_argument("--n", type=float, nargs="+", default=[-4.0, -2.0, 0.0, 2.0, 4.0], help="knowledge-control n")
    p.add_argument("--mode", choices=["hindcast", "forecast"], default="hindcast",
                   help="mu from the observed future (hindcast, the paper's evaluation) or a forecast")
    p.add_argument("--earthformer", help="checkpoint whose forecast gives mu in forecast mode")
    p.add_argument("--guidance-scale", type=float, help="override the set's knowledge-control scale")
    p.add_argument("--skip-sampler", action="store_true", help="no sampler comparison (the slow part)")
    p.add_argument("--skip-control", action="store_true", help="no knowledge-control sweep")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_prediff_skill)


def register(sub: argparse._SubParsersAction) -> None:
    """Nothing at the top level: see the module docstring."""
