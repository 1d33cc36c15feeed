"""Plotly pictures of cuboid attention (Earthformer, Gao et al., NeurIPS 2022, Sec. 3 and Fig. 2).

Every element of a (T, H, W) tensor is drawn as a small cube coloured by the cuboid it falls
in, so local (contiguous), dilated (interleaved) and shifted (wrapped) decompositions can be
told apart at a glance. One query element can be followed to the keys it attends to.

Inputs are plain NumPy arrays (the fields of ``engine.api.CuboidLayout`` and the masks of
``engine.api.attended_elements``); nothing here imports torch or streamlit.

Plot axes: x = T (time), y = W (columns), z = H (rows, drawn top-down like an image).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

# Tableau-like qualitative colours: neighbouring cuboid ids never share a colour.
PALETTE: tuple[str, ...] = (
    "#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1", "#76B7B2", "#EDC948", "#9C755F",
    "#FF9DA7", "#2F6F4F", "#A0CBE8", "#FFBE7D", "#8CD17D", "#B6992D", "#D37295", "#86BCB6",
    "#D4A6C8", "#79706E", "#F1CE63", "#499894",
)
QUERY_COLOR = "#111111"
GLOBAL_COLOR = "#E8A200"
PADDING_COLOR = "#9AA0A6"
PADDED_KEY_COLOR = "#D62728"
DIM_OPACITY = 0.1
KEY_OPACITY = 0.6
CUBE_SIDE = 0.8  # gap between neighbouring cubes lets the eye see inside the block
MAX_CUBE_ELEMENTS = 1024  # above this, markers replace meshes (payload and frame rate)

# Unit cube corners and its 12 triangles (two per face).
_CORNERS = np.array(
    [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=float
) - 0.5
_TRIANGLES = np.array(
    [[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
     [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
)
_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7))


def cuboid_colors(cuboid_id: np.ndarray) -> np.ndarray:
    """Hex colour of every element, chosen by its cuboid id (cycling through :data:`PALETTE`)."""
    return np.asarray(PALETTE)[np.asarray(cuboid_id) % len(PALETTE)]


def _xyz(thw: np.ndarray) -> np.ndarray:
    """(N, 3) element indices (t, h, w) -> (N, 3) plot coordinates (x=t, y=w, z=h)."""
    return np.asarray(thw, dtype=float)[:, [0, 2, 1]]


def _cubes(centres, colors, texts, *, opacity: float, name: str) -> go.Mesh3d:
    """One mesh holding a cube per centre; hover text sits on each cube's 8 vertices."""
    n = len(centres)
    vertices = (centres[:, None, :] + CUBE_SIDE * _CORNERS[None]).reshape(-1, 3)  # (8N, 3)
    triangles = (_TRIANGLES[None] + 8 * np.arange(n)[:, None, None]).reshape(-1, 3)  # (12N, 3)
    return go.Mesh3d(
        x=vertices[:, 0], y=vertices[:, 1], z=vertices[:, 2],
        i=triangles[:, 0], j=triangles[:, 1], k=triangles[:, 2],
        facecolor=np.repeat(colors, 12), text=np.repeat(texts, 8),
        hovertemplate="%{text}<extra></extra>", opacity=opacity, flatshading=True,
        lighting=dict(ambient=0.7, diffuse=0.6, specular=0.05, roughness=0.9),
        name=name, showlegend=False,
    )


def _markers(centres, colors, texts, *, size: float, opacity: float, name: str, symbol: str = "square") -> go.Scatter3d:
    return go.Scatter3d(
        x=centres[:, 0], y=centres[:, 1], z=centres[:, 2], mode="markers",
        marker=dict(size=size, color=list(colors), symbol=symbol, opacity=opacity, line=dict(width=0)),
        text=list(texts), hovertemplate="%{text}<extra></extra>", name=name, showlegend=False,
    )


def _cube_outline(centre: np.ndarray, color: str, name: str) -> go.Scatter3d:
    corners = centre + 0.55 * 2 * _CORNERS  # slightly larger than a drawn cube
    xs, ys, zs = [], [], []
    for a, b in _EDGES:
        for axis, out in enumerate((xs, ys, zs)):
            out += [corners[a, axis], corners[b, axis], None]
    return go.Scatter3d(
        x=xs, y=ys, z=zs, mode="lines", line=dict(color=color, width=6), name=name,
        hoverinfo="skip", showlegend=False,
    )


