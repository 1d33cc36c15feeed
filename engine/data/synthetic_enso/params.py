"""Parameters of one synthetic "climate model" and how a seed draws a family of them."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClimateModel:
    """One synthetic climate model: recharge oscillator + spatial patterns + weather noise.

    Attributes
    ----------
    period_years : period of the free (unforced, seasonally averaged) oscillation, years.
    damping_years : e-folding time of the free oscillation's amplitude, years.
    thermocline_damping : epsilon, damping of h_W by ocean adjustment, 1/month.
    coupling_h : F2, thermocline response to eastern SST (Ekman/Sverdrup discharge), m/(K month).
    seasonal_growth : amplitude of the annual cycle of the SST growth rate R(t), 1/month.
    peak_growth_month : month of year (0 = January) where R(t) is largest (Bjerknes feedback
        strongest in boreal summer/autumn, so events peak in boreal winter).
    wind_memory_months : decorrelation time of the red-noise wind forcing of T_E, months.
    h_noise_ratio : white-noise forcing of h_W relative to T_E's forcing (m per K).
    enso_std : standard deviation the T_E series is scaled to, K.
    horseshoe : amplitude of the (negative) horseshoe relative to the equatorial tongue.
    weather_std : standard deviation of the weather noise at the equator, K.
    weather_memory : lag-1-month autocorrelation of the weather noise.
    weather_length_cells : spatial correlation scale of the weather noise, grid cells (5 deg).
    """

    period_years: float = 4.0
    damping_years: float = 2.0
    thermocline_damping: float = 1.0 / 12.0
    coupling_h: float = 1.5
    seasonal_growth: float = 0.07
    peak_growth_month: float = 8.5
    wind_memory_months: float = 1.0
    h_noise_ratio: float = 3.0
    enso_std: float = 1.0
    horseshoe: float = 0.3
    weather_std: float = 0.3
    weather_memory: float = 0.6
    weather_length_cells: float = 1.5

    def __post_init__(self) -> None:
        for name in ("period_years", "damping_years", "coupling_h", "wind_memory_months", "enso_std",
                     "weather_length_cells"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected > 0, got {getattr(self, name)}")
        if not 0 <= self.weather_memory < 1:
            raise ValueError(f"weather_memory: expected in [0, 1), got {self.weather_memory}")
        if self.damping_rate >= self.angular_frequency:
            raise ValueError(f"damping_years: expected an underdamped oscillator (damping rate < angular "
                             f"frequency {self.angular_frequency:.3f}/month), got {self.damping_rate:.3f}/month")

    @property
    def angular_frequency(self) -> float:
        """omega = 2 pi / period, rad/month."""
        return 2 * math.pi / (12.0 * self.period_years)

    @property
    def damping_rate(self) -> float:
        """gamma = 1 / damping time, 1/month."""
        return 1.0 / (12.0 * self.damping_years)

    @property
    def mean_growth(self) -> float:
        """R0: annual-mean SST growth rate giving the requested damping, (R0 - eps) / 2 = -gamma."""
        return self.thermocline_damping - 2.0 * self.damping_rate

    @property
    def coupling_t(self) -> float:
        """F1, K/(m month): eigenvalues (R0 - eps)/2 +- i omega need F1 F2 = omega^2 + ((R0 + eps)/2)^2."""
        half_trace = 0.5 * (self.mean_growth + self.thermocline_damping)
        return (self.angular_frequency ** 2 + half_trace ** 2) / self.coupling_h


SODA_LIKE = ClimateModel(period_years=3.8, damping_years=2.0, enso_std=1.0, weather_std=0.3)


def draw_models(n: int, seed: int, family: str) -> list[ClimateModel]:
    """``n`` climate models with parameters spread over plausible ranges, fixed by (seed, family)."""
    tag = sum(ord(c) for c in family)  # different families draw different models from one seed
    rng = np.random.default_rng([seed, tag])
    models = []
    for _ in range(n):
        u = rng.uniform(size=9)
        models.append(ClimateModel(
            period_years=2.8 + 2.2 * u[0],
            damping_years=1.5 + 1.5 * u[1],
            seasonal_growth=0.06 + 0.04 * u[2],
            peak_growth_month=8.0 + 1.5 * u[3],
            enso_std=0.8 + 0.5 * u[4],
            horseshoe=0.2 + 0.2 * u[5],
            weather_std=0.25 + 0.2 * u[6],
            weather_memory=0.5 + 0.3 * u[7],
            weather_length_cells=1.0 + 1.0 * u[8],
        ))
    return models
