"""Scenario-lab figures: panels animated together, one readable colour bar per kind of panel."""
from __future__ import annotations

import numpy as np
import pytest

from engine.viz.scenario_figures import member_grid_figure, probability_figure
from engine.viz.vil_colormap import VIL_THRESHOLDS

LEADS = [5.0, 10.0, 15.0]


def _shown_bars(fig) -> list:
    return [trace.colorbar for trace in fig.data if trace.showscale]


def test_probability_figure_has_side_by_side_full_height_bars():
    rng = np.random.default_rng(0)
    mean = rng.integers(0, 255, size=(3, 8, 8))
    fig = probability_figure(mean, rng.random((3, 8, 8)), LEADS, 74)
    vil, prob = _shown_bars(fig)
    assert vil.title.text == "kg/m²" and tuple(vil.tickvals) == VIL_THRESHOLDS and prob.title.text == "P"
    assert vil.len is None and prob.len is None  # plotly's default: the full plot height
    assert prob.x - vil.x >= 0.08  # apart, not stacked
    assert len(fig.frames) == 3 and all(len(frame.data) == 2 for frame in fig.frames)
    assert np.array_equal(np.asarray(fig.frames[2].data[0].z), mean[2].astype(np.uint8))


def test_member_grid_shows_one_vil_bar_for_all_panels():
    members = np.zeros((4, 3, 8, 8))
    fig = member_grid_figure(members, LEADS, observed=np.zeros((3, 8, 8)), deterministic=np.zeros((3, 8, 8)))
    assert len(fig.data) == 6 and len(_shown_bars(fig)) == 1
    assert [a.text for a in fig.layout.annotations][:3] == ["Observed", "Deterministic", "Member 1"]


def test_probability_outside_unit_interval_is_refused():
    with pytest.raises(ValueError, match=r"probability: expected values in \[0, 1\]"):
        probability_figure(np.zeros((3, 8, 8)), np.full((3, 8, 8), 1.5), LEADS, 74)
