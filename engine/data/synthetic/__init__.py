"""Synthetic storms written in SEVIR's exact on-disk format, deterministic in a seed.

The app's embedded demo and the tests read these files through the same reader as real SEVIR
(Veillette et al., NeurIPS 2020). Same seed -> byte-identical arrays and catalog.

Physics
-------
Units: 1 pixel = 1 km, 1 frame = 5 min, 49 frames (time_utc is the middle one), 384 x 384 pixels.

1. **Steering flow** (``flow.py``). A mean wind whose heading turns by up to +-20 degrees and whose
   speed drifts by up to +-25 % over the event, plus a non-divergent perturbation (a
   streamfunction of three plane waves 400-1200 km long, about 15 % of the mean speed, drifting
   slowly). Speeds are 5-20 m/s, i.e. 1.5-6 pixels per frame, mostly towards the east-north-east.
   Everything below is carried by this flow: cell centres by midpoint (RK2) integration, texture
   by semi-Lagrangian back-trajectories, so the motion between frames is the flow and can be
   recovered by optical flow.
2. **Cells and squall lines** (``cells.py``). Cells initiate throughout the event (births spread
   over the 49 frames), clustered around a storm centre carried through the patch centre at the
   middle frame (one in five anywhere). Each has a life cycle sin²(pi s^g) of its life fraction s:
   0 at initiation, growth, a maximum at 30-50 % of its life (maturity), decay, 0 at dissipation;
   its core widens as it matures and its stratiform/anvil shield follows a slower, later copy of
   the curve. Squall lines are chains of elongated cells about 10 km apart lying across the
   flow, stronger in the middle, with stratiform rain trailing behind.
3. **Multi-scale VIL** (``fields.py``). Cores (radius 2.5-7 km, peak up to ~75 kg/m²) inside broad
   shields (radius 8-32 km, 0.2-2.5 kg/m²), times a mean-one log-normal texture from noise
   filtered at 3 and 8 km that moves with the flow. Rendered on a 2 km grid, VIL below 0.07 kg/m²
   dropped (noise floor), encoded with SEVIR's ``encode_vil`` and repeated over 2 x 2 pixels.
   The result is mostly zero with a heavy tail. Over six storm events (measured for 16 seeds) the
   share of pixels at or above each SEVIR threshold is: 16 (0.154 kg/m²) 8-18 %, 74 (0.775)
   3-10 %, 133 (3.53) 0.8-3 %, 160 (7.07) 0.3-1.4 %, 181 (12.1) 0.1-0.55 %, 219 (32.2)
   0.02-0.1 %; 78-90 % of pixels are 0. Tests hold these within slightly wider bands; random
   events are sparser.
4. **Event types** (``styles.py``) tune the physics: Hail/Tornado have long-lived intense cores,
   Thunderstorm Wind fast squall lines, Flash Flood/Heavy Rain slow, wide, long-lived systems;
   'R' random events are scattered and weak.
5. **Metadata** (``events.py``): places in storm-prone regions of the contiguous US with corners
   from SEVIR's Lambert azimuthal equal-area projection, NWS types, 'S'/'R' ids, times in
   2017-2019 spread over Earthformer's train/val/test date splits.

Files and catalog are written by ``writer.write_dataset``; ``engine.data.demo`` builds the demo.
"""
from .cells import Cells, life_cycle
from .events import EventMeta, patch_corners, plan_events
from .fields import Scene, render_kg, render_vil, sample_scene
from .flow import SteeringFlow
from .styles import EVENT_TYPES, STYLES, StormStyle, get_style
from .writer import event_scene, write_dataset

__all__ = [
    "EVENT_TYPES",
    "STYLES",
    "Cells",
    "EventMeta",
    "Scene",
    "SteeringFlow",
    "StormStyle",
    "event_scene",
    "get_style",
    "life_cycle",
    "patch_corners",
    "plan_events",
    "render_kg",
    "render_vil",
    "sample_scene",
    "write_dataset",
]
