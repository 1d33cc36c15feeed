"""Training configs: the papers' values, YAML recipes equal to the named ones, clear errors."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.train.config import RECIPES, TrainConfig, get_recipe
from engine.train.setup import RECIPE_DIR, load_recipe

YAMLS = sorted(RECIPE_DIR.glob("*.yaml"))


def test_every_paper_and_demo_recipe_has_a_yaml_file():
    assert {p.stem for p in YAMLS} == set(RECIPES) - {"default"}


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: p.stem)
def test_yaml_recipe_equals_the_named_recipe(path: Path):
    config, extras = load_recipe(str(path))
    assert config == get_recipe(path.stem)
    assert extras["model"] is not None


def test_recipes_carry_the_published_values():
    sevir, enso, nbody = get_recipe("sevir"), get_recipe("icar_enso"), get_recipe("nbody")
    assert (sevir.lr, sevir.weight_decay, sevir.total_batch_size, sevir.batch_size, sevir.epochs) == (1e-3, 0.0, 32, 2, 100)
    assert (sevir.warmup_percentage, sevir.warmup_min_lr_ratio, sevir.min_lr_ratio, sevir.patience) == (0.2, 0.0, 1e-3, 20)
    assert (sevir.grad_clip, sevir.precision) == (1.0, "fp32")
    assert (enso.lr, enso.weight_decay, enso.total_batch_size, enso.batch_size) == (1e-4, 1e-5, 64, 16)
    assert (enso.patience, enso.val_every) == (5, 5)
    assert (nbody.lr, nbody.weight_decay, nbody.total_batch_size, nbody.patience) == (1e-3, 1e-5, 32, 20)


def test_accumulation_reaches_the_total_batch_over_all_processes():
    sevir = get_recipe("sevir")
    assert [sevir.accumulation(w) for w in (1, 2, 8, 16)] == [16, 8, 2, 1]
    with pytest.raises(ValueError, match="total_batch_size: expected a multiple of batch_size x processes"):
        sevir.accumulation(3)
    assert replace(sevir, total_batch_size=None, accumulate=3).accumulation(8) == 3


def test_unknown_names_and_bad_values_raise_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown training recipe 'sevirr'; valid: convlstm_sevir_demo, default, icar_enso"):
        get_recipe("sevirr")
    with pytest.raises(ValueError, match=r"unknown keys \['learning_rate'\]"):
        TrainConfig.from_dict({"learning_rate": 1e-3})
    with pytest.raises(ValueError, match="precision: expected one of fp32, bf16, fp16, got 'fp64'"):
        TrainConfig(precision="fp64")
    with pytest.raises(ValueError, match="lr: expected a positive"):
        TrainConfig(lr=0.0)
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epoch: 3\n")
    with pytest.raises(ValueError, match=r"bad.yaml: training config: unknown keys \['epoch'\]"):
        load_recipe(str(bad))
    with pytest.raises(ValueError, match="expected a YAML file at"):
        load_recipe(str(tmp_path / "missing.yaml"))
