"""One training run from a request: settings, data, model, distributed context, Trainer.

A new run takes its settings from the recipe plus explicit overrides. A resumed run takes them
from its checkpoint (the one truth about what is being trained); only the run-time knobs in
:data:`RESUME_OVERRIDES` may change, and anything else that disagrees is an error rather than a
silently different run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import checkpoints as ckpt
from . import distributed as dd
from .config import ObjectiveConfig, TrainConfig
from .data import DataSpec, build_datasets, resolve_spec
from .logs import environment, write_run
from .loop import Trainer
from .objectives import Supervised, build_objective
from .setup import build_model, check_shapes, load_recipe, model_config_from_spec
from .tasks import task_for

#: Training settings a resumed run may change (they affect neither the schedule nor the data order).
RESUME_OVERRIDES: tuple[str, ...] = ("max_minutes", "checkpoint_minutes", "num_workers")
RANKS_DIR = "ranks"


@dataclass(frozen=True)
class RunRequest:
    """What the command line asked for. ``None`` means "not given"."""

    out: str
    model: str | None = None
    data: DataSpec | None = None
    recipe: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    device: str | None = None
    progress: bool = True
    autoencoder: str | None = None
    init: str | None = None


def _new_settings(request: RunRequest) -> tuple[TrainConfig, str, Any, DataSpec, dict]:
    config, extras = load_recipe(request.recipe or "default")
    config = replace(config, **request.overrides)
    model_spec = request.model or extras.get("model")
    if not model_spec:
        raise ValueError("--model: expected a preset name or a config JSON file (or a recipe YAML with model:)")
    family, model_config = model_config_from_spec(str(model_spec))
    if request.data is None and not extras.get("data"):
        raise ValueError("--data: expected sevir or icar-enso (or a recipe YAML with data:)")
    data = request.data if request.data is not None else DataSpec(**extras["data"])
    base = DataSpec(**extras["data"]) if extras.get("data") else None
    if request.data is not None and base is not None and base.kind == data.kind:
        # the request names the data; the recipe fills how it is cut where the request left 0 / "none"
        filled = {k: getattr(base, k) for k in ("in_len", "out_len", "stride", "pool") if not getattr(data, k)}
        if data.downsampling == "none":
            filled["downsampling"] = base.downsampling
        data = replace(data, **filled)
    objective = extras.get("objective") or ObjectiveConfig()
    if request.autoencoder is not None:
        objective = replace(objective, autoencoder=request.autoencoder)
    return config, family, model_config, data, {"recipe": request.recipe or "default", "objective": objective}


def _resumed_settings(request: RunRequest) -> tuple[TrainConfig, str, Any, DataSpec, dict]:
    from ..models.checkpoint import get_family

    meta = ckpt.load_training_state(ckpt.checkpoint_path(request.out))["metadata"]
    stored = TrainConfig.from_dict(meta["train"])
    conflicts = [f"{k} (checkpoint {getattr(stored, k)!r}, asked {v!r})" for k, v in request.overrides.items()
                 if k not in RESUME_OVERRIDES and getattr(stored, k) != v]
    family, model_config = meta["family"], get_family(meta["family"]).config_cls.from_dict(meta["model_config"])
    if request.model is not None and model_config_from_spec(request.model) != (family, model_config):
        conflicts.append(f"model (checkpoint {meta.get('model_spec')!r}, asked {request.model!r})")
    data = DataSpec(**meta["data"])
    if request.data is not None and request.data.kind != data.kind:
        conflicts.append(f"data (checkpoint {data.kind!r}, asked {request.data.kind!r})")
    objective = ObjectiveConfig.from_dict(meta.get("objective") or {})
    if request.autoencoder is not None and request.autoencoder != objective.autoencoder:
        conflicts.append(f"autoencoder (checkpoint {objective.autoencoder!r}, asked {request.autoencoder!r})")
    stored_init = (meta.get("init") or {}).get("path")
    if request.init is not None and request.init != stored_init:
        conflicts.append(f"init (checkpoint {stored_init!r}, asked {request.init!r})")
    if conflicts:
        raise ValueError(f"resume: a resumed run keeps its checkpoint's settings; these differ: {'; '.join(conflicts)} "
                         f"(only {', '.join(RESUME_OVERRIDES)} may change)")
    config = replace(stored, **{k: v for k, v in request.overrides.items() if k in RESUME_OVERRIDES})
    return config, family, model_config, data, {"recipe": meta.get("recipe"), "model_spec": meta.get("model_spec"),
                                                "objective": objective, "autoencoder": meta.get("autoencoder"),
                                                "init": meta.get("init")}


def _ensure_demo(data: DataSpec) -> None:
    from ..data.sources import DEMO_NAME

    if data.root or data.source != DEMO_NAME:
        return
    if data.kind == "sevir":
        from ..data.demo import ensure_demo

        ensure_demo()
    else:
        from ..data.synthetic_enso import ensure_enso_demo

        ensure_enso_demo()


def _check_same_autoencoder(stored: dict | None, current: dict | None) -> None:
    """A resumed latent-stage run must see the very autoencoder it started with."""
    if stored is None or current is None:
        return
    for key in ("config_sha256", "weights_sha256"):
        if stored.get(key) != current.get(key):
            raise ValueError(f"--autoencoder {current['path']}: expected the autoencoder this run started with "
                             f"({stored.get('path')}, {key} {str(stored.get(key))[:12]}...), got one whose "
                             f"{key} is {str(current.get(key))[:12]}... (it was retrained or replaced)")


def initialise_from(model, family: str, model_config: Any, directory: str) -> dict[str, Any]:
    """Load a trained model's weights (``config.json`` + ``model.safetensors``) into ``model``.

    A new run then fine-tunes them with its own schedule and a fresh optimizer. The saved model
    must have this run's family and configuration. Returns what run.json records: the path and
    the weights' hash.
    """
    from ..models.checkpoint import load_checkpoint, read_config
    from .loop import state_hash

    try:
        saved_family, saved_config, _ = read_config(directory)
        if saved_family != family:
            raise ValueError(f"expected a {family} model, got a {saved_family} model")
        if saved_config != model_config:
            raise ValueError(f"expected this run's {family} configuration, got another one")
        saved = load_checkpoint(directory)
    except (OSError, ValueError) as err:
        raise ValueError(f"--init {directory}: {err}") from None
    model.load_state_dict(saved.state_dict())
    return {"path": str(directory), "weights_sha256": state_hash(model)}


def run(request: RunRequest) -> dict[str, Any]:
    """Train as requested; return the Trainer's summary (this rank's)."""
    out = Path(request.out)
    has_checkpoint = ckpt.checkpoint_path(out).is_file()
    if has_checkpoint and not request.resume:
        raise ValueError(f"--out {out}: expected a new run directory, got one holding a run "
                         f"(pass --resume to continue it, or choose another --out)")
    if request.resume and not has_checkpoint:
        raise ValueError(f"--resume: expected a checkpoint at {ckpt.checkpoint_path(out)}, got nothing there")
    settings = _resumed_settings(request) if request.resume else _new_settings(request)
    config, family, model_config, data, info = settings
    ctx = dd.init_distributed(request.device)
    try:
        if ctx.is_main:
            _ensure_demo(data)
        dd.barrier(ctx)
        if request.autoencoder is not None and family not in ("prediff_denoiser", "prediff_alignment"):
            raise ValueError(f"--autoencoder: expected a prediff_denoiser or prediff_alignment model with it, "
                             f"got a {family} model (it trains without an autoencoder)")
        objective = build_objective(family, model_config, info["objective"], config)
        supervised = None
        if objective is None:  # forecasters: the data task defines input, target and scores
            spec = resolve_spec(data, getattr(model_config, "input_shape", None),
                                getattr(model_config, "target_shape", None))
            train_set, val_set = build_datasets(spec)
            task = task_for(spec)
            supervised = Supervised(task, info["objective"].threshold_weights)
        else:
            spec = objective.resolve(data)
            train_set, val_set = objective.datasets(spec)
            task = None
        config.accumulation(ctx.world_size)  # fails early when the total batch does not divide
        model = build_model(family, model_config, config.seed)
        init = info.get("init")  # a resumed run keeps the record of where its first start came from
        if request.init is not None and not request.resume:
            init = initialise_from(model, family, model_config, request.init)
        if objective is None:
            check_shapes(model, task, train_set[0])
        else:
            objective.check(model, train_set[0])
        metadata = {"family": family, "model_config": model_config.to_dict(), "data": data.to_dict(),
                    "resolved_data": spec.to_dict(), "train": config.to_dict(),
                    "model_spec": info.get("model_spec", request.model), "recipe": info.get("recipe")}
        if objective is not None:
            metadata.update(objective=info["objective"].to_dict(), **objective.metadata())
            _check_same_autoencoder(info.get("autoencoder"), metadata.get("autoencoder"))
        elif supervised.threshold_weights:  # unweighted forecasters' checkpoints keep their old keys
            metadata["objective"] = info["objective"].to_dict()
        if init is not None:
            metadata["init"] = init
        if ctx.is_main:
            out.mkdir(parents=True, exist_ok=True)
            document = {"resumed": request.resume, "model": {"spec": metadata["model_spec"], "family": family,
                                                            "config": metadata["model_config"],
                                                            "parameters": sum(p.numel() for p in model.parameters())},
                        "data": metadata["resolved_data"], "samples": {"train": len(train_set), "val": len(val_set)},
                        "train": metadata["train"], "recipe": metadata["recipe"], "seed": config.seed,
                        "environment": environment(ctx.world_size, ctx.device)}
            # forecasters' run.json keeps its old keys unless a run is weighted or initialised
            document.update({k: metadata[k] for k in ("objective", "autoencoder", "init") if k in metadata})
            write_run(out, document)
        trainer = Trainer(model, task, train_set, val_set, config, out, ctx, resume=request.resume,
                          metadata=metadata, progress=request.progress,
                          objective=objective if objective is not None else supervised)
        summary = {"rank": ctx.rank, **trainer.fit()}
        ranks = out / RANKS_DIR
        ranks.mkdir(parents=True, exist_ok=True)  # every rank's final weights hash: they must agree
        (ranks / f"rank{ctx.rank}.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary
    finally:
        dd.shutdown(ctx)
