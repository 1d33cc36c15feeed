"""PreDiff's three training stages in the project's trainer: each learns, owns its learned
log-variance, keeps the autoencoder frozen, exports a loadable model that names its autoencoder,
resumes to the same weights, and refuses a missing or mismatched autoencoder in one line."""
from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.models.checkpoint import get_family, load_checkpoint, read_config, save_checkpoint
from engine.models.earthformer.model import Earthformer
from engine.models.prediff.alignment_config import PREDIFF_ALIGNMENT_DEMO
from engine.models.prediff.autoencoder_config import AutoencoderConfig
from engine.models.prediff.denoiser_config import PREDIFF_DENOISER_DEMO
from engine.train import checkpoints as ckpt
from engine.train.config import OBJECTIVE_RECIPES, ObjectiveConfig, TrainConfig
from engine.train.data import DataSpec
from engine.train.loop import Trainer, state_hash
from engine.train.objectives import build_objective
from engine.train.objectives.frozen import fingerprint
from engine.train.run import RunRequest, run
from engine.train.setup import RECIPE_DIR, load_recipe, model_config_from_spec

from .conftest import TINY

# 8 x 8 frames (the 16 x 16 fixture pooled by 2) -> 4 x 4 x 2 latents; 3 context + 2 target frames.
VAE = AutoencoderConfig(frame_shape=(8, 8, 1), block_channels=(8, 16), layers_per_block=1, latent_channels=2,
                        norm_groups=4)
DENOISER = replace(PREDIFF_DENOISER_DEMO, context_frames=3, target_frames=2, latent_shape=(4, 4, 2), base_units=8,
                   norm_groups=4, num_heads=2)
ALIGNMENT = replace(PREDIFF_ALIGNMENT_DEMO, frames=2, latent_shape=(4, 4, 2), base_units=8, norm_groups=4,
                    num_heads=2)
MODELS = {"prediff_vae": VAE, "prediff_denoiser": DENOISER, "prediff_alignment": ALIGNMENT}
TRAIN = {"epochs": 2, "batch_size": 4, "lr": 3e-3, "checkpoint_minutes": 0.0, "patience": 0}


def model_json(tmp: Path, family: str, config=None) -> str:
    path = tmp / f"{family}.json"
    path.write_text(json.dumps({"family": family, "config": (config or MODELS[family]).to_dict()}))
    return str(path)


def train(tmp: Path, family: str, root: Path, out: str, autoencoder: str | None = None, **overrides):
    data = DataSpec(root=str(root), pool=2, stride=1 if family == "prediff_vae" else 4)
    return run(RunRequest(out=str(tmp / out), model=model_json(tmp, family), data=data,
                          overrides={**TRAIN, **overrides}, progress=False, autoencoder=autoencoder))


@pytest.fixture(scope="module")
def vae_dir(tiny_root, tmp_path_factory) -> Path:
    """A tiny autoencoder trained for two epochs with the VAE objective; its exported best model."""
    tmp = tmp_path_factory.mktemp("vae")
    train(tmp, "prediff_vae", tiny_root, "run", epochs=1)
    return tmp / "run" / ckpt.EXPORT_DIR


def objective_and_data(family: str, root: Path, vae_dir: Path, **options):
    model_config = MODELS[family]
    config = ObjectiveConfig(autoencoder=str(vae_dir), **options)
    objective = build_objective(family, model_config, config, TrainConfig(**TRAIN))
    spec = objective.resolve(DataSpec(root=str(root), pool=2, stride=1 if family == "prediff_vae" else 4))
    train_set, val_set = objective.datasets(spec)
    return objective, train_set, val_set


def fixed_batch(dataset, n: int = 4):
    items = [dataset[i] for i in range(n)]
    return torch.stack([x for x, _ in items]), torch.tensor([i for _, i in items])


def test_validation_draws_do_not_depend_on_the_training_windows(tiny_root, vae_dir):
    """Two runs whose training strides differ score the same model equally on the same validation windows."""
    family = "prediff_denoiser"
    torch.manual_seed(0)
    model = get_family(family).build(MODELS[family]).eval()
    scores, sizes = [], []
    for stride in (4, 2):
        objective = build_objective(family, MODELS[family], ObjectiveConfig(autoencoder=str(vae_dir)), TrainConfig(**TRAIN))
        spec = objective.resolve(DataSpec(root=str(tiny_root), pool=2, stride=stride, val_stride=4))
        train_set, val_set = objective.datasets(spec)
        train_keys = {train_set[i][1] for i in range(len(train_set))}
        val_keys = {val_set[i][1] for i in range(len(val_set))}
        assert not train_keys & val_keys  # the latent cache never mixes the splits
        batch = fixed_batch(val_set, len(val_set))
        with torch.no_grad():
            scores.append(objective.compute(objective.accumulate(objective.init(), model, batch, batch, nullcontext)))
        sizes.append(len(train_set))
    assert sizes[1] > sizes[0]
    assert scores[0]["selection"] == scores[1]["selection"]


