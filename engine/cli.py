"""Command-line entry point: ``python -m engine COMMAND ...``.

Commands live in ``engine/commands/<area>.py``, each with ``register(subparsers)``. Bad input
(``ValueError``, which includes the engine's data and checkpoint errors) ends with one line on
stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Sequence

from . import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Earth Forecast Studio engine tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # bad input: one clear line, no traceback
        parser.exit(2, f"error: {err}\n")
