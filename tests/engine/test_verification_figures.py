"""Verification figures carry exactly the scores they are given, on the right lead and threshold axes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import api
from engine.viz import verification_figures as vf

THRESHOLDS = (16, 74, 133, 160, 181, 219)


@pytest.fixture(scope="module")
def scores() -> dict[str, dict]:
    """Real score dicts of two forecasts of a moving blob: persistence and a slightly noisy truth."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    frames = np.stack([250 * np.exp(-((xx - 6 - t) ** 2 + (yy - 16) ** 2) / 30.0) for t in range(25)])
    context, observed = frames[:13], frames[13:]
    persistence = api.run_baseline("persistence", context, 12)
    noisy = np.clip(observed + rng.normal(0, 20, observed.shape), 0, 255)
    return {"persistence": api.score_sevir(persistence[None], observed[None]),
            "noisy truth": api.score_sevir(noisy[None], observed[None])}


def _equal(plotted, expected) -> bool:
    expected = np.asarray(expected, dtype=float).ravel()
    return len(plotted) == len(expected) and all(
        (p is None and not math.isfinite(e)) or (p is not None and math.isclose(p, e)) for p, e in zip(plotted, expected))


def test_csi_by_lead_has_one_trace_per_threshold_and_model_at_5_to_60_minutes(scores):
    fig = vf.csi_by_lead_figure(scores, THRESHOLDS)
    models = list(scores)
    assert len(fig.data) == len(THRESHOLDS) * len(models)
    for k in range(len(THRESHOLDS)):
        for m, model in enumerate(models):
            trace = fig.data[k * len(models) + m]
            assert trace.name == model and trace.showlegend == (k == 0)
            assert list(trace.x) == list(range(5, 61, 5))
            assert _equal(trace.y, scores[model]["lead"]["CSI"][k])
    assert [a.text for a in fig.layout.annotations] == [f"VIL ≥ {t}" for t in THRESHOLDS]


def test_an_undefined_score_is_a_gap_not_a_zero(scores):
    lead = dict(scores["persistence"]["lead"], CSI=np.asarray(scores["persistence"]["lead"]["CSI"], dtype=float).copy())
    lead["CSI"][-1, 3:] = np.nan  # as a metric without events could report
    fig = vf.csi_by_lead_figure({"persistence": {"lead": lead}}, THRESHOLDS)
    assert [y is None for y in fig.data[-1].y] == [False] * 3 + [True] * 9
    assert None not in fig.data[0].y


def test_lead_summary_plots_csi_m_and_mse_per_lead(scores):
    fig = vf.lead_summary_figure(scores)
    assert len(fig.data) == 2 * len(scores)
    for j, metric in enumerate(("CSI-M", "MSE")):
        for m, model in enumerate(scores):
            trace = fig.data[j * len(scores) + m]
            assert list(trace.x) == list(range(5, 61, 5)) and _equal(trace.y, scores[model]["lead"][metric])


def test_threshold_bars_equal_the_pooled_scores(scores):
    fig = vf.threshold_bars_figure(scores, THRESHOLDS)
    assert len(fig.data) == 4 * len(scores) and fig.layout.barmode == "group"
    for j, metric in enumerate(("CSI", "POD", "SUCR", "BIAS")):
        for m, model in enumerate(scores):
            bar = fig.data[j * len(scores) + m]
            assert bar.type == "bar" and list(bar.x) == [str(t) for t in THRESHOLDS]
            assert _equal(bar.y, scores[model]["all"][metric])


def test_score_by_lead_is_generic_for_enso_lead_months():
    corr = {"Earthformer": [0.95, 0.9, 0.8], "persistence": [0.9, 0.7, float("nan")]}
    fig = vf.score_by_lead_figure(corr, [1, 2, 3], y_title="Niño3.4 correlation", x_title="Lead (months)")
    assert [t.name for t in fig.data] == list(corr)
    assert list(fig.data[1].y) == [0.9, 0.7, None] and list(fig.data[0].x) == [1, 2, 3]
    assert fig.layout.xaxis.title.text == "Lead (months)"
    with pytest.raises(ValueError, match="expected 3 values"):
        vf.score_by_lead_figure({"x": [1.0]}, [1, 2, 3], y_title="r")


def test_summary_rows_report_csi_m_csi_mse_in_1e_3_and_crps_for_ensembles(scores):
    rows = vf.summary_rows(scores, THRESHOLDS)
    assert [r["Model"] for r in rows] == list(scores)
    pooled = scores["persistence"]["all"]
    assert math.isclose(rows[0]["CSI-M"], float(pooled["CSI-M"]))
    assert math.isclose(rows[0]["CSI ≥ 74"], float(pooled["CSI"][1]))
    assert math.isclose(rows[0]["MSE (1e-3)"], 1e3 * float(pooled["MSE"])) and rows[0]["CRPS"] is None
    ensemble = np.stack([np.zeros((1, 12, 8, 8)), np.full((1, 12, 8, 8), 100.0)])
    crps = vf.summary_rows({"steps": api.score_sevir(ensemble, np.full((1, 12, 8, 8), 50.0))}, THRESHOLDS)[0]["CRPS"]
    # CRPS of the two-member ensemble {0, 100/255} for 50/255: mean |x - y| - half the mean pair distance
    assert math.isclose(crps, (50 / 255) - 0.5 * 0.5 * (100 / 255), rel_tol=1e-6)
