"""Two processes on CPU (gloo) through ``torchrun -m engine train``: identical weights on both
ranks, a clean time-budget stop inside an epoch, and a resumed job that finishes the schedule."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def torchrun(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "engine", "train", "--no-progress", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def rank_summaries(out) -> list[dict]:
    return [json.loads((out / "ranks" / f"rank{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.timeout(600)
def test_two_gloo_processes_hold_identical_weights_and_resume_from_the_checkpoint(tiny_root, tiny_model_json,
                                                                                  tmp_path):
    out = tmp_path / "ddp"
    common = ["--model", str(tiny_model_json), "--data", "sevir", "--root", str(tiny_root), "--out", str(out),
              "--stride", "4", "--epochs", "1", "--batch-size", "2", "--limit-train", "8", "--limit-val", "2"]
    first = torchrun(*common, "--max-minutes", "1e-9")
    assert first.returncode == 0, first.stderr[-3000:]
    a, b = rank_summaries(out)
    assert a["reason"].startswith("time budget") and (a["step"], a["micro_done"]) == (1, 1)  # 8 samples / 2 ranks / 2
    assert a["weights_sha256"] == b["weights_sha256"]
    second = torchrun(*common, "--resume", "--max-minutes", "0")
    assert second.returncode == 0, second.stderr[-3000:]
    a, b = rank_summaries(out)
    assert (a["reason"], a["epoch"], a["step"]) == ("finished", 1, 2)
    assert a["weights_sha256"] == b["weights_sha256"]
    run = json.loads((out / "run.json").read_text())
    assert run["environment"]["world_size"] == 2 and len(run["resumes"]) == 1
    assert [m["epoch"] for m in json.loads((out / "metrics.json").read_text())] == [1]
    assert second.stdout.count("finished: epoch 1") == 1  # only rank 0 reports
