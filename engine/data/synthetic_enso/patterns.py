"""Spatial patterns on the ICAR-ENSO 5 degree grid, each (24, 72) float64, dimensionless.

The ENSO SST pattern is an equatorial Pacific tongue (peak 1 near 235 E, e-folding 12 degrees
in latitude, 55 degrees in longitude, cut off at the American coast) plus a weaker negative
"horseshoe": a ring around the tongue that runs from the western equatorial Pacific poleward
and eastward into both subtropics, as in the observed ENSO composite.
"""
from __future__ import annotations

import numpy as np

from ..enso.format import LATITUDES, LONGITUDES


def _grid() -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(LATITUDES, LONGITUDES, indexing="ij")  # (24, 72) each


def pacific_basin() -> np.ndarray:
    """Smooth 0..1 mask of the Pacific: 120 E to the American coast near 285 E."""
    _, lon = _grid()
    return 1.0 / (1.0 + np.exp(-(lon - 120.0) / 5.0)) / (1.0 + np.exp((lon - 282.0) / 3.0))


def equatorial_band(width_deg: float) -> np.ndarray:
    """exp(-(lat / width)^2)."""
    lat, _ = _grid()
    return np.exp(-(lat / width_deg) ** 2)


def enso_tongue() -> np.ndarray:
    """Equatorial cold/warm tongue of the eastern-central Pacific, peak 1."""
    _, lon = _grid()
    tongue = equatorial_band(12.0) * np.exp(-((lon - 235.0) / 55.0) ** 2) * pacific_basin()
    return tongue / tongue.max()


def horseshoe() -> np.ndarray:
    """Negative ring west of the tongue, peak -1: radius 80 deg about (0, 250 E), latitudes stretched 1.5x."""
    lat, lon = _grid()
    distance = np.hypot(lon - 250.0, 1.5 * lat)
    west = 1.0 / (1.0 + np.exp((lon - 240.0) / 10.0))
    ring = np.exp(-((distance - 80.0) / 18.0) ** 2) * west * pacific_basin()
    return -ring / ring.max()


def enso_sst_pattern(horseshoe_amplitude: float) -> np.ndarray:
    """SST anomaly (K) per 1 K of T_E: tongue + horseshoe_amplitude * horseshoe."""
    return enso_tongue() + horseshoe_amplitude * horseshoe()


def heat_content_patterns() -> tuple[np.ndarray, np.ndarray]:
    """(recharge, tilt) patterns of t300: zonal-mean equatorial heat content (per m of h_W) and the
    east-minus-west thermocline tilt (per K of T_E, positive in the east)."""
    _, lon = _grid()
    band = equatorial_band(8.0) * pacific_basin()
    tilt = np.clip((lon - 200.0) / 60.0, -1.0, 1.0)
    return band, band * tilt


def wind_patterns() -> tuple[np.ndarray, np.ndarray]:
    """(ua, va) response per K of T_E: central-western Pacific westerlies and equatorward flow."""
    lat, lon = _grid()
    ua = equatorial_band(10.0) * np.exp(-((lon - 185.0) / 30.0) ** 2)
    va = -(lat / 8.0) * np.exp(0.5 - (lat / 8.0) ** 2 / 2.0) * np.exp(-((lon - 230.0) / 40.0) ** 2)
    return ua * pacific_basin(), va * pacific_basin()
