"""Alignment calibration: the least-squares line, its round trip through prediff.json, and guidance
aiming the alignment network at (F0 - b) / a while the reported target stays F0."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import engine.prediff.pipeline as pipeline
from engine.cli import main
from engine.prediff import PreDiffForecaster, PreDiffModels, read_set_info, write_set_info
from engine.prediff.calibration import (alignment_readings, calibrate_alignment, calibrate_ceiling, ceiling_candidates,
                                        fit_line)

from .tiny import FRAME, T_IN, T_OUT, save_tiny_set, tiny_models


def test_the_fitted_line_is_exact_on_points_of_a_line_and_r2_measures_the_scatter():
    x = np.linspace(0.0, 0.2, 11)
    slope, intercept, r2 = fit_line(x, 0.6 * x - 0.002)
    assert (slope, intercept, r2) == (pytest.approx(0.6), pytest.approx(-0.002), pytest.approx(1.0))
    noisy = 0.6 * x + np.random.default_rng(0).normal(0, 0.01, x.size)
    assert 0 < fit_line(x, noisy)[2] < 1
    with pytest.raises(ValueError, match="2 distinct alignment readings"):
        fit_line(np.ones(3), np.arange(3.0))


def test_the_calibration_round_trips_through_prediff_json_and_a_non_positive_slope_is_refused(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    info = dataclasses.replace(read_set_info(directory), alignment_calibration=(0.66, -0.002))
    write_set_info(directory, info)
    assert read_set_info(directory).alignment_calibration == (0.66, -0.002)
    with pytest.raises(ValueError, match="slope > 0"):
        dataclasses.replace(info, alignment_calibration=(0.0, 0.1))


def test_guidance_aims_the_alignment_network_at_the_calibrated_reading(monkeypatch):
    models = tiny_models()
    models = dataclasses.replace(models, info=dataclasses.replace(models.info, alignment_calibration=(0.5, 0.01)))
    seen = []
    real = pipeline.KnowledgeControl

    def capture(alignment, target, scale, ceiling):
        seen.append(target.clone())
        return real(alignment, target, scale=scale, ceiling=ceiling)

    monkeypatch.setattr(pipeline, "KnowledgeControl", capture)
    context = torch.rand((2, T_IN, FRAME, FRAME, 1), generator=torch.Generator().manual_seed(0))
    mu = torch.tensor([0.05, 0.2])
    out = PreDiffForecaster(models).sample(context, members=2, steps=2, n_sigma=1.0, anticipated=mu)
    f0 = mu + models.info.sigma
    torch.testing.assert_close(out.target, f0)  # the target the user asked for
    torch.testing.assert_close(seen[0], (f0 - 0.01) / 0.5)  # what the alignment network is steered to


def _windows():
    rng = np.random.default_rng(0)
    contexts = rng.uniform(0, 1, (3, T_IN, FRAME, FRAME, 1)).astype(np.float32)
    return contexts, rng.uniform(0, 1, (3, T_OUT, FRAME, FRAME, 1)).astype(np.float32)


# Random tiny sets whose readings and decoded intensities rise / fall together (default sampler).
RISING_SEED, FALLING_SEED = 2, 4


def test_calibrating_fits_the_decoded_intensity_of_the_sets_own_samples():
    models = tiny_models(RISING_SEED)
    contexts, futures = _windows()
    fit = calibrate_alignment(models, contexts, futures, n_values=(-1.0, 1.0), members=2, batch=2)
    assert fit.slope > 0 and fit.readings.shape == fit.decoded.shape == (2 * 2 * 3,)
    assert fit.pair == pytest.approx(tuple(np.polyfit(fit.readings, fit.decoded, 1)))
    # The first call's readings are U(z_0, 0) of the members it decoded (uncalibrated, n = -1).
    raw = PreDiffForecaster(models).sample(torch.as_tensor(contexts[:2]), members=2, seed=0, n_sigma=-1.0,
                                           mode="hindcast", observed=torch.as_tensor(futures[:2]))
    np.testing.assert_allclose(fit.readings[:4], alignment_readings(models, raw.latents).reshape(-1).numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(fit.decoded[:4], raw.intensity.mean(dim=2).reshape(-1).numpy(), rtol=1e-5)


def test_a_falling_line_is_refused_with_one_message():
    contexts, futures = _windows()
    with pytest.raises(ValueError, match="expected a positive slope"):
        calibrate_alignment(tiny_models(FALLING_SEED), contexts, futures, n_values=(-1.0, 1.0), members=2, batch=2)


def test_the_cli_writes_the_calibration_unless_dry_run(tmp_path, capsys):
    from tests.app.test_storm_explorer import write_tiny_sevir

    directory = save_tiny_set(tmp_path / "set", seed=RISING_SEED, pool=6)
    root = write_tiny_sevir(tmp_path / "sevir")
    args = ["prediff", "calibrate", str(directory), "--root", str(root), "--split", "val", "--members", "2",
            "--n", "-1", "1", "--quiet"]
    assert main([*args, "--dry-run"]) == 0 and "decoded intensity =" in capsys.readouterr().out
    assert read_set_info(directory).alignment_calibration == (1.0, 0.0)
    assert main(args) == 0
    slope, _ = read_set_info(directory).alignment_calibration
    assert slope > 0 and slope != 1.0
    assert main(["prediff", "info", str(directory)]) == 0
    assert "alignment calibration: decoded" in capsys.readouterr().out


def test_the_ceiling_round_trips_through_prediff_json_and_a_bad_one_is_named(tmp_path):
    directory = save_tiny_set(tmp_path / "set")
    assert read_set_info(directory).alignment_ceiling is None  # the published behaviour by default
    write_set_info(directory, dataclasses.replace(read_set_info(directory), alignment_ceiling=0.22))
    assert read_set_info(directory).alignment_ceiling == 0.22
    path = directory / "prediff.json"
    for bad in ("-0.1", "\"high\""):
        path.write_text(path.read_text().replace('"alignment_ceiling": 0.22', f'"alignment_ceiling": {bad}'))
        with pytest.raises(ValueError, match=r"prediff.json: alignment_ceiling: expected a finite reading > 0 or null"):
            read_set_info(directory)
        path.write_text(path.read_text().replace(f'"alignment_ceiling": {bad}', '"alignment_ceiling": 0.22'))


def test_the_pipeline_passes_the_sets_ceiling_to_the_guidance(monkeypatch):
    models = tiny_models()
    models = dataclasses.replace(models, info=dataclasses.replace(models.info, alignment_ceiling=0.123))
    seen = []
    real = pipeline.KnowledgeControl

    def capture(alignment, target, scale, ceiling):
        seen.append(ceiling)
        return real(alignment, target, scale=scale, ceiling=ceiling)

    monkeypatch.setattr(pipeline, "KnowledgeControl", capture)
    context = torch.rand((1, T_IN, FRAME, FRAME, 1), generator=torch.Generator().manual_seed(0))
    PreDiffForecaster(models).sample(context, members=1, steps=2, n_sigma=1.0, anticipated=torch.tensor([0.1]))
    assert seen == [0.123]


def test_ceiling_candidates_start_with_none_and_scale_the_reading_of_the_most_intense_training_future():
    models = tiny_models()
    models = dataclasses.replace(models, info=dataclasses.replace(models.info, alignment_calibration=(0.5, 0.01)))
    got = ceiling_candidates(models, factors=(1.0, 2.0))
    top = (max(models.info.train_values) - 0.01) / 0.5
    assert got[0] is None and got[1:] == [pytest.approx(top), pytest.approx(2 * top)]


def test_the_ceiling_search_keeps_the_candidate_with_the_most_intense_strong_scenario():
    models = tiny_models(RISING_SEED)
    contexts, futures = _windows()
    candidates = [None, 0.05, 0.5]
    found = calibrate_ceiling(models, contexts, futures, candidates, n=2.0, members=2, batch=2)
    assert found.achieved.shape == (3,) and np.isnan(found.candidates[0])
    assert found.ceiling == candidates[int(np.argmax(found.achieved))]
    # Each entry is the mean intensity of the members sampled with that ceiling (same seeds per batch).
    for i, ceiling in enumerate(candidates):
        with_ceiling = dataclasses.replace(models, info=dataclasses.replace(models.info, alignment_ceiling=ceiling))
        forecaster = PreDiffForecaster(with_ceiling)
        values = [forecaster.sample(torch.as_tensor(contexts[r]), members=2, seed=k, n_sigma=2.0, mode="hindcast",
                                    observed=torch.as_tensor(futures[r])).achieved
                  for k, r in enumerate((slice(0, 2), slice(2, 3)))]
        assert found.achieved[i] == pytest.approx(float(torch.cat(values).mean()), rel=1e-6)
    tie = calibrate_ceiling(models, contexts[:1], futures[:1], [None, 10.0], n=2.0, members=1, batch=1)
    assert tie.achieved[0] == tie.achieved[1] and tie.ceiling is None  # a ceiling nobody reaches changes nothing
    with pytest.raises(ValueError, match="expected at least one ceiling to try"):
        calibrate_ceiling(models, contexts, futures, [], members=1)


def test_the_cli_fits_the_ceiling_alone_and_info_prints_it(tmp_path, capsys):
    from tests.app.test_storm_explorer import write_tiny_sevir

    directory = save_tiny_set(tmp_path / "set", seed=RISING_SEED, pool=6)
    root = write_tiny_sevir(tmp_path / "sevir")
    assert main(["prediff", "calibrate", str(directory), "--root", str(root), "--split", "val", "--members", "1",
                 "--part", "ceiling", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("  ceiling ") == 10 and "decoded intensity =" not in out  # no ceiling + 9 factors; no line
    info = read_set_info(directory)
    assert info.alignment_calibration == (1.0, 0.0)
    chosen = "none" if info.alignment_ceiling is None else f"{info.alignment_ceiling:.4f}"
    assert f"ceiling: {chosen}" in out
    assert main(["prediff", "info", str(directory)]) == 0
    assert "alignment ceiling: " in capsys.readouterr().out
