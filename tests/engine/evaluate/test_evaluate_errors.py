"""Bad ``evaluate`` input ends with one clear stderr line and exit status 2."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.cli import main
from engine.models.checkpoint import save_checkpoint
from engine.models.unet.config import UNetConfig
from engine.models.unet.model import UNet
from tests.engine.data.conftest import EVENTS, write_sevir

SMALL = UNetConfig(input_shape=(13, 24, 24, 1), target_shape=(12, 24, 24, 1), base_channels=4, depth=1)


def _unet(tmp_path, name: str, config: UNetConfig = SMALL):
    torch.manual_seed(0)
    return str(save_checkpoint(UNet(config), tmp_path / name))


def _fails(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", *argv, "--quiet"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_an_unknown_model_lists_the_valid_baselines(sevir_root, capsys):
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", "unet"],
           "model: expected a checkpoint directory, a PreDiff set (sevir) or a sevir baseline (persistence, "
           "optical_flow, steps), got 'unet'")
    _fails(capsys, ["--data", "icar-enso", "--root", str(sevir_root.root), "--model", "optical_flow"],
           "icar-enso baseline (persistence, climatology, damped_persistence)")


def test_a_model_no_integer_max_pool_fits_is_refused(sevir_root, tmp_path, capsys):
    odd = dataclasses.replace(SMALL, input_shape=(13, 20, 20, 1), target_shape=(12, 20, 20, 1))
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", _unet(tmp_path, "unet20", odd)],
           "model unet20: expected frames that max-pooling the data's 48 x 48 by an integer factor gives, got 20 x 20")
    big = dataclasses.replace(SMALL, input_shape=(13, 96, 96, 1), target_shape=(12, 96, 96, 1))
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", _unet(tmp_path, "unet96", big)],
           "got 96 x 96")


def test_a_sevir_model_is_refused_on_enso_and_mismatched_models_are_named(sevir_root, sinusoid_enso, tmp_path, capsys):
    small = _unet(tmp_path, "small")
    _fails(capsys, ["--data", "icar-enso", "--root", str(sinusoid_enso), "--model", small],
           "model small: expected 24 x 48 fields")
    short = _unet(tmp_path, "short", dataclasses.replace(SMALL, target_shape=(6, 24, 24, 1)))
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", small, "--model", short],
           "model short: expected the window and frame size of small")
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", small, "--resolution", "12"],
           "resolution: expected 24 (the frame size of small), got 12")


def test_a_missing_split_is_one_line(tmp_path, sinusoid_enso, capsys):
    no_test = write_sevir(tmp_path / "sevir", [e for e in EVENTS if e.id != "R105"], size=48)
    _fails(capsys, ["--data", "sevir", "--root", str(no_test.root), "--model", "persistence"],
           "split 'test' of")
    _fails(capsys, ["--data", "sevir", "--root", str(no_test.root), "--model", "persistence", "--split", "later"],
           "split: expected one of train, val, test")
    _fails(capsys, ["--data", "icar-enso", "--root", str(sinusoid_enso), "--model", "persistence", "--split", "soda"],
           "split 'soda'")


def test_missing_data_and_options_are_one_line(sevir_root, tmp_path, capsys):
    _fails(capsys, ["--data", "sevir", "--root", str(tmp_path / "nowhere"), "--model", "persistence"],
           "root: expected an existing data directory")
    _fails(capsys, ["--data", "sevir", "--source", "No such source", "--model", "persistence"],
           "sevir data source: expected one of 'Embedded demo'")
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", "steps"],
           "steps: expected an ensemble size (--members M)")
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", "persistence", "--limit", "0"],
           "limit: expected >= 1")
    _fails(capsys, ["--data", "sevir", "--root", str(sevir_root.root), "--model", str(tmp_path)],
           "has no config.json")
