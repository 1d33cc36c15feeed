"""Verification panel of the storm explorer: baselines and trained models scored side by side.

Widgets only choose what to compute; the heavy work runs on the Compute button and is cached
in ``app.services.verification`` (a slider move never recomputes). The last result stays in session state,
so it stays shown while other widgets change. An engine failure is one ``st.error``.
"""
from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages._progress import run_with_progress
from app.services import verification as services


def _keep(key: str, options: list, default) -> None:
    """Drop chosen values that are no longer offered (a multiselect) or reset a single choice."""
    value = st.session_state.get(key)
    if isinstance(value, list):
        st.session_state[key] = [v for v in value if v in options]
    elif value not in options:
        st.session_state[key] = default


def _model_picker() -> list[str]:
    baselines, trained = services.verification_baselines(), services.trained_models()
    _keep(state.VERIFY_MODELS, baselines + trained, None)
    chosen = st.multiselect("Models", baselines + trained, key=state.VERIFY_MODELS,
                            help="Baselines (persistence, optical flow, the STEPS ensemble) and the trained "
                                 "checkpoints of the model folders (assets/models/, EFS_MODEL_DIRS, [[models]] in "
                                 "efs.toml).")
    if not trained:
        st.caption("No trained models in the model folders yet: the comparison covers the baselines.")
    st.number_input("STEPS members", min_value=1, max_value=32, key=state.VERIFY_MEMBERS,
                    disabled=not any(m in services.ENSEMBLE_MODELS for m in chosen),
                    help="Ensemble size of STEPS; its CRPS and spread come from these members.")
    return chosen


def event_starts(event_id: str, event) -> list[int] | None:
    """First frames of the event's 13 + 12 windows, or None after one ``st.error`` (too short)."""
    try:
        return services.window_starts(event.vil.shape[0])
    except ValueError as error:
        st.error(f"Event {event_id} cannot be forecast or verified: {error}", icon=":material/error:")
        return None


def start_picker(key: str, starts: list[int], offsets, t_in: int = services.VERIFY_T_IN,
                 t_out: int = services.VERIFY_T_OUT, step: int = 1, container=st) -> int:
    """The "Forecast start" slider over ``starts`` (the middle window by default), labelled by the
    time of the last context frame; shared by the forecast and verification panels. ``step``: the
    model's frame step (2 for SEVIR-LR's 10-minute frames)."""
    _keep(key, starts, starts[len(starts) // 2])
    last = (t_in - 1) * step
    container.select_slider(
        "Forecast start", starts, key=key, format_func=lambda s: f"{int(offsets[s + last]):+d} min",
        help=f"Time of the last of {t_in} context frames; the next {t_out} frames "
             f"(up to {5 * step * t_out} min ahead) are forecast and scored.")
    return st.session_state[key]


def _event_request(name: str, event_id: str, event) -> tuple | None:
    """Window and resolution widgets; returns the request tuple of ``services.verify_event``."""
    starts = event_starts(event_id, event)
    if starts is None:
        return None
    h, w = event.vil.shape[1:]
    pools = [p for p in services.VERIFY_POOLS if h % p == 0 and w % p == 0]
    _keep(state.VERIFY_POOL, pools, pools[0])
    left, right = st.columns(2)
    start_picker(state.VERIFY_START, starts, event.minute_offsets, container=left)
    right.radio("Resolution", pools, key=state.VERIFY_POOL, horizontal=True,
                format_func=lambda p: f"{h // p} x {w // p}" + (" (native)" if p == 1 else f" (max-pooled by {p})"))
    return ("event", name, event_id, st.session_state[state.VERIFY_START], st.session_state[state.VERIFY_POOL])


def _compute(request: tuple, models: list[str], members: int) -> None:
    """Run the request with a progress indicator; store the result or show one error."""
    def work(progress) -> tuple[dict, str]:
        if request[0] == "event":
            _, name, event_id, start, pool = request
            scores = services.verify_event(name, event_id, models, start, pool, members, progress=progress)
            frames = "native frames" if pool == 1 else f"frames max-pooled by {pool}"
            return scores, f"{event_id}, the window from frame {start} to {start + 24}, {frames}"
        _, name, limit = request
        report = services.verify_split(name, models, limit, members, progress=progress)
        return report["models"], (f"{report['n_windows']} test windows of {name!r}, "
                                   f"{report['frame'][0]} x {report['frame'][1]} px")

    ok, outcome = run_with_progress("Computing forecasts and scores…", work, done="Scores ready",
                                    failed="Verification failed", error_prefix="Verification failed")
    if not ok:
        st.session_state.pop(state.VERIFY_RESULT, None)
        return
    scores, caption = outcome
    used = members if any(m in services.ENSEMBLE_MODELS for m in models) else None
    st.session_state[state.VERIFY_RESULT] = {"request": (request, tuple(models), used), "caption": caption,
                                             "scores": scores}


def _show(result: dict, current: tuple) -> None:
    if result["request"] != current:
        st.info("The settings changed since these scores were computed: press Compute to update them.",
                icon=":material/refresh:")
    scores = result["scores"]
    st.caption(f"Scores of {result['caption']}. CSI at the SEVIR VIL thresholds (pixel values 0-255); "
               "MSE and MAE on the [0, 1] scale; CRPS for ensembles.")
    table = services.verification_table(scores)
    st.dataframe(table, hide_index=True, key="verify_table",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns if c != "Model"})
    by_threshold, by_lead, bars = services.verification_figures(scores)
    st.plotly_chart(by_threshold, key="verify_csi_by_lead", config={"displaylogo": False})
    st.caption("CSI per lead time, one panel per VIL threshold (1 is a perfect forecast, 0 no hit at all).")
    left, right = st.columns(2)
    left.plotly_chart(by_lead, key="verify_lead_summary", config={"displaylogo": False})
    left.caption("CSI-M (mean CSI over the thresholds) and MSE per lead time.")
    right.plotly_chart(bars, key="verify_bars", config={"displaylogo": False})
    right.caption("Scores over all 12 leads per threshold. BIAS 1 means as many forecast as observed pixels.")


def render(name: str, event_id: str, event) -> None:
    """The panel for ``event`` (``StormEvent``) of source ``name``."""
    st.subheader("Verification")
    st.caption("Forecast the next hour from 13 frames with each model and score it against what happened: "
               "CSI / POD / SUCR / BIAS at the SEVIR thresholds, per lead time, as in the Earthformer tables.")
    mode = st.radio("Verify on", state.VERIFY_MODES, key=state.VERIFY_MODE, horizontal=True)
    models = _model_picker()
    if mode == state.VERIFY_THIS_EVENT:
        request = _event_request(name, event_id, event)
        if request is None:
            return
    else:
        st.number_input("Test windows", min_value=1, max_value=200, key=state.VERIFY_LIMIT,
                        help="The first windows of the test split, at native resolution (or the trained models' one); "
                             "STEPS is slow on 384 x 384 frames.")
        request = ("split", name, st.session_state[state.VERIFY_LIMIT])
    members = int(st.session_state[state.VERIFY_MEMBERS])
    members_used = members if any(m in services.ENSEMBLE_MODELS for m in models) else None
    if st.button("Compute", type="primary", key="verify_compute", disabled=not models):
        _compute(request, models, members)
    result = st.session_state.get(state.VERIFY_RESULT)
    if result is not None:
        _show(result, (request, tuple(models), members_used))
