"""``python -m engine patterns``: list cuboid attention patterns and their layers."""
from __future__ import annotations

import argparse


def _cmd_patterns(args: argparse.Namespace) -> int:
    from ..models.earthformer.patterns import CROSS_PATTERNS, SELF_PATTERNS, get_self_pattern

    shape = tuple(args.shape)
    names = [args.name] if args.name else sorted(SELF_PATTERNS)
    for name in names:
        layers = get_self_pattern(name)(shape)
        print(f"{name}:")
        for i, spec in enumerate(layers):
            print(f"  layer {i}: cuboid {spec.cuboid_size}  strategy {spec.strategy}  shift {spec.shift_size}")
    if not args.name:
        print("cross-attention patterns:", ", ".join(sorted(CROSS_PATTERNS)))
    return 0



def register(sub: argparse._SubParsersAction) -> None:
    patterns = sub.add_parser("patterns", help="list cuboid attention patterns and their layers for a shape")
    patterns.add_argument("--shape", type=int, nargs=3, default=[13, 32, 32], metavar=("T", "H", "W"))
    patterns.add_argument("--name", help="show only this pattern")
    patterns.set_defaults(func=_cmd_patterns)
