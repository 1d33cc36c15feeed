"""The embedded demo: synthetic SEVIR storms the app shows out of the box, offline.

``ensure_demo()`` writes ``<demo_root()>/sevir`` (``$EFS_DEMO_DIR`` or ``<repo>/.cache/demo``)
once: DEMO_EVENTS events from DEMO_SEED, about a minute and ~35 MB. It writes into a temporary
sibling directory and renames it into place only when complete, so an interrupted run never
leaves a dataset that looks finished. ``demo.json`` inside records what was generated; a
dataset made by another generator version, seed or size is rebuilt.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from .sevir.format import CATALOG_NAME
from .sources import demo_root
from .synthetic.writer import write_dataset

#: Fixed seed of the demo: the demo is the same everywhere, so screenshots and docs match.
DEMO_SEED = 20171
#: Events in the demo: 84 train, 18 val, 18 test (Earthformer date splits); about 35 MiB on disk.
DEMO_EVENTS = 120
#: Bump when the generator's output changes, so existing demos are rebuilt.
GENERATOR_VERSION = 1
STAMP_NAME = "demo.json"
PARTIAL_PREFIX = ".sevir-partial-"
ABANDONED_S = 3600.0  # a partial directory untouched this long belongs to a run that was killed

Progress = Callable[[float, str], None]


def demo_sevir_root(root: str | Path | None = None) -> Path:
    """Where the demo SEVIR dataset lives: ``<root or demo_root()>/sevir``."""
    return Path(root if root is not None else demo_root()) / "sevir"


def demo_is_current(path: str | Path, seed: int = DEMO_SEED, n_events: int = DEMO_EVENTS) -> bool:
    """True if ``path`` holds a complete demo made with this generator version, seed and size."""
    path = Path(path)
    try:
        stamp = json.loads((path / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return False
    wanted = {"generator_version": GENERATOR_VERSION, "seed": seed, "events": n_events}
    return (path / CATALOG_NAME).is_file() and all(stamp.get(k) == v for k, v in wanted.items())


def ensure_demo(root: str | Path | None = None, progress: Progress | None = None, *, seed: int = DEMO_SEED,
                n_events: int = DEMO_EVENTS, force: bool = False) -> Path:
    """Write the demo SEVIR dataset if it is missing (or stale, or ``force``); return its path.

    Parameters
    ----------
    root : parent directory; the dataset goes to ``<root>/sevir`` (default ``demo_root()``).
    progress : called as ``progress(fraction, message)`` while generating (never when present).
    seed, n_events : what to generate (defaults DEMO_SEED, DEMO_EVENTS).
    force : regenerate even when a current demo is present.
    """
    target = demo_sevir_root(root)
    if not force and demo_is_current(target, seed, n_events):
        return target
    if n_events < 1:
        raise ValueError(f"n_events: expected >= 1, got {n_events}")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=target.parent))
    try:
        write_dataset(tmp, n_events, seed, progress=progress)
        stamp = {"generator_version": GENERATOR_VERSION, "seed": seed, "events": n_events,
                 "generator": "engine.data.synthetic"}
        (tmp / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; the dataset should read like any other folder
        if target.exists():  # stale or forced: move the old one aside, then swap in the new one
            old = target.with_name(f".sevir-old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                tmp.rename(target)
            except OSError:  # another process finished first: keep its (identical) dataset
                if not demo_is_current(target, seed, n_events):
                    raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if progress is not None:
        progress(1.0, f"demo ready at {target}")
    return target


def _remove_abandoned(parent: Path) -> None:
    """Delete partial directories left by killed runs (old enough not to be a live run's)."""
    now = time.time()
    for path in parent.glob(PARTIAL_PREFIX + "*"):
        try:
            if now - path.stat().st_mtime > ABANDONED_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:  # removed meanwhile by another process
            pass
