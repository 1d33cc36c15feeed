"""Cuboid attention: a classroom view of Earthformer's cuboid decomposition (Gao et al. 2022, Sec. 3).

Thin page: widgets and layout only; every number and figure comes from ``app.services.cuboid``.
"""
from __future__ import annotations

import math

import streamlit as st

from app import state
from app.services import cuboid as services

AXES = ("T", "H", "W")
SHAPE_MAX = 24  # per axis; the product is capped separately by services.MAX_ELEMENTS
SIZE_MAX = 32  # custom cuboid size / shift inputs
GLOBAL_MAX = 8
VIEWS_PER_ROW = 3
PAPER_LABEL = "paper Fig. 2"


def _reset_to_paper() -> None:
    state.reset(state.CUBOID_DEFAULTS)


def _triple_inputs(label: str, name: str, keys: tuple[str, ...], low: int, high: int, help: str) -> tuple[int, int, int]:
    st.markdown(f"**{label}**", help=help)
    for col, axis, key in zip(st.columns(3), AXES, keys):
        col.number_input(f"{name} {axis}", min_value=low, max_value=high, step=1, key=key)
    return state.values(keys)  # type: ignore[return-value]


def _shape_inputs() -> tuple[int, int, int]:
    for key in state.SHAPE:
        state.clamp(key, 1, SHAPE_MAX)
    return _triple_inputs("Tensor shape (T, H, W)", "shape", state.SHAPE, 1, SHAPE_MAX,
                          "Time steps, rows and columns of the toy tensor.")


def _pattern_inputs(shape: tuple[int, int, int]) -> tuple[list[services.Layer], str]:
    names = services.pattern_names()
    if st.session_state[state.PATTERN] not in names:
        state.reset([state.PATTERN])
    name = st.selectbox("Pattern", names, key=state.PATTERN,
                        help="Named patterns from the Earthformer paper's search space (Table 1).")
    layers = services.pattern_layers(name, shape)
    options = [state.ALL_LAYERS, *range(len(layers))]
    if st.session_state[state.PATTERN_LAYER] not in options:
        state.reset([state.PATTERN_LAYER])
    which = st.selectbox(
        "Layers to show", options, key=state.PATTERN_LAYER,
        format_func=lambda i: f"All {len(layers)} layers, side by side" if i == state.ALL_LAYERS else layers[i].label,
        help="One block of a pattern runs several attention layers one after the other.",
    )
    return (layers if which == state.ALL_LAYERS else [layers[which]]), name


def _custom_inputs() -> services.Layer:
    cuboid = _triple_inputs("Cuboid size", "size", state.CUSTOM_CUBOID, 0, SIZE_MAX,
                            "Extent of one cuboid along T, H and W (clipped to the tensor).")
    st.markdown("**Strategy per axis**", help="local: contiguous blocks; dilated: every n-th element.")
    for axis, key in zip(AXES, state.CUSTOM_STRATEGY):
        st.radio(f"along {axis}", services.STRATEGIES, key=key, horizontal=True)
    shift = _triple_inputs("Shift", "shift", state.CUSTOM_SHIFT, 0, SIZE_MAX,
                           "Cyclic (Swin-style) shift before cutting; must be smaller than the cuboid size.")
    return services.custom_layer(cuboid, state.values(state.CUSTOM_STRATEGY), shift)


def sidebar() -> tuple[tuple[int, int, int], list[services.Layer], str | None, str]:
    """Draw the set-up controls; return (shape, layers, pattern name or None, cost label)."""
    with st.sidebar:
        st.header("Decomposition")
        mode = st.radio("Show", state.CUBOID_MODES, key=state.CUBOID_MODE)
        if mode == state.MODE_PAPER:
            st.caption("Earthformer paper, Fig. 2: a (6, 4, 4) tensor cut into (3, 2, 2) cuboids "
                       "in local, dilated and shifted form.")
            shape, layers, pattern, label = services.PAPER_SHAPE, services.paper_layers(), None, PAPER_LABEL
        else:
            shape = _shape_inputs()
            if mode == state.MODE_PATTERN:
                layers, pattern = _pattern_inputs(shape)
                label = pattern
            else:
                layers, pattern, label = [_custom_inputs()], None, "custom"
        st.selectbox(
            "Padding", services.PADDING_TYPES, key=state.PADDING_TYPE,
            help="When an axis is not a multiple of the cuboid size the tensor is padded. With 'zeros' "
                 "the padded cells are keys the query attends to; with 'ignore' they are masked out.",
        )
        st.number_input(
            "Global vectors P", min_value=0, max_value=GLOBAL_MAX, step=1, key=state.NUM_GLOBAL_VECTORS,
            help="Extra tokens that attend to every element and are attended by every element.",
        )
        st.button("Back to the paper illustration", on_click=_reset_to_paper, key="reset_to_paper",
                  icon=":material/restart_alt:")
    return shape, layers, pattern, label


def query_controls(shape: tuple[int, int, int]) -> tuple[int, int, int] | None:
    cols = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    on = cols[0].toggle("Follow one query", key=state.SHOW_QUERY,
                        help="Highlight the elements one query element attends to; the rest are dimmed.")
    for col, axis, key, length in zip(cols[1:], ("t", "h", "w"), state.QUERY, shape):
        state.clamp(key, 0, length - 1)
        col.number_input(f"query {axis}", min_value=0, max_value=length - 1, step=1, key=key, disabled=not on)
    return state.values(state.QUERY) if on else None  # type: ignore[return-value]


