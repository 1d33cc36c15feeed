"""The embedded storm demo: written once, atomically, and summarised by the CLI."""
from __future__ import annotations

import json
import os
import time

import pytest

from engine.cli import main
from engine.data import demo
from engine.data.sevir.reader import SevirStore
from engine.data.synthetic.events import split_counts


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A 3-event demo written by ``python -m engine data make-demo`` (and the progress it reported)."""
    out = tmp_path_factory.mktemp("demo")
    calls = []
    path = demo.ensure_demo(out, progress=lambda f, m: calls.append(f), n_events=3, seed=2)
    return out, path, calls


def test_ensure_demo_writes_a_readable_dataset_once(made):
    out, path, calls = made
    assert path == out / "sevir" and (path / "CATALOG.csv").is_file()
    assert calls[-1] == 1.0 and len(calls) == 4  # one per event, then "ready"
    stamp = json.loads((path / demo.STAMP_NAME).read_text())
    assert stamp["seed"] == 2 and stamp["events"] == 3
    with SevirStore(path) as store:
        assert len(store) == 3 and store.read_vil(store.ids[0]).shape == (49, 384, 384)
    mtime = (path / "CATALOG.csv").stat().st_mtime_ns
    again = []
    assert demo.ensure_demo(out, progress=lambda f, m: again.append(f), n_events=3, seed=2) == path
    assert again == [] and (path / "CATALOG.csv").stat().st_mtime_ns == mtime  # present: not rebuilt
    assert [p.name for p in out.iterdir()] == ["sevir"]  # no temporary directories left behind
    assert path.stat().st_mode & 0o777 == 0o755  # readable like any folder, not mkdtemp's private mode


def test_an_interrupted_run_leaves_no_dataset_that_looks_complete(tmp_path):
    def interrupt(fraction, message):
        if fraction >= 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo.ensure_demo(tmp_path, progress=interrupt, n_events=2)
    assert list(tmp_path.iterdir()) == []
    assert not demo.demo_is_current(tmp_path / "sevir", n_events=2)


def test_a_stale_demo_is_rebuilt_and_force_rebuilds(tmp_path):
    path = demo.ensure_demo(tmp_path, n_events=1, seed=3)
    assert demo.demo_is_current(path, seed=3, n_events=1) and not demo.demo_is_current(path, seed=4, n_events=1)
    demo.ensure_demo(tmp_path, n_events=1, seed=4)  # another seed: rebuilt in place
    assert demo.demo_is_current(path, seed=4, n_events=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sevir"]
    mtime = (path / "CATALOG.csv").stat().st_mtime_ns
    demo.ensure_demo(tmp_path, n_events=1, seed=4, force=True)  # current, but forced
    assert (path / "CATALOG.csv").stat().st_mtime_ns != mtime
    (path / demo.STAMP_NAME).write_text("{not json")  # an unreadable stamp counts as stale
    assert not demo.demo_is_current(path, seed=4, n_events=1)


def test_the_default_location_follows_efs_demo_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path))
    assert demo.demo_sevir_root() == tmp_path / "sevir"
    assert demo.demo_sevir_root(tmp_path / "elsewhere") == tmp_path / "elsewhere" / "sevir"


def test_partial_directories_of_killed_runs_are_cleaned_up(tmp_path):
    stale, fresh = tmp_path / f"{demo.PARTIAL_PREFIX}old", tmp_path / f"{demo.PARTIAL_PREFIX}live"
    for path in (stale, fresh):
        (path / "data").mkdir(parents=True)
    old = time.time() - 2 * demo.ABANDONED_S
    os.utime(stale, (old, old))
    demo.ensure_demo(tmp_path, n_events=1, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, "sevir"])


def test_demo_size_gives_every_split_events():
    counts = split_counts(demo.DEMO_EVENTS)
    assert counts["train"] > counts["val"] >= 10 and counts["test"] >= 10


def test_cli_make_demo_skips_a_present_demo_and_info_reports_events_and_sequences_per_split(made, capsys):
    out, path, _ = made
    assert main(["data", "make-demo", "--out", str(out), "--events", "3", "--seed", "2"]) == 0
    assert "already present" in capsys.readouterr().out
    assert main(["data", "info", "--sevir", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["vil_events"] == 3
    assert {s: v["events"] for s, v in info["splits"].items()} == {"train": 1, "val": 1, "test": 1}
    assert {s: v["sequences"] for s, v in info["splits"].items()} == {"train": 3, "val": 3, "test": 3}
    assert main(["data", "info", "--sevir", str(path)]) == 0
    table = capsys.readouterr().out
    assert "train" in table and "384 x 384 x 49 (3)" in table


def test_cli_make_demo_writes_with_a_progress_bar(tmp_path, capsys):
    assert main(["data", "make-demo", "--out", str(tmp_path), "--events", "1", "--seed", "2"]) == 0
    captured = capsys.readouterr()
    assert "wrote 1 synthetic SEVIR events (seed 2)" in captured.out
    assert "synthetic storms" in captured.err and "100%" in captured.err  # tqdm on stderr
    assert (tmp_path / "sevir" / "CATALOG.csv").is_file()


def test_cli_info_on_a_missing_root_is_one_clear_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["data", "info", "--sevir", str(tmp_path / "nowhere")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "expected an existing directory" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
