"""Scenario lab: PreDiff ensembles of a storm's next hour, steered by knowledge control (Gao et al., NeurIPS 2023).

Thin page: widgets only choose what to compute; the Run button samples (cached in
``app.services.scenarios``), never a slider move. The session keeps its last ensembles, so moving
back to settings already run, or changing the threshold, shows results at once. Bad input (n
outside [-4, 4], an ensemble size of 0 or too large for memory, a mismatched set) is one
``st.error``; the rest of the page keeps working.
"""
from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages._progress import run_and_keep
from app.services import scenarios as services
from app.services import storms

TRAIN_HINT = (
    "No PreDiff set was found in the model folders (`assets/models/`, `EFS_MODEL_DIRS`, `[[models]]` in efs.toml). "
    "A set is a directory with `prediff.json` and the checkpoints `autoencoder/`, `denoiser/` and `alignment/`. "
    "Train the demo set on this CPU with the commands in the README (section *Scenario lab*); it lands in "
    "`assets/models/prediff_demo/`. Check the sampling speed meanwhile with `python -m engine bench prediff`."
)


def _choose(key: str, options: list, fallback=None) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = fallback if fallback in options else (options[0] if options else None)


def _set_picker() -> str | None:
    sets, problems = services.scenario_sets()
    if problems:
        st.warning("Skipped PreDiff sets (the others still work):\n" + "\n".join(f"- {p}" for p in problems),
                   icon=":material/warning:")
    if not sets:
        st.info(TRAIN_HINT, icon=":material/model_training:")
        return None
    labels = [s.label for s in sets]
    _choose(state.SCENARIO_SET, labels)
    label = st.sidebar.selectbox("PreDiff set", labels, key=state.SCENARIO_SET,
                                 help="PreDiff checkpoint sets of the model folders (autoencoder, denoiser, alignment).")
    entry = services.scenario_set(label)
    st.caption(f"Set **{label}**: {entry.context_frames} observed frames → {entry.target_frames} future frames of "
               f"{entry.frame_shape[0]} × {entry.frame_shape[1]} px; σ of the future average intensity over the "
               f"training split = {255 * entry.sigma:.1f} (pixel units). {entry.description}")
    return label


def _event_picker(label: str):
    """(source, event_id, event) chosen in the sidebar, or None after a message."""
    try:
        names = storms.storm_source_names()
    except ValueError as error:
        st.error(f"The data sources are misconfigured: {error}", icon=":material/error:")
        return None
    _choose(state.SCENARIO_SOURCE, names, state.DEMO_SOURCE)
    source = st.sidebar.selectbox("Data source", names, key=state.SCENARIO_SOURCE)
    if storms.demo_needs_generating(source):
        st.info("The embedded demo storms are not generated yet: open the Storm explorer once (about a minute).",
                icon=":material/hourglass_top:")
        return None
    try:
        table = storms.storm_events(source)
    except ValueError as error:
        st.error(f"The catalog of {source!r} cannot be read: {error}", icon=":material/error:")
        return None
    if table.empty:
        st.warning(f"The source {source!r} lists no usable VIL events.", icon=":material/warning:")
        return None
    ids, labels = services.event_choices(table)
    _choose(state.SCENARIO_EVENT, ids)
    event_id = st.sidebar.selectbox("Storm event", ids, key=state.SCENARIO_EVENT, format_func=labels.get)
    try:
        event = storms.storm_event(source, event_id)
    except ValueError as error:
        st.error(f"Event {event_id} cannot be read: {error}", icon=":material/error:")
        return None
    return source, event_id, event


