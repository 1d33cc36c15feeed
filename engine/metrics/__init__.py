"""Verification metrics of the Earthformer / PreDiff papers and of operational meteorology.

Call contract (one for every metric, in the style of ``pysteps.verification``)::

    metric = get_metric("categorical")(reduce="lead", pool=4)   # options are dataclass fields
    scores = metric(pred, obs)                                  # one shot: dict of arrays
    state = metric.init()                                       # streaming over batches
    state = metric.accumulate(state, pred_batch, obs_batch)     # returns a new state
    state = metric.merge(state_a, state_b)                      # order-independent
    scores = metric.compute(state)

Inputs (numpy, any float or integer dtype): ``obs`` (N, T, H, W); ``pred`` (N, T, H, W) for
deterministic metrics, (M, N, T, H, W) for ensemble metrics (``metric_inputs(name)`` says which);
ENSO's ``nino34`` takes Nino3.4 series (N, L). Fields are on the 0-255 pixel scale by default;
``scale=1`` declares [0, 1] data. Thresholds are always given on the 0-255 scale with ">=".

Reduction is explicit: ``reduce="lead"`` keeps the lead-time axis T, ``reduce="all"`` pools every
lead (the papers' dataset-level scores). Units: MSE, MAE, RMSE, CRPS and spread are on the [0, 1]
scale as in the papers (multiply SEVIR MSE by 1e3 for their tables); SST MSE on scaled SST x 1e4.

Registered metrics: categorical (CSI, POD, FAR, SUCR, BIAS, HSS, CSI-M, max-pooled with ``pool``),
continuous (MSE, MAE, RMSE, corr), fss, crps, spread_skill, rank_histogram, brier, nino34
(C-Nino3.4-M / -WM, Nino3.4 RMSE) and sst (continuous scores of scaled SST, scale 1). ``suites`` bundles them into the papers' score tables.
"""
from .categorical import THRESHOLDS, CategoricalScores
from .continuous import ContinuousScores
from .ensemble import Crps, RankHistogram, SpreadSkill, crps_map
from .enso import Nino34Scores, SstScores, nino34_index, tianchi_weights
from .interface import METRICS, get_metric, metric_inputs
from .probabilistic import BrierScore, exceedance_probability
from .spatial import FractionsSkillScore

__all__ = [
    "METRICS",
    "THRESHOLDS",
    "BrierScore",
    "CategoricalScores",
    "ContinuousScores",
    "Crps",
    "FractionsSkillScore",
    "Nino34Scores",
    "RankHistogram",
    "SpreadSkill",
    "SstScores",
    "crps_map",
    "exceedance_probability",
    "get_metric",
    "metric_inputs",
    "nino34_index",
    "tianchi_weights",
]