def _element_texts(idx: np.ndarray, cuboid_id: np.ndarray, position: np.ndarray, attended: np.ndarray | None) -> list[str]:
    texts = []
    for t, h, w in idx:
        text = f"(t, h, w) = ({t}, {h}, {w})<br>cuboid {cuboid_id[t, h, w]}<br>position in cuboid {position[t, h, w]}"
        if attended is not None:
            text += "<br>attended by the query" if attended[t, h, w] else "<br>not attended"
        texts.append(text)
    return texts


def _global_positions(shape: Sequence[int], count: int) -> np.ndarray:
    """(P, 3) plot coordinates of P global vectors, in a row floating above the grid."""
    T, H, W = shape
    x = np.linspace(0, T - 1, count) if count > 1 else np.array([(T - 1) / 2])
    return np.stack([x, np.full(count, (W - 1) / 2), np.full(count, -2.0)], axis=1)


def cuboid_figure(
    cuboid_id: np.ndarray,
    position: np.ndarray,
    *,
    attended: np.ndarray | None = None,
    query: Sequence[int] | None = None,
    padded_keys: np.ndarray | None = None,
    num_global_vectors: int = 0,
    title: str = "",
    height: int = 420,
) -> go.Figure:
    """3D view of a (T, H, W) tensor coloured by cuboid, optionally following one query.

    Parameters
    ----------
    cuboid_id, position : (T, H, W) int
        Cuboid id and in-cuboid position of every element.
    attended : (T, H, W) bool, optional
        Elements the query attends to: drawn solid; the rest are dimmed.
    query : (t, h, w), optional
        The query element, outlined in black.
    padded_keys : (T', H', W') bool, optional
        Padded grid (T' >= T, ...). Its padding cells are drawn as open squares, red where the
        cell is a key of the query (zero padding), grey otherwise.
    num_global_vectors : int
        P global vectors drawn as a row of diamonds above the grid; with a query, dashed lines
        show that the query attends to each of them.
    """
    cuboid_id, position = np.asarray(cuboid_id), np.asarray(position)
    if cuboid_id.ndim != 3 or cuboid_id.shape != position.shape:
        raise ValueError(f"cuboid_id, position: expected two (T, H, W) arrays, got {cuboid_id.shape} and {position.shape}")
    T, H, W = cuboid_id.shape
    idx = np.argwhere(np.ones(cuboid_id.shape, dtype=bool))  # (N, 3) row-major (t, h, w)
    centres, colors = _xyz(idx), cuboid_colors(cuboid_id).reshape(-1)
    texts = np.asarray(_element_texts(idx, cuboid_id, position, attended), dtype=object)
    seen = np.ones(len(idx), dtype=bool) if attended is None else np.asarray(attended, dtype=bool).reshape(-1)
    marker_size = float(np.clip(220 / max(T, H, W), 3, 16))
    use_cubes = T * H * W <= MAX_CUBE_ELEMENTS

    is_query = np.zeros(len(idx), dtype=bool)
    if query is not None:
        is_query[np.ravel_multi_index(tuple(int(v) for v in query), (T, H, W))] = True
    # With a query, its keys turn see-through so the query cube stays visible inside its cuboid.
    layers = (
        (seen & ~is_query, KEY_OPACITY if query is not None else 1.0, "elements (colour = cuboid)"),
        (~seen & ~is_query, DIM_OPACITY, "not attended"),
        (is_query, 1.0, "query"),
    )
    colors = np.where(is_query, QUERY_COLOR, colors)
    traces: list = []
    for mask, opacity, name in layers:
        if not mask.any():
            continue
        if use_cubes:
            traces.append(_cubes(centres[mask], colors[mask], texts[mask], opacity=opacity, name=name))
        else:  # markers cannot be see-through one by one: shrink the dimmed ones instead
            dimmed = opacity == DIM_OPACITY
            size = marker_size * (0.4 if dimmed else 1.0)
            traces.append(_markers(centres[mask], colors[mask], texts[mask], size=size,
                                   opacity=0.25 if dimmed else 1.0, name=name))

    if padded_keys is not None:
        padded_keys = np.asarray(padded_keys, dtype=bool)
        padding = np.ones(padded_keys.shape, dtype=bool)
        padding[:T, :H, :W] = False
        for mask, color, name in (
            (padding & ~padded_keys, PADDING_COLOR, "padding"),
            (padding & padded_keys, PADDED_KEY_COLOR, "padding key (zeros)"),
        ):
            cells = np.argwhere(mask)
            if len(cells):
                trace = _markers(_xyz(cells), [color] * len(cells), [f"padding (t, h, w) = {tuple(c)}" for c in cells],
                                 size=marker_size * 0.6, opacity=0.8, name=name, symbol="square-open")
                trace.showlegend = True
                traces.append(trace)

    q = None if query is None else _xyz(np.asarray([query]))[0]
    if q is not None:
        traces.append(_cube_outline(q, QUERY_COLOR, "query"))
        traces.append(go.Scatter3d(
            x=[q[0]], y=[q[1]], z=[q[2]], mode="markers", name="query",
            marker=dict(size=6, color=QUERY_COLOR, symbol="diamond"),
            text=[f"query (t, h, w) = {tuple(int(v) for v in query)}"], hovertemplate="%{text}<extra></extra>",
        ))

    if num_global_vectors > 0:
        g = _global_positions((T, H, W), num_global_vectors)
        traces.append(go.Scatter3d(
            x=g[:, 0], y=g[:, 1], z=g[:, 2], mode="markers", name="global vectors (see every element)",
            marker=dict(size=5, color=GLOBAL_COLOR, symbol="diamond", line=dict(color=QUERY_COLOR, width=1)),
            text=[f"global vector {p}: attends to every element; every element attends to it" for p in range(len(g))],
            hovertemplate="%{text}<extra></extra>",
        ))
        if q is not None:
            xs, ys, zs = [], [], []
            for p in g:
                xs += [q[0], p[0], None]
                ys += [q[1], p[1], None]
                zs += [q[2], p[2], None]
            traces.append(go.Scatter3d(
                x=xs, y=ys, z=zs, mode="lines", name="query → global vectors",
                line=dict(color=GLOBAL_COLOR, width=3, dash="dash"), hoverinfo="skip",
            ))

    fig = go.Figure(traces)
    fig.update_layout(
        title=dict(text=title, x=0.5, xanchor="center", font=dict(size=14)),
        height=height, margin=dict(l=0, r=0, t=40 if title else 10, b=0),
        legend=dict(orientation="h", yanchor="bottom", y=0.0, x=0.0, font=dict(size=11)),
        uirevision="cuboid-view",  # keep the user's camera when the data change
        scene=dict(
            xaxis=_axis("T", T), yaxis=_axis("W", W), zaxis=dict(_axis("H", H), autorange="reversed"),
            aspectmode="data", camera=dict(eye=dict(x=1.5, y=-1.5, z=1.0)),
        ),
    )
    return fig


