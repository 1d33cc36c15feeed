"""Layering and size rules of the codebase (style guide, habits 1 and 14)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("engine", "app", "tests") for p in (ROOT / d).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_under_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400


def test_engine_never_imports_streamlit():
    offenders = [p for p in (ROOT / "engine").rglob("*.py") if any(n.split(".")[0] == "streamlit" for n in _imports(p))]
    assert not offenders


def test_only_the_service_package_talks_to_the_engine():
    services = ROOT / "app" / "services"
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        engine_imports = {n for n in _imports(path) if n.split(".")[0] == "engine"}
        if engine_imports and services not in path.parents:
            offenders.append(path)
    assert not offenders


def test_services_use_only_the_facade_and_the_figures():
    """The app reaches the engine through ``engine.api`` (plain values) and ``engine.viz`` (figures)."""
    offenders = []
    for path in (ROOT / "app" / "services").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] == "engine" and not name.startswith(("engine.api", "engine.viz")) \
                    and name != "engine":
                offenders.append(f"{path.name}: {name}")
    assert not offenders


def test_models_do_not_import_data_or_training():
    for path in (ROOT / "engine" / "models").rglob("*.py"):
        assert not any(n.startswith(("engine.data", "engine.train")) for n in _imports(path)), path
