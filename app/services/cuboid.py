"""Cuboid attention explainer: layer choices, 3-D views and cost tables for the Learn page."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.viz import cuboid_figures

Triple = tuple[int, int, int]

ATTENTION_COST_FORMULA: str = api.ATTENTION_COST_FORMULA
STRATEGIES: tuple[str, ...] = tuple(api.STRATEGIES)
# 'nearest' padding behaves like 'zeros' for what a query sees; the two that differ are offered.
PADDING_TYPES: tuple[str, ...] = tuple(p for p in api.PADDING_TYPES if p in ("zeros", "ignore"))
MAX_ELEMENTS = 4096  # largest T*H*W drawn in 3D: beyond it the view is slow and unreadable
PAPER_SHAPE: Triple = (6, 4, 4)  # Earthformer paper, Fig. 2
PAPER_CUBOID: Triple = (3, 2, 2)


class Layer(NamedTuple):
    """One cuboid self-attention layer as plain tuples (hashable, so cacheable)."""

    label: str
    cuboid_size: Triple
    strategy: tuple[str, str, str]
    shift_size: Triple


class LayerStats(NamedTuple):
    """What one query sees in one layer (``attended``/``padded_keys`` are None without a query)."""

    cuboid_size: Triple  # after clipping to the shape
    shift_size: Triple  # after clipping (dilated axes and short axes are never shifted)
    volume: int
    num_cuboids: int
    attended: int | None
    padded_keys: int | None


def _spec(layer: Layer) -> api.SelfAttentionSpec:
    return api.custom_layer(layer.cuboid_size, layer.strategy, layer.shift_size)


def _describe(cuboid: Sequence[int], strategy: Sequence[str], shift: Sequence[int]) -> str:
    kinds = set(strategy)
    kind = kinds.pop() if len(kinds) == 1 else "/".join(s[0].upper() for s in strategy)
    text = f"cuboid {tuple(cuboid)}, {kind}"
    return text + (f", shift {tuple(shift)}" if any(shift) else "")


# ----------------------------------------------------------------------------- layer choices
def paper_layers() -> list[Layer]:
    """The three decompositions of the Earthformer paper's Fig. 2 on a (6, 4, 4) tensor."""
    local, dilated = ("local",) * 3, ("dilated",) * 3
    return [
        Layer(f"Local {PAPER_CUBOID}", PAPER_CUBOID, local, (0, 0, 0)),
        Layer(f"Dilated {PAPER_CUBOID}", PAPER_CUBOID, dilated, (0, 0, 0)),
        Layer("Shifted (1, 1, 1), local", PAPER_CUBOID, local, (1, 1, 1)),
    ]


def pattern_names() -> list[str]:
    return api.self_pattern_names()


def pattern_layers(name: str, shape: Triple) -> list[Layer]:
    """The layers of one block of the named pattern on ``shape``; ``ValueError`` if unknown."""
    specs = api.pattern_layers(name, shape)
    return [
        Layer(f"Layer {i + 1}: {_describe(s.cuboid_size, s.strategy, s.shift_size)}", s.cuboid_size, s.strategy, s.shift_size)
        for i, s in enumerate(specs)
    ]


def custom_layer(cuboid_size: Sequence[int], strategy: Sequence[str], shift_size: Sequence[int]) -> Layer:
    cuboid, shift = tuple(int(v) for v in cuboid_size), tuple(int(v) for v in shift_size)
    return Layer(f"Custom: {_describe(cuboid, strategy, shift)}", cuboid, tuple(strategy), shift)  # type: ignore[arg-type]


def validate(shape: Triple, layers: Sequence[Layer], padding_type: str) -> None:
    """Raise the engine's ``ValueError`` (a readable message) if any layer is invalid on ``shape``."""
    for layer in layers:
        api.cuboid_layout(shape, _spec(layer), padding_type)


# ----------------------------------------------------------------------------- 3D views
@st.cache_data(max_entries=64, show_spinner=False)
def layer_view(
    shape: Triple,
    layer: Layer,
    padding_type: str,
    query: Triple | None,
    num_global_vectors: int,
    height: int = 420,
) -> tuple[go.Figure, LayerStats]:
    """3D figure of one layer's cuboids (optionally following ``query``) and its numbers."""
    layout = api.cuboid_layout(shape, _spec(layer), padding_type)
    decomp = layout.decomposition
    attended = padded = padded_keys = None
    if query is not None:
        attended_mask = api.attended_elements(layout, query)
        attended, padded = int(attended_mask.sum()), api.padded_keys_seen(layout, query)
        padded_keys = api.padded_keys(layout, query)
    else:
        attended_mask = None
        if decomp.is_padded:
            padded_keys = np.zeros(layout.padded_cuboid_id.shape, dtype=bool)
    fig = cuboid_figures.cuboid_figure(
        layout.cuboid_id, layout.position, attended=attended_mask, query=query, padded_keys=padded_keys,
        num_global_vectors=num_global_vectors, title=layer.label, height=height,
    )
    stats = LayerStats(decomp.cuboid_size, decomp.shift_size, decomp.volume, decomp.num_cuboids, attended, padded)
    return fig, stats


# ----------------------------------------------------------------------------- cost panel
@st.cache_data(max_entries=32, show_spinner=False)
def attention_costs(layers: tuple[Layer, ...], pattern: str | None, label: str) -> list[dict]:
    """Rows (level, method, gflops, score_mib, ratio_to_full) at the published Earthformer levels.

    A named ``pattern`` is re-resolved per level shape; otherwise ``layers`` are used as given.
    """
    specs = None if pattern else [_spec(layer) for layer in layers]
    rows = api.compare_attention_costs(specs, pattern)
    return [
        {
            "level": r.level,
            "method": f"chosen ({label})" if r.method.startswith("chosen") else r.method,
            "gflops": r.gflops,
            "score_mib": r.score_mib,
            "ratio_to_full": r.ratio_to_full,
        }
        for r in rows
    ]


def cost_figure(rows: Sequence[dict]) -> go.Figure:
    return cuboid_figures.attention_cost_figure(rows)


def earthformer_levels() -> list[dict]:
    """The level shapes the cost panel uses (published SEVIR and ICAR-ENSO configurations)."""
    return [
        {"level": lv.label, "T, H, W": str(lv.thw), "channels": lv.channels, "heads": lv.num_heads,
         "global vectors": lv.num_global_vectors}
        for lv in api.EARTHFORMER_LEVELS
    ]
