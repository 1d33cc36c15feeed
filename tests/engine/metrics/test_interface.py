"""Every registered metric follows the one call contract; unknown names list the valid ones."""
from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import METRICS, get_metric, metric_inputs


def inputs(kind: str, rng: np.random.Generator):
    obs = rng.uniform(0, 255, (3, 2, 8, 8))
    if kind == "series":
        return rng.normal(size=(5, 12)), rng.normal(size=(5, 12))
    if kind == "ensemble":
        return rng.uniform(0, 255, (3, *obs.shape)), obs
    return rng.uniform(0, 255, obs.shape), obs


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_streams_and_merges_to_its_one_shot_result(name):
    pred, obs = inputs(metric_inputs(name), np.random.default_rng(0))
    metric = get_metric(name)()
    state = metric.init()
    state = metric.merge(metric.accumulate(state, pred[..., :1, :, :, :] if pred.ndim == 5 else pred[:1], obs[:1]),
                         metric.accumulate(metric.init(), pred[..., 1:, :, :, :] if pred.ndim == 5 else pred[1:], obs[1:]))
    streamed, one_shot = metric.compute(state), metric(pred, obs)
    assert streamed.keys() == one_shot.keys()
    for key in one_shot:
        np.testing.assert_allclose(streamed[key], one_shot[key], rtol=1e-9, equal_nan=True, err_msg=f"{name}.{key}")


@pytest.mark.parametrize("name", sorted(set(METRICS) - {"nino34"}))
def test_reduce_by_lead_keeps_one_value_per_lead_time(name):
    pred, obs = inputs(metric_inputs(name), np.random.default_rng(1))
    lead, pooled = get_metric(name)(reduce="lead")(pred, obs), get_metric(name)(reduce="all")(pred, obs)
    for key, value in lead.items():
        if key not in ("thresholds", "scales"):
            assert np.shape(value)[-1 if key not in ("counts", "frequency") else 0] == 2, key
            assert np.ndim(value) == np.ndim(pooled[key]) + 1, key


def test_an_empty_state_cannot_be_computed():
    with pytest.raises(ValueError, match="expected at least one accumulated batch"):
        get_metric("categorical")().compute(None)


def test_unknown_metric_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown metric 'csi': expected one of brier, categorical"):
        get_metric("csi")
