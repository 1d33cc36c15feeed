"""Every registered baseline follows the one call contract; unknown names list the valid ones."""
from __future__ import annotations

import numpy as np
import pytest

from engine.baselines import BASELINES, ENSEMBLE_BASELINES, forecast_batch, get_baseline

OPTIONS = {"steps": dict(members=2, n_cascade_levels=3), "damped_persistence": dict(damping=np.full(3, 0.5))}


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_baseline_maps_a_context_window_to_n_steps_frames(name, blob):
    out = get_baseline(name)(blob[:4, :32, :32], 3, **OPTIONS.get(name, {}))
    expected = (2, 3, 32, 32) if name in ENSEMBLE_BASELINES else (3, 32, 32)
    assert out.shape == expected and np.all(np.isfinite(out))


@pytest.mark.parametrize("name", ["persistence", "optical_flow", "climatology"])
def test_batches_stack_samples_first(name, blob):
    contexts = np.stack([blob[:4, :32, :32], blob[1:5, :32, :32]])
    out = forecast_batch(name, contexts, 2)
    assert out.shape == (2, 2, 32, 32)
    np.testing.assert_array_equal(out[1], get_baseline(name)(contexts[1], 2))


def test_unknown_baseline_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown baseline 'unet': expected one of climatology, damped_persistence"):
        get_baseline("unet")
