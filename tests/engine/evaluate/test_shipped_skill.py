"""Skill floors of the shipped storm models on held-out demo events (rendered here, offline).

The embedded demo's test events are regenerated from its seed (only the few events used, not the
whole ~1-minute demo), pooled 4 x 4 to 96 x 96 like the training data, and cut into the 13 -> 12
windows ``evaluate`` scores. The README's table has the full test split; these floors catch a
shipped checkpoint that is broken, swapped or stale.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data.demo import DEMO_EVENTS, DEMO_SEED
from engine.data.sevir.catalog import split_of
from engine.data.synthetic.events import plan_events
from engine.data.synthetic.fields import render_vil
from engine.data.synthetic.writer import event_scene
from engine.data.transforms import max_pool_hw
from engine.forecast import Forecaster
from engine.metrics.categorical import THRESHOLDS, CategoricalScores

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "models"
EVENTS = 3  # the first test events of the demo: 9 windows
IN_LEN, OUT_LEN, POOL = 13, 12, 4


@pytest.fixture(scope="module")
def test_windows() -> tuple[np.ndarray, np.ndarray]:
    """(context (N, 13, 96, 96, 1), future (N, 12, 96, 96, 1)) in [0, 1]."""
    events = plan_events(DEMO_EVENTS, DEMO_SEED)
    split = split_of(pd.Series([ev.time_utc for ev in events]))
    chosen = [ev for ev, s in zip(events, split) if s == "test"][:EVENTS]
    assert len(chosen) == EVENTS
    windows = []
    for ev in chosen:
        frames = max_pool_hw(render_vil(event_scene(ev)), POOL).astype(np.float32) / 255.0  # (49, 96, 96)
        for start in range(0, frames.shape[0] - IN_LEN - OUT_LEN + 1, OUT_LEN):
            windows.append(frames[start:start + IN_LEN + OUT_LEN, ..., None])
    data = np.stack(windows)
    return data[:, :IN_LEN], data[:, IN_LEN:]


def _scores(pred: np.ndarray, obs: np.ndarray) -> tuple[float, float]:
    """(CSI-M, MSE) on the 0-255 thresholds."""
    metric = CategoricalScores(THRESHOLDS, reduce="all", scale=1.0)
    table = metric.accumulate(None, pred[..., 0].astype(np.float64), obs[..., 0].astype(np.float64))
    return float(metric.compute(table)["CSI-M"]), float(((pred - obs) ** 2).mean())


@pytest.mark.parametrize("name", ["sevir_demo", "unet_sevir_demo", "convlstm_sevir_demo"])
def test_shipped_storm_models_beat_persistence_on_held_out_events(test_windows, name):
    context, future = test_windows
    persistence = np.repeat(context[:, -1:], OUT_LEN, axis=1)
    forecast = Forecaster.from_checkpoint(ASSETS / name, device="cpu").predict(context, batch_size=3)
    csi_m, mse = _scores(forecast, future)
    base_csi_m, base_mse = _scores(persistence, future)
    assert mse < 0.5 * base_mse, (name, mse, base_mse)
    assert csi_m > base_csi_m + 0.05, (name, csi_m, base_csi_m)
