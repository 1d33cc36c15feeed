"""``python -m engine data``: write the embedded demo (storms and ENSO); summarise a data root per split."""
from __future__ import annotations

import argparse
import json
import sys
import time

from tqdm import tqdm


def _cmd_make_demo(args: argparse.Namespace) -> int:
    from ..data.demo import DEMO_EVENTS, DEMO_SEED, demo_is_current, demo_sevir_root, ensure_demo

    seed = DEMO_SEED if args.seed is None else args.seed
    n_events = DEMO_EVENTS if args.events is None else args.events
    target = demo_sevir_root(args.out)
    _make_enso_demo(args.out)
    if not args.force and demo_is_current(target, seed, n_events):
        print(f"storm demo already present at {target} (use --force to rebuild)")
        return 0
    start = time.perf_counter()
    with tqdm(total=n_events, desc="synthetic storms", unit="event", file=sys.stderr) as bar:
        def progress(fraction: float, message: str) -> None:
            bar.n = round(fraction * n_events)
            bar.set_postfix_str(message.split(": ")[-1], refresh=False)
            bar.refresh()

        path = ensure_demo(args.out, progress=progress, seed=seed, n_events=n_events, force=args.force)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20
    print(f"wrote {n_events} synthetic SEVIR events (seed {seed}) to {path}: {size:.1f} MiB in {seconds:.1f} s")
    return 0


def _make_enso_demo(out: str | None) -> None:
    """The synthetic ICAR-ENSO demo next to the storms (a few seconds; skipped when present)."""
    from pathlib import Path

    from ..data.synthetic_enso.demo import ensure_enso_demo

    with tqdm(total=100, desc="synthetic ENSO", unit="%", file=sys.stderr) as bar:
        path = ensure_enso_demo(None if out is None else Path(out) / "icar_enso",
                                progress=lambda fraction, _: bar.update(round(100 * fraction) - bar.n))
    print(f"ENSO demo at {path}")


def _cmd_info(args: argparse.Namespace) -> int:
    if (args.sevir is None) == (args.icar_enso is None):
        raise ValueError("data info: expected exactly one of --sevir DIR or --icar-enso DIR")
    if args.icar_enso is not None:
        from ..data.enso.summary import summarize as summarize_enso

        print(json.dumps(summarize_enso(args.icar_enso), indent=1))
        return 0
    from ..data.sevir.summary import summarize

    info = summarize(args.sevir, seq_len=args.seq_len, stride=args.stride)
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"{info['catalog']}: {info['vil_events']} usable VIL events in {info['files']} files; "
          f"sequences of {info['seq_len']} frames every {info['stride']}")
    print(f"{'split':<6} {'events':>7} {'sequences':>10}  {'first (UTC)':<19}  {'last (UTC)':<19}")
    for split, row in info["splits"].items():
        first = row["first"].replace("T", " ") if row["first"] else "-"
        last = row["last"].replace("T", " ") if row["last"] else "-"
        print(f"{split:<6} {row['events']:>7} {row['sequences']:>10}  {first:<19}  {last:<19}")
    types = ", ".join(f"{k} {v}" for k, v in sorted(info["event_types"].items(), key=lambda kv: -kv[1]))
    print(f"event types: {types}")
    print("frame sizes (H x W x T): " + ", ".join(f"{k} ({v})" for k, v in info["sizes"].items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="write the embedded demo data; summarise a SEVIR or ICAR-ENSO root")
    actions = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    make = actions.add_parser("make-demo", help="write the synthetic SEVIR and ICAR-ENSO demos (skipped when present)")
    make.add_argument("--out", help="parent directory; the dataset goes to OUT/sevir "
                                    "(default: $EFS_DEMO_DIR or <repo>/.cache/demo)")
    make.add_argument("--seed", type=int, help="random seed (default: the demo's fixed seed)")
    make.add_argument("--events", type=int, help="number of events (default: the demo's size)")
    make.add_argument("--force", action="store_true", help="rebuild even if a current demo is present")
    make.set_defaults(func=_cmd_make_demo)

    info = actions.add_parser("info", help="events and sequences per Earthformer split of a SEVIR root")
    info.add_argument("--sevir", metavar="DIR", help="directory holding CATALOG.csv and data/")
    info.add_argument("--icar-enso", metavar="DIR", help="directory holding CMIP_train.nc, ... (prints JSON)")
    info.add_argument("--seq-len", type=int, default=25, help="frames per sequence (Earthformer: 25)")
    info.add_argument("--stride", type=int, default=12, help="frames between sequence starts (Earthformer: 12)")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=_cmd_info)
