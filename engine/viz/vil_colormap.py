"""The standard SEVIR VIL colour table (Veillette et al., NeurIPS 2020, SEVIR tutorial ``vil_cmap``).

Source: ``src/display/display.py`` of MIT-AI-Accelerator/neurips-2020-sevir. The table has 11
colours and 11 boundaries on the *encoded* 0..255 pixel scale::

    colours[0]   black          'bad' (NaN / missing)
    colours[1:]  10 bands       [0, 16) grey, [16, 31) [31, 59) [59, 74) [74, 100) greens,
                                [100, 133) yellow, [133, 160) [160, 181) oranges,
                                [181, 219) red, [219, 255] magenta

The tutorial builds a 9-colour ``ListedColormap`` for these 10 bands (it pops the magenta
'over' colour), which recent matplotlib rejects ("10 color bins ... but ncolors = 9");
Earthformer's copy keeps all 10 colours, one per band, as here.

Every Earthformer/PreDiff threshold (16, 74, 133, 160, 181, 219) is a band's lower edge, so a
pixel at a threshold takes the first colour of the band it opens. kg/m² values come from the
SEVIR decoding (0 for X <= 5; (X - 2) / 90.66 for 5 < X <= 18; exp((X - 83.9) / 38.9) above).
"""
from __future__ import annotations

import numpy as np

# Encoded (0..255) band edges and their colours, exactly as in the SEVIR tutorial.
VIL_LEVELS: tuple[float, ...] = (0.0, 16.0, 31.0, 59.0, 74.0, 100.0, 133.0, 160.0, 181.0, 219.0, 255.0)
VIL_BAD_COLOR: tuple[float, float, float] = (0.0, 0.0, 0.0)
VIL_COLORS: tuple[tuple[float, float, float], ...] = (
    (0.30196078431372547, 0.30196078431372547, 0.30196078431372547),  # [0, 16): below the lowest threshold
    (0.1568627450980392, 0.7450980392156863, 0.1568627450980392),  # [16, 31)
    (0.09803921568627451, 0.5882352941176471, 0.09803921568627451),  # [31, 59)
    (0.0392156862745098, 0.4117647058823529, 0.0392156862745098),  # [59, 74)
    (0.0392156862745098, 0.29411764705882354, 0.0392156862745098),  # [74, 100)
    (0.9607843137254902, 0.9607843137254902, 0.0),  # [100, 133)
    (0.9294117647058824, 0.6745098039215687, 0.0),  # [133, 160)
    (0.9411764705882353, 0.43137254901960786, 0.0),  # [160, 181)
    (0.6274509803921569, 0.0, 0.0),  # [181, 219)
    (0.9058823529411765, 0.0, 1.0),  # [219, 255]
)
# The skill-score thresholds of Earthformer / PreDiff (reference E.1), encoded units.
VIL_THRESHOLDS: tuple[int, ...] = (16, 74, 133, 160, 181, 219)


def vil_kg_m2(x: np.ndarray | float) -> np.ndarray:
    """Decode SEVIR VIL pixels (0..255) to vertically integrated liquid in kg/m².

    Used here for colour-bar labels only; the data layer has its own reader-side decoder.
    """
    x = np.asarray(x, dtype=np.float64)
    low = (x - 2.0) / 90.66
    high = np.exp((x - 83.9) / 38.9)
    return np.where(x <= 5, 0.0, np.where(x <= 18, low, high))


def vil_band(x: np.ndarray | int) -> np.ndarray:
    """Index into :data:`VIL_COLORS` of each encoded pixel value (0..255): band i is [L_i, L_{i+1})."""
    edges = np.asarray(VIL_LEVELS[1:-1])
    return np.searchsorted(edges, np.asarray(x, dtype=np.float64), side="right")


def vil_rgb(x: np.ndarray | int) -> np.ndarray:
    """RGB in [0, 1] of each encoded pixel value: shape ``x.shape + (3,)``."""
    return np.asarray(VIL_COLORS)[vil_band(x)]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def plotly_colorscale(zmin: float = 0.0, zmax: float = 255.0) -> list[list]:
    """A stepwise plotly colorscale that reproduces the bands on a heatmap with ``zmin``/``zmax``.

    Plotly interpolates linearly between stops, so each band gets two stops of the same colour
    (at its lower and upper edge); the jump happens exactly at the edge.
    """
    span = zmax - zmin
    scale: list[list] = []
    for (lo, hi), rgb in zip(zip(VIL_LEVELS[:-1], VIL_LEVELS[1:]), VIL_COLORS):
        color = _hex(rgb)
        scale.append([(lo - zmin) / span, color])
        scale.append([(hi - zmin) / span, color])
    return scale


def threshold_ticks() -> tuple[list[int], list[str]]:
    """Colour-bar tick positions (the thresholds, encoded) and labels in kg/m²."""
    labels = [f"{v:.3g} kg/m² ({t})" for t, v in zip(VIL_THRESHOLDS, vil_kg_m2(np.asarray(VIL_THRESHOLDS)))]
    return list(VIL_THRESHOLDS), labels


def matplotlib_cmap():
    """``(cmap, norm)`` for ``imshow(..., cmap=cmap, norm=norm)`` on encoded 0..255 VIL."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(VIL_COLORS, name="sevir_vil").with_extremes(
        bad=VIL_BAD_COLOR, under=VIL_COLORS[0], over=VIL_COLORS[-1])
    return cmap, BoundaryNorm(VIL_LEVELS, cmap.N)
