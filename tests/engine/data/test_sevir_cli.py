"""``python -m engine sevir ...`` and ``summarize``: listings, JSON, counts, exit code 2 on bad input."""
from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.data.sevir import summarize

from .conftest import EVENTS


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_events_table_lists_every_event(tiny_sevir, capsys):
    code, out, _ = _run(["sevir", "events", "--root", str(tiny_sevir.root)], capsys)
    assert code == 0 and out.strip().endswith(f"{len(EVENTS)} events")
    line = next(ln for ln in out.splitlines() if ln.startswith("S103"))
    assert "Tornado" in line and "2019-03-15 12:00:00" in line and "45.00,-120.00 -> 48.40,-116.00" in line
    assert "SEVIR_VIL_STORMEVENTS_2019_0101_0630.h5[1]" in line


def test_events_json_with_filters(tiny_sevir, capsys):
    code, out, _ = _run(["sevir", "events", "--root", str(tiny_sevir.root), "--type", "Hail",
                         "--start", "2018-06-01", "--end", "2019-05-31", "--json"], capsys)
    records = json.loads(out)
    assert code == 0 and [r["id"] for r in records] == ["S102"]
    assert records[0]["time_utc"] == "2019-01-01T00:00:00" and records[0]["split"] == "train"


@pytest.mark.parametrize("argv, message", [
    (["--root", "/nonexistent/sevir"], "SEVIR root /nonexistent/sevir: expected an existing directory"),
    (["--root", ".", "--start", "2019-13-01"], "expected a date YYYY-MM-DD, got '2019-13-01'"),
])
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    code, _, err = _run(["sevir", "events", *argv], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_missing_column_exits_2_naming_it(tiny_sevir, capsys):
    path = tiny_sevir.root / "CATALOG.csv"
    path.write_text(path.read_text().replace("event_type", "evt_type", 1))
    code, _, err = _run(["sevir", "events", "--root", str(tiny_sevir.root)], capsys)
    assert code == 2 and "missing column(s) event_type" in err and len(err.strip().splitlines()) == 1


def test_make_lr_writes_a_readable_copy(tiny_sevir, tmp_path, capsys):
    code, out, _ = _run(["sevir", "make-lr", "--root", str(tiny_sevir.root), "--out", str(tmp_path / "lr")], capsys)
    assert code == 0 and "wrote 6 SEVIR-LR events" in out
    assert summarize(tmp_path / "lr", seq_len=13, stride=6)["sizes"] == {"16 x 16 x 25": 6}


def test_summarize_counts_events_and_sequences_per_split(tiny_sevir):
    s = summarize(tiny_sevir.root)
    assert s["vil_events"] == 6 and s["catalog_rows"] == 6 and s["files"] == 3
    assert {k: (v["events"], v["sequences"]) for k, v in s["splits"].items()} == \
        {"train": (3, 9), "val": (2, 6), "test": (1, 3)}
    assert s["splits"]["val"]["first"] == "2019-03-15T12:00:00"
    assert s["event_types"] == {"Hail": 3, "Thunderstorm Wind": 1, "Tornado": 1, "random": 1}
    assert s["sizes"] == {"48 x 48 x 49": 6}
    json.dumps(s)  # plain JSON values only
