"""AppTest of the ENSO outlook page on a tiny synthetic ICAR-ENSO directory and a tiny checkpoint.

The embedded demo is pointed at the tiny data (``EFS_DEMO_DIR``) and a UNet checkpoint of the
ICAR-ENSO shapes is saved to a temporary ``EFS_MODEL_DIRS`` folder, so the page runs offline in
seconds. Facts checked: the plume follows the start month and shows the labels of that window,
the forecast shown is ``api.forecast`` on the same window, the skill button reproduces
``engine.evaluation``, and broken files are one ``st.error`` while the page keeps running.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np
import pytest
import torch
import xarray as xr
from streamlit.testing.v1 import AppTest

from app import state
from engine import api
from engine.data.enso.format import scale_sst
from engine.data.enso.nino import nino34_from_scaled
from engine.data.synthetic_enso import SyntheticSpec, make_synthetic
from engine.evaluation import EvalRequest, evaluate
from engine.models.checkpoint import save_checkpoint
from engine.models.unet.config import UNET_ICAR_ENSO
from engine.models.unet.model import UNet

from .conftest import MAIN_SCRIPT

PAGE = "app_pages/enso_outlook.py"
# 2 + 3 climate models of 4 and 5 years: the test model CMIP5-03 has 84 months, 59 windows.
TINY = SyntheticSpec(cmip6_models=2, cmip6_years=4, cmip5_models=3, cmip5_years=5, soda_years=3, seed=11)
TEST_MODEL = "CMIP5-03"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """(demo root holding icar_enso/, model folder holding one tiny ICAR-ENSO checkpoint)."""
    base = tmp_path_factory.mktemp("enso_page")
    make_synthetic(base / "demo" / "icar_enso", TINY)
    torch.manual_seed(0)
    model = UNet(dataclasses.replace(UNET_ICAR_ENSO, base_channels=4, depth=1))
    save_checkpoint(model, base / "models" / "tiny_enso_unet")
    return base / "demo", base / "models"


@pytest.fixture
def configured(tiny_data, monkeypatch):
    demo, models = tiny_data
    monkeypatch.setenv("EFS_DEMO_DIR", str(demo))
    monkeypatch.setenv("EFS_MODEL_DIRS", f"tiny={models}")
    monkeypatch.delenv("EFS_ICAR_ENSO_ROOTS", raising=False)
    return demo / "icar_enso", models / "tiny_enso_unet"


def _tiny_label(directory) -> str:
    entries, _ = api.forecast_models("icar-enso")
    return next(e.label for e in entries if e.path.resolve() == directory.resolve())


def _page(maps: str = state.ENSO_MAPS_INPUT) -> AppTest:
    """The page after its first run. Input maps by default: they depend on the window only, so
    tests that change the forecaster reuse the cached drawing (each costs 1-3 s)."""
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=120)
    at.session_state[state.ENSO_MAPS] = maps
    return at.run().switch_page(PAGE).run()


def _plume(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    plume = next(spec for spec in specs if spec["data"][0]["name"].startswith("observed"))
    return {trace["name"]: trace for trace in plume["data"]}


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_page_renders_the_plume_and_maps_for_the_test_model(configured):
    root, checkpoint = configured
    at = _page(state.ENSO_MAPS_FORECAST)
    assert not at.exception and not _errors(at)
    assert at.session_state[state.ENSO_CLIMATE_MODEL] == TEST_MODEL
    assert _tiny_label(checkpoint) in at.selectbox(key=state.ENSO_FORECASTER).options
    assert {"persistence (baseline)", "climatology (baseline)"} <= set(at.selectbox(key=state.ENSO_FORECASTER).options)
    assert len(at.get("image")) == 1  # the maps
    start = at.session_state[state.ENSO_START]
    window = api.enso_window(api.enso_series("Embedded demo", TEST_MODEL), start)
    traces = _plume(at)
    np.testing.assert_allclose(traces["observed (input months)"]["y"], window.nino[:12], atol=1e-6)
    np.testing.assert_allclose(traces["observed (what followed)"]["y"], window.nino[11:], atol=1e-6)
    assert traces["observed (input months)"]["x"] == list(range(start, start + 12))


def test_changing_the_start_month_changes_the_plume_data(configured):
    at = _page()
    first = at.session_state[state.ENSO_START]
    before = _plume(at)["observed (input months)"]
    at.select_slider(key=state.ENSO_START).set_value(first + 7).run()
    after = _plume(at)["observed (input months)"]
    assert not at.exception and not _errors(at)
    assert after["x"][0] == first + 7 and before["x"][0] == first
    window = api.enso_window(api.enso_series("Embedded demo", TEST_MODEL), first + 7)
    np.testing.assert_allclose(after["y"], window.nino[:12], atol=1e-6)
    assert not np.allclose(after["y"], before["y"])


def test_the_forecast_shown_is_api_forecast_on_the_same_window(configured):
    _, checkpoint = configured
    label = _tiny_label(checkpoint)
    at = _page()
    at.selectbox(key=state.ENSO_FORECASTER).set_value(label).run()
    assert not at.exception and not _errors(at)
    start = at.session_state[state.ENSO_START]
    window = api.enso_window(api.enso_series("Embedded demo", TEST_MODEL), start)
    scaled = api.forecast(checkpoint, scale_sst(window.inputs.astype(np.float64)).astype(np.float32)[None, ..., None])
    expected = nino34_from_scaled(scaled)[0]
    traces = _plume(at)
    np.testing.assert_allclose(traces[label]["y"], expected, atol=1e-5)
    assert traces[label]["x"] == list(range(start + 12, start + 24))
    assert "persistence" in traces  # the reference is always shown beside a model


def test_the_skill_button_reproduces_engine_evaluation(configured):
    root, _ = configured
    at = _page()
    at.selectbox(key=state.ENSO_FORECASTER).set_value("persistence").run()
    at.button(key="enso_skill_button").click().run()
    assert not at.exception and not _errors(at)
    expected = evaluate(EvalRequest("icar-enso", ("persistence", "damped_persistence"), root, split="test"))
    shown = at.session_state[state.ENSO_SKILL]["skill"]
    assert shown["n_windows"] == expected["n_windows"] == 59
    for name in ("persistence", "damped_persistence"):
        assert shown["models"][name]["C-Nino3.4-M"] == pytest.approx(expected["models"][name]["C-Nino3.4-M"],
                                                                     abs=1e-12)
    table = at.dataframe[0].value.set_index("Model")
    assert table.loc["persistence", "C-Nino3.4-M"] == f"{expected['models']['persistence']['C-Nino3.4-M']:.3f}"
    # A constant forecast has no correlation: the page says so instead of showing a number.
    assert table.loc["climatology", "C-Nino3.4-M"] == "undefined"
    assert table.loc["climatology", "C-Nino3.4-WM"] == "undefined"


def _rewrite(path, change) -> None:
    with xr.open_dataset(path) as ds:
        ds = change(ds.load())
    path.unlink()
    ds.to_netcdf(path, engine="netcdf4")


def _nan_in_test_model(ds):
    values = ds["sst"].values.copy()
    values[-1, 35, 11, 40] = np.nan  # last month of the last sample: the test model, the page's default
    ds["sst"].values = values
    return ds


@pytest.mark.parametrize("corrupt, message", [
    (lambda root: _rewrite(root / "CMIP_train.nc", lambda ds: ds.rename({"sst": "temperature"})),
     r"CMIP_train.nc: missing variable 'sst'"),
    (lambda root: shutil.copy(root / "SODA_train.nc", root / "CMIP_train.nc"),
     r"CMIP_train.nc: expected a CMIP file, got one marked efs_dataset='SODA'"),
    (lambda root: _rewrite(root / "CMIP_train.nc", _nan_in_test_model),
     r"CMIP_train.nc: variable 'sst' of model CMIP5-03: expected finite values, got 1 NaN"),
], ids=["missing_variable", "soda_as_cmip", "nan"])
def test_broken_files_are_one_error_and_the_page_keeps_running(configured, tmp_path, monkeypatch, corrupt, message):
    root, _ = configured
    broken = tmp_path / "demo" / "icar_enso"
    shutil.copytree(root, broken)
    corrupt(broken)
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    at = _page()
    assert not at.exception
    errors = _errors(at)
    assert len(errors) == 1 and message in errors[0] and str(broken) in errors[0]
    assert at.title[0].value == "ENSO outlook" and at.selectbox(key=state.ENSO_SOURCE).value == "Embedded demo"


def test_broken_checkpoints_are_one_warning_and_the_rest_stay_offered(configured, tmp_path, monkeypatch):
    _, checkpoint = configured
    broken = tmp_path / "models" / "broken_enso"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{ not json")
    (broken / "model.safetensors").write_bytes(b"junk")
    monkeypatch.setenv("EFS_MODEL_DIRS", os.pathsep.join([f"tiny={checkpoint.parent}", f"bad={broken.parent}"]))
    at = _page()
    assert not at.exception and not _errors(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "broken_enso" in warnings[0]
    assert _tiny_label(checkpoint) in at.selectbox(key=state.ENSO_FORECASTER).options
