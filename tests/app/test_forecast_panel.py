"""Forecast panel of the storm explorer in AppTest, on the tiny SEVIR-format dataset (96 x 96 frames).

Facts: the model list is the catalog's SEVIR checkpoints (Earthformer first), PreDiff sets (the mean of
an unguided ensemble), then the baselines;
nothing runs before the button; the animation holds observed, forecast and difference for every
lead, and its forecast equals ``api.forecast`` on the same max-pooled window; baselines run on the
same window at the same resolution; a result already computed is shown again without recomputing;
a corrupt checkpoint is one warning while the others run; a too-short event is one error.
"""
from __future__ import annotations

import base64
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from engine import api
from engine.data import sources
from engine.data.sevir import write_vil_file
from engine.data.sevir.format import file_name, format_minute_offsets, nominal_minute_offsets
from engine.forecast import Forecaster

from .conftest import plotly_specs
from .test_storm_explorer import STORM_PAGE, write_tiny_sevir

MIDDLE_START = (49 - 25) // 2  # the default window of a 49-frame event
POOL = 4  # the test models take 24 x 24 frames: the 96 x 96 events max-pooled by 4
EARTHFORMER, UNET = "tiny_earthformer", "a_unet"  # "a_unet" sorts first: the Earthformer must still lead
BASELINES = ["persistence", "optical_flow", "steps"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """Two seeded 13 -> 12 frame checkpoints at 24 x 24 (random weights)."""
    import torch

    from engine.models.checkpoint import save_checkpoint
    from engine.models.earthformer.config import EarthformerConfig
    from engine.models.earthformer.model import Earthformer
    from engine.models.unet.config import UNetConfig
    from engine.models.unet.model import UNet

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    config = EarthformerConfig(input_shape=(13, 24, 24, 1), target_shape=(12, 24, 24, 1), base_units=16,
                               num_global_vectors=2, initial_downsample_scale=(1, 2, 2), final_upsample_conv_layers=1)
    save_checkpoint(Earthformer(config).eval(), root / EARTHFORMER)
    save_checkpoint(UNet(UNetConfig(input_shape=(13, 24, 24, 1), target_shape=(12, 24, 24, 1), base_channels=4,
                                    depth=1)).eval(), root / UNET)
    return root


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Counts network forecasts ("network") and baseline runs (by name) the app asks the engine for."""
    counter: Counter = Counter()
    real_baseline, real_predict = api.run_baseline, Forecaster.predict

    def baseline(name, *args, **kwargs):
        counter[name] += 1
        return real_baseline(name, *args, **kwargs)

    def predict(self, *args, **kwargs):
        counter["network"] += 1
        return real_predict(self, *args, **kwargs)

    monkeypatch.setattr(api, "run_baseline", baseline)
    monkeypatch.setattr(Forecaster, "predict", predict)
    return counter


@pytest.fixture
def models(tmp_path: Path, model_dir: Path, monkeypatch) -> Path:
    """A per-test copy of the checkpoints as the only model folder (EFS_MODEL_DIRS)."""
    folder = tmp_path / "models"
    shutil.copytree(model_dir, folder)
    monkeypatch.setattr(sources, "SHIPPED_MODELS_DIR", tmp_path / "no_shipped_models")
    monkeypatch.setenv("EFS_MODEL_DIRS", f"Test models={folder}")
    return folder


@pytest.fixture
def storm_data(tmp_path: Path, monkeypatch) -> Path:
    root = write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    return root


@pytest.fixture
def page(storm_data, models, home, calls):
    st.cache_data.clear()
    return home.switch_page(STORM_PAGE).run()


def _run(at):
    return at.button(key="forecast_run").click().run()


def _z(trace: dict) -> np.ndarray:
    """A heatmap's pixels from plotly's JSON (a typed array {dtype, bdata, shape} or nested lists)."""
    z = trace["z"]
    if isinstance(z, dict):
        shape = tuple(int(s) for s in str(z["shape"]).split(","))
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape)
    return np.asarray(z)


def _movies(spec: dict) -> list[np.ndarray]:
    """(observed, forecast, difference) movies (T, H, W) of the forecast player's frames."""
    return [np.stack([_z(frame["data"][k]) for frame in spec["frames"]]) for k in range(3)]


def _pooled_window(start: int = MIDDLE_START) -> tuple[np.ndarray, np.ndarray]:
    vil = api.storm_event("Embedded demo", "S1001").vil[start:start + 25].astype(np.float32)
    frames = vil.reshape(25, 24, POOL, 24, POOL).max(axis=(2, 4))  # 96 -> 24 pixels
    return frames[:13], frames[13:]


def test_checkpoints_come_first_earthformer_leading_and_nothing_runs_before_the_button(page, calls):
    at = page
    assert not at.exception and not at.error and not at.warning
    assert any(h.value == "Forecast" for h in at.subheader)
    assert at.selectbox(key="forecast_model").options == [EARTHFORMER, UNET, *BASELINES]
    assert at.selectbox(key="forecast_model").value == EARTHFORMER
    assert at.select_slider(key="forecast_start").value == MIDDLE_START
    assert any("24 x 24 px of 4 km" in c.value for c in at.caption)  # the resolution is said
    assert at.multiselect(key="verify_models").options == [*BASELINES, EARTHFORMER, UNET]  # the same catalog
    at.selectbox(key="forecast_model").set_value("persistence").run()
    assert at.radio(key="forecast_pool").options == ["24 x 24", "96 x 96 (native)"]  # the models' one first
    assert at.radio(key="forecast_pool").value == POOL
    assert len(plotly_specs(at)) == 2 and not calls  # player + frame statistics only


def test_the_animation_shows_three_panels_per_lead_and_the_forecast_of_api_forecast(page, models, calls):
    at = _run(page)
    assert not at.exception and not at.error
    specs = plotly_specs(at)
    assert len(specs) == 4 and calls == Counter(network=1)  # + forecast player, scores per lead
    player, scores = specs[2], specs[3]
    assert [t["type"] for t in player["data"]] == ["heatmap"] * 3
    assert [t.get("xaxis", "x") for t in player["data"]] == ["x", "x2", "x3"]  # three panels side by side
    assert len(player["frames"]) == 12 and all(f["traces"] == [0, 1, 2] for f in player["frames"])
    steps = player["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in steps] == [f"+{5 * k} min" for k in range(1, 13)]
    context, observed = _pooled_window()
    direct = 255.0 * api.forecast(models / EARTHFORMER, (context / 255.0)[None, ..., None])[0, ..., 0]
    shown_obs, shown_fc, shown_diff = _movies(player)
    np.testing.assert_array_equal(shown_obs, observed.astype(np.uint8))
    np.testing.assert_array_equal(shown_fc, np.clip(np.rint(direct), 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(shown_diff, shown_fc.astype(np.int16) - shown_obs.astype(np.int16))
    table = at.dataframe[1].value  # [0] is the event table
    truth = api.score_sevir(direct[None], observed[None])["lead"]
    assert list(table["Lead (min)"]) == list(range(5, 61, 5))
    np.testing.assert_allclose(table["MSE"], truth["MSE"], rtol=1e-6)
    for k, threshold in enumerate((16, 74, 133, 160, 181, 219)):
        np.testing.assert_allclose(table[f"CSI ≥ {threshold}"], truth["CSI"][k], rtol=1e-6, equal_nan=True)
    assert len(scores["data"]) == 6 + 2  # CSI per threshold, CSI-M, MSE


def test_a_baseline_runs_on_the_same_window_and_resolution(page, calls):
    at = _run(page)
    model_obs = _movies(plotly_specs(at)[2])[0]
    at.selectbox(key="forecast_model").set_value("persistence").run()
    assert any("press Run forecast" in i.value for i in at.info)  # the Earthformer's result, marked stale
    at = _run(at)
    assert not at.exception and not at.error and calls == Counter(network=1, persistence=1)
    base_obs, base_fc, _ = _movies(plotly_specs(at)[2])
    np.testing.assert_array_equal(base_obs, model_obs)  # directly comparable: one window, one resolution
    context, _ = _pooled_window()
    np.testing.assert_array_equal(base_fc, np.repeat(context[-1:].astype(np.uint8), 12, axis=0))


def test_switching_back_to_a_computed_result_never_recomputes(page, calls):
    at = _run(page)
    at.selectbox(key="forecast_model").set_value(UNET).run()
    at = _run(at)
    assert calls == Counter(network=2)
    at.selectbox(key="forecast_model").set_value(EARTHFORMER).run()  # shown at once, no button needed
    assert not at.exception and not at.info and calls == Counter(network=2)
    assert plotly_specs(at)[2]["layout"]["annotations"][1]["text"] == EARTHFORMER
    _run(at)  # the button again: served from the cache
    at.select_slider(key="forecast_start").set_value(3).run()  # a slider move computes nothing
    assert calls == Counter(network=2) and any("press Run forecast" in i.value for i in at.info)
    _run(at)
    assert calls == Counter(network=3)


def test_an_earthformer_correcting_extrapolation_says_so_and_starts_from_it(storm_data, models, home, calls):
    """An untrained base-forecast checkpoint is exactly the extrapolation it corrects."""
    import dataclasses

    import torch

    from engine.models.checkpoint import read_config, save_checkpoint
    from engine.models.earthformer.model import Earthformer

    config = dataclasses.replace(read_config(models / EARTHFORMER)[1], base_forecast="optical_flow")
    torch.manual_seed(0)
    save_checkpoint(Earthformer(config).eval(), models / "flow_earthformer")
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    at.selectbox(key="forecast_model").set_value("flow_earthformer").run()
    assert any("corrects the optical-flow extrapolation" in c.value for c in at.caption)
    at = _run(at)
    assert not at.exception and not at.error and calls["network"] == 1
    forecast = _movies(plotly_specs(at)[2])[1]
    at.selectbox(key="forecast_model").set_value("optical_flow").run()
    at.radio(key="forecast_pool").set_value("24 x 24").run()
    at = _run(at)
    np.testing.assert_allclose(_movies(plotly_specs(at)[2])[1], forecast, atol=0.5)  # 0-255 display values
    at.selectbox(key="forecast_model").set_value(EARTHFORMER).run()
    assert not any("corrects the optical-flow extrapolation" in c.value for c in at.caption)


def test_a_corrupt_checkpoint_is_one_warning_and_the_good_models_still_run(storm_data, models, home, calls):
    broken = models / "broken_model"
    broken.mkdir()
    shutil.copy(models / UNET / "config.json", broken / "config.json")
    (broken / "model.safetensors").write_bytes(b"\x00 not a safetensors file")
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "broken_model" in at.warning[0].value and "safetensors" in at.warning[0].value
    assert at.selectbox(key="forecast_model").options == [EARTHFORMER, UNET, *BASELINES]
    at.selectbox(key="forecast_model").set_value(UNET).run()
    at = _run(at)
    assert not at.exception and not at.error and calls == Counter(network=1)
    assert len(at.warning) == 1 and len(plotly_specs(at)) == 4


def _shorten(root: Path, year: int, n_frames: int) -> list[str]:
    """Cut every event of ``year``'s file to its first ``n_frames`` frames (file and catalog); their ids."""
    catalog = pd.read_csv(root / "CATALOG.csv")
    rows = catalog[catalog["file_name"] == file_name("vil", "STORMEVENTS", year, date(year, 1, 1), date(year, 12, 31))]
    ids = list(rows.sort_values("file_index")["id"])
    vil = np.stack([api.storm_event("Embedded demo", i).vil[:n_frames] for i in ids])
    path = root / "data" / rows["file_name"].iloc[0]
    write_vil_file(path.with_suffix(".new"), ids, vil).replace(path)  # the engine may hold the old file open
    catalog.loc[rows.index, "minute_offsets"] = format_minute_offsets(nominal_minute_offsets()[:n_frames])
    catalog.to_csv(root / "CATALOG.csv", index=False)
    return ids


def test_an_event_too_short_is_one_error_and_the_page_keeps_running(storm_data, models, home, calls):
    assert "S1003" in _shorten(storm_data, 2019, 20)
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    at.selectbox(key="storm_event_id").set_value("S1003").run()
    assert not at.exception
    assert len(at.error) == 1 and "S1003" in at.error[0].value and "at least 25 frames, got 20" in at.error[0].value
    assert len(plotly_specs(at)) == 2 and not any(h.value == "Forecast" for h in at.subheader)  # movie still shown
    at.selectbox(key="storm_event_id").set_value("S1001").run()
    at = _run(at)
    assert not at.exception and not at.error and len(plotly_specs(at)) == 4


def test_models_run_at_their_own_resolution_and_other_sizes_are_one_error(storm_data, models, home, calls):
    import torch

    from engine.models.checkpoint import save_checkpoint
    from engine.models.unet.config import UNetConfig
    from engine.models.unet.model import UNet

    torch.manual_seed(0)
    for side in (96, 36):  # native frames (like a published 384 x 384 checkpoint on SEVIR), and no integer pool
        save_checkpoint(UNet(UNetConfig(input_shape=(13, side, side, 1), target_shape=(12, side, side, 1),
                                        base_channels=4, depth=1)), models / f"unet_{side}")
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    at.selectbox(key="forecast_model").set_value("unet_96").run()
    assert any("96 x 96 px of 1 km (native frames)" in c.value for c in at.caption)
    at = _run(at)
    assert not at.exception and not at.error and calls == Counter(network=1)
    assert _movies(plotly_specs(at)[2])[1].shape == (12, 96, 96)
    at.selectbox(key="forecast_model").set_value("unet_36").run()
    assert not at.exception and len(at.error) == 1
    assert "unet_36" in at.error[0].value and "36 x 36" in at.error[0].value and "96 x 96" in at.error[0].value
    assert calls == Counter(network=1) and "unet_36" in at.multiselect(key="verify_models").options


def test_a_sevir_lr_checkpoint_takes_every_second_frame_pooled_by_3(storm_data, models, home, calls):
    import torch

    from engine.models.checkpoint import save_checkpoint
    from engine.models.unet.config import UNetConfig
    from engine.models.unet.model import UNet

    torch.manual_seed(0)  # 7 -> 6 frames at 32 x 32: SEVIR-LR's 10-minute frames, the 96 px events pooled by 3
    save_checkpoint(UNet(UNetConfig(input_shape=(7, 32, 32, 1), target_shape=(6, 32, 32, 1), base_channels=4,
                                    depth=1)), models / "unet_lr", metadata={"preset": "sevir_lr"})
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    at.selectbox(key="forecast_model").set_value("unet_lr").run()
    start = at.select_slider(key="forecast_start").value
    assert start == (49 - 25) // 2  # 13 frames of context and 12 ahead, every second one
    at = _run(at)
    assert not at.exception and not at.error
    player = plotly_specs(at)[2]
    assert [s["label"] for s in player["layout"]["sliders"][0]["steps"]] == [f"+{10 * k} min" for k in range(1, 7)]
    vil = api.storm_event("Embedded demo", "S1001").vil[start:start + 25:2]  # (13, 96, 96)
    np.testing.assert_array_equal(_movies(player)[0], vil[7:].reshape(6, 32, 3, 32, 3).max(axis=(2, 4)))


# ----------------------------------------------------------------------------- real browser
_FORECAST_PLAYER_JS = """() => {
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
    const player = plots.find(el => (el.data || []).filter(t => t.type === 'heatmap').length === 3);
    return player ? player.layout.title.text : null;
}"""


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_a_forecast_runs_and_plays_in_the_browser(chromium: Path, storm_data, models, request, tmp_path: Path):
    """Run the Earthformer on the default window and play the three synchronized panels (offline)."""
    from playwright.sync_api import expect

    from .conftest import offline_page

    server = request.getfixturevalue("streamlit_server")  # started after the env points at the test data
    with offline_page(chromium, server, height=3200) as (page, outside):
        page.locator('[data-testid="stSidebarNav"] a', has_text="Storm explorer").click()
        expect(page.get_by_role("heading", name="Forecast", exact=True)).to_be_visible(timeout=60_000)
        expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)  # player + stats
        page.get_by_label("Model", exact=True).click()
        page.get_by_role("option", name=EARTHFORMER).click()
        page.get_by_role("button", name="Run forecast").click()
        page.wait_for_function(f"() => (({_FORECAST_PLAYER_JS})() || '').includes('+5 min')", timeout=60_000)
        play = page.locator(".js-plotly-plot .updatemenu-item-text", has_text="Play")
        play.last.click()  # the forecast player's button comes after the event player's
        page.wait_for_function(f"() => !(({_FORECAST_PLAYER_JS})() || '+5 min').includes('+5 min')", timeout=15_000)
        assert "lead +" in page.evaluate(_FORECAST_PLAYER_JS)
        assert not outside, f"the app fetched from outside: {sorted(set(outside))}"
        page.screenshot(path=str(tmp_path / "forecast.png"))


def test_a_prediff_set_joins_the_list_and_shows_the_mean_of_its_members(storm_data, models, home, calls):
    from tests.engine.prediff_pipeline.tiny import T_IN, T_OUT, save_tiny_set

    save_tiny_set(models / "tiny_prediff", pool=6)  # 16 x 16 frames: the 96 x 96 events pooled by 6
    st.cache_data.clear()
    at = home.switch_page(STORM_PAGE).run()
    label = "tiny_prediff (PreDiff, mean of 8)"
    assert at.selectbox(key="forecast_model").options == [EARTHFORMER, UNET, label, *BASELINES]
    at.selectbox(key="forecast_model").set_value(label).run()
    assert any("16 x 16 px of 6 km" in c.value for c in at.caption)
    sampled = []
    real = api.run_scenario

    def counting(*args, **kwargs):
        sampled.append(kwargs["members"])
        return real(*args, **kwargs)

    api.run_scenario = counting
    try:
        at = _run(at)
        at.selectbox(key="forecast_model").set_value("persistence").run()
        at.selectbox(key="forecast_model").set_value(label).run()  # back: the cached result, no sampling
    finally:
        api.run_scenario = real
    assert not at.exception and not at.error and sampled == [8]
    start = at.select_slider(key="forecast_start").value
    vil = api.storm_event("Embedded demo", "S1001").vil[start:start + T_IN + T_OUT].astype(np.float32)
    frames = vil.reshape(T_IN + T_OUT, 16, 6, 16, 6).max(axis=(2, 4)) / np.float32(255.0)
    forecaster = api.load_scenario_forecaster(models / "tiny_prediff")
    direct = 255.0 * real(forecaster, frames[:T_IN], members=8, seed=0).frames.mean(axis=0)
    _, shown_fc, _ = _movies(plotly_specs(at)[2])
    np.testing.assert_array_equal(shown_fc, np.clip(np.rint(direct), 0, 255).astype(np.uint8))