@pytest.mark.parametrize("family", list(MODELS))
def test_each_stage_overfits_a_fixed_batch(family, tiny_root, vae_dir):
    objective, train_set, _ = objective_and_data(family, tiny_root, vae_dir)
    torch.manual_seed(0)
    model = get_family(family).build(MODELS[family])
    params = list(model.parameters()) + [p for _, p in objective.extra_parameters()]
    optimizer = torch.optim.Adam(params, lr=3e-3)
    batch = fixed_batch(train_set)

    def score() -> float:  # the validation loss of the batch: fixed posterior draws, t and noise
        model.eval()
        with torch.no_grad():
            value = objective.compute(objective.accumulate(objective.init(), model, batch, batch, nullcontext))
        model.train()
        return value["selection"]

    before = score()
    for step in range(60):
        optimizer.zero_grad()
        objective.loss(model, batch, step, nullcontext).backward()
        optimizer.step()
    after = score()
    assert after < 0.5 * before, (before, after)  # measured: 14x, 2.8x and 22x lower


@pytest.mark.parametrize("family, name", [("prediff_vae", "objective.logvar"), ("prediff_denoiser", "objective.gamma")])
def test_learned_log_variances_are_optimized_and_the_autoencoder_stays_frozen(family, name, tiny_data, tiny_root,
                                                                             vae_dir, tmp_path):
    objective, train_set, val_set = objective_and_data(family, tiny_root, vae_dir)
    torch.manual_seed(0)
    model = get_family(family).build(MODELS[family])
    frozen = objective.autoencoder if family != "prediff_vae" else None
    frozen_before = state_hash(frozen) if frozen is not None else None
    trainer = Trainer(model, None, train_set, val_set, TrainConfig(**{**TRAIN, "epochs": 1}), tmp_path,
                      progress=False, objective=objective)
    extra = dict(objective.extra_parameters())[name]
    initial = extra.detach().clone()
    groups = {n: p for g in trainer.optimizer.param_groups for n, p in zip(g["names"], g["params"])}
    assert groups[name] is extra
    trainer.fit()
    assert not torch.equal(extra.detach(), initial)  # it received gradients and moved
    if frozen is not None:
        assert state_hash(frozen) == frozen_before and not frozen.training
        assert not any(p.requires_grad for p in frozen.parameters())
        optimized = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
        assert not optimized & {id(p) for p in frozen.parameters()}


def test_the_adversarial_term_switches_on_at_its_step(tiny_root, vae_dir):
    objective, train_set, _ = objective_and_data("prediff_vae", tiny_root, vae_dir, disc_start=2, disc_channels=8,
                                                 disc_layers=1)
    model = get_family("prediff_vae").build(VAE)
    disc = objective.terms.discriminator
    batch = fixed_batch(train_set)
    before = state_hash(disc)
    objective.loss(model, batch, 1, nullcontext).backward()
    assert state_hash(disc) == before and "g_loss" not in objective.last_log
    objective.loss(model, batch, 2, nullcontext).backward()
    assert state_hash(disc) != before and objective.last_log["d_weight"] > 0


@pytest.mark.parametrize("family", ["prediff_denoiser", "prediff_alignment"])
def test_exported_latent_models_load_and_name_their_autoencoder(family, tiny_root, vae_dir, tmp_path):
    summary = train(tmp_path, family, tiny_root, "run", autoencoder=str(vae_dir), epochs=1)
    assert summary["reason"] == "finished"
    export = tmp_path / "run" / ckpt.EXPORT_DIR
    saved_family, config, metadata = read_config(export)
    assert (saved_family, config) == (family, MODELS[family])
    assert isinstance(load_checkpoint(export), type(get_family(family).build(config)))
    assert metadata["autoencoder"]["path"] == str(vae_dir.resolve())
    assert {k: metadata["autoencoder"][k] for k in ("config_sha256", "weights_sha256")} == \
        {k: fingerprint(vae_dir)[k] for k in ("config_sha256", "weights_sha256")}
    assert metadata["selection_metric"] in ("eps_MSE", "align_MSE")
    state = ckpt.load_training_state(ckpt.checkpoint_path(tmp_path / "run"))
    assert set(load_checkpoint(export).state_dict()) == set(state["model"])  # no log-variance in the export


