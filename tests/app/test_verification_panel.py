"""Verification panel of the storm explorer in AppTest, on the tiny SEVIR-format dataset.

Facts: Compute shows the scores of exactly the window chosen (persistence's CSI equals
``api.score_sevir`` on that window), results are cached per (model, window, resolution[, members]),
widget moves never recompute, and an engine failure is one ``st.error``.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from engine import api
from engine.data import sources

from .conftest import plotly_specs
from .test_storm_explorer import STORM_PAGE, write_tiny_sevir

MIDDLE_START = (49 - 25) // 2  # the default window of a 49-frame event
VERIFY_CHARTS = 3  # CSI by lead per threshold, CSI-M / MSE by lead, bars per threshold


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Counts baseline runs (by name) the app asks the engine for."""
    counter: Counter = Counter()
    real = api.run_baseline

    def counted(name, *args, **kwargs):
        counter[name] += 1
        return real(name, *args, **kwargs)

    monkeypatch.setattr(api, "run_baseline", counted)
    return counter


@pytest.fixture
def page(tmp_path: Path, monkeypatch, home, calls):
    write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    monkeypatch.delenv("EFS_MODEL_DIRS", raising=False)
    monkeypatch.setattr(sources, "SHIPPED_MODELS_DIR", tmp_path / "no_models")  # independent of shipped checkpoints
    st.cache_data.clear()
    return home.switch_page(STORM_PAGE).run()


def _compute(at):
    return at.button(key="verify_compute").click().run()


def _table(at):
    return at.dataframe[1].value  # [0] is the event table


def test_panel_offers_baselines_and_computes_nothing_before_the_button(page, calls):
    at = page
    assert not at.exception and not at.error
    assert any(h.value == "Verification" for h in at.subheader)
    assert at.multiselect(key="verify_models").options == api.baseline_names("sevir")
    assert at.multiselect(key="verify_models").value == ["persistence", "optical_flow"]
    assert at.select_slider(key="verify_start").value == MIDDLE_START
    assert at.radio(key="verify_pool").value == 4
    assert any("No trained models" in c.value for c in at.caption)
    assert len(plotly_specs(at)) == 2 and not calls  # player + frame statistics only


def test_compute_shows_figures_and_persistence_csi_equals_score_sevir(page, calls):
    at = _compute(page)
    assert not at.exception and not at.error
    specs = plotly_specs(at)
    assert len(specs) == 2 + VERIFY_CHARTS
    assert len(specs[2]["data"]) == 6 * 2 and specs[2]["data"][0]["x"] == list(range(5, 61, 5))
    table = _table(at).set_index("Model")
    assert list(table.index) == ["persistence", "optical_flow"]
    vil = api.storm_event("Embedded demo", "S1001").vil[MIDDLE_START:MIDDLE_START + 25].astype(np.float32)
    frames = vil.reshape(25, 24, 4, 24, 4).max(axis=(2, 4))  # 96 -> 24 pixels, max-pooled by 4
    direct = api.score_sevir(api.run_baseline("persistence", frames[:13], 12)[None], frames[None, 13:])
    for k, threshold in enumerate((16, 74, 133, 160, 181, 219)):
        assert math.isclose(table.loc["persistence", f"CSI ≥ {threshold}"], float(direct["all"]["CSI"][k]))
    assert math.isclose(table.loc["persistence", "CSI-M"], float(direct["all"]["CSI-M"]))
    assert calls == Counter(persistence=2, optical_flow=1)  # the page's run + the direct one above


def test_other_widgets_keep_the_result_and_never_recompute(page, calls):
    at = _compute(page)
    assert calls == Counter(persistence=1, optical_flow=1)
    at.toggle(key="storm_downsample").set_value(False).run()  # the player changes
    at.select_slider(key="verify_start").set_value(3).run()  # a new window, not computed yet
    assert not at.exception and len(plotly_specs(at)) == 2 + VERIFY_CHARTS
    assert any("press Compute" in i.value for i in at.info)
    assert calls == Counter(persistence=1, optical_flow=1)
    _compute(at)
    assert calls == Counter(persistence=2, optical_flow=2) and not at.info
    at.select_slider(key="verify_start").set_value(MIDDLE_START).run()
    _compute(at)  # back to the first window: served from the cache
    assert calls == Counter(persistence=2, optical_flow=2)


