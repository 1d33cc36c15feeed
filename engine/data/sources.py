"""Data sources chosen by whoever runs the app, never by a browser user.

A source is a named root directory of one kind ("sevir" or "icar_enso"). The embedded demo is
always the first source of each kind, "Embedded demo", rooted at ``demo_root() / kind``. Others
come from

- environment variables ``EFS_SEVIR_ROOTS`` / ``EFS_ICAR_ENSO_ROOTS``: entries separated by
  ``os.pathsep``, each ``name=path`` or a bare ``path`` (named by the path itself);
- a TOML file, ``$EFS_CONFIG`` or ``<repo>/efs.toml`` when present::

      [[sevir]]
      name = "SEVIR (full)"
      root = "/data/sevir"          # relative paths are relative to the TOML file

      [[icar_enso]]
      name = "ICAR-ENSO"
      root = "/data/icar_enso"

      [[models]]                    # checkpoint folders (config.json + model.safetensors each)
      name = "Published"
      root = "/data/checkpoints"

Model folders work the same way (:func:`model_folders`): the shipped ``assets/models`` first,
then ``EFS_MODEL_DIRS`` entries, then ``[[models]]`` tables.

Pages look sources up by name among the configured ones only (:func:`get_source`), so a page
can never be made to read an arbitrary path.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SourceKind = Literal["sevir", "icar_enso"]
KINDS: tuple[str, ...] = ("sevir", "icar_enso")
DEMO_NAME = "Embedded demo"
REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_ROOTS = {"sevir": "EFS_SEVIR_ROOTS", "icar_enso": "EFS_ICAR_ENSO_ROOTS", "models": "EFS_MODEL_DIRS"}
TOML_TABLES: tuple[str, ...] = (*KINDS, "models")
SHIPPED_MODELS_NAME = "Shipped demo models"
SHIPPED_MODELS_DIR = REPO_ROOT / "assets" / "models"


@dataclass(frozen=True)
class DataSource:
    name: str
    root: Path
    kind: str
    is_demo: bool = False


def demo_root() -> Path:
    """``$EFS_DEMO_DIR`` or ``<repo>/.cache/demo``; holds ``sevir/`` and ``icar_enso/``."""
    env = os.environ.get("EFS_DEMO_DIR")
    return Path(env) if env else REPO_ROOT / ".cache" / "demo"


def config_file() -> Path | None:
    """The TOML config in use: ``$EFS_CONFIG`` (must exist) or ``<repo>/efs.toml`` if present."""
    env = os.environ.get("EFS_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ValueError(f"EFS_CONFIG: expected an existing TOML file, got {env!r}")
        return path
    default = REPO_ROOT / "efs.toml"
    return default if default.is_file() else None


def configured_sources(kind: SourceKind) -> list[DataSource]:
    """Every source of ``kind``: the embedded demo first, then env-var entries, then TOML tables."""
    _check_kind(kind)
    sources = [DataSource(DEMO_NAME, demo_root() / kind, kind, is_demo=True)]
    sources += _from_env(kind) + _from_toml(kind)
    seen: dict[str, DataSource] = {}
    for src in sources:
        if src.name in seen:
            raise ValueError(f"data source name {src.name!r} ({kind}): expected unique names, got it for "
                             f"{seen[src.name].root} and {src.root}")
        seen[src.name] = src
    return sources


def model_folders() -> list[DataSource]:
    """Folders of saved checkpoints: ``assets/models`` first, then ``EFS_MODEL_DIRS``, then TOML."""
    folders = [DataSource(SHIPPED_MODELS_NAME, SHIPPED_MODELS_DIR, "models", is_demo=True)]
    folders += _from_env("models") + _from_toml("models")
    names = [f.name for f in folders]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"model folder names: expected unique names, got {duplicated[0]!r} more than once")
    return folders


def get_source(kind: SourceKind, name: str) -> DataSource:
    """The configured source called ``name``; ValueError listing the configured names otherwise."""
    sources = configured_sources(kind)
    for src in sources:
        if src.name == name:
            return src
    names = ", ".join(repr(s.name) for s in sources)
    raise ValueError(f"{kind} data source: expected one of {names}, got {name!r}")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"source kind: expected one of {', '.join(KINDS)}, got {kind!r}")


def _from_env(kind: str) -> list[DataSource]:
    var = ENV_ROOTS[kind]
    out = []
    for entry in os.environ.get(var, "").split(os.pathsep):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, path = entry.partition("=")
        name, path = (name.strip(), path.strip()) if sep else (entry, entry)
        if not name or not path:
            raise ValueError(f"{var}: expected entries 'name=path' or 'path', got {entry!r}")
        out.append(DataSource(name, Path(path).expanduser(), kind))
    return out


def _from_toml(kind: str) -> list[DataSource]:
    path = config_file()
    if path is None:
        return []
    try:
        config = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path}: cannot read the TOML config ({err})") from None
    unknown = sorted(k for k in config if k not in TOML_TABLES)
    if unknown:
        raise ValueError(f"{path}: expected tables [[sevir]], [[icar_enso]] and [[models]], got [{unknown[0]}]")
    tables = config.get(kind, [])
    if not isinstance(tables, list):
        raise ValueError(f"{path}: expected [[{kind}]] array of tables, got a single [{kind}] table")
    out = []
    for i, table in enumerate(tables):
        name, root = table.get("name"), table.get("root")
        extra = sorted(set(table) - {"name", "root"})
        if not isinstance(name, str) or not name or not isinstance(root, str) or not root or extra:
            raise ValueError(f"{path}: [[{kind}]] entry {i}: expected keys name = \"...\" and root = \"...\", "
                             f"got {table!r}")
        root_path = Path(root).expanduser()
        out.append(DataSource(name, root_path if root_path.is_absolute() else path.parent / root_path, kind))
    return out
