"""``python -m engine bench prediff`` runs on a tiny set, and counts 20 vs 1000 network calls."""
from __future__ import annotations

import json

from engine.bench.prediff import network_calls, random_demo_models
from engine.cli import main

from .tiny import save_tiny_set


def test_the_benchmark_runs_in_a_tiny_configuration(tmp_path, capsys):
    directory = save_tiny_set(tmp_path / "tiny")
    assert main(["bench", "prediff", "--set", str(directory), "--members", "2", "--steps", "3", "--repeats", "1",
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "(trained set)" in out and "2 members, ddim_eta1 3 steps, with knowledge control" in out
    assert "ddim_eta1 (default) 20, ddpm (published) 1000: 50x fewer" in out
    assert "Knowledge control beside the denoiser (second thread) vs after it, taking turns" in out
    assert main(["bench", "prediff", "--set", str(directory), "--members", "1", "--steps", "2", "--repeats", "1",
                 "--unguided", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["network_calls"] == 2 and report["guided"] is False and len(report["runs"]) == 1
    assert report["sequential"] is None  # nothing to overlap without guidance


def test_the_default_sampler_makes_50_times_fewer_network_calls_than_ddpm():
    calls = [network_calls(name, None) for name in ("ddim_eta1", "dpm_solver_pp", "ddpm")]
    assert calls + [network_calls("ddim", 20)] == [20, 20, 1000, 20]


def test_without_a_trained_set_the_demo_presets_run_with_random_weights():
    models = random_demo_models()
    assert (models.frame_shape, models.context_frames, models.target_frames) == ((96, 96, 1), 13, 12)
    assert models.alignment is not None and models.info.pool == 4
