"""``evaluate`` on ICAR-ENSO: persistence of a pure oscillation has a closed-form skill.

With SST anomaly sin(2 pi m / P) everywhere, persistence forecasts Nino3.4 = sin(theta_s) at
every lead (theta_s the phase of the last input month s + 11), while the label at lead l is
c sin(theta_s + 2 pi (l + 1) / P), c = (1 + 2 cos(2 pi / P)) / 3 > 0 (the 3-month running mean
centred one month later). Over a whole number of periods of windows the sample means vanish, so
corr_l = cos(2 pi (l + 1) / P) exactly, C-Nino3.4-M = mean_l corr_l, and the scaled-SST MSE of
month j of the forecast is (1 - cos(2 pi (j + 1) / P)) / (SST_MAX - SST_MIN)^2.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.data.enso.format import SST_MAX, SST_MIN, scale_sst
from engine.evaluation import EvalRequest, evaluate
from engine.metrics.enso import tianchi_weights
from engine.models.checkpoint import save_checkpoint
from engine.models.unet.config import UNET_ICAR_ENSO
from engine.models.unet.model import UNet

from .conftest import PERIOD

LEADS = np.arange(1, 13)
CORR = np.cos(2 * np.pi * (LEADS + 1) / PERIOD)
WINDOWS = 2 * PERIOD  # two whole periods of windows of the test model (59 exist)


def test_persistence_skill_of_an_oscillation_is_the_documented_closed_form(sinusoid_enso):
    result = evaluate(EvalRequest("icar-enso", ("persistence",), sinusoid_enso, split="test", limit=WINDOWS))
    row = result["models"]["persistence"]
    assert (result["n_windows"], result["t_in"], result["t_out"], result["frame"]) == (WINDOWS, 12, 14, [24, 48])
    np.testing.assert_allclose(row["corr"], CORR, atol=1e-5)
    assert row["C-Nino3.4-M"] == pytest.approx(CORR.mean(), abs=1e-5)  # -0.2443 for P = 24
    assert row["C-Nino3.4-WM"] == pytest.approx((tianchi_weights(12) * CORR).mean(), abs=1e-5)
    months = np.arange(1, 15)
    per_month = (1 - np.cos(2 * np.pi * months / PERIOD)) / (SST_MAX - SST_MIN) ** 2
    assert row["SST MSE"] == pytest.approx(per_month.mean(), rel=1e-4)
    np.testing.assert_allclose(row["SST MSE per month"], per_month, rtol=1e-4, atol=1e-12)


def test_climatology_has_no_correlation_skill_and_damped_persistence_runs(sinusoid_enso):
    result = evaluate(EvalRequest("icar-enso", ("climatology", "damped_persistence"), sinusoid_enso, split="test",
                                  limit=WINDOWS))
    # A constant forecast has no correlation: undefined (NaN), never 0.
    assert np.isnan(result["models"]["climatology"]["C-Nino3.4-M"])
    assert np.all(np.isnan(result["models"]["climatology"]["corr"]))
    # Zero anomaly: the Nino3.4 RMSE is the labels' RMS, c / sqrt(2) for a unit sine.
    c = (1 + 2 * np.cos(2 * np.pi / PERIOD)) / 3
    assert result["models"]["climatology"]["Nino3.4 RMSE"] == pytest.approx(c / np.sqrt(2), rel=1e-4)
    damped = result["models"]["damped_persistence"]
    assert np.all(np.isfinite(damped["corr"])) and damped["corr"].shape == (12,)


def test_enso_cli_prints_the_table_and_writes_every_number(sinusoid_enso, tmp_path, capsys):
    out = tmp_path / "enso.json"
    code = main(["evaluate", "--data", "icar-enso", "--root", str(sinusoid_enso), "--model", "persistence",
                 "--limit", str(WINDOWS), "--json", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0 and "C-Nino3.4-M" in printed and "SST MSE(1e-4)" in printed
    saved = json.loads(out.read_text())["models"]["persistence"]
    assert saved["C-Nino3.4-M"] == pytest.approx(CORR.mean(), abs=1e-5) and len(saved["corr"]) == 12


def test_a_checkpoint_predicting_zero_anomaly_scores_like_climatology(sinusoid_enso, tmp_path):
    model = UNet(dataclasses.replace(UNET_ICAR_ENSO, base_channels=4, depth=1))
    with torch.no_grad():  # the head ignores its input and writes scaled 0 degC everywhere
        model.head.weight.zero_()
        model.head.bias.fill_(float(scale_sst(0.0)))
    directory = save_checkpoint(model, tmp_path / "zero_anomaly")
    result = evaluate(EvalRequest("icar-enso", (str(directory), "climatology"), sinusoid_enso, split="test",
                                  limit=WINDOWS))
    net, clim = result["models"]["zero_anomaly"], result["models"]["climatology"]
    assert net["family"] == "unet" and np.isnan(net["C-Nino3.4-M"])  # constant forecast: undefined
    assert net["Nino3.4 RMSE"] == pytest.approx(clim["Nino3.4 RMSE"], rel=1e-5)
    assert net["SST MSE"] == pytest.approx(clim["SST MSE"], rel=1e-5)
