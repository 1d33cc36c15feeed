"""``evaluate`` on SEVIR: scores equal brute-force counts on the same windows, pooling is a max
pool, every model sees the same samples, and a saved checkpoint runs through the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.evaluation import EvalRequest, evaluate, pooled_factor
from engine.evaluation.windows import sevir_windows
from engine.forecast import Forecaster
from engine.metrics.categorical import THRESHOLDS
from engine.models.checkpoint import save_checkpoint
from engine.models.earthformer.config import EarthformerConfig
from engine.models.earthformer.model import Earthformer
from tests.engine.data.conftest import pattern


def windows_by_hand(sevir_root, ids, seq_len=25, stride=12, pool=1) -> np.ndarray:
    """uint8 (N, seq_len, H / pool, W / pool) windows of the events ``ids``, max-pooled with loops."""
    out = []
    for eid in ids:
        frames = pattern([e.id for e in sevir_root.events].index(eid), sevir_root.frames, sevir_root.size)
        if pool > 1:
            n = frames.shape[1] // pool
            pooled = np.zeros((frames.shape[0], n, n), dtype=np.uint8)
            for i in range(n):
                for j in range(n):
                    pooled[:, i, j] = frames[:, i * pool:(i + 1) * pool, j * pool:(j + 1) * pool].max(axis=(1, 2))
            frames = pooled
        out += [frames[s:s + seq_len] for s in range(0, frames.shape[0] - seq_len + 1, stride)]
    return np.stack(out)


def csi_by_hand(pred: np.ndarray, obs: np.ndarray, thr: float) -> float:
    """Dataset-level CSI on the 0-255 scale with ">=" and the papers' eps 1e-4."""
    p, o = pred >= thr, obs >= thr
    h, m, f = np.sum(p & o), np.sum(~p & o), np.sum(p & ~o)
    return h / (h + m + f + 1e-4)


VAL_IDS = ["S103", "S104"]  # the tiny dataset's validation events, in catalog order


def test_persistence_scores_equal_brute_force_counts_on_the_same_windows(sevir_root):
    result = evaluate(EvalRequest("sevir", ("persistence",), sevir_root.root, split="val"))
    seqs = windows_by_hand(sevir_root, VAL_IDS).astype(np.float64)
    obs, pred = seqs[:, 13:], np.repeat(seqs[:, 12:13], 12, axis=1)
    scores = result["models"]["persistence"]["all"]
    assert result["n_windows"] == 6 and result["frame"] == [48, 48]
    expected = [csi_by_hand(pred, obs, thr) for thr in THRESHOLDS]
    np.testing.assert_allclose(scores["CSI"], expected, rtol=1e-12)
    assert scores["CSI-M"] == pytest.approx(np.mean(expected), rel=1e-12)
    assert scores["MSE"] == pytest.approx(np.mean((pred / 255 - obs / 255) ** 2), rel=1e-6)
    assert scores["MAE"] == pytest.approx(np.mean(np.abs(pred / 255 - obs / 255)), rel=1e-6)
    lead = result["models"]["persistence"]["lead"]
    np.testing.assert_allclose(lead["MSE"], (((pred - obs) / 255) ** 2).mean(axis=(0, 2, 3)), rtol=1e-6)


def test_limit_takes_the_first_windows(sevir_root):
    result = evaluate(EvalRequest("sevir", ("persistence",), sevir_root.root, split="val", limit=2))
    seqs = windows_by_hand(sevir_root, VAL_IDS)[:2].astype(np.float64)
    pred = np.repeat(seqs[:, 12:13], 12, axis=1)
    assert result["n_windows"] == 2
    assert result["models"]["persistence"]["all"]["CSI"][0] == pytest.approx(csi_by_hand(pred, seqs[:, 13:], 16))


def test_evaluation_frames_are_a_brute_force_max_pool_of_the_data(sevir_root):
    windows = sevir_windows(sevir_root.root, "val", 13, 12, resolution=12)
    assert windows.pool == 4 and windows.km_per_pixel == 4.0
    got = np.stack([windows.dataset[i].numpy()[..., 0] for i in range(len(windows))])
    np.testing.assert_array_equal(np.rint(got * 255).astype(np.uint8), windows_by_hand(sevir_root, VAL_IDS, pool=4))


def test_pooled_scores_equal_brute_force_on_pooled_windows(sevir_root):
    result = evaluate(EvalRequest("sevir", ("persistence",), sevir_root.root, split="val", resolution=24))
    seqs = windows_by_hand(sevir_root, VAL_IDS, pool=2).astype(np.float64)
    pred = np.repeat(seqs[:, 12:13], 12, axis=1)
    assert result["frame"] == [24, 24] and result["data_pool"] == 2
    np.testing.assert_allclose(result["models"]["persistence"]["all"]["CSI"],
                               [csi_by_hand(pred, seqs[:, 13:], t) for t in THRESHOLDS], rtol=1e-12)


@pytest.mark.parametrize("native, target, factor", [((384, 384), (96, 96), 4), ((384, 384), (384, 384), 1),
                                                    ((48, 48), (12, 12), 4)])
