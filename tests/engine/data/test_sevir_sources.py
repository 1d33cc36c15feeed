"""Data sources come only from env vars and the TOML config; the facade reads only those."""
from __future__ import annotations

import os
from datetime import date

import numpy as np
import pytest

from engine import api
from engine.data import sources

from .conftest import EVENTS, write_sevir


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No env sources, no config file, demo dir in tmp_path (isolated from the developer's setup)."""
    for var in ("EFS_SEVIR_ROOTS", "EFS_ICAR_ENSO_ROOTS", "EFS_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sources, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))
    return monkeypatch


def test_demo_is_always_first_and_alone_without_configuration(clean_env, tmp_path):
    for kind in ("sevir", "icar_enso"):
        (only,) = sources.configured_sources(kind)
        assert only.name == "Embedded demo" and only.is_demo and only.root == tmp_path / "demo" / kind


def test_env_var_entries_named_or_bare(clean_env, tmp_path):
    clean_env.setenv("EFS_SEVIR_ROOTS", os.pathsep.join(["full=/data/sevir", str(tmp_path / "other"), ""]))
    names = [s.name for s in sources.configured_sources("sevir")]
    assert names == ["Embedded demo", "full", str(tmp_path / "other")]
    assert sources.get_source("sevir", "full").root == sources.Path("/data/sevir")
    assert [s.name for s in sources.configured_sources("icar_enso")] == ["Embedded demo"]


def test_toml_tables_of_both_kinds_with_relative_roots(clean_env, tmp_path):
    config = tmp_path / "cfg" / "efs.toml"
    config.parent.mkdir()
    config.write_text('[[sevir]]\nname = "lab"\nroot = "sevir_lab"\n\n[[icar_enso]]\nname = "enso"\nroot = "/d/enso"\n')
    clean_env.setenv("EFS_CONFIG", str(config))
    assert sources.get_source("sevir", "lab").root == config.parent / "sevir_lab"
    assert sources.get_source("icar_enso", "enso").root == sources.Path("/d/enso")


def test_repo_efs_toml_is_used_when_present(clean_env, tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "efs.toml").write_text('[[sevir]]\nname = "x"\nroot = "/x"\n')
    assert [s.name for s in sources.configured_sources("sevir")] == ["Embedded demo", "x"]


@pytest.mark.parametrize("text, message", [
    ('[[sevir]]\nname = "x"\n', r"\[\[sevir\]\] entry 0: expected keys name"),
    ('[[radar]]\nname = "x"\nroot = "/x"\n', r"expected tables \[\[sevir\]\], \[\[icar_enso\]\] and \[\[models\]\], got \[radar\]"),
    ("[[sevir]\n", "cannot read the TOML config"),
    ('[[sevir]]\nname = "Embedded demo"\nroot = "/x"\n', "expected unique names"),
])
def test_bad_config_is_one_message_naming_the_file(clean_env, tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    clean_env.setenv("EFS_CONFIG", str(config))
    with pytest.raises(ValueError, match=message):
        sources.configured_sources("sevir")


def test_unknown_names_are_rejected_listing_the_configured_ones(clean_env):
    clean_env.setenv("EFS_SEVIR_ROOTS", "full=/data/sevir")
    with pytest.raises(ValueError, match=r"expected one of 'Embedded demo', 'full', got '/etc'"):
        sources.get_source("sevir", "/etc")
    with pytest.raises(api.StormDataError, match="got '/etc'"):
        api.storm_events("/etc")
    with pytest.raises(ValueError, match="source kind"):
        sources.configured_sources("radar")


def test_missing_demo_says_how_to_make_it(clean_env):
    assert api.storm_sources()[0] == api.StormSource("Embedded demo", sources.demo_root() / "sevir", True)
    with pytest.raises(api.StormDataError, match=r"python -m engine data make-demo"):
        api.storm_events("Embedded demo")


def test_facade_lists_filters_and_reads_events_of_a_configured_source(clean_env, tmp_path):
    tiny = write_sevir(tmp_path / "sevir")
    clean_env.setenv("EFS_SEVIR_ROOTS", f"tiny={tiny.root}")
    table = api.storm_events("tiny")
    assert list(table["id"]) == [e.id for e in EVENTS]
    for col in ("id", "event_type", "time_utc", "llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon", "split",
                "file_name", "pct_missing"):
        assert col in table.columns
    assert list(api.storm_events("tiny", "Hail", start=date(2019, 1, 1))["id"]) == ["S102", "S104"]
    assert list(api.storm_events("tiny", bbox=(44.0, 50.0, -125.0, -110.0))["id"]) == ["S103"]
    event = api.storm_event("tiny", "S103")
    assert event.event_type == "Tornado" and event.time_utc.isoformat() == "2019-03-15T12:00:00"
    assert event.minute_offsets.shape == (49,) and event.minute_offsets[0] == -120
    assert event.corners == (45.0, -120.0, 48.4, -116.0) and event.proj.startswith("+proj=laea")
    assert event.vil.dtype == np.uint8 and np.array_equal(event.vil, tiny.expected("S103"))
    assert api.storm_event("tiny", "R105").event_type is None
    assert api.VIL_THRESHOLDS == (16, 74, 133, 160, 181, 219) and api.decode_vil(np.uint8(0)) == 0
