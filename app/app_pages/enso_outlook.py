"""ENSO outlook: seasonal SST anomaly forecasts and Nino3.4 skill on ICAR-ENSO (Earthformer, Gao et al., 2022).

Thin page: widgets and layout only; data, forecasts, figures and scores come from
``app.services.enso`` (cached). Any data failure (a missing variable, a wrong grid, NaNs, a SODA
file where CMIP is expected, a label file from another training file, a broken checkpoint) is
one ``st.error`` naming the file and variable; the rest of the app keeps running.
"""
from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages._progress import run_with_progress
from app.services import enso as services

DATA_ERRORS = (ValueError, OSError, RuntimeError)  # bad files, unreadable files, a failing model
MAP_VIEWS = {state.ENSO_MAPS_INPUT: "inputs", state.ENSO_MAPS_FORECAST: "forecast",
             state.ENSO_MAPS_OBSERVED: "observed"}


def _choose(key: str, options: list, default) -> None:
    """Reset ``key`` to ``default`` when its value is not offered (a new source or model)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def source_picker() -> str | None:
    """The data source selector; writes the embedded demo on first use."""
    try:
        names = services.source_names()
    except ValueError as error:
        st.error(f"The data sources are misconfigured: {error}", icon=":material/error:")
        return None
    _choose(state.ENSO_SOURCE, names, names[0])
    name = st.sidebar.selectbox("ENSO data source", names, key=state.ENSO_SOURCE,
                                help="ICAR-ENSO roots configured by whoever runs the app (EFS_ICAR_ENSO_ROOTS or "
                                     "efs.toml). The embedded demo is synthetic ENSO in the ICAR-ENSO format.")
    if services.demo_needs_generating(name):
        ok, _ = run_with_progress("Generating the embedded ENSO demo (first start only)…", services.generate_demo,
                                  done="Demo data ready", failed="The demo data could not be generated",
                                  error_prefix="Demo data", errors=DATA_ERRORS)
        if not ok:
            return None
    return name


def controls(name: str) -> tuple[str, int, str] | None:
    """Climate model, start month and forecaster pickers; None after showing an error."""
    models = services.climate_models(name)
    by_name = {m.name: m for m in models}
    _choose(state.ENSO_CLIMATE_MODEL, list(by_name), services.default_climate_model(models))
    checkpoints, baselines, warning = services.forecasters()
    if warning:
        st.warning(warning, icon=":material/warning:")
    choices = checkpoints + baselines
    _choose(state.ENSO_FORECASTER, choices, choices[0])
    left, middle, right = st.columns([1, 2, 1])
    model = left.selectbox("Climate model", list(by_name), key=state.ENSO_CLIMATE_MODEL,
                           format_func=lambda m: f"{m} ({by_name[m].split})",
                           help="A CMIP model run or the SODA reanalysis. The test model is the one the "
                                "skill below is scored on; the others were seen in training (train) or used "
                                "for model selection (val).")
    starts = services.start_months(by_name[model].months)
    if not starts:
        st.error(f"{model} has {by_name[model].months} months: expected at least 26 for one window.",
                 icon=":material/error:")
        return None
    _choose(state.ENSO_START, starts, starts[len(starts) // 2])
    middle.select_slider("Forecast from", starts, key=state.ENSO_START,
                         format_func=lambda s: services.month_label(s + services.IN_MONTHS),
                         help="The first forecast month; the 12 months before it are the model's input.")
    forecaster = right.selectbox("Forecast model", choices, key=state.ENSO_FORECASTER,
                                 format_func=lambda f: f if f in checkpoints else f"{f} (baseline)",
                                 help="ICAR-ENSO checkpoints of the model catalog, and baselines.")
    if not checkpoints:
        st.info(services.DEMO_MODEL_HINT, icon=":material/info:")
    return model, int(st.session_state[state.ENSO_START]), forecaster


def outlook(name: str, model: str, start: int, forecaster: str) -> None:
    """The Nino3.4 plume and the SST maps of one window."""
    st.subheader("Niño3.4 plume")
    st.plotly_chart(services.plume_figure(name, model, start, forecaster), key="enso_plume",
                    config={"displaylogo": False})
    st.caption("Niño3.4: SST anomaly averaged over 5°S-5°N, 170°W-120°W, as a forward 3-month mean. Above "
               "+0.5 °C is El Niño territory, below -0.5 °C La Niña. Persistence repeats the last input month.")
    st.subheader("SST anomaly maps")
    view = st.radio("Show", state.ENSO_MAP_VIEWS, key=state.ENSO_MAPS, horizontal=True,
                    help="The 12 input months, the 14 forecast months, or the 14 months that were observed.")
    with st.spinner("Drawing maps…"):
        png = services.maps_png(name, model, start, MAP_VIEWS[view], forecaster)
    st.image(png, width="stretch")
    st.caption(f"{view} of {model}; the black box is the Niño3.4 region. Colours are symmetric about 0 °C "
               "and share one scale for the input and observed months of this window.")


def skill_panel(name: str, forecaster: str) -> None:
    st.subheader("Skill over the test split")
    compared = services.skill_forecasters(forecaster)
    st.caption(f"Correlation of forecast and observed Niño3.4 per lead month over every window of the test "
               f"model, for {', '.join(compared)}. C-Nino3.4-M is the mean over leads 1-12, C-Nino3.4-WM "
               "weights long leads more (the Tianchi weights); 0.5 is a common bar for a useful forecast.")
    request = (name, compared)
    if st.button("Compute skill", type="primary", key="enso_skill_button"):
        ok, result = run_with_progress("Scoring the test split…",
                                       lambda progress: services.skill(name, forecaster, progress),
                                       done="Scores ready", failed="Scoring failed",
                                       error_prefix="Skill could not be computed", errors=DATA_ERRORS)
        if not ok:
            st.session_state.pop(state.ENSO_SKILL, None)
            return
        st.session_state[state.ENSO_SKILL] = {"request": request, "skill": result}
    shown = st.session_state.get(state.ENSO_SKILL)
    if shown is None:
        return
    if shown["request"] != request:
        st.info("The source or model changed since these scores were computed: press Compute skill to update.",
                icon=":material/refresh:")
    result = shown["skill"]
    st.dataframe(services.skill_table(result), hide_index=True, key="enso_skill_table")
    st.plotly_chart(services.skill_figure(result), key="enso_skill_chart", config={"displaylogo": False})
    st.caption(f"{result['n_windows']} windows of the {result['split']} split. \"undefined\": climatology "
               "forecasts the same zero anomaly every time, and a constant has no correlation with anything.")


def render() -> None:
    st.title("ENSO outlook")
    st.markdown("Seasonal forecasts of Pacific sea-surface temperature: from 12 months of SST anomaly, forecast "
                "the next 14 months and the Niño3.4 index that defines El Niño and La Niña, then judge the skill "
                "by lead month as in the Earthformer ICAR-ENSO benchmark.")
    name = source_picker()
    if name is None:
        return
    try:
        chosen = controls(name)
        if chosen is None:
            return
        outlook(name, *chosen)
    except DATA_ERRORS as error:
        st.error(f"The ENSO data of {name!r} cannot be used: {error}", icon=":material/error:")
        return
    skill_panel(name, chosen[2])


render()
