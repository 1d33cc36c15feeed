"""The engine's public facade: the only package the app imports.

Functions here take and return plain Python / NumPy values and the engine's typed specs, so
pages never touch torch internals. One module per area; everything is re-exported here, so
``from engine import api; api.storm_events(...)`` works for all of them.
"""
from __future__ import annotations

from . import cuboid, enso, models, scenarios, storms, verification
from .cuboid import *  # noqa: F401,F403
from .enso import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .scenarios import *  # noqa: F401,F403
from .storms import *  # noqa: F401,F403
from .verification import *  # noqa: F401,F403

__all__ = [*cuboid.__all__, *enso.__all__, *storms.__all__, *verification.__all__, *models.__all__, *scenarios.__all__]
