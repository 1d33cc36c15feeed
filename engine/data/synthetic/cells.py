"""Convective cells and squall lines: where they start, how long they live, how strong they get.

Every cell follows one life cycle: initiation (intensity 0), growth, maturity (intensity 1 at
``peak_phase`` of its life, between 30 % and 50 %: storms grow faster than they decay), decay and
dissipation (0 again). Its stratiform/anvil shield follows a slower, later copy of the same curve,
as stratiform rain outlives the convective core that fed it. Cells are carried by the steering
flow: each one is anchored at the frame of its peak and integrated forward and backward.

Squall lines are chains of elongated cells (about 10 km apart) across the flow, born together
with small jitter, stronger in the middle, with a shield trailing behind the line.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .flow import SteeringFlow, track
from .styles import StormStyle


def life_cycle(phase: np.ndarray, peak_phase: np.ndarray) -> np.ndarray:
    """Intensity envelope in [0, 1] of a cell at ``phase`` = (t - birth) / lifetime.

    0 outside (0, 1), exactly 1 at ``peak_phase``, strictly increasing before it and decreasing
    after: sin²(π s^γ) with γ = ln 0.5 / ln peak_phase, smooth (continuous first derivative).
    """
    phase = np.asarray(phase, dtype=np.float64)
    gamma = np.log(0.5) / np.log(np.asarray(peak_phase, dtype=np.float64))
    s = np.clip(phase, 0.0, 1.0)
    return np.where((phase > 0) & (phase < 1), np.sin(np.pi * s ** gamma) ** 2, 0.0)


@dataclass(frozen=True)
class Cells:
    """A population of N convective cells (arrays of length N; distances in pixels = km).

    Attributes
    ----------
    birth, life : initiation frame (may be before frame 0) and lifetime in frames.
    peak_phase : fraction of the life at which the cell is strongest.
    core_peak : core VIL at maturity, kg/m².
    core_radius : core Gaussian radius at maturity (minor axis), km.
    aspect : major / minor axis of the core (1 = round; squall-line cells are elongated).
    angle : direction of the major axis, radians from +x (image rows point south).
    shield_peak, shield_radius : stratiform shield VIL at maturity (kg/m²) and Gaussian radius (km).
    shield_offset : (N, 2) shield centre minus core centre, pixels (anvils downstream, line
        stratiform behind the line).
    track : (N, T, 2) core centre (x, y) at every frame, carried by the steering flow.
    """

    birth: np.ndarray
    life: np.ndarray
    peak_phase: np.ndarray
    core_peak: np.ndarray
    core_radius: np.ndarray
    aspect: np.ndarray
    angle: np.ndarray
    shield_peak: np.ndarray
    shield_radius: np.ndarray
    shield_offset: np.ndarray
    track: np.ndarray

    def __len__(self) -> int:
        return len(self.birth)

    def intensity(self, t: float) -> np.ndarray:
        """(N,) life-cycle envelope of each core at frame t, in [0, 1]."""
        return life_cycle((t - self.birth) / self.life, self.peak_phase)

    def shield_intensity(self, t: float) -> np.ndarray:
        """(N,) envelope of each shield: a 60 % longer, later-peaking copy of the core's."""
        return life_cycle((t - self.birth) / (1.6 * self.life), np.minimum(self.peak_phase + 0.15, 0.75))


def _log_uniform(rng: np.random.Generator, lo_hi: tuple[float, float], n: int) -> np.ndarray:
    lo, hi = lo_hi
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def sample_cells(rng: np.random.Generator, style: StormStyle, flow: SteeringFlow, size: int,
                 n_frames: int) -> Cells:
    """Draw isolated cells and squall lines for one event on a ``size`` x ``size`` km patch.

    Initiation points cluster around a storm centre that the flow carries through the middle of
    the patch at the middle frame (SEVIR centres storm events on a report); one cell in five is
    scattered anywhere. Births are spread over the event, so cells keep initiating throughout.
    """
    mid = (n_frames - 1) // 2
    centre = track(flow, np.array([size / 2]), np.array([size / 2]), np.array([mid]), n_frames)[0]
    spread = style.cluster_spread * size / 384
    mx, my = flow.mean(mid)
    heading = np.arctan2(my, mx)  # direction of motion in image coordinates
    motion = np.array([np.cos(heading), np.sin(heading)])
    parts = [_isolated(rng, style, centre, spread, size, n_frames, motion)]
    for _ in range(rng.integers(style.n_lines[0], style.n_lines[1] + 1)):
        parts.append(_line(rng, style, centre, spread, n_frames, heading))
    fields = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    # positions (x, y) are given at frame "anchor": the cell's peak, or the line's for line cells
    tracks = track(flow, fields.pop("x"), fields.pop("y"), fields.pop("anchor").astype(np.int64), n_frames)
    return Cells(track=tracks, **fields)


