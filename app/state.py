"""Session-state keys and their defaults, in one place.

Widgets are created with ``key=`` one of the names below and no ``value=``: their starting
value comes from :data:`DEFAULTS` through :func:`init`, so a default is written once.
"""
from __future__ import annotations

from typing import Any, Iterable

import streamlit as st

# ----------------------------------------------------------------------------- cuboid attention page
MODE_PAPER, MODE_PATTERN, MODE_CUSTOM = "Paper illustration", "Named pattern", "Custom"
CUBOID_MODES = (MODE_PAPER, MODE_PATTERN, MODE_CUSTOM)
ALL_LAYERS = -1  # value of the layer selector that shows every layer side by side

CUBOID_MODE = "cuboid_mode"
SHAPE = ("shape_t", "shape_h", "shape_w")
PATTERN = "pattern"
PATTERN_LAYER = "pattern_layer"
CUSTOM_CUBOID = ("custom_cuboid_t", "custom_cuboid_h", "custom_cuboid_w")
CUSTOM_STRATEGY = ("custom_strategy_t", "custom_strategy_h", "custom_strategy_w")
CUSTOM_SHIFT = ("custom_shift_t", "custom_shift_h", "custom_shift_w")
PADDING_TYPE = "padding_type"
NUM_GLOBAL_VECTORS = "num_global_vectors"
SHOW_QUERY = "show_query"
QUERY = ("query_t", "query_h", "query_w")

CUBOID_DEFAULTS: dict[str, Any] = {
    CUBOID_MODE: MODE_PAPER,  # a teacher opening the page sees the paper's figure first
    **dict(zip(SHAPE, (6, 4, 4))),
    PATTERN: "axial",
    PATTERN_LAYER: ALL_LAYERS,
    **dict(zip(CUSTOM_CUBOID, (3, 2, 2))),
    **dict(zip(CUSTOM_STRATEGY, ("local", "local", "local"))),
    **dict(zip(CUSTOM_SHIFT, (0, 0, 0))),
    PADDING_TYPE: "zeros",
    NUM_GLOBAL_VECTORS: 0,
    SHOW_QUERY: False,
    **dict(zip(QUERY, (2, 1, 1))),  # sees a full 12-element cuboid in all three paper layers
}

# ----------------------------------------------------------------------------- storm explorer page
ALL = "All"  # value of a filter that keeps every event
ANYWHERE = "Anywhere in the contiguous US"
DEMO_SOURCE = "Embedded demo"  # the engine lists it first; the page falls back to the first source

STORM_SOURCE = "storm_source"
STORM_TYPE = "storm_event_type"
STORM_DATES = "storm_dates"  # (start, end) inclusive; None = the source's whole span
STORM_REGION = "storm_region"
STORM_SPLIT = "storm_split"
STORM_EVENT = "storm_event_id"
STORM_TABLE = "storm_table"  # st.dataframe selection (not a default: Streamlit owns its state)
STORM_TABLE_IDS = "storm_table_ids"  # ids of the rows the table shows, for its selection callback
STORM_DOWNSAMPLE = "storm_downsample"

STORM_DEFAULTS: dict[str, Any] = {
    STORM_SOURCE: DEMO_SOURCE,
    STORM_TYPE: ALL,
    STORM_DATES: None,
    STORM_REGION: ANYWHERE,
    STORM_SPLIT: ALL,
    STORM_EVENT: None,
    STORM_DOWNSAMPLE: True,  # 2x max-pooling: a 4x lighter animation, storm cores kept
}

# ----------------------------------------------------------------------------- verification panel
VERIFY_THIS_EVENT, VERIFY_TEST_SPLIT = "This event", "Test split"
VERIFY_MODES = (VERIFY_THIS_EVENT, VERIFY_TEST_SPLIT)

VERIFY_MODE = "verify_mode"
VERIFY_START = "verify_start"  # first frame of the 13 + 12 window; None = the event's middle window
VERIFY_POOL = "verify_pool"
VERIFY_MODELS = "verify_models"
VERIFY_MEMBERS = "verify_members"
VERIFY_LIMIT = "verify_limit"
VERIFY_RESULT = "verify_result"  # {"request": ..., "scores": ...} of the last Compute (not a default)

VERIFY_DEFAULTS: dict[str, Any] = {
    VERIFY_MODE: VERIFY_THIS_EVENT,
    VERIFY_START: None,
    VERIFY_POOL: 4,  # 96 x 96 from SEVIR's 384: the demo models' resolution
    VERIFY_MODELS: ["persistence", "optical_flow"],  # fast; STEPS only when chosen
    VERIFY_MEMBERS: 4,
    VERIFY_LIMIT: 6,  # windows: well under a minute with persistence + optical flow on 2 cores
}

# ----------------------------------------------------------------------------- forecast panel (storm explorer)
FORECAST_MODEL = "forecast_model"  # a catalog label or a baseline name; None = the first offered (Earthformer)
FORECAST_START = "forecast_start"  # first frame of the model's window; None = the event's middle window
FORECAST_POOL = "forecast_pool"  # baselines only: a checkpoint runs at the resolution it was trained at
FORECAST_RESULTS = "forecast_results"  # {request: result} of this session's runs, newest last (not a default)
FORECAST_SHOWN = "forecast_shown"  # request of the result on screen (not a default)

