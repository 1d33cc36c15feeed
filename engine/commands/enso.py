"""``python -m engine enso``: write the synthetic ICAR-ENSO demo; summarise an ICAR-ENSO directory."""
from __future__ import annotations

import argparse
import json
import time


def _cmd_make_demo(args: argparse.Namespace) -> int:
    from ..data.synthetic_enso import SyntheticSpec, demo_dir, make_synthetic

    spec = SyntheticSpec(cmip6_models=args.cmip6_models, cmip6_years=args.years, cmip5_models=args.cmip5_models,
                         cmip5_years=args.years, soda_years=args.soda_years, seed=args.seed)
    out = demo_dir(args.out)
    start = time.perf_counter()
    make_synthetic(out, spec)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.glob("*.nc")) / 2 ** 20
    print(f"wrote synthetic ICAR-ENSO data ({spec.layout.describe()}, SODA {spec.soda_years} years, "
          f"seed {spec.seed}) to {out}: {size:.1f} MiB in {seconds:.1f} s")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..data.enso.summary import summarize
    from ..data.enso.windows import WindowSpec

    info = summarize(args.root, WindowSpec(stride=args.stride))
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    w = info["window"]
    print(f"{info['root']}: windows of {w['in_months']} input + {w['out_months']} output months, stride {w['stride']}")
    print(f"{'model':<10} {'split':<6} {'samples':>7} {'months':>7} {'windows':>8}")
    for m in info["models"]:
        print(f"{m['name']:<10} {m['split']:<6} {m['samples']:>7} {m['months']:>7} {m['windows']:>8}")
    for split, row in info["splits"].items():
        if row["models"]:
            print(f"{split}: {len(row['models'])} models, {row['months']} months, {row['windows']} windows")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    enso = sub.add_parser("enso", help="ICAR-ENSO data: write the synthetic demo, summarise a directory")
    actions = enso.add_subparsers(dest="enso_command", required=True, metavar="ACTION")

    make = actions.add_parser("make-demo", help="write synthetic ICAR-ENSO files (recharge oscillator)")
    make.add_argument("--out", help="destination directory (default: the embedded demo, <demo root>/icar_enso)")
    make.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    make.add_argument("--years", type=int, default=12, help="36-month samples per climate model")
    make.add_argument("--cmip6-models", type=int, default=3, help="CMIP6-block models (all train)")
    make.add_argument("--cmip5-models", type=int, default=4,
                      help="CMIP5-block models (the last is test, the one before validation)")
    make.add_argument("--soda-years", type=int, default=8, help="SODA samples (0: no SODA files)")
    make.set_defaults(func=_cmd_make_demo)

    info = actions.add_parser("info", help="climate models, months and windows per split of a directory")
    info.add_argument("--root", required=True, help="directory with CMIP_train.nc, CMIP_label.nc (+ SODA)")
    info.add_argument("--stride", type=int, default=1, help="window stride in months")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=_cmd_info)
