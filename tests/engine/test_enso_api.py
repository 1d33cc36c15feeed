"""The ENSO outlook facade: windows are slices of the folded series, forecasts match the evaluation's."""
from __future__ import annotations

import numpy as np
import pytest

from engine import api
from engine.data.enso.nino import nino34_index
from engine.data.synthetic_enso import SyntheticSpec, make_synthetic
from engine.evaluation import EvalRequest, evaluate

SOURCE = "tiny"
TINY = SyntheticSpec(cmip6_models=1, cmip6_years=3, cmip5_models=3, cmip5_years=4, soda_years=3, seed=21)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_synthetic(tmp_path_factory.mktemp("enso_api"), TINY)


@pytest.fixture(autouse=True)
def configured(root, monkeypatch):
    monkeypatch.setenv("EFS_ICAR_ENSO_ROOTS", f"{SOURCE}={root}")


def test_sources_and_climate_models_list_every_model_with_its_split():
    assert [s.name for s in api.enso_sources()][1:] == [SOURCE]
    models = api.enso_climate_models(SOURCE)
    assert [(m.name, m.split) for m in models] == [("CMIP6-01", "train"), ("CMIP5-01", "train"), ("CMIP5-02", "val"),
                                                   ("CMIP5-03", "test"), ("SODA", "soda")]
    assert models[-1].months == 12 * 3 + 24
    assert api.enso_start_months(60) == list(range(60 - 26 + 1))


def test_a_window_is_a_slice_of_the_series_and_its_labels_are_the_index_of_its_sst():
    series = api.enso_series(SOURCE, "CMIP5-03")
    window = api.enso_window(series, 5)
    np.testing.assert_array_equal(window.inputs, series.sst[5:17])
    np.testing.assert_array_equal(window.observed, series.sst[17:31])
    np.testing.assert_array_equal(window.nino, series.nino[5:29])
    np.testing.assert_array_equal(window.nino[12:], nino34_index(window.observed))  # leads 1..12, by definition


def test_a_start_outside_the_series_is_rejected():
    series = api.enso_series(SOURCE, "SODA")
    with pytest.raises(ValueError, match=r"start month of SODA: expected 0\.\.34, got 35"):
        api.enso_window(series, 35)


def test_baseline_forecasts_are_what_they_claim_in_degrees():
    window = api.enso_window(api.enso_series(SOURCE, "CMIP5-03"), 3)
    persistence = api.enso_forecast(window, "persistence")
    np.testing.assert_allclose(persistence.sst, np.broadcast_to(window.inputs[-1], (14, 24, 48)), atol=1e-5)
    np.testing.assert_allclose(persistence.nino, nino34_index(np.repeat(window.inputs[-1:], 14, axis=0)), atol=1e-5)
    assert np.abs(api.enso_forecast(window, "climatology").sst).max() < 1e-5
    with pytest.raises(ValueError, match="damped_persistence: expected the damping"):
        api.enso_forecast(window, "damped_persistence")
    damped = api.enso_forecast(window, "damped_persistence", damping=api.enso_damping(SOURCE))
    assert np.abs(damped.sst).sum() < np.abs(persistence.sst).sum()  # |r_l| <= 1 shrinks the anomaly
    with pytest.raises(ValueError, match="model: expected one of"):
        api.enso_forecast(window, "no_such_model")


def test_skill_is_the_evaluation_of_the_test_split_in_the_order_asked(root):
    skill = api.enso_skill(SOURCE, ["climatology", "persistence", "persistence"])
    expected = evaluate(EvalRequest("icar-enso", ("persistence",), root, split="test"))["models"]["persistence"]
    assert list(skill["models"]) == ["climatology", "persistence"]
    assert skill["models"]["persistence"]["C-Nino3.4-M"] == pytest.approx(expected["C-Nino3.4-M"], abs=1e-12)
    np.testing.assert_allclose(skill["models"]["persistence"]["corr"], expected["corr"], atol=1e-12)
    assert np.isnan(skill["models"]["climatology"]["C-Nino3.4-M"])  # undefined, not 0
