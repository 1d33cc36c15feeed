"""Storm styles: how each NWS event type tunes the physics (the only home of physics defaults).

A style gives ranges; every event draws its own values inside them from its seeded generator.
Speeds are in pixels (km) per 5-minute frame: 1.5-6 px/frame is 5-20 m/s.
"""
from __future__ import annotations

from dataclasses import dataclass

Range = tuple[float, float]


@dataclass(frozen=True)
class StormStyle:
    """Ranges the generator draws one event's physics from.

    Attributes
    ----------
    speed : (min, max) steering-flow speed, pixels (km) per 5-min frame.
    n_cells : (min, max) isolated convective cells initiated over the 49 frames.
    n_lines : (min, max) squall lines (chains of cells sharing one life cycle).
    core_peak : (min, max) peak core VIL of a cell at maturity, kg/m² (drawn log-uniformly).
    core_radius : (min, max) core Gaussian radius at maturity, km.
    cell_life : (min, max) isolated-cell lifetime, frames (initiation to dissipation).
    line_life : (min, max) squall-line lifetime, frames.
    line_length : (min, max) squall-line length, km.
    shield_peak : (min, max) stratiform/anvil shield VIL at maturity, kg/m².
    shield_radius : (min, max) shield Gaussian radius, km (the broad scale around each core).
    cluster_spread : Gaussian spread of initiation points around the storm cluster, km.
    """

    speed: Range
    n_cells: tuple[int, int]
    n_lines: tuple[int, int]
    core_peak: Range
    core_radius: Range = (2.5, 5.5)
    cell_life: Range = (10.0, 24.0)
    line_life: Range = (36.0, 70.0)
    line_length: Range = (90.0, 220.0)
    shield_peak: Range = (0.5, 1.8)
    shield_radius: Range = (10.0, 22.0)
    cluster_spread: float = 55.0


#: NWS Storm Events types used in SEVIR ('S' ids) plus "random" for the 'R' (randomly sampled) events.
STYLES: dict[str, StormStyle] = {
    # Hail and tornadoes come from long-lived, intense (supercell) cores.
    "Hail": StormStyle(speed=(2.5, 4.5), n_cells=(8, 14), n_lines=(0, 1), core_peak=(18.0, 75.0),
                       cell_life=(14.0, 34.0)),
    "Tornado": StormStyle(speed=(3.0, 5.0), n_cells=(6, 12), n_lines=(0, 1), core_peak=(20.0, 75.0),
                          cell_life=(16.0, 36.0)),
    "Funnel Cloud": StormStyle(speed=(2.0, 4.0), n_cells=(6, 12), n_lines=(0, 1), core_peak=(8.0, 40.0)),
    # Damaging winds: fast-moving squall lines.
    "Thunderstorm Wind": StormStyle(speed=(4.0, 6.0), n_cells=(4, 9), n_lines=(1, 2), core_peak=(8.0, 45.0),
                                    line_length=(140.0, 280.0)),
    # Floods: slow-moving, wide, long-lived systems with big stratiform shields.
    "Flash Flood": StormStyle(speed=(1.5, 2.5), n_cells=(10, 18), n_lines=(0, 1), core_peak=(6.0, 35.0),
                              core_radius=(3.5, 7.0), cell_life=(16.0, 34.0), shield_peak=(0.8, 2.5),
                              shield_radius=(16.0, 30.0), cluster_spread=45.0),
    "Heavy Rain": StormStyle(speed=(1.5, 3.0), n_cells=(8, 16), n_lines=(0, 1), core_peak=(4.0, 22.0),
                             core_radius=(3.5, 7.0), cell_life=(16.0, 34.0), shield_peak=(0.8, 2.5),
                             shield_radius=(18.0, 32.0), cluster_spread=50.0),
    "Lightning": StormStyle(speed=(2.0, 4.0), n_cells=(6, 12), n_lines=(0, 1), core_peak=(5.0, 30.0)),
    # Randomly sampled times: scattered, mostly weak echoes, sometimes almost nothing.
    "random": StormStyle(speed=(1.5, 5.0), n_cells=(2, 10), n_lines=(0, 1), core_peak=(0.8, 14.0),
                         shield_peak=(0.2, 1.0), shield_radius=(8.0, 18.0), cluster_spread=110.0),
}

#: NWS event types (the catalog's event_type values), in a fixed order.
EVENT_TYPES: tuple[str, ...] = ("Hail", "Thunderstorm Wind", "Tornado", "Flash Flood", "Heavy Rain",
                                "Funnel Cloud", "Lightning")
#: How often each type occurs among storm events (roughly SEVIR's mix: wind and hail dominate).
EVENT_TYPE_WEIGHTS: tuple[float, ...] = (0.30, 0.40, 0.07, 0.10, 0.05, 0.04, 0.04)


def get_style(name: str) -> StormStyle:
    """The style of an event type ('Hail', ..., or 'random'); ValueError lists the valid names."""
    try:
        return STYLES[name]
    except KeyError:
        raise ValueError(f"unknown storm style {name!r}: expected one of {', '.join(STYLES)}") from None
