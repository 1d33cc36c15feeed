"""``python -m engine enso``: make-demo writes a readable directory; info counts its windows."""
from __future__ import annotations

import json

from engine.cli import main


def test_make_demo_then_info_reports_models_and_windows_per_split(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["enso", "make-demo", "--out", str(out), "--seed", "4", "--years", "3",
                 "--cmip6-models", "1", "--cmip5-models", "2", "--soda-years", "0"]) == 0
    assert "wrote synthetic ICAR-ENSO data" in capsys.readouterr().out
    assert main(["enso", "info", "--root", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in info["models"]] == ["CMIP6-01", "CMIP5-01", "CMIP5-02"]
    assert {m["months"] for m in info["models"]} == {60}
    assert {s: v["windows"] for s, v in info["splits"].items()} == {"train": 35, "val": 35, "test": 35, "soda": 0}
    assert info["splits"]["test"]["models"] == ["CMIP5-02"]
    assert main(["enso", "info", "--root", str(out)]) == 0
    table = capsys.readouterr().out
    assert "CMIP5-02   test" in table and "val: 1 models, 60 months, 35 windows" in table
