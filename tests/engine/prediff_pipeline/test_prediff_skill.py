"""``bench prediff-skill`` machinery on a tiny random-weight set: the windows are the evaluation's,
hindcast targets are the observed means moved by n sigma, and guidance off gives the same samples
for every n (so the sweep's bookkeeping is checked by identities, not by a trained model)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.bench import prediff_skill as skill
from engine.cli import main
from engine.evaluation.windows import sevir_windows
from engine.prediff import PreDiffModels

from .tiny import FRAME, T_IN, T_OUT, save_tiny_set


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.app.test_storm_explorer import write_tiny_sevir

    base = tmp_path_factory.mktemp("skill")
    return save_tiny_set(base / "set", pool=6), write_tiny_sevir(base / "sevir")


def test_selected_windows_are_the_first_evaluation_window_of_each_event(tiny):
    directory, root = tiny
    models = PreDiffModels.from_directory(directory)
    chosen = skill.select_windows(root, models, "test", per_event=1)
    windows = sevir_windows(root, "test", T_IN, T_OUT, FRAME)
    firsts = {}
    for index, (event_id, _) in enumerate(windows.dataset.items):
        firsts.setdefault(event_id, index)
    assert chosen.events == tuple(firsts)
    for k, index in enumerate(firsts.values()):
        seq = windows.dataset[index].numpy()
        np.testing.assert_array_equal(chosen.contexts[k], seq[:T_IN])
        np.testing.assert_array_equal(chosen.futures[k], seq[T_IN:])


def test_hindcast_targets_are_observed_means_moved_by_n_sigma_and_unguided_rows_coincide(tiny):
    directory, root = tiny
    models = skill.with_guidance_scale(PreDiffModels.from_directory(directory), 0.0)  # guidance off
    windows = skill.select_windows(root, models, "test", per_event=2)
    n_values = (-2.0, 0.0, 2.0)
    result = skill.knowledge_control(models, windows, n_values, members=2, batch=3)
    observed = windows.futures.mean(axis=(1, 2, 3, 4))
    sigma = models.info.sigma
    for i, n in enumerate(n_values):
        # F0 = mu + n sigma, clipped at 0 (an average intensity is never negative)
        np.testing.assert_allclose(result["target"][i], np.maximum(observed + n * sigma, 0), rtol=1e-5, atol=1e-7)
    # Same seeds and no guidance: every n draws the same ensemble, so the achieved means coincide,
    # no window rises with n, and the errors differ by exactly the target steps.
    np.testing.assert_array_equal(result["achieved"][0], result["achieved"][2])
    assert result["monotone_windows"] == 0 and not result["all_monotone"] and result["rising_steps"] == 0
    # ... and none falls either: equal steps count as not falling.
    assert result["never_falling_windows"] == (np.diff(result["achieved"], axis=0) >= 0).all(axis=0).sum() > 0
    assert result["steps_with_distinct_targets"] == int((np.diff(result["target"], axis=0) > 0).sum()) > 0
    errors = [row["mean_error_sigma"] for row in result["rows"]]
    steps = (result["target"][2] - result["target"][0]).mean() / sigma  # 4 where no target is clipped
    assert errors[0] - errors[2] == pytest.approx(steps, abs=1e-4) and 0 < steps <= 4 + 1e-6
    assert result["worst_central_error_sigma"] == pytest.approx(max(abs(e) for e in errors))


def test_the_bootstrap_interval_of_a_ratio_of_equal_samples_is_one():
    a = np.random.default_rng(0).uniform(size=12)
    assert skill.bootstrap_ratio(a, a) == (1.0, 1.0)
    low, high = skill.bootstrap_ratio(2 * a, a)
    assert low == pytest.approx(2.0) and high == pytest.approx(2.0)


def test_the_cli_reports_both_parts_and_writes_json(tiny, tmp_path, capsys):
    directory, root = tiny
    out = tmp_path / "skill.json"
    code = main(["bench", "prediff-skill", "--set", str(directory), "--root", str(root), "--members", "2",
                 "--fast-steps", "3", "--reference-steps", "6", "--n", "-1", "1", "--quiet", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "Sampler fidelity" in printed and "Knowledge control (hindcast mode)" in printed
    report = json.loads(out.read_text())
    sampler = report["sampler"]
    assert (sampler["fast"]["network_calls"], sampler["reference"]["network_calls"]) == (3, 6)
    assert sampler["call_ratio"] == 2.0
    assert sampler["crps_ratio"] == pytest.approx(sampler["fast"]["crps"] / sampler["reference"]["crps"])
    assert [row["n"] for row in report["control"]["rows"]] == [-1.0, 1.0]


def test_forecast_mode_without_an_earthformer_is_one_line(tiny, capsys):
    directory, root = tiny
    with pytest.raises(SystemExit) as stop:
        main(["bench", "prediff-skill", "--set", str(directory), "--root", str(root), "--mode", "forecast"])
    assert stop.value.code == 2 and "expected --earthformer DIR" in capsys.readouterr().err
