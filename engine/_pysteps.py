"""Import pysteps quietly and offline.

pysteps prints a banner at import unless its configuration says ``"silent_import": true``; it
reads that configuration from ``$PYSTEPSRC``. We ship a minimal one next to this module
(``engine/pystepsrc.json``: no data sources, since the engine never uses pysteps' downloaders) and
point ``PYSTEPSRC`` at it just before the first import. A ``PYSTEPSRC`` the user set is respected.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

PYSTEPSRC = Path(__file__).with_name("pystepsrc.json")


def import_pysteps() -> ModuleType:
    """Return the ``pysteps`` module, imported without its banner.

    Call this instead of ``import pysteps`` everywhere in the engine (and before importing any
    ``pysteps.*`` submodule), so the first import sees our configuration file.
    """
    if PYSTEPSRC.is_file():  # a wheel without package data falls back to pysteps' own file
        os.environ.setdefault("PYSTEPSRC", str(PYSTEPSRC))
    import pysteps

    return pysteps