def test_steps_runs_once_per_members_and_reports_crps(page, calls):
    at = page
    at.multiselect(key="verify_models").set_value(["persistence", "steps"]).run()
    at.number_input(key="verify_members").set_value(2)
    _compute(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _table(at).set_index("Model")
    assert calls == Counter(persistence=1, steps=1) and table.loc["steps", "CRPS"] > 0
    at.toggle(key="storm_downsample").set_value(False).run()
    _compute(at)
    assert calls == Counter(persistence=1, steps=1)  # cached: same event, window, members, seed
    at.number_input(key="verify_members").set_value(3).run()
    _compute(at)
    assert calls == Counter(persistence=1, steps=2)  # only STEPS depends on the members


def test_an_engine_failure_is_one_error_and_the_page_keeps_running(page, monkeypatch):
    real = api.run_baseline

    def broken(name, *args, **kwargs):
        if name == "optical_flow":
            raise ValueError("optical_flow: expected a motion field, got NaN")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(api, "run_baseline", broken)
    at = _compute(page)
    assert not at.exception
    assert len(at.error) == 1 and "optical_flow" in at.error[0].value and "NaN" in at.error[0].value
    assert len(plotly_specs(at)) == 2  # player and statistics still drawn, no stale scores


def test_test_split_mode_matches_evaluate_forecaster(page, calls):
    at = page
    at.radio(key="verify_mode").set_value("Test split").run()
    at.multiselect(key="verify_models").set_value(["persistence"])
    at.number_input(key="verify_limit").set_value(2)
    _compute(at)
    assert not at.exception and not at.error
    assert len(plotly_specs(at)) == 2 + VERIFY_CHARTS
    direct = api.evaluate_forecaster(["persistence"], "sevir", source="Embedded demo", split="test", limit=2)
    table = _table(at).set_index("Model")
    assert math.isclose(table.loc["persistence", "CSI-M"], float(direct["models"]["persistence"]["all"]["CSI-M"]))
    assert any("2 test windows" in c.value for c in at.caption)


def test_a_trained_checkpoint_is_offered_scored_and_refused_at_the_wrong_resolution(tmp_path, monkeypatch, home):
    import torch

    from engine.models.checkpoint import save_checkpoint
    from engine.models.unet.config import UNetConfig
    from engine.models.unet.model import UNet

    torch.manual_seed(0)
    model = UNet(UNetConfig(input_shape=(13, 24, 24, 1), target_shape=(12, 24, 24, 1), base_channels=4, depth=1))
    save_checkpoint(model.eval(), tmp_path / "models" / "unet_tiny")
    write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    monkeypatch.delenv("EFS_MODEL_DIRS", raising=False)
    monkeypatch.setattr(sources, "SHIPPED_MODELS_DIR", tmp_path / "models")  # as if shipped with the app
    at = home.switch_page(STORM_PAGE).run()
    assert at.multiselect(key="verify_models").options[-1] == "unet_tiny"  # labelled by its folder
    assert not any("No trained models" in c.value for c in at.caption)
    at.multiselect(key="verify_models").set_value(["persistence", "unet_tiny"]).run()  # labels, never paths
    _compute(at)  # 96 px frames pooled by 4: the 24 x 24 the network takes
    assert not at.exception and not at.error
    table = _table(at).set_index("Model")
    assert list(table.index) == ["persistence", "unet_tiny"] and 0 <= table.loc["unet_tiny", "MAE"] <= 1
    at.radio(key="verify_pool").set_value(1).run()
    _compute(at)  # native 96 x 96: not what the network takes
    assert not at.exception and len(at.error) == 1
    assert "unet_tiny" in at.error[0].value and "24, 24" in at.error[0].value and "96, 96" in at.error[0].value
    at.radio(key="verify_mode").set_value("Test split").run()
    at.number_input(key="verify_limit").set_value(1)
    _compute(at)  # the label reaches the evaluation as its checkpoint, at the network's 24 x 24
    assert not at.exception and not at.error
    assert list(_table(at)["Model"]) == ["persistence", "unet_tiny"]
