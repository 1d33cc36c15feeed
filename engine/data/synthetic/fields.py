"""Rendering a storm scene to SEVIR VIL frames.

VIL (kg/m²) = (stratiform shields + convective cores) x texture on a 2 km grid, values below a
0.07 kg/m² noise floor dropped, encoded with SEVIR's uint8 code, each value then filling 2 x 2
of the 1 km pixels (nearest-neighbour upsampling: the repeated values are what lets gzip shrink
the demo about threefold compared with bilinear upsampling, and 2 km is still finer than most
of the storm structure):

- cores: Gaussians of radius 2.5-7 km (growing with intensity), elongated ones as three isotropic
  Gaussians along the major axis, so every component is separable and a frame is two matrix
  products (fast, vectorised over cells);
- shields: Gaussians of radius 8-32 km around (or trailing) each core: the broad scale;
- texture: a log-normal factor exp(sigma n - sigma²/2) (mean 1) with n filtered Gaussian noise at
  3 km and 8 km scales, sampled at semi-Lagrangian departure points so it moves with the flow;
  it makes edges ragged and adds the small scales of real radar fields. Departure points are
  computed on an 8 km grid and interpolated (the flow varies on hundreds of km).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..sevir.format import encode_vil
from .cells import Cells, sample_cells
from .flow import SteeringFlow, departure_points, sample_flow
from .styles import StormStyle

GRID = 2  # render grid spacing, pixels (km); frames are upsampled by this factor
TEXTURE_SCALES = (1.5, 4.0)  # Gaussian filter radii of the texture noise, in render-grid cells (3, 8 km)
FLOW_GRID = 8  # spacing of the departure-point grid, pixels
#: OpenBLAS runs a matrix product on one thread below about 262,144 multiply-adds. Our products
#: are small; on a busy 2-core machine BLAS threads spin-wait on each other and the generator ran
#: three times slower multi-threaded, so products are split into row blocks below that size.
SINGLE_THREAD_MNK = 200_000
NOISE_FLOOR = 0.07  # kg/m²: weaker echoes are dropped, like a radar's minimum detectable signal


@dataclass(frozen=True)
class Scene:
    """Everything needed to render one event, and the ground truth tests compare against.

    Attributes
    ----------
    flow : the steering flow (pixels per frame).
    cells : the convective cells, with their tracks.
    texture_seed : seed of the texture noise.
    texture_sigma : standard deviation of log(texture).
    size : frame side, pixels (a multiple of ``GRID``); n_frames : frames (5 min apart).
    """

    flow: SteeringFlow
    cells: Cells
    texture_seed: int
    texture_sigma: float
    size: int = 384
    n_frames: int = 49


def sample_scene(rng: np.random.Generator, style: StormStyle, size: int = 384, n_frames: int = 49) -> Scene:
    """Draw a steering flow, cells and texture for one event of the given style."""
    if size % GRID or size < 8 * GRID:
        raise ValueError(f"size: expected a multiple of {GRID} >= {8 * GRID}, got {size}")
    if n_frames < 2:
        raise ValueError(f"n_frames: expected >= 2, got {n_frames}")
    flow = sample_flow(rng, style.speed, n_frames=n_frames)
    cells = sample_cells(rng, style, flow, size, n_frames)
    return Scene(flow=flow, cells=cells, texture_seed=int(rng.integers(2**62)),
                 texture_sigma=float(rng.uniform(0.45, 0.65)), size=size, n_frames=n_frames)


def render_kg(scene: Scene, texture: bool = True) -> np.ndarray:
    """VIL in kg/m² on the render grid: float32 (T, size / GRID, size / GRID)."""
    n = scene.size // GRID
    coords = GRID * np.arange(n) + (GRID - 1) / 2  # pixel coordinates of render-grid cell centres
    out = np.empty((scene.n_frames, n, n), dtype=np.float32)
    for t in range(scene.n_frames):
        out[t] = _smooth_frame(scene.cells, t, coords)
    if texture:
        out *= _texture(scene, coords)
    return out


def render_vil(scene: Scene) -> np.ndarray:
    """SEVIR-encoded VIL frames: uint8 (T, size, size), 0 where VIL < ``NOISE_FLOOR``."""
    kg = render_kg(scene)
    kg[kg < NOISE_FLOOR] = 0.0
    coarse = encode_vil(kg)
    return np.repeat(np.repeat(coarse, GRID, axis=1), GRID, axis=2)


def _gaussians(coords, cx, cy, radius, amp) -> np.ndarray:
    """Sum of isotropic Gaussians on a square grid as one matrix product (separable): (n, n)."""
    if len(cx) == 0:
        return np.zeros((len(coords), len(coords)), dtype=np.float32)
    # float32: float64 matrix products here are several times slower and gain nothing at uint8 output
    coords = coords.astype(np.float32)
    inv = (1.0 / (2.0 * radius**2)).astype(np.float32)[:, None]
    gx = np.exp(-((coords[None, :] - cx.astype(np.float32)[:, None]) ** 2) * inv)  # (M, n)
    gy = np.exp(-((coords[None, :] - cy.astype(np.float32)[:, None]) ** 2) * inv)  # (M, n)
    return _matmul((gy * amp.astype(np.float32)[:, None]).T, gx)  # (rows y, cols x)


def _smooth_frame(cells: Cells, t: int, coords: np.ndarray) -> np.ndarray:
    """Cores + shields at frame t (no texture), kg/m²: (n, n)."""
    a = cells.intensity(t)
    s = cells.shield_intensity(t)
    pos = cells.track[:, t]
    core = a > 1e-3
    radius = cells.core_radius[core] * (0.5 + 0.5 * a[core])  # cores widen as they mature
    # An elongated core = 3 round Gaussians spaced along its major axis, scaled so the peak is exact.
    d = radius * (cells.aspect[core] - 1.0) * 0.9
    ux, uy = np.cos(cells.angle[core]), np.sin(cells.angle[core])
    k = np.array([-1.0, 0.0, 1.0])
    cx = (pos[core, 0][:, None] + k[None, :] * (d * ux)[:, None]).ravel()
    cy = (pos[core, 1][:, None] + k[None, :] * (d * uy)[:, None]).ravel()
    norm = 1.0 + 2.0 * np.exp(-(d**2) / (2 * radius**2))
    amp = np.repeat(cells.core_peak[core] * a[core] / norm, 3)
    field = _gaussians(coords, cx, cy, np.repeat(radius, 3), amp)
    sh = s > 1e-3
    centre = pos[sh] + cells.shield_offset[sh]
    field += _gaussians(coords, centre[:, 0], centre[:, 1], cells.shield_radius[sh] * (0.6 + 0.4 * s[sh]),
                        cells.shield_peak[sh] * s[sh])
    return field


def _texture(scene: Scene, coords: np.ndarray) -> np.ndarray:
    """Multiplicative log-normal texture advected by the flow: float32 (T, n, n), mean 1."""
    coarse = np.arange(-FLOW_GRID, scene.size + 2 * FLOW_GRID, FLOW_GRID, dtype=np.float64)
    dep_coarse = departure_points(scene.flow, coarse, coarse, scene.n_frames)  # (T, 2, m, m) pixels
    interp = _linear_interp_matrix(coarse, coords)  # (n, m)
    dep = np.empty((scene.n_frames, 2, len(coords), len(coords)))  # (T, 2, n, n)
    for t in range(scene.n_frames):
        for c in range(2):
            dep[t, c] = _matmul(_matmul(interp, dep_coarse[t, c]), interp.T)
    lo = np.floor(dep.min(axis=(0, 2, 3))) - 4 * GRID
    hi = np.ceil(dep.max(axis=(0, 2, 3))) + 4 * GRID
    shape = tuple(int(v) for v in np.ceil((hi - lo) / GRID).astype(int)[::-1] + 1)  # (rows, cols)
    rng = np.random.default_rng(scene.texture_seed)
    noise = np.zeros(shape)
    for scale in TEXTURE_SCALES:  # multi-scale: sum of unit-variance filtered noises
        layer = ndimage.gaussian_filter(rng.standard_normal(shape), scale, mode="wrap")
        noise += layer / layer.std()
    noise /= np.sqrt(len(TEXTURE_SCALES))
    rows = (dep[:, 1] - lo[1]) / GRID
    cols = (dep[:, 0] - lo[0]) / GRID
    n = ndimage.map_coordinates(noise, [rows.ravel(), cols.ravel()], order=1).reshape(rows.shape)
    sigma = scene.texture_sigma
    return np.exp(sigma * n - 0.5 * sigma**2).astype(np.float32)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays, in row blocks small enough for BLAS to stay single-threaded."""
    m, k = a.shape
    n = b.shape[1]
    rows = max(1, SINGLE_THREAD_MNK // max(1, k * n))
    if rows >= m:
        return a @ b
    out = np.empty((m, n), dtype=np.result_type(a, b))
    for i in range(0, m, rows):
        np.matmul(a[i:i + rows], b, out=out[i:i + rows])
    return out


def _linear_interp_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Matrix (len(dst), len(src)) of 1-D linear interpolation weights; src must bracket dst."""
    j = np.clip(np.searchsorted(src, dst) - 1, 0, len(src) - 2)
    w = (dst - src[j]) / (src[j + 1] - src[j])
    out = np.zeros((len(dst), len(src)))
    out[np.arange(len(dst)), j] = 1.0 - w
    out[np.arange(len(dst)), j + 1] = w
    return out
