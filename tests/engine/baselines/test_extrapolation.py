"""Optical-flow extrapolation follows a moving cell and beats persistence."""
from __future__ import annotations

import numpy as np
import pytest

from engine.baselines import optical_flow, persistence
from engine.metrics import CategoricalScores


def test_optical_flow_beats_persistence_on_a_translating_blob(blob):
    context, future = blob[:4], blob[4:]
    csi = CategoricalScores(thresholds=(16.0, 74.0, 133.0), reduce="lead")
    flow = csi(optical_flow(context, 6)[None], future[None])["CSI"]
    still = csi(persistence(context, 6)[None], future[None])["CSI"]
    assert np.all(flow > 0.75)  # measured: 0.99 at lead 1 down to 0.82 at lead 6
    assert np.all(flow > still + 0.1)


def test_optical_flow_keeps_shape_scale_and_fills_the_inflow_with_the_minimum(blob):
    out = optical_flow(blob[:3] / 255, 5)
    assert out.shape == (5, 64, 64) and np.all(np.isfinite(out))
    assert out.min() >= 0 and out.max() <= 220 / 255 + 1e-6


def test_optical_flow_needs_two_frames_of_a_field(blob):
    with pytest.raises(ValueError, match="context: expected at least 2 frame"):
        optical_flow(blob[:1], 3)
    with pytest.raises(ValueError, match=r"context: expected a \(T_in, H, W\) window, got shape \(4,\)"):
        optical_flow(np.ones(4), 3)