FORECAST_DEFAULTS: dict[str, Any] = {
    FORECAST_MODEL: None,
    FORECAST_START: None,
    FORECAST_POOL: 4,  # 96 x 96 from SEVIR's 384: the demo Earthformer's resolution, so results compare
}

# ----------------------------------------------------------------------------- ENSO outlook page
ENSO_MAPS_INPUT, ENSO_MAPS_FORECAST, ENSO_MAPS_OBSERVED = "Input months", "Forecast", "Observed"
ENSO_MAP_VIEWS = (ENSO_MAPS_INPUT, ENSO_MAPS_FORECAST, ENSO_MAPS_OBSERVED)

ENSO_SOURCE = "enso_source"
ENSO_CLIMATE_MODEL = "enso_climate_model"  # None = the source's test model
ENSO_START = "enso_start"  # first input month of the 12 + 14 window; None = the middle window
ENSO_FORECASTER = "enso_forecaster"  # catalog label or baseline; None = the first checkpoint, else persistence
ENSO_MAPS = "enso_maps"
ENSO_SKILL = "enso_skill"  # {"request": ..., "skill": ...} of the last skill run (not a default)

ENSO_DEFAULTS: dict[str, Any] = {
    ENSO_SOURCE: DEMO_SOURCE,
    ENSO_CLIMATE_MODEL: None,
    ENSO_START: None,
    ENSO_FORECASTER: None,
    ENSO_MAPS: ENSO_MAPS_FORECAST,  # one map set per run: each costs about 2 s to draw
}

# ----------------------------------------------------------------------------- scenario lab page
SCENARIO_FORECAST, SCENARIO_HINDCAST = "forecast", "hindcast"  # where mu comes from (engine mode names)

SCENARIO_SET = "scenario_set"  # label of a PreDiff set; None = the first listed
SCENARIO_SOURCE = "scenario_source"
SCENARIO_EVENT = "scenario_event"  # None = the first test-split storm event
SCENARIO_START = "scenario_start"  # first context frame; None = the event's middle window
SCENARIO_MEMBERS = "scenario_members"
SCENARIO_CONTROL = "scenario_control"  # knowledge control on/off
SCENARIO_N = "scenario_n"  # strength n in sigma units, -4..4
SCENARIO_MODE = "scenario_mode"
SCENARIO_DETERMINISTIC = "scenario_deterministic"  # label of the Earthformer beside the ensemble; None = the first
SCENARIO_STEPS = "scenario_steps"
SCENARIO_SEED = "scenario_seed"
SCENARIO_THRESHOLD = "scenario_threshold"  # VIL pixel threshold of the probability map
SCENARIO_RESULTS = "scenario_results"  # {request: Scenario} of this session's runs, newest last (not a default)
SCENARIO_SHOWN = "scenario_shown"  # request of the ensemble on screen (not a default)

SCENARIO_DEFAULTS: dict[str, Any] = {
    SCENARIO_SET: None,
    SCENARIO_SOURCE: DEMO_SOURCE,
    SCENARIO_EVENT: None,
    SCENARIO_START: None,
    SCENARIO_MEMBERS: 8,  # the benchmark's ensemble size
    SCENARIO_CONTROL: True,
    SCENARIO_N: 0.0,
    SCENARIO_MODE: SCENARIO_FORECAST,  # no peeking at the future unless asked
    SCENARIO_DETERMINISTIC: None,
    SCENARIO_STEPS: 20,  # the default sampler (DDIM, eta = 1): 50x fewer network calls than 1000-step DDPM
    SCENARIO_SEED: 0,
    SCENARIO_THRESHOLD: 74,  # 74 = 0.99 kg/m2: moderate precipitation
}

DEFAULTS: dict[str, Any] = {**CUBOID_DEFAULTS, **STORM_DEFAULTS, **VERIFY_DEFAULTS, **FORECAST_DEFAULTS,
                             **ENSO_DEFAULTS, **SCENARIO_DEFAULTS}


def init() -> None:
    """Fill in missing defaults and keep widget values alive across pages.

    Streamlit drops the state of a widget that is not drawn in a run (another page, or a
    control hidden by the current mode). Re-assigning the value marks it as user state, which
    survives, so a control keeps its value when it reappears.
    """
    for key, value in DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, value)


def reset(keys: Iterable[str]) -> None:
    """Put ``keys`` back to their defaults (use from an ``on_click`` callback)."""
    for key in keys:
        st.session_state[key] = DEFAULTS[key]


def clamp(key: str, low: int, high: int) -> int:
    """Keep an integer widget value inside [low, high] before the widget is drawn."""
    value = min(max(int(st.session_state[key]), low), high)
    st.session_state[key] = value
    return value


def values(keys: Iterable[str]) -> tuple[Any, ...]:
    """Current values of several keys, e.g. a (T, H, W) triple."""
    return tuple(st.session_state[k] for k in keys)
