"""The model catalog lists usable checkpoints and reports broken ones without loading weights."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from engine import api
from engine.models.catalog import data_kind, scan_folders
from engine.models.checkpoint import save_checkpoint
from engine.models.unet.config import UNET_SEVIR_DEMO
from engine.models.unet.model import UNet

SMALL = replace(UNET_SEVIR_DEMO, base_channels=4, depth=1)
ENSO = replace(SMALL, input_shape=(12, 24, 48, 1), target_shape=(14, 24, 48, 1))


def _save(directory, config=SMALL, metadata=None):
    torch.manual_seed(0)
    return save_checkpoint(UNet(config), directory, metadata)


def test_usable_checkpoints_are_listed_with_their_shapes_and_parameter_counts(tmp_path):
    _save(tmp_path / "models" / "unet_small")
    _save(tmp_path / "models" / "enso_unet", ENSO)
    entries, problems = scan_folders([("Mine", tmp_path / "models", True)])
    assert not problems
    by_label = {e.label: e for e in entries}
    assert set(by_label) == {"unet_small", "enso_unet"}
    assert by_label["unet_small"].data == "sevir" and by_label["enso_unet"].data == "icar-enso"
    assert by_label["unet_small"].parameters == sum(p.numel() for p in UNet(SMALL).parameters())
    assert by_label["unet_small"].input_shape == (13, 96, 96, 1) and by_label["unet_small"].family == "unet"


def test_a_folder_that_is_itself_a_checkpoint_is_listed(tmp_path):
    _save(tmp_path / "one")
    entries, _ = scan_folders([("Single", tmp_path / "one", True)])
    assert [e.label for e in entries] == ["one"]


def test_corrupt_and_mismatched_checkpoints_are_skipped_with_one_line_each(tmp_path):
    root = tmp_path / "models"
    _save(root / "good")
    _save(root / "garbage_weights")
    (root / "garbage_weights" / "model.safetensors").write_bytes(b"\x00\x01 not a safetensors file")
    _save(root / "truncated")
    data = (root / "truncated" / "model.safetensors").read_bytes()
    (root / "truncated" / "model.safetensors").write_bytes(data[: len(data) // 2])
    _save(root / "other_preset")  # weights of SMALL under the config of a wider UNet
    document = json.loads((root / "other_preset" / "config.json").read_text())
    document["config"]["base_channels"] = 8
    (root / "other_preset" / "config.json").write_text(json.dumps(document))
    _save(root / "no_weights")
    (root / "no_weights" / "model.safetensors").unlink()
    (root / "bad_json").mkdir()
    (root / "bad_json" / "config.json").write_text("{ not json")
    entries, problems = scan_folders([("Mine", root, True)])
    assert [e.label for e in entries] == ["good"]
    messages = {p.path.name: p.message for p in problems}
    assert set(messages) == {"garbage_weights", "truncated", "other_preset", "no_weights", "bad_json"}
    assert all("\n" not in m and str(root) in m for m in messages.values())
    assert "unreadable safetensors" in messages["garbage_weights"]
    assert "unreadable safetensors" in messages["truncated"]
    assert "expected shape" in messages["other_preset"]
    assert "expected weights" in messages["no_weights"]
    assert "not a valid config file" in messages["bad_json"]


def test_duplicate_names_get_the_folder_name_and_missing_configured_folders_are_reported(tmp_path):
    _save(tmp_path / "a" / "demo")
    _save(tmp_path / "b" / "demo")
    entries, problems = scan_folders([("A", tmp_path / "a", True), ("B", tmp_path / "b", True),
                                      ("Optional", tmp_path / "absent_ok", False),
                                      ("Configured", tmp_path / "absent", True)])
    assert [e.label for e in entries] == ["demo", "demo (B)"]
    assert len(problems) == 1 and "absent" in problems[0].message and problems[0].folder == "Configured"


def test_data_kind_prefers_training_metadata_over_shapes():
    assert data_kind((12, 24, 48, 1), {}) == "icar-enso"
    assert data_kind((13, 96, 96, 1), {}) == "sevir"
    assert data_kind((13, 24, 48, 1), {"data": {"kind": "icar_enso"}}) == "icar-enso"
    assert data_kind((12, 24, 48, 1), {"data": {"kind": "sevir"}}) == "sevir"


def test_facade_reads_configured_folders_from_the_environment(tmp_path, monkeypatch):
    _save(tmp_path / "published" / "converted")
    _save(tmp_path / "published" / "enso", ENSO)
    monkeypatch.setenv("EFS_MODEL_DIRS", f"Published={tmp_path / 'published'}")
    monkeypatch.setenv("EFS_CONFIG", str(tmp_path / "empty.toml"))
    (tmp_path / "empty.toml").write_text("")
    entries, problems = api.forecast_models("sevir")
    assert "converted" in [e.label for e in entries] and "enso" not in [e.label for e in entries]
    assert api.forecast_model("enso", "icar-enso").folder == "Published"
    with pytest.raises(ValueError, match=r"model: expected one of .*'converted'.*got 'nope'"):
        api.forecast_model("nope", "sevir")
    with pytest.raises(ValueError, match="data: expected 'sevir' or 'icar-enso'"):
        api.forecast_models("radar")


def test_prediff_sets_and_parts_are_not_listed_as_forecasters(tmp_path):
    from engine.models.prediff.alignment import AlignmentNet
    from engine.models.prediff.alignment_config import get_preset

    _save(tmp_path / "models" / "unet_small")
    from engine.models.prediff.denoiser import LatentDenoiser
    from engine.models.prediff.denoiser_config import get_preset as denoiser_preset

    save_checkpoint(AlignmentNet(get_preset("prediff_alignment_demo")), tmp_path / "models" / "alignment")
    save_checkpoint(LatentDenoiser(denoiser_preset("prediff_denoiser_demo")), tmp_path / "models" / "denoiser")
    (tmp_path / "models" / "prediff_set").mkdir()
    (tmp_path / "models" / "prediff_set" / "prediff.json").write_text("{}")
    _save(tmp_path / "models" / "prediff_set" / "looks_like_a_checkpoint")
    entries, problems = scan_folders([("Mine", tmp_path / "models", True),
                                      ("Set", tmp_path / "models" / "prediff_set", True)])
    assert [e.label for e in entries] == ["unet_small"] and not problems
