"""Subcommands of ``python -m engine``, one module per area.

Each module defines ``register(subparsers)``, adding its commands; ``engine.cli`` finds the
modules here by name, so adding an area never edits a shared list.
"""
