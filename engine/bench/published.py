"""The published Earthformer (PyPI ``earthformer==0.2.1``) as a benchmark and test oracle.

Never a runtime dependency: the wheel is fetched with ``pip download --no-deps`` into
``.cache/published`` on first use and only its ``cuboid_transformer`` subpackage is imported
(it needs just torch and einops); the package's own ``__init__`` pulls in training code and is
bypassed with a namespace stub.
"""
from __future__ import annotations

import importlib
import subprocess
import sys
import types
import zipfile
from pathlib import Path

WHEEL = "earthformer==0.2.1"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "published"


class PublishedUnavailable(RuntimeError):
    """The published wheel could not be fetched or imported."""


def _wheel() -> Path:
    found = sorted(CACHE.glob("earthformer-0.2.1-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(CACHE), WHEEL]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            raise PublishedUnavailable(f"could not fetch {WHEEL} with pip download")
        found = sorted(CACHE.glob("earthformer-0.2.1-*.whl"))
    return found[0]


def load_published_cuboid_transformer():
    """Import and return ``earthformer.cuboid_transformer.cuboid_transformer`` from the wheel."""
    wheel = _wheel()
    root = CACHE / "unpacked"
    if not (root / "earthformer" / "cuboid_transformer").is_dir():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root)
    if "earthformer" not in sys.modules:
        stub = types.ModuleType("earthformer")
        stub.__path__ = [str(root / "earthformer")]
        sys.modules["earthformer"] = stub
    try:
        return importlib.import_module("earthformer.cuboid_transformer.cuboid_transformer")
    except ImportError as err:
        raise PublishedUnavailable(f"could not import the published cuboid_transformer: {err}") from None
