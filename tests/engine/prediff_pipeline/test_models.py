"""PreDiff sets on disk: save/load round trip, prediff.json, and one clear error for mismatched parts."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.models.checkpoint import save_checkpoint
from engine.models.prediff.alignment import AlignmentNet
from engine.models.prediff.denoiser import LatentDenoiser
from engine.prediff import PreDiffForecaster, PreDiffModels, SetInfo, intensity_statistics, read_set_info
from engine.prediff.set_info import MAX_STORED_VALUES

from .tiny import ALIGN, DEN, FRAME, T_IN, TRAIN_VALUES, save_tiny_set, tiny_models


def test_a_saved_set_loads_back_and_samples_the_same_ensemble(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    assert sorted(p.name for p in directory.iterdir()) == ["alignment", "autoencoder", "denoiser", "prediff.json"]
    loaded = PreDiffModels.from_directory(directory)
    context = torch.rand(1, T_IN, FRAME, FRAME, 1)
    a = PreDiffForecaster(tiny_models()).sample(context, members=2, steps=3, seed=4).frames
    b = PreDiffForecaster(loaded).sample(context, members=2, steps=3, seed=4).frames
    assert torch.equal(a, b)
    assert loaded.info == tiny_models().info


def test_set_statistics_are_the_training_values_std_mean_and_sorted_values():
    info = intensity_statistics(TRAIN_VALUES[::-1])
    assert info.sigma == pytest.approx(np.std(TRAIN_VALUES, ddof=1))
    assert info.mu_train == pytest.approx(TRAIN_VALUES.mean())
    assert info.train_values == tuple(TRAIN_VALUES)
    big = intensity_statistics(np.random.default_rng(0).random(10 * MAX_STORED_VALUES))
    assert len(big.train_values) == MAX_STORED_VALUES and big.train_values[0] <= big.train_values[-1]


def test_a_mismatched_denoiser_names_both_parts(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    save_checkpoint(LatentDenoiser(replace(DEN, latent_shape=(8, 8, 4))), directory / "denoiser")
    with pytest.raises(ValueError, match=r"autoencoder makes latents of \(8, 8, 2\).*denoiser expects \(8, 8, 4\)"):
        PreDiffModels.from_directory(directory)


def test_an_alignment_network_for_other_frames_names_both_parts(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    save_checkpoint(AlignmentNet(replace(ALIGN, frames=3)), directory / "alignment")
    with pytest.raises(ValueError, match="denoiser samples 2 target frames but the alignment network reads 3"):
        PreDiffModels.from_directory(directory)


def test_a_part_of_the_wrong_family_is_named(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    save_checkpoint(AlignmentNet(ALIGN), directory / "denoiser")
    with pytest.raises(ValueError, match="denoiser/ expected a prediff_denoiser checkpoint, got prediff_alignment"):
        PreDiffModels.from_directory(directory)


def test_a_broken_prediff_json_is_named(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    (directory / "prediff.json").write_text(json.dumps({"sigma": -1.0, "train_values": [0.1], "mu_train": 0.1}))
    with pytest.raises(ValueError, match=r"prediff.json: sigma: expected a finite value > 0, got -1.0"):
        read_set_info(directory)
    with pytest.raises(ValueError, match="train_values: expected values sorted"):
        SetInfo(sigma=1.0, train_values=(0.2, 0.1), mu_train=0.15)


def test_a_set_is_assembled_from_trained_parts_with_the_training_splits_statistics(tmp_path):
    from engine.prediff.statistics import assemble_set, future_intensities
    from tests.app.test_storm_explorer import write_tiny_sevir

    root = write_tiny_sevir(tmp_path / "sevir")  # 96 x 96 frames, 49 per event; two train-split events
    parts = save_tiny_set(tmp_path / "trained")
    info = assemble_set(tmp_path / "set", parts / "autoencoder", parts / "denoiser", parts / "alignment", root,
                        pool=6, description="assembled")
    values = future_intensities(root, T_IN, 2, 6)
    assert len(values) == 2 * len(range(0, 49 - 5 + 1, 12))  # windows every 12 frames of each train event
    assert info.sigma == pytest.approx(np.std(values, ddof=1)) and info.pool == 6
    assert PreDiffModels.from_directory(tmp_path / "set").info == info