def test_a_stopped_denoiser_run_resumes_to_the_weights_of_an_uninterrupted_one(tiny_root, vae_dir, tmp_path):
    common = {"autoencoder": str(vae_dir), "accumulate": 2, "ema": True, "ema_decay": 0.9}
    reference = train(tmp_path, "prediff_denoiser", tiny_root, "whole", **common)
    stopped = train(tmp_path, "prediff_denoiser", tiny_root, "parts", max_minutes=1e-9, **common)
    assert stopped["reason"].startswith("time budget") and stopped["micro_done"] > 0
    resumed = run(RunRequest(out=str(tmp_path / "parts"), resume=True, progress=False,
                             overrides={"max_minutes": 0.0}))
    assert resumed["step"] == reference["step"] and resumed["weights_sha256"] == reference["weights_sha256"]
    states = [ckpt.load_training_state(ckpt.checkpoint_path(tmp_path / d)) for d in ("whole", "parts")]
    assert torch.equal(states[0]["objective"]["weighting"]["gamma"], states[1]["objective"]["weighting"]["gamma"])
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("whole", "parts")]
    assert metrics[0] == metrics[1]


def error_line(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--no-progress", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_a_missing_or_mismatched_autoencoder_is_one_clear_error(tiny_root, vae_dir, tmp_path, capsys):
    base = ["--data", "sevir", "--root", str(tiny_root), "--pool", "2", "--stride", "4", "--epochs", "1"]
    denoiser = model_json(tmp_path, "prediff_denoiser")
    err = error_line(capsys, "--model", denoiser, "--out", str(tmp_path / "a"), *base)
    assert "--autoencoder: expected the directory of a trained prediff_vae checkpoint" in err
    err = error_line(capsys, "--model", denoiser, "--out", str(tmp_path / "b"), "--autoencoder",
                     str(tmp_path / "nothing"), *base)
    assert "expected a prediff_vae checkpoint directory with config.json" in err
    wide = model_json(tmp_path, "prediff_denoiser", replace(DENOISER, latent_shape=(4, 4, 8)))
    err = error_line(capsys, "--model", wide, "--out", str(tmp_path / "c"), "--autoencoder", str(vae_dir), *base)
    assert "expected latents (h, w, c) = (4, 4, 8)" in err and "got an autoencoder with (4, 4, 2)" in err
    forecaster = save_checkpoint(Earthformer(TINY), tmp_path / "forecaster")
    err = error_line(capsys, "--model", denoiser, "--out", str(tmp_path / "d"), "--autoencoder", str(forecaster),
                     *base)
    assert "expected a prediff_vae checkpoint, got a earthformer model" in err
    err = error_line(capsys, "--model", model_json(tmp_path, "prediff_vae"), "--out", str(tmp_path / "e"),
                     "--autoencoder", str(vae_dir), *base)
    assert "--autoencoder: expected a prediff_denoiser or prediff_alignment model with it, got a prediff_vae" in err


def test_a_resumed_run_refuses_a_retrained_autoencoder(tiny_root, vae_dir, tmp_path):
    copy = tmp_path / "vae"
    copy.mkdir()
    for f in vae_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    train(tmp_path, "prediff_alignment", tiny_root, "run", autoencoder=str(copy), max_minutes=1e-9)
    model = load_checkpoint(copy)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    save_checkpoint(model, copy)
    with pytest.raises(ValueError, match="expected the autoencoder this run started with .* weights_sha256"):
        run(RunRequest(out=str(tmp_path / "run"), resume=True, progress=False))


def test_prediff_presets_and_recipes_are_named(tmp_path):
    for name in ("prediff_vae_demo", "prediff_denoiser_demo", "prediff_alignment_demo", "prediff_vae_sevirlr"):
        family, _ = model_config_from_spec(name)
        assert family == name.rsplit("_", 1)[0]
    for name, objective in OBJECTIVE_RECIPES.items():
        _, extras = load_recipe(str(RECIPE_DIR / f"{name}.yaml"))
        assert extras["objective"] == objective and load_recipe(name)[1]["objective"] == objective
        assert name.startswith(extras["model"])  # a recipe is named after its model (plus its stage)
    assert load_recipe("sevir_demo")[1] == {}  # forecaster recipes carry no objective
