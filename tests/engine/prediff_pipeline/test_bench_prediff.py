"""``python -m engine bench prediff`` runs on a tiny set, and counts 20 vs 1000 network calls."""
from __future__ import annotations

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.bench.prediff import ensemble_gflop, network_calls, random_demo_models
from engine.cli import main
from engine.prediff import PreDiffForecaster

from .tiny import FRAME, T_IN, T_OUT, save_tiny_set, tiny_models


def test_the_benchmark_runs_in_a_tiny_configuration(tmp_path, capsys):
    directory = save_tiny_set(tmp_path / "tiny")
    assert main(["bench", "prediff", "--set", str(directory), "--members", "2", "--steps", "3", "--repeats", "1",
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "(trained set)" in out and "2 members, ddim_eta1 3 steps, with knowledge control" in out
    assert "ddim_eta1 (default) 20, ddpm (published) 1000: 50x fewer" in out
    assert "Knowledge control beside the denoiser (second thread) vs after it, taking turns" in out
    assert "GFLOP (matrix products and convolutions)" in out and "the float32 matmul peak measured in this run" in out
    assert main(["bench", "prediff", "--set", str(directory), "--members", "1", "--steps", "2", "--repeats", "1",
                 "--unguided", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["network_calls"] == 2 and report["guided"] is False and len(report["runs"]) == 1
    assert report["sequential"] is None  # nothing to overlap without guidance
    assert report["gflop"] > 0 and report["peak_gflops"] > 0
    assert report["achieved_gflops"] == pytest.approx(report["gflop"] / report["seconds"])


def test_the_default_sampler_makes_50_times_fewer_network_calls_than_ddpm():
    calls = [network_calls(name, None) for name in ("ddim_eta1", "dpm_solver_pp", "ddpm")]
    assert calls + [network_calls("ddim", 20)] == [20, 20, 1000, 20]


def test_without_a_trained_set_the_demo_presets_run_with_random_weights():
    models = random_demo_models()
    assert (models.frame_shape, models.context_frames, models.target_frames) == ((96, 96, 1), 13, 12)
    assert models.alignment is not None and models.info.pool == 4


def test_the_stage_flop_counts_add_up_to_counting_a_whole_unguided_ensemble():
    models = tiny_models()
    counted = ensemble_gflop(models, members=3, steps=4, guided=False)
    assert counted["guide"] == 0.0
    context = torch.rand(1, T_IN, FRAME, FRAME, 1, generator=torch.Generator().manual_seed(0))
    counter = FlopCounterMode(display=False)
    with counter:
        PreDiffForecaster(models).sample(context, members=3, steps=4, chunk_members=2)  # chunking costs nothing extra
    assert counter.get_total_flops() / 1e9 == pytest.approx(sum(counted.values()), rel=1e-12)


def test_the_guidance_costs_an_alignment_forward_plus_the_gradient_in_z_only():
    models = tiny_models()
    guide = ensemble_gflop(models, members=2, steps=5, guided=True)["guide"]
    counter = FlopCounterMode(display=False)
    with counter:
        models.alignment(torch.zeros(1, T_OUT, 8, 8, 2), torch.zeros(1, dtype=torch.long))
    forward = counter.get_total_flops() / 1e9
    # the input gradient of every product/convolution costs about its forward; no weight gradients
    assert 1.5 * forward < guide / 10 < 2.5 * forward