def _axis(label: str, length: int) -> dict:
    step = max(1, length // 6)
    return dict(title=label, tickvals=list(range(0, length, step)), showbackground=False, zeroline=False)


def attention_cost_figure(rows: Sequence[Mapping[str, object]], *, height: int = 380) -> go.Figure:
    """Grouped bars of attention GFLOPs (log scale) per level and method.

    ``rows`` are mappings with keys ``level``, ``method``, ``gflops`` and ``ratio_to_full``.
    """
    levels = list(dict.fromkeys(str(r["level"]) for r in rows))
    methods = list(dict.fromkeys(str(r["method"]) for r in rows))
    fig = go.Figure()
    for i, method in enumerate(methods):
        picked = [r for r in rows if r["method"] == method]
        fig.add_bar(
            x=[r["level"] for r in picked], y=[r["gflops"] for r in picked], name=method,
            marker_color=PALETTE[i % len(PALETTE)],
            customdata=[r["ratio_to_full"] for r in picked],
            hovertemplate="%{x}<br>%{y:.3g} GFLOPs<br>%{customdata:.2%} of full attention<extra>" + method + "</extra>",
        )
    fig.update_layout(
        barmode="group", height=height, margin=dict(l=10, r=10, t=30, b=10),
        yaxis=dict(type="log", title="GFLOPs per sample (log scale)", automargin=True), xaxis=dict(categoryorder="array", categoryarray=levels),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
    )
    return fig
