"""``python -m engine evaluate``: score checkpoints and baselines over a data split.

    python -m engine evaluate --data sevir --model runs/unet/best --model persistence --model optical_flow
    python -m engine evaluate --data sevir --model assets/models/prediff_demo --members 8 --model assets/models/sevir_demo
    python -m engine evaluate --data icar-enso --model persistence --model climatology --json scores.json

Prints the papers' table (one row per model, all on the same windows); ``--json`` also writes
every number, per lead time too. Bad input is one "expected ..., got ..." line and exit 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..evaluation import EvalRequest, evaluate, format_enso_table, format_sevir_table
    from ..evaluation.run import data_root
    from ..metrics.suites import to_jsonable

    root = data_root(args.data, args.source, args.root)
    request = EvalRequest(args.data, tuple(args.model), root, split=args.split, limit=args.limit, pool=args.pool,
                          resolution=args.resolution, batch_size=args.batch_size, members=args.members,
                          seed=args.seed, device=args.device, downsampling=args.downsampling, stride=args.stride)
    bars: list[tqdm] = []  # opened at the first finished batch, so input errors print alone

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc="evaluate", unit="window", file=sys.stderr, disable=args.quiet))
        bars[0].update(done - bars[0].n)

    try:
        result = evaluate(request, progress=progress)
    finally:
        for bar in bars:
            bar.close()
    print(format_sevir_table(result) if args.data == "sevir" else format_enso_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(to_jsonable(result), indent=1))
        print(f"\nwrote {args.json}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="score checkpoints and baselines over a data split (the papers' tables)")
    ev.add_argument("--data", required=True, choices=["sevir", "icar-enso"])
    ev.add_argument("--model", required=True, action="append", metavar="NAME_OR_DIR",
                    help="a checkpoint directory, a PreDiff set directory (prediff.json; sevir, with --members), or a baseline: persistence, optical_flow, steps (sevir); "
                         "persistence, climatology, damped_persistence (icar-enso). Repeat for more rows")
    src = ev.add_mutually_exclusive_group()
    src.add_argument("--source", help="a configured data source by name (default: the embedded demo)")
    src.add_argument("--root", help="a data directory")
    ev.add_argument("--split", default="test", help="train, val or test (icar-enso also soda); default test")
    ev.add_argument("--limit", type=int, help="evaluate the first N windows only")
    ev.add_argument("--pool", type=int, choices=(1, 4, 16), default=1,
                    help="max-pool size of the categorical scores (PreDiff's pooled CSI); default 1")
    ev.add_argument("--resolution", type=int, help="frame size to evaluate at (default: the checkpoints', else native)")
    ev.add_argument("--downsampling", choices=["none", "lr"], default="none", help="'lr' for SEVIR-LR models")
    ev.add_argument("--stride", type=int, help="window step in frames (default T_out)")
    ev.add_argument("--members", type=int, help="ensemble size of STEPS and PreDiff sets (required with either)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the ensembles (STEPS, PreDiff)")
    ev.add_argument("--batch-size", type=int, default=4)
    ev.add_argument("--device", default="auto", help="cpu, cuda or auto")
    ev.add_argument("--json", metavar="OUT", help="also write every score (per lead time too) to this JSON file")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=_cmd_evaluate)
