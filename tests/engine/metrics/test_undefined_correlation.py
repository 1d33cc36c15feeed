"""A constant forecast has no correlation: NaN in the metrics, "undefined" in tables, null in JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.data.enso.format import scale_sst, unscale_sst
from engine.evaluation.tables import format_enso_table
from engine.metrics import ContinuousScores, Nino34Scores
from engine.metrics.continuous import moments, pearson


def _obs(rng, n=40, leads=12):
    return rng.normal(0.0, 1.0, (n, leads))


def test_a_constant_nino_forecast_has_nan_correlation_not_zero():
    obs = _obs(np.random.default_rng(0))
    out = Nino34Scores()(np.full_like(obs, 0.0), obs)  # climatology: zero anomaly
    assert np.all(np.isnan(out["corr"]))
    assert np.isnan(out["C-Nino3.4-M"]) and np.isnan(out["C-Nino3.4-WM"])
    assert np.isfinite(out["Nino3.4 RMSE"])  # the error of a constant forecast is well defined
    np.testing.assert_allclose(out["rmse"], np.sqrt((obs**2).mean(axis=0)), rtol=1e-12)


def test_rounding_noise_of_a_constant_forecast_does_not_fake_a_correlation():
    # Zero anomaly after the scaled round trip, as the evaluation makes it: the value is no longer
    # exactly 0, and its float64 mean over many samples is off by ulps, so the raw Pearson formula
    # divides rounding noise by rounding noise (or gives 0 with the papers' + 1e-6).
    value = float(unscale_sst(np.float32(scale_sst(0.0))))
    obs = _obs(np.random.default_rng(1), n=1679)
    stream = Nino34Scores()
    state = None
    for chunk in np.array_split(np.arange(len(obs)), 7):  # merged batch by batch, like evaluate
        state = stream.accumulate(state, np.full((len(chunk), 12), value), obs[chunk])
    assert np.all(np.isnan(stream.compute(state)["corr"]))


def test_a_forecast_that_varies_by_one_float32_step_keeps_its_correlation():
    obs = _obs(np.random.default_rng(2))
    pred = np.full_like(obs, 0.5, dtype=np.float32)
    pred[obs > 0] = np.nextafter(np.float32(0.5), np.float32(1))  # a tiny but real signal
    corr = Nino34Scores(eps=0.0)(pred.astype(np.float64), obs)["corr"]
    brute = [np.corrcoef(pred[:, k], obs[:, k])[0, 1] for k in range(obs.shape[1])]
    np.testing.assert_allclose(corr, brute, rtol=1e-6)
    assert np.all(corr > 0.5)


def test_pearson_from_moments_matches_numpy_and_flags_either_side_constant():
    rng = np.random.default_rng(3)
    pred, obs = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    pred[:, 1] = 2.0  # constant forecast
    obs[:, 2] = -1.0  # constant observation
    corr = pearson(moments(pred, obs, axes=(0,)))
    assert corr[0] == pytest.approx(np.corrcoef(pred[:, 0], obs[:, 0])[0, 1], abs=1e-12)
    assert np.isnan(corr[1]) and np.isnan(corr[2])


def test_continuous_scores_give_nan_correlation_for_a_constant_field():
    obs = np.random.default_rng(4).uniform(0, 255, (3, 2, 8, 8))
    out = ContinuousScores("lead")(np.full_like(obs, 17.0), obs)
    assert np.all(np.isnan(out["corr"])) and np.all(np.isfinite(out["MSE"]))


def _result(corr_clim):
    row = {"C-Nino3.4-M": 0.5, "C-Nino3.4-WM": 1.2, "Nino3.4 RMSE": 0.7, "SST MSE": 3e-4, "corr": np.full(12, 0.5)}
    clim = {**row, "C-Nino3.4-M": float(np.mean(corr_clim)), "C-Nino3.4-WM": float(np.mean(corr_clim)),
            "corr": corr_clim}
    return {"data": "icar-enso", "root": "demo", "split": "test", "n_windows": 10, "t_in": 12, "t_out": 14,
            "frame": [24, 48], "models": {"persistence": row, "climatology": clim}}


def test_the_enso_table_prints_undefined_for_a_missing_correlation_never_nan_or_zero():
    table = format_enso_table(_result(np.full(12, np.nan)))
    clim_rows = [line for line in table.splitlines() if line.startswith("climatology")]
    assert len(clim_rows) == 2
    assert clim_rows[0].split()[1:3] == ["undefined", "undefined"]  # C-Nino3.4-M and -WM
    assert clim_rows[1].split()[1:] == ["undefined"] * 12  # every lead
    assert "nan" not in table.lower().replace("undefined", "")
    # Columns stay aligned: every row of the lead table has the header's length.
    lines = table.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("corr by lead"))
    lead_lines = lines[first:first + 3]
    assert len({len(line) for line in lead_lines}) == 1


def test_the_enso_table_keeps_its_narrow_columns_when_every_correlation_exists():
    table = format_enso_table(_result(np.full(12, 0.25)))
    assert "undefined" not in table and "   0.250" in table


def test_evaluate_cli_prints_undefined_and_writes_null_for_climatology(tmp_path, capsys):
    from engine.data.synthetic_enso import SyntheticSpec, make_synthetic

    root = make_synthetic(tmp_path / "enso", SyntheticSpec(cmip6_models=1, cmip6_years=3, cmip5_models=2,
                                                            cmip5_years=4, soda_years=0, seed=5))
    out = tmp_path / "scores.json"
    code = main(["evaluate", "--data", "icar-enso", "--root", str(root), "--model", "climatology",
                 "--model", "persistence", "--limit", "20", "--json", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    clim_line = next(line for line in printed.splitlines() if line.startswith("climatology"))
    assert clim_line.split()[1:3] == ["undefined", "undefined"]
    saved = json.loads(out.read_text())["models"]
    assert saved["climatology"]["C-Nino3.4-M"] is None and saved["climatology"]["corr"] == [None] * 12
    assert isinstance(saved["persistence"]["C-Nino3.4-M"], float)
