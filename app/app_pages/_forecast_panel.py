"""Forecast panel of the storm explorer: one model's forecast of the next hour beside what happened.

Widgets only choose what to compute; the Run button computes (cached in ``app.services.forecasts``),
never a slider move. The session keeps its last results, so going back to a model, window or
resolution already run shows it at once. Skipped checkpoints are one ``st.warning``; an engine
failure is one ``st.error`` and the rest of the page keeps working.
"""
from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages._verification_panel import start_picker
from app.app_pages._progress import run_and_keep
from app.services import forecasts as services


def _warn_about_skipped_checkpoints() -> None:
    problems = services.catalog_problems()
    if problems:
        st.warning("Skipped checkpoints in the model folders (the other models still work):\n"
                   + "\n".join(f"- {p}" for p in problems), icon=":material/warning:")


def _model_picker() -> str:
    choices = services.forecast_choices()
    if st.session_state.get(state.FORECAST_MODEL) not in choices:
        st.session_state[state.FORECAST_MODEL] = choices[0]  # the Earthformer when one is installed
    return st.selectbox(
        "Model", choices, key=state.FORECAST_MODEL,
        help="Trained checkpoints of the model folders (assets/models/, EFS_MODEL_DIRS, [[models]] in efs.toml), "
             f"Earthformer first, PreDiff sets (the mean of {services.PREDIFF_MEMBERS} unguided members; the Scenario "
             "lab shows the members and knowledge control), or a baseline: persistence (the last frame held), optical_flow (the last frame "
             f"advected along the motion field), steps (the mean of {services.STEPS_MEMBERS} STEPS members).")


def _resolution(model: str, frame: tuple[int, int]) -> int | None:
    """A checkpoint's own pool (said on the page), or the baseline's chosen one; None after an error."""
    if services.is_baseline(model):
        pools = services.baseline_pools(frame)
        if st.session_state.get(state.FORECAST_POOL) not in pools:
            st.session_state[state.FORECAST_POOL] = pools[0]
        return st.radio("Resolution", pools, key=state.FORECAST_POOL, horizontal=True,
                        format_func=lambda p: f"{frame[0] // p} x {frame[1] // p}" + (" (native)" if p == 1 else ""),
                        help="Baselines run at any resolution: pick the trained model's to compare with it.")
    try:
        pool = services.checkpoint_pool(model, frame)
    except ValueError as error:
        st.error(f"Forecast: {error}", icon=":material/error:")
        return None
    note = services.model_note(model)
    st.caption(f"{model} runs at the resolution it was trained at: {services.resolution_text(frame, pool)}."
               + (f" {note}" if note else ""))
    return pool


def _compute(request: tuple) -> None:
    """Run ``request`` with a progress bar; keep the result (bounded) or show one error."""
    run_and_keep(f"Forecasting with {request[2]}…", request,
                 lambda progress: services.run_forecast(request, progress=progress),
                 results_key=state.FORECAST_RESULTS, shown_key=state.FORECAST_SHOWN, kept=services.RESULTS_KEPT,
                 done="Forecast ready", failed="Forecast failed", error_prefix="Forecast failed")


def _show(result, stale: bool) -> None:
    if stale:
        st.info(f"Shown: {result.model} from frame {result.start}. The settings changed: press Run forecast "
                "to compute the forecast they describe.", icon=":material/refresh:")
    player, scores, table = services.forecast_figures(result)
    st.caption(services.result_caption(result))
    st.plotly_chart(player, key="forecast_player", config={"displaylogo": False})
    st.caption("Observed, forecast and forecast − observed, moved together by one slider and ▶ Play; frames are "
               "named by lead time after the last context frame. Red: the forecast has too much VIL, blue: too little.")
    st.plotly_chart(scores, key="forecast_scores", config={"displaylogo": False})
    st.dataframe(table, hide_index=True, key="forecast_table",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns
                                if c != "Lead (min)"})
    st.caption("This event's scores per lead: CSI at the SEVIR VIL thresholds (pixel values; empty when neither "
               "forecast nor observation reaches the threshold) and MSE on the [0, 1] scale.")


def render(name: str, event_id: str, event) -> None:
    """The panel for ``event`` (``StormEvent``) of source ``name``."""
    st.subheader("Forecast")
    st.caption("Forecast the next hour of this event from its previous frames with a trained model or a baseline, "
               "and compare it with what happened.")
    _warn_about_skipped_checkpoints()
    model = _model_picker()
    n_frames, h, w = event.vil.shape
    try:
        starts = services.model_starts(model, n_frames)
    except ValueError as error:
        st.error(f"{model} cannot forecast {event_id}: {error}", icon=":material/error:")
        return
    left, right = st.columns(2)
    start = start_picker(state.FORECAST_START, starts, event.minute_offsets, *services.model_window(model),
                         services.model_step(model), container=left)
    with right:
        pool = _resolution(model, (h, w))
    if pool is None:
        return
    request = services.forecast_request(name, event_id, model, start, pool)
    results = st.session_state.get(state.FORECAST_RESULTS, {})
    if st.button("Run forecast", type="primary", key="forecast_run"):
        _compute(request)
    elif request in results:  # already computed in this session: switch to it, no button needed
        st.session_state[state.FORECAST_SHOWN] = request
    shown = st.session_state.get(state.FORECAST_SHOWN)
    results = st.session_state.get(state.FORECAST_RESULTS, {})
    if shown in results and shown[:2] == (name, event_id):
        _show(results[shown], stale=shown != request)
