"""Run-directory logs: ``train_log.csv`` (per optimizer step), ``metrics.json`` (per validation),
``run.json`` (what was run, where, with what).

On resume the CSV keeps only rows up to the checkpoint's step (steps after it are redone), and
``metrics.json`` is rewritten from the history stored in the checkpoint, so logs never hold
rows of work the model no longer contains.
"""
from __future__ import annotations

import csv
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import torch

TRAIN_LOG = "train_log.csv"
METRICS = "metrics.json"
RUN = "run.json"
TRAIN_COLUMNS: tuple[str, ...] = ("step", "epoch", "loss", "lr", "grad_norm", "samples_per_s", "elapsed_s")


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class TrainLog:
    """Append-only CSV of training steps, flushed every row (safe to read while training)."""

    def __init__(self, run_dir: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(run_dir) / TRAIN_LOG
        rows = []
        if resume_step is not None and self.path.is_file():
            with self.path.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= resume_step]
        tmp = self.path.with_name(f".{self.path.name}.tmp")  # rewrite atomically: a kill keeps the old log
        with tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=TRAIN_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path)
        self._fh = self.path.open("a", newline="")
        self._writer = csv.DictWriter(self._fh, fieldnames=TRAIN_COLUMNS)

    def write(self, row: dict[str, Any]) -> None:
        self._writer.writerow({k: row.get(k, "") for k in TRAIN_COLUMNS})
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def write_metrics(run_dir: str | Path, history: list[dict[str, Any]]) -> None:
    """``metrics.json``: one entry per validation (epoch, step, scores, best so far)."""
    _write_text_atomic(Path(run_dir) / METRICS, json.dumps(history, indent=2) + "\n")


def environment(world_size: int, device: torch.device) -> dict[str, Any]:
    env = {"python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
           "device": str(device), "world_size": world_size, "cuda": torch.version.cuda,
           "threads": torch.get_num_threads()}
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
    return env


def write_run(run_dir: str | Path, document: dict[str, Any]) -> None:
    """``run.json``; a resumed run appends its command line to ``resumes``."""
    path = Path(run_dir) / RUN
    document = {"command": sys.argv, **document}
    if path.is_file() and document.get("resumed"):
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = {}
        document = {**old, "resumes": old.get("resumes", []) + [{"command": sys.argv, "environment":
                                                                   document.get("environment")}]}
    _write_text_atomic(path, json.dumps(document, indent=2, default=str) + "\n")