def test_pooled_factor_is_the_integer_ratio(native, target, factor):
    assert pooled_factor(native, target) == factor


@pytest.mark.parametrize("target", [(100, 100), (768, 768), (96, 48)])
def test_sizes_no_integer_pool_reaches_are_refused(target):
    with pytest.raises(ValueError, match=r"model: expected frames that max-pooling the data's 384 x 384"):
        pooled_factor((384, 384), target)


def test_models_in_one_call_are_scored_on_the_same_samples(sevir_root):
    both = evaluate(EvalRequest("sevir", ("persistence", "optical_flow"), sevir_root.root, split="test"))
    alone = evaluate(EvalRequest("sevir", ("optical_flow",), sevir_root.root, split="test"))
    rows = both["models"]
    # Same targets: hits + misses (the observed events) agree between rows, per threshold and lead.
    np.testing.assert_array_equal(rows["persistence"]["lead"]["hits"] + rows["persistence"]["lead"]["misses"],
                                  rows["optical_flow"]["lead"]["hits"] + rows["optical_flow"]["lead"]["misses"])
    for key in ("CSI", "POD", "SUCR", "BIAS", "MSE"):
        np.testing.assert_array_equal(rows["optical_flow"]["all"][key], alone["models"]["optical_flow"]["all"][key])


@pytest.fixture(scope="module")
def tiny_earthformer(tmp_path_factory):
    """A seeded 3 -> 2 frame Earthformer at 12 x 12 (the 48-pixel data max-pooled by 4)."""
    config = EarthformerConfig(input_shape=(3, 12, 12, 1), target_shape=(2, 12, 12, 1), base_units=16,
                               num_global_vectors=2, initial_downsample_scale=(1, 2, 2), final_upsample_conv_layers=1)
    torch.manual_seed(0)
    return save_checkpoint(Earthformer(config), tmp_path_factory.mktemp("ck") / "tiny_ef")


def test_a_saved_earthformer_evaluates_through_the_cli(sevir_root, tiny_earthformer, tmp_path, capsys):
    out = tmp_path / "scores.json"
    code = main(["evaluate", "--data", "sevir", "--root", str(sevir_root.root), "--split", "test", "--quiet",
                 "--model", str(tiny_earthformer), "--model", "persistence", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "tiny_ef" in printed and "CSI-219" in printed and "MSE(1e-3)" in printed
    result = json.loads(out.read_text())
    assert (result["t_in"], result["t_out"], result["frame"], result["data_pool"]) == (3, 2, [12, 12], 4)
    # The same windows forecast by hand: 49 frames -> windows of 5 every 2 frames, pooled by 4.
    seqs = windows_by_hand(sevir_root, ["R105"], seq_len=5, stride=2, pool=4)
    assert result["n_windows"] == len(seqs) == 23
    contexts = (seqs[:, :3, ..., None] / np.float32(255)).astype(np.float32)
    pred = Forecaster.from_checkpoint(tiny_earthformer, device="cpu").predict(contexts, batch_size=4)[..., 0]
    obs = seqs[:, 3:].astype(np.float64) / 255
    got = result["models"]["tiny_ef"]["all"]
    assert got["MSE"] == pytest.approx(np.mean((pred - obs) ** 2), rel=1e-5)
    np.testing.assert_allclose(got["CSI"], [csi_by_hand(pred * 255.0, obs * 255.0, t) for t in THRESHOLDS], atol=1e-12)
    assert len(result["models"]["persistence"]["lead"]["CSI-M"]) == 2


def test_steps_rows_carry_the_ensemble_size_and_crps(sevir_root):
    result = evaluate(EvalRequest("sevir", ("steps",), sevir_root.root, split="test", limit=1, members=2))
    row = result["models"]["steps"]
    assert row["members"] == 2 and 0 <= row["all"]["CRPS"] <= row["all"]["MAE"] + 1e-12


@pytest.mark.parametrize("name, options", [("optical_flow", {}), ("steps", {"members": 2})])
def test_motion_baselines_run_on_frames_smaller_than_pysteps_default_pyramid(sevir_root, name, options):
    # pysteps' Proesmans motion with its default 6 levels aborts the process below 32 pixels;
    # the baselines pick fewer levels, so a 24 x 24 evaluation runs and scores.
    result = evaluate(EvalRequest("sevir", (name,), sevir_root.root, split="test", resolution=24, limit=1, **options))
    assert 0.0 <= result["models"][name]["all"]["CSI-M"] <= 1.0


def test_sevir_lr_windows_take_every_second_frame_and_a_3x3_max_pool(sevir_root):
    windows = sevir_windows(sevir_root.root, "val", 7, 6, resolution=None, downsampling="lr")
    assert (windows.km_per_pixel, windows.minutes_per_step, windows.pool) == (3.0, 10.0, 1)
    frames = windows.dataset[0].numpy()[..., 0]  # first window of S103: frames 0, 2, ..., 24, pooled 3 x 3
    raw = windows_by_hand(sevir_root, ["S103"], seq_len=49, stride=49)[0, 0:26:2]
    by_hand = raw.reshape(13, 16, 3, 16, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(np.rint(frames * 255).astype(np.uint8), by_hand)
