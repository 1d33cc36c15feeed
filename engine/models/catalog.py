"""Which saved checkpoints can be offered to users, and which cannot (with the reason).

A checkpoint is a directory holding ``config.json`` + ``model.safetensors`` (see ``checkpoint``).
:func:`scan_folders` walks model folders (a folder may itself be a checkpoint, or hold one per
sub-directory) and validates each checkpoint *without loading its weights*: the config must
parse, and the safetensors header must name exactly the model's parameters with the model's
shapes. A corrupt or mismatched checkpoint becomes a :class:`CatalogProblem` and is skipped;
the rest of the list is unaffected.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

import torch
from safetensors import SafetensorError, safe_open

from .checkpoint import CONFIG_FILE, WEIGHTS_FILE, get_family, read_config

DataKind = Literal["sevir", "icar-enso"]
ENSO_SHAPE = (24, 48, 1)  # ICAR-ENSO SST grid (lat, lon, channel)


@dataclass(frozen=True)
class CatalogEntry:
    """A usable checkpoint. ``label`` is unique within one scan and is what pages show and pass."""

    label: str
    path: Path
    folder: str  # name of the model folder it was found in
    family: str
    data: DataKind
    input_shape: tuple[int, ...]  # (T, H, W, C)
    target_shape: tuple[int, ...]
    parameters: int
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    base_forecast: str = "none"  # the baseline an Earthformer corrects ("none": it forecasts on its own)


@dataclass(frozen=True)
class CatalogProblem:
    """A checkpoint directory that was skipped, and why (one line)."""

    path: Path
    folder: str
    message: str


def data_kind(input_shape: tuple[int, ...], metadata: dict) -> DataKind:
    """The dataset a checkpoint forecasts: from its training metadata, else from its input shape."""
    kind = (metadata.get("data") or {}).get("kind") if isinstance(metadata.get("data"), dict) else None
    if kind in ("icar_enso", "icar-enso"):
        return "icar-enso"
    if kind == "sevir":
        return "sevir"
    return "icar-enso" if tuple(input_shape[1:]) == ENSO_SHAPE else "sevir"


PREDIFF_SET_FILE = "prediff.json"  # a PreDiff checkpoint set: listed by the scenario facade, not here


def checkpoint_dirs(folder: Path) -> list[Path]:
    """``folder`` itself if it is a checkpoint, else its sub-directories that look like one
    (PreDiff checkpoint sets, which are not forecasters on their own, are left out)."""
    if (folder / PREDIFF_SET_FILE).is_file():
        return []
    if (folder / CONFIG_FILE).is_file() or (folder / WEIGHTS_FILE).is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_dir() and ((p / CONFIG_FILE).is_file() or (p / WEIGHTS_FILE).is_file()))


def inspect_checkpoint(directory: Path) -> tuple[str, object, dict, int]:
    """(family, config, metadata, parameters) after checking the weights' header against the config.

    Raises ValueError naming the file and the first mismatch.
    """
    family, config, metadata = read_config(directory)
    with torch.device("meta"):  # shapes only, no memory
        model = get_family(family).build(config)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise ValueError(f"checkpoint {directory}: expected weights at {weights}, found none")
    try:
        with safe_open(str(weights), framework="pt") as handle:
            stored = {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"checkpoint {weights}: unreadable safetensors file ({err})") from None
    missing, unexpected = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
    if missing or unexpected:
        what = f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}"
        raise ValueError(f"checkpoint {weights}: weights do not fit its config.json ({len(missing)} missing, "
                         f"{len(unexpected)} unexpected keys, e.g. {what})")
    for key, shape in expected.items():
        if stored[key] != shape:
            raise ValueError(f"checkpoint {weights}: {key}: expected shape {shape}, got {stored[key]}")
    return family, config, metadata, sum(p.numel() for p in model.parameters())


def scan_folders(folders: Iterable[tuple[str, Path, bool]]) -> tuple[list[CatalogEntry], list[CatalogProblem]]:
    """Every usable checkpoint in ``(folder name, path, must exist)`` triples, in order, plus the
    skipped ones (a configured folder that does not exist is a problem; an optional one is not).

    Labels are the directory names; a name seen again gets `` (folder name)`` appended.
    """
    entries: list[CatalogEntry] = []
    problems: list[CatalogProblem] = []
    labels: set[str] = set()
    for folder_name, folder, must_exist in folders:
        folder = Path(folder).expanduser()
        if not folder.exists():
            if must_exist:
                problems.append(CatalogProblem(folder, folder_name, f"model folder {folder}: expected a directory, "
                                                                     "found nothing there"))
            continue
        for directory in checkpoint_dirs(folder):
            try:
                family, config, metadata, parameters = inspect_checkpoint(directory)
            except ValueError as err:
                problems.append(CatalogProblem(directory, folder_name, str(err)))
                continue
            if family.startswith("prediff_") or not hasattr(config, "input_shape"):
                continue  # PreDiff parts: no frames-in, frames-out forecast contract on their own
            label = directory.name if directory.name not in labels else f"{directory.name} ({folder_name})"
            labels.add(label)
            entries.append(CatalogEntry(label, directory, folder_name, family,
                                        data_kind(tuple(config.input_shape), metadata),
                                        tuple(config.input_shape), tuple(config.target_shape), parameters,
                                        metadata, getattr(config, "base_forecast", "none")))
    return entries, problems