def _stats_line(stats: services.LayerStats, num_global: int) -> str:
    parts = [f"cuboid volume **{stats.volume}**", f"**{stats.num_cuboids}** cuboids"]
    if stats.attended is not None:
        keys = f"**{stats.attended}** element{'s' if stats.attended != 1 else ''}"
        keys += f" + **{num_global}** global vectors" if num_global else ""
        parts = [f"attends to {keys}", *parts, f"**{stats.padded_keys}** padded keys"]
    return " · ".join(parts)


def views(shape, layers, padding_type: str, query, num_global: int) -> None:
    """One 3D view per layer, up to three per row, each with its numbers underneath."""
    height = 340 if len(layers) > 1 else 560
    for start in range(0, len(layers), VIEWS_PER_ROW):
        row = layers[start : start + VIEWS_PER_ROW]
        for i, (col, layer) in enumerate(zip(st.columns(VIEWS_PER_ROW if len(layers) > 1 else 1), row)):
            fig, stats = services.layer_view(shape, layer, padding_type, query, num_global, height)
            col.plotly_chart(fig, key=f"cuboid_view_{start + i}", config={"displaylogo": False})
            col.markdown(_stats_line(stats, num_global))
            if stats.cuboid_size != layer.cuboid_size or stats.shift_size != layer.shift_size:
                col.caption(f"Fitted to the tensor: cuboid {stats.cuboid_size}, shift {stats.shift_size}.")


def explanations(num_global: int) -> None:
    if num_global:
        st.info(
            f"With **P = {num_global}** global vectors (gold diamonds above the grid), every query also "
            f"attends to all {num_global} of them, and each global vector attends to every element. "
            "They carry information across cuboid borders within a single layer.",
            icon=":material/hub:",
        )
    with st.expander("How to read these pictures"):
        st.markdown(
            "- Each small cube is one element of a (T, H, W) tensor; its **colour is its cuboid**. "
            "Attention runs only among elements of the same colour, all cuboids in parallel.\n"
            "- **Local** cuboids are contiguous blocks; **dilated** cuboids take every n-th element, "
            "so each one spans the whole tensor sparsely; **shifted** cuboids are cut after a cyclic "
            "roll, so the last cuboid along an axis wraps around to the start.\n"
            "- In a shifted layer, elements that only meet because of the wrap-around are masked "
            "from each other, so a query can see fewer elements than the cuboid holds.\n"
            "- When an axis is not a multiple of its cuboid size the tensor is padded (open squares). "
            "With **zeros** padding those cells are keys (red when the query sees them); with "
            "**ignore** they are masked out.\n"
            "- Drag to rotate, scroll to zoom, hover a cube for (t, h, w), cuboid id and position."
        )


def cost_panel(rows: list[dict], pattern: str | None) -> None:
    st.subheader("What it costs")
    st.markdown(
        "Full attention compares every element with every other one. Cuboid attention compares an "
        "element only with the **V** elements of its cuboid, summed over the layers of one block. "
        "Costs below are for the level shapes of the published SEVIR and ICAR-ENSO Earthformer "
        "models (attention products only, per sample)."
    )
    st.code(services.ATTENTION_COST_FORMULA, language=None)
    left, right = st.columns([1, 1])
    left.plotly_chart(services.cost_figure(rows), key="cost_chart", config={"displaylogo": False})
    right.dataframe(
        rows, hide_index=True, key="cost_table",
        column_config={
            "level": "Level", "method": "Method",
            "gflops": st.column_config.NumberColumn("GFLOPs", format="%.3g"),
            "score_mib": st.column_config.NumberColumn("Scores (MiB)", format="%.3g"),
            "ratio_to_full": st.column_config.NumberColumn("Share of full", format="percent"),
        },
    )
    caption = ("A named pattern is re-fitted to each level's shape." if pattern else
               "These layers are applied with the cuboid sizes given above (clipped to each level's shape).")
    st.caption(caption + " Scores: fp32 attention weights. T'H'W': padded shape; V: cuboid volume; "
               "C: channels; P: global vectors.")
    with st.expander("Level shapes used"):
        st.dataframe(services.earthformer_levels(), hide_index=True)


def render() -> None:
    st.title("Cuboid attention")
    st.markdown(
        "Earthformer cuts a space-time tensor into non-overlapping **cuboids** and runs attention "
        "inside each one. Choose how to cut it, then follow one element to see what it attends to."
    )
    try:
        shape, layers, pattern, label = sidebar()
        padding_type = st.session_state[state.PADDING_TYPE]
        num_global = int(st.session_state[state.NUM_GLOBAL_VECTORS])
        services.validate(shape, layers, padding_type)
        cost_rows = services.attention_costs(tuple(layers), pattern, label)  # level shapes can fail too
    except ValueError as error:
        st.error(f"This decomposition cannot be drawn: {error}", icon=":material/error:")
        return

    elements = math.prod(shape)
    if elements > services.MAX_ELEMENTS:
        st.warning(
            f"A {shape[0]} × {shape[1]} × {shape[2]} tensor has {elements:,} elements, more than the "
            f"{services.MAX_ELEMENTS:,} the 3D view draws while staying responsive. Reduce T, H or W to "
            "see the cuboids; the cost panel below still applies.",
            icon=":material/warning:",
        )
    else:
        query = query_controls(shape)
        views(shape, layers, padding_type, query, num_global)
        explanations(num_global)
    st.divider()
    cost_panel(cost_rows, pattern)


render()
