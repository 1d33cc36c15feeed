"""Storm explorer: browse SEVIR storm events (Veillette et al., NeurIPS 2020), their footprint and VIL.

Thin page: widgets and layout only; data, figures and maps come from ``app.services.storms``. Every
data failure (a missing or truncated file, an event absent from its file) is one ``st.error``
naming what is wrong; the rest of the page and the other events stay usable.
"""
from __future__ import annotations

import streamlit as st

from app import state
from app.app_pages._progress import run_with_progress
from app.services import storms as services
from app.app_pages import _forecast_panel, _verification_panel

TABLE_COLUMNS = ["id", "event_type", "time_utc", "split", "llcrnrlat", "llcrnrlon", "urcrnrlat", "urcrnrlon",
                 "pct_missing", "file_name"]


def _choose(key: str, options: list) -> None:
    """Reset ``key`` to its default (or the first option) when its value is not offered."""
    if st.session_state.get(key) not in options:
        default = state.DEFAULTS.get(key)
        st.session_state[key] = default if default in options else (options[0] if options else None)


def _on_table_select() -> None:
    rows = st.session_state[state.STORM_TABLE].selection.rows
    ids = st.session_state.get(state.STORM_TABLE_IDS, [])
    if rows and rows[0] < len(ids):
        st.session_state[state.STORM_EVENT] = ids[rows[0]]


def source_picker() -> str | None:
    """The data source selector; generates the embedded demo on first use."""
    try:
        names = services.storm_source_names()
    except ValueError as error:
        st.error(f"The data sources are misconfigured: {error}", icon=":material/error:")
        return None
    _choose(state.STORM_SOURCE, names)
    name = st.sidebar.selectbox(
        "Data source", names, key=state.STORM_SOURCE,
        help="SEVIR roots configured by whoever runs the app (EFS_SEVIR_ROOTS or efs.toml). "
             "The embedded demo is synthetic storms written in SEVIR's own format.",
    )
    if services.demo_needs_generating(name):
        ok, _ = run_with_progress("Generating the embedded demo storms (first start only)…", services.generate_demo,
                                  done="Demo storms ready", failed="The demo data could not be generated",
                                  error_prefix="Demo data", errors=(ValueError, OSError))  # OSError: disk full
        if not ok:
            return None
    return name


def filters(name: str) -> tuple[dict, int] | None:
    """Filter widgets in the sidebar; returns (arguments of ``services.storm_events``, event count)."""
    overview = services.storm_overview(name)
    if not overview["count"]:
        st.warning(f"The source {name!r} lists no usable VIL events.", icon=":material/warning:")
        return None
    first, last = overview["first"], overview["last"]
    dates = st.session_state.get(state.STORM_DATES)
    if not dates or len(dates) != 2 or not all(first <= d <= last for d in dates):
        st.session_state[state.STORM_DATES] = (first, last)
    types = [state.ALL, *overview["event_types"]]
    regions = [state.ANYWHERE, *services.NAMED_REGIONS, *services.US_STATES]
    splits = [state.ALL, *services.STORM_SPLITS]
    for key, options in ((state.STORM_TYPE, types), (state.STORM_REGION, regions), (state.STORM_SPLIT, splits)):
        _choose(key, options)
    with st.sidebar:
        st.header("Filter events")
        st.selectbox("Event type", types, key=state.STORM_TYPE, help="NWS Storm Events type of the event.")
        st.date_input("Dates (UTC)", min_value=first, max_value=last, key=state.STORM_DATES,
                      help="Inclusive range of the event's time_utc.")
        st.selectbox("Region or state", regions, key=state.STORM_REGION,
                     help="Keeps events whose footprint overlaps the region's latitude/longitude box.")
        st.selectbox("Split", splits, key=state.STORM_SPLIT,
                     help="Earthformer's date split: train ≤ 2019-01-01 < val ≤ 2019-06-01 < test.")
    chosen = st.session_state[state.STORM_DATES]
    start, end = (chosen if len(chosen) == 2 else (first, last))  # mid-pick: one date chosen so far
    pick = {k: None if st.session_state[k] in (state.ALL, state.ANYWHERE) else st.session_state[k]
            for k in (state.STORM_TYPE, state.STORM_REGION, state.STORM_SPLIT)}
    return {"event_type": pick[state.STORM_TYPE], "start": start, "end": end,
            "region": pick[state.STORM_REGION], "split": pick[state.STORM_SPLIT]}, overview["count"]