def _isolated(rng, style: StormStyle, centre, spread, size, n_frames, motion) -> dict[str, np.ndarray]:
    n = int(rng.integers(style.n_cells[0], style.n_cells[1] + 1))
    life = rng.uniform(*style.cell_life, n)
    peak_phase = rng.uniform(0.3, 0.5, n)
    birth = rng.uniform(-0.7 * life, n_frames - 0.3 * life)
    anchor = np.clip(np.rint(birth + peak_phase * life), 0, n_frames - 1).astype(np.int64)
    scattered = rng.random(n) < 0.2
    x = np.where(scattered, rng.uniform(0, size, n), centre[anchor, 0] + rng.normal(0, spread, n))
    y = np.where(scattered, rng.uniform(0, size, n), centre[anchor, 1] + rng.normal(0, spread, n))
    shield_radius = rng.uniform(*style.shield_radius, n)
    downstream = rng.uniform(0.2, 0.8, n) * shield_radius  # anvils are blown downstream
    return dict(birth=birth, life=life, peak_phase=peak_phase, core_peak=_log_uniform(rng, style.core_peak, n),
                core_radius=rng.uniform(*style.core_radius, n), aspect=rng.uniform(1.0, 1.6, n),
                angle=rng.uniform(0, np.pi, n), shield_peak=rng.uniform(*style.shield_peak, n),
                shield_radius=shield_radius, shield_offset=downstream[:, None] * motion[None, :], x=x, y=y,
                anchor=anchor)


def _line(rng, style: StormStyle, centre, spread, n_frames, heading) -> dict[str, np.ndarray]:
    """One squall line: cells along a segment across the flow, one shared life cycle with jitter."""
    life0 = rng.uniform(*style.line_life)
    birth0 = rng.uniform(-0.5 * life0, 0.5 * n_frames)
    peak0 = rng.uniform(0.3, 0.5)
    anchor = int(np.clip(round(birth0 + peak0 * life0), 0, n_frames - 1))
    mid = centre[anchor] + rng.normal(0, 0.5 * spread, 2)
    axis = heading + np.pi / 2 + np.deg2rad(rng.uniform(-25, 25))  # lines lie across the motion
    along = np.array([np.cos(axis), np.sin(axis)])
    length = rng.uniform(*style.line_length)
    n = max(3, int(length / rng.uniform(9.0, 13.0)))
    u = np.linspace(-0.5, 0.5, n)
    pos = mid[None, :] + (u * length)[:, None] * along[None, :]
    pos += rng.normal(0, 2.0, (n, 2))  # a slightly ragged line
    taper = 0.45 + 0.55 * np.cos(np.pi * u)  # strongest in the middle, weaker at the ends
    peak = float(_log_uniform(rng, style.core_peak, 1)[0])
    shield_radius = 1.2 * rng.uniform(*style.shield_radius, n)
    behind = -rng.uniform(1.0, 1.5, n) * shield_radius  # trailing stratiform region
    back = np.array([np.cos(heading), np.sin(heading)])
    return dict(birth=birth0 + rng.uniform(-3, 3, n), life=life0 * rng.uniform(0.85, 1.1, n),
                peak_phase=np.clip(peak0 + rng.uniform(-0.05, 0.05, n), 0.25, 0.55),
                core_peak=peak * taper * np.exp(rng.normal(0, 0.3, n)),
                core_radius=0.8 * rng.uniform(*style.core_radius, n), aspect=rng.uniform(1.8, 2.6, n),
                angle=np.full(n, axis), shield_peak=rng.uniform(*style.shield_peak, n),
                shield_radius=shield_radius, shield_offset=behind[:, None] * back[None, :],
                x=pos[:, 0], y=pos[:, 1], anchor=np.full(n, anchor))
