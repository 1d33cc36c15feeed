"""Training checkpoints: atomic writes survive a crash mid-write; the exported best model loads."""
from __future__ import annotations

import pytest
import torch

from engine.models.checkpoint import load_checkpoint
from engine.models.earthformer.model import Earthformer
from engine.train import checkpoints as ckpt

from .conftest import TINY


def test_a_crash_while_writing_leaves_the_previous_checkpoint_loadable(tmp_path, monkeypatch):
    path = ckpt.checkpoint_path(tmp_path)
    ckpt.save_training_state(path, {"step": 1, "weights": torch.arange(4.0)})

    def dies_half_way(obj, fh, *args, **kwargs):
        fh.write(b"PK\x03\x04 partial bytes of a zip archive")  # what a killed torch.save leaves
        raise KeyboardInterrupt("killed during the write")

    monkeypatch.setattr(torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_training_state(path, {"step": 2, "weights": torch.zeros(4)})
    monkeypatch.undo()
    state = ckpt.load_training_state(path)
    assert state["step"] == 1 and torch.equal(state["weights"], torch.arange(4.0))
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temp file left behind


def test_a_stale_temp_file_from_a_killed_process_is_ignored_and_cleaned(tmp_path):
    path = ckpt.checkpoint_path(tmp_path)
    ckpt.save_training_state(path, {"step": 3})
    (path.parent / ".last.pt.abc.tmp").write_bytes(b"garbage")
    assert ckpt.load_training_state(path)["step"] == 3
    ckpt.clean_stale_temp_files(tmp_path)
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_a_truncated_or_missing_checkpoint_is_one_clear_error(tmp_path):
    path = ckpt.checkpoint_path(tmp_path)
    with pytest.raises(ValueError, match="expected a training checkpoint at .*last.pt"):
        ckpt.load_training_state(path)
    ckpt.save_training_state(path, {"step": 1, "x": torch.ones(1000)})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a readable training checkpoint"):
        ckpt.load_training_state(path)


def test_rng_state_round_trips_so_dropout_repeats():
    state = ckpt.rng_state()
    first = torch.rand(5)
    ckpt.set_rng_state(state)
    assert torch.equal(torch.rand(5), first)


def test_the_exported_model_loads_with_load_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = Earthformer(TINY).eval()
    ckpt.export_model(model, tmp_path, {"epoch": 3})
    loaded = load_checkpoint(tmp_path / ckpt.EXPORT_DIR)
    x = torch.rand(2, *TINY.input_shape)
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
