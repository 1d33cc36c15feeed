"""Synthetic ENSO data in the ICAR-ENSO format: a stochastic recharge oscillator on a 5 degree grid.

Physics
-------
Each "climate model" runs the recharge oscillator (Jin 1997, J. Atmos. Sci. 54; in the
stochastic, seasonally modulated form of Burgers et al. 2005, GRL 32, and Stein et al. 2014,
J. Climate 27) for the eastern equatorial Pacific SST anomaly T_E (K) and the western Pacific
thermocline depth anomaly h_W (m)::

    dT_E/dt = R(t) T_E + F1 h_W + xi(t)
    dh_W/dt = -F2 T_E - eps h_W + r w(t)
    R(t)    = R0 + Ra cos(2 pi (month_of_year - peak) / 12)

* R is the Bjerknes growth rate of SST (positive feedback minus damping); its annual mean R0 and
  eps set the decay time of the free oscillation, (R0 - eps)/2 = -1/damping time.
* F1 h_W: a deeper western thermocline ("recharged" warm-water volume) warms the east;
  -F2 T_E: a warm east discharges heat poleward and shoals the thermocline (Sverdrup transport).
  F1 F2 is chosen so that the free oscillation has the model's period (2.8-5 years).
* Ra > 0 with peak in September-October makes coupled growth strongest in boreal summer-autumn
  and weakest in spring: events grow through the summer, peak in boreal winter (variance
  largest in Dec-Jan) and decay in spring (the spring predictability barrier).
* xi is red noise (AR(1), about 1-month memory: westerly wind bursts); w is white noise. The
  system is linear, so the noise only sets the scale, and each run is rescaled to the model's
  T_E amplitude (0.8-1.3 K).

Fields: SST = T_E x (equatorial Pacific tongue peaking near 110 W, decaying with latitude,
plus a weaker negative horseshoe from the western Pacific into both subtropics) + weather noise
(Gaussian-smoothed white noise, AR(1) in time, stronger toward the mid-latitudes). t300 follows
h_W (zonal-mean recharge) and T_E (east-west tilt); ua/va are the Bjerknes wind response to
T_E (central Pacific westerlies, equatorward flow). There is no land mask and no mean climate:
every value is an anomaly, as in ICAR-ENSO. Values are multiples of 1/64 and float32.

Labels are the Nino3.4 index computed by ``engine.data.enso.nino`` from the stored SST itself,
so the reader can check them exactly. Everything is deterministic given the seed.
"""
from .demo import DEMO_SPEC, SyntheticSpec, demo_dir, ensure_enso_demo, make_synthetic
from .fields import ModelRun, run_model
from .params import SODA_LIKE, ClimateModel, draw_models
from .writer import labels_of, run_months, write_pair

__all__ = [
    "ClimateModel",
    "DEMO_SPEC",
    "ModelRun",
    "SODA_LIKE",
    "SyntheticSpec",
    "demo_dir",
    "draw_models",
    "ensure_enso_demo",
    "labels_of",
    "make_synthetic",
    "run_model",
    "run_months",
    "write_pair",
]