def _controls(label: str, event) -> tuple | None:
    """The ensemble's settings (start, members, steps, seed, n, mode, deterministic model), or None after a message."""
    n_frames, h, w = event.vil.shape
    try:
        services.set_pool(label, (h, w))
        starts = services.window_starts(label, n_frames)
    except ValueError as error:
        st.error(f"Scenario: {error}", icon=":material/error:")
        return None
    _choose(state.SCENARIO_START, starts, starts[len(starts) // 2])
    offsets = event.minute_offsets
    left, middle, right = st.columns(3)
    start = left.select_slider("Start frame", starts, key=state.SCENARIO_START,
                               format_func=lambda s: f"{s} ({int(offsets[s]):+d} min)",
                               help="First observed frame; the ensemble forecasts what follows the observed frames.")
    members = middle.number_input("Ensemble size", min_value=0, max_value=4096, step=1, key=state.SCENARIO_MEMBERS,
                                  help="Members sampled in one batched call (more cost proportionally more time).")
    control = right.toggle("Knowledge control", key=state.SCENARIO_CONTROL,
                           help="Steer every member toward a future average intensity F0 = μ + n σ.")
    n_sigma = None
    mode = st.session_state[state.SCENARIO_MODE]
    if control:
        value = st.session_state.get(state.SCENARIO_N)
        if not isinstance(value, (int, float)) or not services.N_RANGE[0] <= value <= services.N_RANGE[1]:
            st.error(f"n: expected a value in [-4, 4], got {value}; it was reset to 0.", icon=":material/error:")
            st.session_state[state.SCENARIO_N] = 0.0
        a, b = st.columns([2, 1])
        n_sigma = a.slider("Intensity shift n (in σ)", -4.0, 4.0, step=0.5, key=state.SCENARIO_N,
                           help="0: as intense as anticipated; +2: two standard deviations more intense (rarer).")
        mode = b.radio("μ from", [state.SCENARIO_FORECAST, state.SCENARIO_HINDCAST], key=state.SCENARIO_MODE,
                       format_func=lambda m: {"forecast": "Forecast (deterministic model)",
                                              "hindcast": "Hindcast (observed future)"}[m],
                       help="Forecast: μ is the deterministic forecast's average intensity (usable in real time). "
                            "Hindcast: μ is what was observed (the paper's evaluation; not a forecast).")
    deterministic = None
    labels = services.earthformer_labels(label)
    if len(labels) > 1:  # a choice only when there is one
        _choose(state.SCENARIO_DETERMINISTIC, labels)
        deterministic = st.selectbox(
            "Deterministic forecast", labels, key=state.SCENARIO_DETERMINISTIC,
            help="The Earthformer shown beside the members; in forecast mode its average intensity is μ.")
    with st.expander("Sampler"):
        s1, s2 = st.columns(2)
        steps = s1.number_input("Denoising steps (DDIM, η = 1)", min_value=1, max_value=1000, key=state.SCENARIO_STEPS)
        seed = s2.number_input("Seed", min_value=0, max_value=2**31 - 1, key=state.SCENARIO_SEED)
    return start, int(members), int(steps), int(seed), n_sigma, mode, deterministic


def _compute(request: tuple) -> None:
    run_and_keep(f"Sampling {request[4]} futures…", request,
                 lambda progress: services.run_scenario(request, progress=progress),
                 results_key=state.SCENARIO_RESULTS, shown_key=state.SCENARIO_SHOWN, kept=services.RESULTS_KEPT,
                 done=f"{request[4]} futures ready", failed="Sampling failed", error_prefix="Scenario")


def _headline(scenario) -> None:
    s = services.summary(scenario)
    cols = st.columns(4)
    if s["target_px"] is not None:
        source = scenario.deterministic_name if scenario.result.mode == "forecast" else "observed future"
        cols[0].metric("Target F0 = μ + nσ", f"{s['target_px']:.1f}",
                       help=f"μ = {s['mu_px']:.1f} from the {source} ({s['mu_source']}), σ = {s['sigma_px']:.1f}, "
                            f"n = {scenario.result.n_sigma:+g}; average VIL in pixel units (0–255). A target below 0 "
                            "is clipped to 0: an average intensity cannot be negative.")
        cols[1].metric("P(at least F0) in training", f"{100 * s['exceedance']:.1f} %",
                       help="Share of training-split futures whose average intensity is at least F0.")
    else:
        cols[0].metric("Knowledge control", "off")
    cols[2].metric("Achieved mean", f"{s['achieved_px']:.1f}", help="Average over members, frames and pixels.")
    crps, name = s["scores"]["PreDiff"]["CRPS"], scenario.deterministic_name
    cols[3].metric("CRPS (PreDiff)", f"{crps:.4f}", help=f"[0, 1] scale. MAE of the ensemble mean: "
                   f"{s['scores']['PreDiff']['MAE']:.4f}; MAE of {name}: {s['scores'][name]['MAE']:.4f} "
                   "(the CRPS of a deterministic forecast).")
    mode = "hindcast: μ from the observed future" if scenario.result.mode == "hindcast" else "forecast"
    st.caption(f"{s['members']} members in {s['seconds']:.1f} s ({s['network_calls']} batched network calls), "
               f"{mode}. Frames at {scenario.pool} km per pixel.")
    top = s["training_max_px"]
    if s["target_px"] is not None and top is not None and s["target_px"] > top:
        st.info(f"F0 = {s['target_px']:.1f} is beyond every future in this set's training data (the most intense "
                f"averages {top:.1f}). The networks learned nothing that intense, so expect the members to stop "
                f"short of F0, near {top:.1f} at most.", icon=":material/trending_up:")


def _show(scenario, stale: bool) -> None:
    if stale:
        st.info("Shown: an earlier ensemble. The settings changed: press **Run ensemble** to sample the one they "
                "describe.", icon=":material/refresh:")
    _headline(scenario)
    st.plotly_chart(services.members_figure(scenario), key="scenario_members_chart", config={"displaylogo": False})
    shown = min(services.MEMBERS_SHOWN, scenario.result.frames.shape[0])
    st.caption(f"Observed future, {scenario.deterministic_name} and the first {shown} members, moved together by "
               "one slider and ▶ Play; lead times after the last observed frame.")
    st.subheader("Ensemble mean and probability of exceedance")
    thresholds = list(storms.VIL_THRESHOLDS)
    _choose(state.SCENARIO_THRESHOLD, thresholds, state.DEFAULTS[state.SCENARIO_THRESHOLD])
    threshold = st.select_slider("VIL threshold (pixel value)", thresholds, key=state.SCENARIO_THRESHOLD,
                                 format_func=lambda t: f"{t} ({storms.threshold_kg_m2()[t]:.2g} kg/m²)",
                                 help="Changing it recomputes the map from the members already sampled.")
    st.plotly_chart(services.probability_figure(scenario, threshold), key="scenario_probability_chart",
                    config={"displaylogo": False})
    st.subheader("Average intensity of each member")
    st.plotly_chart(services.intensity_figure(scenario), key="scenario_intensity_chart", config={"displaylogo": False})
    st.caption("Each line is one member's frame-average VIL; the orange band is the target F0 ± 0.5σ.")


def render() -> None:
    st.title("Scenario lab")
    st.markdown(
        "Sample many plausible next hours of a storm with **PreDiff**, a latent diffusion model, and ask "
        "*what if this storm turns more (or less) intense?* Knowledge control steers every member toward an "
        "average intensity **n standard deviations** above or below the anticipated one."
    )
    label = _set_picker()
    if label is None:
        return
    picked = _event_picker(label)
    if picked is None:
        return
    source, event_id, event = picked
    settings = _controls(label, event)
    if settings is None:
        return
    request = services.scenario_request(label, source, event_id, *settings)
    results = st.session_state.get(state.SCENARIO_RESULTS, {})
    if st.button("Run ensemble", type="primary", key="scenario_run"):
        _compute(request)
    elif request in results:  # computed before in this session: show it, no sampling
        st.session_state[state.SCENARIO_SHOWN] = request
    shown = st.session_state.get(state.SCENARIO_SHOWN)
    results = st.session_state.get(state.SCENARIO_RESULTS, {})
    if shown in results and shown[:3] == (label, source, event_id):
        _show(results[shown], stale=shown != request)


render()
