"""STEPS ensembles: shape, members, scale, seed reproducibility, skill on a moving cell."""
from __future__ import annotations

import numpy as np
import pytest

from engine.baselines import forecast_batch, steps
from engine.metrics import CategoricalScores

OPTIONS = dict(members=3, n_cascade_levels=4)


@pytest.fixture(scope="module")
def ensemble():
    from .conftest import moving_blob

    blob = moving_blob()
    return blob, steps(blob[:4], 4, seed=1, **OPTIONS)


def test_steps_returns_members_by_leads_on_the_pixel_scale(ensemble):
    blob, ens = ensemble
    assert ens.shape == (3, 4, 64, 64)
    assert np.all(np.isfinite(ens)) and ens.min() >= 0 and ens.max() <= 255
    csi = CategoricalScores(thresholds=(16.0, 74.0))(ens.mean(axis=0)[None], blob[4:8][None])["CSI"]
    assert np.all(csi > 0.5)  # the ensemble mean follows the cell (about 0.8 measured)


def test_the_same_seed_gives_the_same_ensemble_and_another_seed_differs(ensemble):
    blob, ens = ensemble
    np.testing.assert_array_equal(steps(blob[:4], 4, seed=1, **OPTIONS), ens)
    assert not np.allclose(steps(blob[:4], 4, seed=2, **OPTIONS), ens)


def test_zero_one_data_comes_back_on_the_zero_one_scale(ensemble):
    blob, ens = ensemble
    unit = steps(blob[:4] / 255, 4, seed=1, scale=1.0, **OPTIONS)
    np.testing.assert_allclose(unit * 255, ens, atol=1e-6)


def test_an_echo_free_context_gives_an_echo_free_ensemble():
    assert np.all(steps(np.zeros((3, 32, 32)), 2, seed=0, **OPTIONS) == 0)


def test_steps_needs_three_frames_and_batches_with_members_first(ensemble):
    blob, _ = ensemble
    with pytest.raises(ValueError, match="context: expected at least 3 frame"):
        steps(blob[:2], 2)
    batch = forecast_batch("steps", np.stack([np.zeros((3, 32, 32)), np.zeros((3, 32, 32))]), 2, seed=0, **OPTIONS)
    assert batch.shape == (3, 2, 2, 32, 32)