def event_table(name: str, chosen: dict, total: int):
    table = services.storm_events(name, **chosen)
    st.subheader("Events")
    st.caption(f"{len(table)} of {total} events match. Click a row, or pick an event below.")
    shown = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    st.session_state[state.STORM_TABLE_IDS] = list(shown["id"])
    st.dataframe(
        shown, hide_index=True, height=240, key=state.STORM_TABLE, on_select=_on_table_select,
        selection_mode="single-row",
        column_config={
            "id": "Event", "event_type": "Type", "split": "Split",
            "time_utc": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm"),
            "llcrnrlat": st.column_config.NumberColumn("Lat ↙", format="%.2f"),
            "llcrnrlon": st.column_config.NumberColumn("Lon ↙", format="%.2f"),
            "urcrnrlat": st.column_config.NumberColumn("Lat ↗", format="%.2f"),
            "urcrnrlon": st.column_config.NumberColumn("Lon ↗", format="%.2f"),
            "pct_missing": st.column_config.NumberColumn("Missing %", format="%.1f"),
            "file_name": "File",
        },
    )
    return table


def event_view(name: str, table) -> None:
    ids = list(table["id"])
    if not ids:
        st.info("No event matches these filters.", icon=":material/filter_alt_off:")
        return
    _choose(state.STORM_EVENT, ids)
    event_id = st.selectbox("Event", ids, key=state.STORM_EVENT)
    row = table[table["id"] == event_id].iloc[0]
    try:
        with st.spinner(f"Reading {event_id}…"):
            event = services.storm_event(name, event_id)
            stats_fig, summary = services.frame_stats(name, event_id)
            player = services.vil_player(name, event_id, st.session_state[state.STORM_DOWNSAMPLE])
    except ValueError as error:  # StormDataError and any other bad-data message from the engine
        st.error(f"Event {event_id} cannot be shown: {error}", icon=":material/error:")
        return

    st.subheader(f"{event_id} · {event.event_type or 'random event'} · {event.time_utc:%Y-%m-%d %H:%M} UTC")
    left, right = st.columns([3, 2], gap="large")
    try:  # a bad projection or corners only cost the map; the movie and statistics still show
        left.image(services.footprint_png(name, event_id),
                   caption="Footprint (red) on the contiguous US, with the event's maximum VIL inside it. "
                           "Natural Earth coastlines, lakes, borders and state lines.")
    except ValueError as error:
        left.error(f"The map of {event_id} cannot be drawn: {error}", icon=":material/error:")
    with right:
        lat0, lon0, lat1, lon1 = event.corners
        st.markdown(
            f"- **Split:** {row['split']}\n- **Frames:** {event.vil.shape[0]} × {event.vil.shape[1]} × "
            f"{event.vil.shape[2]} px (1 km each), {int(event.minute_offsets[0]):+d} to "
            f"{int(event.minute_offsets[-1]):+d} min\n- **Corners:** ({lat0:.2f}°, {lon0:.2f}°) to "
            f"({lat1:.2f}°, {lon1:.2f}°)\n- **File:** `{row['file_name']}`"
        )
        st.metric("Peak VIL", f"{summary['max_vil_kg_m2']:.3g} kg/m²",
                  help=f"Largest pixel of the event, reached at {summary['max_vil_minute']:+d} min.")
        strong = services.VIL_THRESHOLDS[2]  # 133 = 3.53 kg/m²: heavy precipitation
        st.metric(f"Largest area ≥ {strong} ({services.threshold_kg_m2()[strong]:.3g} kg/m²)",
                  f"{summary['max_area_km2'][strong]:,.0f} km²")

    st.subheader("VIL animation")
    st.toggle("Downsample 2x for a lighter animation", key=state.STORM_DOWNSAMPLE,
              help="Max-pools 2 x 2 pixels (storm cores stay), cutting what the browser loads 4x.")
    st.plotly_chart(player, key="storm_player", config={"displaylogo": False})
    st.caption("Press ▶ Play or drag the slider; times are minutes from the event's time_utc. "
               "Colours: the standard SEVIR VIL table; the colour bar marks the verification thresholds.")
    st.subheader("Frame statistics")
    st.plotly_chart(stats_fig, key="storm_stats", config={"displaylogo": False})
    st.caption("Area at or above each VIL threshold in each frame (1 pixel = 1 km²), and the frame maximum.")
    if _verification_panel.event_starts(event_id, event) is None:  # too short: one error for both panels
        return
    _forecast_panel.render(name, event_id, event)
    _verification_panel.render(name, event_id, event)


def render() -> None:
    st.title("Storm explorer")
    st.markdown(
        "Browse storm events in SEVIR's format: 4-hour radar movies of vertically integrated liquid "
        "(VIL) on 384 km × 384 km patches over the contiguous US. Filter the catalog, pick an event, "
        "see where it was, play it, and follow how much area each intensity covers."
    )
    name = source_picker()
    if name is None:
        return
    try:
        chosen = filters(name)
        if chosen is None:
            return
        table = event_table(name, *chosen)
    except ValueError as error:  # catalog problems: missing root, missing column, bad values
        st.error(f"The catalog of {name!r} cannot be read: {error}", icon=":material/error:")
        return
    event_view(name, table)


render()
