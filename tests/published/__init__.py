"""The published Earthformer (PyPI ``earthformer==0.2.1``) as a test oracle, never a runtime dependency.

Only its ``cuboid_transformer`` subpackage is imported (it needs just torch and einops); the
package's own ``__init__`` pulls in training code and is bypassed with a namespace stub.
The wheel is fetched with ``pip download --no-deps`` into ``.cache/published`` on first use.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

WHEEL = "earthformer==0.2.1"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "published"


def _wheel() -> Path | None:
    found = sorted(CACHE.glob("earthformer-0.2.1-*.whl"))
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(CACHE), WHEEL]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    found = sorted(CACHE.glob("earthformer-0.2.1-*.whl"))
    return found[0] if found else None


def load_published_cuboid_transformer():
    """Import ``earthformer.cuboid_transformer.cuboid_transformer`` from the published wheel.

    Fails (under CI) or skips (elsewhere) when the wheel cannot be fetched.
    """
    wheel = _wheel()
    if wheel is None:
        message = f"could not fetch {WHEEL} with pip download"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = CACHE / "unpacked"
    if not (root / "earthformer" / "cuboid_transformer").is_dir():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root)
    if "earthformer" not in sys.modules:
        stub = types.ModuleType("earthformer")
        stub.__path__ = [str(root / "earthformer")]
        sys.modules["earthformer"] = stub
    pytest.importorskip("einops")
    return importlib.import_module("earthformer.cuboid_transformer.cuboid_transformer")
