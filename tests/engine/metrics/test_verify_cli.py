"""``python -m engine verify``: tables, JSON, and one clear line with exit 2 for bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.metrics import CategoricalScores, ContinuousScores, Crps


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    obs = rng.uniform(0, 255, (3, 4, 16, 16)).astype(np.float32)
    paths = {"obs": tmp_path / "o.npy", "det": tmp_path / "f.npy", "ens": tmp_path / "e.npy"}
    np.save(paths["obs"], obs)
    np.save(paths["det"], np.clip(obs + rng.normal(0, 20, obs.shape), 0, 255))
    np.save(paths["ens"], np.clip(obs + rng.normal(0, 20, (3, *obs.shape)), 0, 255))
    return {k: str(v) for k, v in paths.items()}


def run(capsys, *argv):
    code = main(["verify", *argv])
    return code, capsys.readouterr().out


def fails(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["verify", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_sevir_table_shows_the_papers_row(capsys, files):
    code, out = run(capsys, "sevir", "--forecast", files["det"], "--observed", files["obs"])
    assert code == 0 and "CSI-M" in out and "CSI-219" in out and "MSE(1e-3)" in out and "per lead time" in out


def test_sevir_json_equals_the_metrics(capsys, files):
    _, out = run(capsys, "sevir", "--forecast", files["det"], "--observed", files["obs"], "--pool", "4", "--json")
    scores = json.loads(out)
    pred, obs = np.load(files["det"]), np.load(files["obs"])
    assert scores["all"]["CSI-M"] == pytest.approx(CategoricalScores(pool=4)(pred, obs)["CSI-M"], rel=1e-12)
    assert scores["lead"]["MSE"] == pytest.approx(list(ContinuousScores(reduce="lead")(pred, obs)["MSE"]), rel=1e-9)
    assert len(scores["lead"]["CSI"]) == 6 and len(scores["lead"]["CSI"][0]) == 4


def test_an_ensemble_gets_crps_spread_and_rank_histogram(capsys, files):
    _, out = run(capsys, "sevir", "--forecast", files["ens"], "--observed", files["obs"], "--json")
    scores = json.loads(out)
    ens, obs = np.load(files["ens"]), np.load(files["obs"])
    assert scores["info"]["M"] == 3 and len(scores["all"]["rank_histogram"]) == 4
    assert scores["all"]["CRPS"] == pytest.approx(Crps()(ens, obs)["CRPS"], rel=1e-9)
    assert {"ratio", "BS", "spread"} <= scores["all"].keys()
    _, table = run(capsys, "sevir", "--forecast", files["ens"], "--observed", files["obs"])
    assert "ensemble of 3 members" in table and "CRPS" in table


def test_scale_one_data_gives_the_same_scores(capsys, files, tmp_path):
    for key in ("det", "obs"):
        np.save(tmp_path / f"{key}01.npy", np.load(files[key]) / 255)
    _, a = run(capsys, "sevir", "--forecast", files["det"], "--observed", files["obs"], "--json")
    _, b = run(capsys, "sevir", "--forecast", str(tmp_path / "det01.npy"), "--observed", str(tmp_path / "obs01.npy"),
               "--scale", "1", "--json")
    assert json.loads(a)["all"]["CSI"] == pytest.approx(json.loads(b)["all"]["CSI"], rel=1e-9)


def test_enso_table_and_json(capsys, tmp_path):
    rng = np.random.default_rng(2)
    obs = rng.normal(size=(30, 12))
    np.save(tmp_path / "o.npy", obs)
    np.save(tmp_path / "f.npy", obs + rng.normal(0, 0.3, obs.shape))
    _, out = run(capsys, "enso", "--forecast", str(tmp_path / "f.npy"), "--observed", str(tmp_path / "o.npy"))
    assert "C-Nino3.4-M" in out and "C-Nino3.4-WM" in out
    _, out = run(capsys, "enso", "--forecast", str(tmp_path / "f.npy"), "--observed", str(tmp_path / "o.npy"), "--json")
    assert len(json.loads(out)["corr"]) == 12 and json.loads(out)["C-Nino3.4-M"] > 0.9


def test_a_constant_forecast_has_an_undefined_correlation_not_zero(capsys, tmp_path):
    obs = np.random.default_rng(3).normal(size=(30, 12))
    np.save(tmp_path / "o.npy", obs)
    np.save(tmp_path / "climatology.npy", np.zeros_like(obs))
    _, out = run(capsys, "enso", "--forecast", str(tmp_path / "climatology.npy"), "--observed", str(tmp_path / "o.npy"))
    assert "C-Nino3.4-M undefined" in out and out.count("undefined") == 2 + 12


def test_bad_inputs_are_one_line_with_exit_code_2(capsys, files, tmp_path):
    obs = np.load(files["obs"])
    np.save(tmp_path / "short.npy", obs[:, :3])
    np.save(tmp_path / "nan.npy", np.where(obs > 250, np.nan, obs))
    np.save(tmp_path / "3d.npy", obs[0])
    np.save(tmp_path / "unit.npy", obs / 255)
    err = fails(capsys, "sevir", "--forecast", str(tmp_path / "short.npy"), "--observed", files["obs"])
    assert "forecast: expected shape (3, 4, 16, 16) or (M, *(3, 4, 16, 16)) to match observed, got (3, 3, 16, 16)" in err
    assert "expected finite values" in fails(capsys, "sevir", "--forecast", str(tmp_path / "nan.npy"), "--observed", files["obs"])
    assert "observed: expected shape (N, T, H, W), got (4, 16, 16)" in fails(
        capsys, "sevir", "--forecast", files["det"], "--observed", str(tmp_path / "3d.npy"))
    assert "expected values in [0, 1] (0-255 pixels need --scale 255)" in fails(
        capsys, "sevir", "--forecast", files["det"], "--observed", str(tmp_path / "unit.npy"), "--scale", "1")
    assert "expected an existing .npy file" in fails(capsys, "sevir", "--forecast", "missing.npy", "--observed", files["obs"])
    assert "observed: expected Nino3.4 of shape (N, L)" in fails(capsys, "enso", "--forecast", files["det"], "--observed", files["obs"])
