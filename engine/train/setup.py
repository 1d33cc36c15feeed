"""From names to objects: a model from a preset or config JSON, recipes from names or YAML files,
and the shape check between model and data.

Model specs: an Earthformer preset name (``sevir_demo``) or a JSON file ``{"family": NAME,
"config": {...}}`` for any family of :data:`engine.models.checkpoint.FAMILIES`. Recipe specs: a
name of :data:`~engine.train.config.RECIPES` or a YAML file with ``train:`` (TrainConfig
fields) and optional ``model:``, ``data:`` (DataSpec fields) and ``objective:`` (ObjectiveConfig
fields, the PreDiff stages) sections.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..models.checkpoint import get_family
from .config import OBJECTIVE_RECIPES, ObjectiveConfig, TrainConfig, get_recipe
from .data import DataSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE_DIR = REPO_ROOT / "configs" / "train"


def model_config_from_spec(spec: str) -> tuple[str, Any]:
    """(family, config) of a preset name or a config JSON file."""
    path = Path(spec).expanduser()
    if spec.endswith(".json") or path.is_file():
        if not path.is_file():
            raise ValueError(f"--model: expected a config JSON file at {path}, got nothing there")
        try:
            document = json.loads(path.read_text())
            family, config = document["family"], document["config"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"--model {path}: expected JSON {{\"family\": NAME, \"config\": {{...}}}}, "
                             f"got {type(err).__name__}: {err}") from None
        return family, get_family(family).config_cls.from_dict(config)
    from ..models.presets import model_presets

    presets = model_presets()
    if spec not in presets:
        raise ValueError(f"--model: expected a model preset ({', '.join(sorted(presets))}) or a config "
                         f"JSON file, got {spec!r}")
    return presets[spec]


def build_model(family: str, config: Any, seed: int) -> nn.Module:
    """The model, its weights drawn from ``seed`` (the same on every rank)."""
    torch.manual_seed(seed)
    return get_family(family).build(config)


def load_recipe(spec: str) -> tuple[TrainConfig, dict[str, Any]]:
    """(TrainConfig, extras) of a recipe name or YAML file; extras hold optional ``model``, ``data``
    and ``objective`` (an :class:`ObjectiveConfig`, only where the recipe has one)."""
    path = Path(spec).expanduser()
    if not (spec.endswith((".yaml", ".yml")) or path.is_file()):
        config = get_recipe(spec)
        return config, ({"objective": OBJECTIVE_RECIPES[spec]} if spec in OBJECTIVE_RECIPES else {})
    if not path.is_file():
        raise ValueError(f"--recipe: expected a YAML file at {path}, got nothing there")
    import yaml

    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"--recipe {path}: cannot read the YAML file ({err})") from None
    if not isinstance(document, dict) or not isinstance(document.get("train"), dict):
        raise ValueError(f"--recipe {path}: expected a mapping with a 'train:' section, got {type(document).__name__}")
    unknown = sorted(set(document) - {"train", "model", "data", "objective", "description"})
    if unknown:
        raise ValueError(f"--recipe {path}: unknown sections {unknown}; expected train, model, data, objective, "
                         f"description")
    try:
        config = TrainConfig.from_dict(document["train"])
        extras = {"model": document.get("model"), "data": document.get("data") or {}}
        if extras["data"]:
            DataSpec(**extras["data"])  # validate now, with the file named
        if document.get("objective") is not None:
            if not isinstance(document["objective"], dict):
                raise ValueError(f"objective: expected a mapping of objective settings, got "
                                 f"{type(document['objective']).__name__}")
            extras["objective"] = ObjectiveConfig.from_dict(document["objective"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"--recipe {path}: {err}") from None
    return config, extras


def check_shapes(model: nn.Module, task: Any, sample: Any) -> None:
    """ValueError when one data sample does not fit the model's input or target shape."""
    batch = [s[None] for s in sample] if isinstance(sample, (list, tuple)) else sample[None]
    x, y = task.split(batch)
    config = model.config
    expected_in, expected_out = getattr(config, "input_shape", None), getattr(config, "target_shape", None)
    if expected_in is not None and tuple(x.shape[1:]) != tuple(expected_in):
        raise ValueError(f"data/model mismatch: the model expects inputs (T, H, W, C) = {tuple(expected_in)}, "
                         f"the data gives {tuple(x.shape[1:])} (check --model, the data's lengths and --pool)")
    if expected_out is not None and tuple(y.shape[1:]) != tuple(expected_out):
        raise ValueError(f"data/model mismatch: the model predicts (T, H, W, C) = {tuple(expected_out)}, "
                         f"the data's targets are {tuple(y.shape[1:])}")
    if expected_in is None or expected_out is None:  # families without declared shapes: try one sample
        with torch.no_grad():
            model.eval()
            try:
                out = model(x)
            except (RuntimeError, ValueError) as err:
                raise ValueError(f"data/model mismatch: the model cannot take inputs of shape "
                                 f"{tuple(x.shape[1:])} ({err})") from None
            model.train()
        if tuple(out.shape[1:]) != tuple(y.shape[1:]):
            raise ValueError(f"data/model mismatch: the model predicts {tuple(out.shape[1:])}, the data's targets "
                             f"are {tuple(y.shape[1:])}")
