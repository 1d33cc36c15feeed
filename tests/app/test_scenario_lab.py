"""Scenario lab page in AppTest: without sets (a message), with a tiny random-weight set (an ensemble),
the threshold slider never resamples, and bad input is one st.error while the page keeps running."""
from __future__ import annotations

from dataclasses import replace

import pytest
import streamlit as st
import torch

import engine.api
import engine.data.sources
from app import state
from app.services import scenarios as scenario_services
from engine.models.checkpoint import save_checkpoint
from engine.models.prediff.denoiser import LatentDenoiser
from tests.engine.prediff_pipeline.tiny import DEN, save_tiny_set

from .conftest import plotly_specs
from .test_storm_explorer import write_tiny_sevir

PAGE = "app_pages/scenario_lab.py"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Tiny storms as the embedded demo, empty model folders, fresh caches, one torch thread."""
    write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("EFS_MODEL_DIRS", f"Test models={tmp_path / 'models'}")
    for var in ("EFS_SEVIR_ROOTS", "EFS_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(engine.data.sources, "SHIPPED_MODELS_DIR", tmp_path / "shipped")  # a demo set may land there
    st.cache_data.clear()
    st.cache_resource.clear()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tmp_path / "models"
    torch.set_num_threads(before)


@pytest.fixture
def calls(monkeypatch) -> list:
    """Every ensemble the engine sampled (the page's only way to sample); failed requests do not count."""
    seen = []
    real = engine.api.run_scenario

    def counting(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(kwargs["members"])
        return result

    monkeypatch.setattr(engine.api, "run_scenario", counting)
    return seen


def _page(home, **values):
    at = home.switch_page(PAGE)
    for key, value in {state.SCENARIO_MEMBERS: 2, state.SCENARIO_STEPS: 2, **values}.items():
        at.session_state[key] = value
    return at.run()


def _run(at):
    return at.button(key="scenario_run").click().run()


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_without_a_set_the_page_says_how_to_train_one(home):
    at = home.switch_page(PAGE).run()
    assert not at.exception
    assert any("No PreDiff set was found" in i.value and "README" in i.value for i in at.info)


def test_with_a_tiny_set_an_ensemble_runs_and_is_drawn(home, isolated, calls):
    save_tiny_set(isolated / "tiny", pool=6)
    at = _run(_page(home))
    assert not at.exception and not _errors(at)
    assert calls == [2]
    specs = plotly_specs(at)
    assert len(specs) == 3  # members grid, mean + probability, intensity trajectories
    names = [trace.get("name") for trace in specs[0]["data"]]
    assert names == ["Observed", "persistence", "Member 1", "Member 2"]  # no Earthformer installed: persistence
    assert any(m.label == "Target F0 = μ + nσ" for m in at.metric)


def test_a_target_beyond_every_training_future_is_explained(home, isolated, calls):
    save_tiny_set(isolated / "tiny", pool=6)  # training futures average at most 0.2 (51 in pixels)
    at = _run(_page(home, **{state.SCENARIO_N: 4.0}))
    assert not at.exception and not _errors(at)
    notes = [i.value for i in at.info if "beyond every future in this set's training data" in i.value]
    assert len(notes) == 1 and "averages 51.0" in notes[0]
    assert any(m.label == "P(at least F0) in training" and m.value == "0.0 %" for m in at.metric)
    at.slider(key=state.SCENARIO_N).set_value(-2.0).run()
    at = _run(at)
    assert not [i for i in at.info if "beyond every future" in i.value]


def test_the_threshold_slider_never_resamples(home, isolated, calls):
    save_tiny_set(isolated / "tiny", pool=6)
    at = _run(_page(home))
    before = plotly_specs(at)[1]["data"][1]["name"]
    at.select_slider(key=state.SCENARIO_THRESHOLD).set_value(160).run()
    assert not at.exception and calls == [2]
    after = plotly_specs(at)[1]["data"][1]["name"]
    assert "74" in before and "160" in after
    at.slider(key=state.SCENARIO_N).set_value(1.5).run()  # new settings: an earlier result, no sampling
    assert calls == [2] and any("settings changed" in i.value for i in at.info)
    at.slider(key=state.SCENARIO_N).set_value(0.0).run()  # back to what was run: shown at once
    assert calls == [2] and not any("settings changed" in i.value for i in at.info)


def test_an_n_outside_the_range_is_one_error_and_the_page_keeps_running(home, isolated, calls):
    save_tiny_set(isolated / "tiny", pool=6)
    at = _page(home, **{state.SCENARIO_N: 5.0})
    assert not at.exception
    assert any("n: expected a value in [-4, 4], got 5.0" in e for e in _errors(at))
    assert at.slider(key=state.SCENARIO_N).value == 0.0
    assert not _errors(_run(at)) and calls == [2]


def test_zero_members_and_too_many_for_memory_are_one_error_each(home, isolated, calls, monkeypatch):
    save_tiny_set(isolated / "tiny", pool=6)
    at = _run(_page(home, **{state.SCENARIO_MEMBERS: 0}))
    assert not at.exception and calls == []
    assert any("members: expected an ensemble size of at least 1, got 0" in e for e in _errors(at))
    monkeypatch.setattr(scenario_services, "MEMORY_BUDGET_BYTES", 2**20)
    at.number_input(key=state.SCENARIO_MEMBERS).set_value(4000)
    _run(at)
    assert not at.exception and calls == []
    assert any("members: expected at most" in e and "memory budget of 1 MiB" in e for e in _errors(at))


def test_a_mismatched_set_is_reported_and_the_good_one_still_works(home, isolated, calls):
    save_tiny_set(isolated / "tiny", pool=6)
    bad = save_tiny_set(isolated / "bad", pool=6)
    save_checkpoint(LatentDenoiser(replace(DEN, latent_shape=(8, 8, 4))), bad / "denoiser")
    at = _page(home)
    warning = " ".join(w.value for w in at.warning)
    assert "bad (Test models)" in warning and "the denoiser expects (8, 8, 4)" in warning
    assert at.selectbox(key=state.SCENARIO_SET).options == ["tiny"]
    assert not _errors(_run(at)) and calls == [2]


def test_event_choices_put_test_storm_reports_first():
    import pandas as pd

    table = pd.DataFrame({
        "id": ["S2", "R1", "S9", "R5", "S3"],
        "split": ["train", "test", "test", "test", "val"],
        "event_type": ["Hail", None, "Tornado", float("nan"), "Flash Flood"],
    })
    ids, labels = scenario_services.event_choices(table)
    assert ids == ["S9", "R1", "R5", "S2", "S3"]  # test storm, test random, then the rest
    assert labels["S9"] == "S9 · Tornado (test)"
    assert labels["R5"] == "R5 (test)"
    assert labels["S2"] == "S2 · Hail (train)"


def test_the_event_picker_names_each_report_type(home, isolated):
    save_tiny_set(isolated / "tiny", pool=6)
    at = _page(home)
    assert not at.exception
    # the tiny storms: R1004 is the one test-split event; the rest are reports of other splits
    assert at.selectbox(key=state.SCENARIO_EVENT).options == [
        "R1004 (test)", "S1001 · Hail (train)", "S1002 · Tornado (train)", "S1003 · Flash Flood (val)"]


def test_with_two_fitting_earthformers_the_user_picks_the_deterministic_forecast(home, isolated, calls):
    from engine.models.earthformer.config import EarthformerConfig
    from engine.models.earthformer.model import Earthformer

    save_tiny_set(isolated / "tiny", pool=6)
    config = EarthformerConfig(input_shape=(3, 16, 16, 1), target_shape=(2, 16, 16, 1), base_units=16, num_heads=2,
                               enc_depth=(1,), dec_depth=(1,), initial_downsample_scale=(1, 2, 2),
                               final_upsample_conv_layers=1)
    for seed, name in enumerate(("ef_a", "ef_b")):
        torch.manual_seed(seed)
        save_checkpoint(Earthformer(config).eval(), isolated / name)
    at = _page(home)
    assert at.selectbox(key=state.SCENARIO_DETERMINISTIC).options == ["ef_a", "ef_b"]
    assert at.selectbox(key=state.SCENARIO_DETERMINISTIC).value == "ef_a"
    at = _run(at)
    assert [t.get("name") for t in plotly_specs(at)[0]["data"]][1] == "ef_a"
    at.selectbox(key=state.SCENARIO_DETERMINISTIC).set_value("ef_b").run()
    at = _run(at)
    assert not at.exception and not _errors(at) and calls == [2, 2]  # another model: another ensemble request
    assert [t.get("name") for t in plotly_specs(at)[0]["data"]][1] == "ef_b"
    (isolated / "ef_b" / "model.safetensors").unlink()  # one left: no choice to offer
    st.cache_data.clear()
    at = _page(home)
    assert not at.exception and state.SCENARIO_DETERMINISTIC not in [s.key for s in at.selectbox]
