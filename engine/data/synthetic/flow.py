"""The steering flow: a large-scale wind that carries every storm feature.

velocity(x, y, t) = U(t) + (-dpsi/dy, dpsi/dx): a mean vector U whose direction turns and whose
speed drifts slowly over the 4-hour event, plus a non-divergent perturbation from a streamfunction
psi made of a few plane waves 400-1200 km long that drift slowly in time. The perturbation is
about 15 % of the mean speed, so the flow is smooth in space and time, as synoptic steering is.

Coordinates are image pixels (1 km): x = column (east), y = row (row 0 is the north edge, so y
points south); t in frames (5 min); velocities in pixels per frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class SteeringFlow:
    """A smooth, slowly varying, large-scale steering flow.

    Attributes
    ----------
    speed : mean speed at the middle frame ``t_mid``, pixels/frame.
    heading : direction the flow blows *towards* at ``t_mid``, radians, counter-clockwise from east
        with north up (so ``vy = -speed * sin(heading)`` in row units).
    turn : change of heading per frame, radians.
    accel : relative change of speed per frame.
    wave_k : (K, 2) wave vectors (kx, ky), radians per pixel.
    wave_amp : (K,) streamfunction amplitudes, pixels² per frame.
    wave_phase : (K,) phases, radians.
    wave_omega : (K,) phase drift per frame, radians.
    t_mid : the frame the mean values refer to.
    """

    speed: float
    heading: float
    turn: float
    accel: float
    wave_k: np.ndarray
    wave_amp: np.ndarray
    wave_phase: np.ndarray
    wave_omega: np.ndarray
    t_mid: float = 24.0

    def mean(self, t: float) -> tuple[float, float]:
        """Mean velocity (vx, vy) at frame t, pixels/frame."""
        dt = t - self.t_mid
        s = self.speed * max(0.2, 1.0 + self.accel * dt)
        h = self.heading + self.turn * dt
        return s * np.cos(h), -s * np.sin(h)

    def velocity(self, x: np.ndarray, y: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Velocity (vx, vy) in pixels/frame at positions (x, y) (any equal shapes) and frame t."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        mx, my = self.mean(t)
        vx = np.full(np.broadcast(x, y).shape, mx)
        vy = np.full(vx.shape, my)
        for (kx, ky), a, phase, omega in zip(self.wave_k, self.wave_amp, self.wave_phase, self.wave_omega):
            c = a * np.cos(kx * x + ky * y + phase + omega * t)  # d/dx sin(...) = kx cos(...)
            vx -= ky * c  # u = -dpsi/dy
            vy += kx * c  # v = +dpsi/dx
        return vx, vy

    def step(self, x: np.ndarray, y: np.ndarray, t: float, dt: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Move points from frame t to t + dt with a midpoint (RK2) step; dt < 0 goes back."""
        vx, vy = self.velocity(x, y, t)
        vx, vy = self.velocity(x + 0.5 * dt * vx, y + 0.5 * dt * vy, t + 0.5 * dt)
        return x + dt * vx, y + dt * vy


def sample_flow(rng: np.random.Generator, speed_range: tuple[float, float], n_frames: int = 49,
                n_waves: int = 3, perturbation: float = 0.15) -> SteeringFlow:
    """Draw a steering flow: speed in ``speed_range`` (pixels/frame), mostly towards the E-NE.

    Storms over the US mostly move with the westerlies, so headings are drawn between east-south-east
    and north-north-east, with one event in six heading anywhere.
    """
    speed = rng.uniform(*speed_range)
    if rng.random() < 1 / 6:
        heading = rng.uniform(-np.pi, np.pi)
    else:
        heading = np.deg2rad(rng.uniform(-30.0, 70.0))
    turn = np.deg2rad(rng.uniform(-20.0, 20.0)) / n_frames  # at most +-20 degrees over the event
    accel = rng.uniform(-0.25, 0.25) / n_frames  # at most +-25 % over the event
    wavelength = rng.uniform(400.0, 1200.0, n_waves)
    angle = rng.uniform(0, 2 * np.pi, n_waves)
    kmag = 2 * np.pi / wavelength
    wave_k = np.stack([kmag * np.cos(angle), kmag * np.sin(angle)], axis=1)
    # |perturbation velocity| of one wave = amp * |k|; share the target among the waves.
    amp = perturbation * speed / kmag / np.sqrt(n_waves) * rng.uniform(0.7, 1.3, n_waves)
    return SteeringFlow(speed=float(speed), heading=float(heading), turn=float(turn), accel=float(accel),
                        wave_k=wave_k, wave_amp=amp, wave_phase=rng.uniform(0, 2 * np.pi, n_waves),
                        wave_omega=rng.uniform(-0.02, 0.02, n_waves), t_mid=(n_frames - 1) / 2)


def track(flow: SteeringFlow, x0: np.ndarray, y0: np.ndarray, t0: np.ndarray, n_frames: int) -> np.ndarray:
    """Positions of points carried by the flow at every frame.

    Parameters
    ----------
    x0, y0 : (N,) positions at frame ``t0`` (pixels); t0 : (N,) integer frames in [0, n_frames).

    Returns
    -------
    float64 (N, n_frames, 2) positions (x, y), integrated forward and backward from t0.
    """
    t0 = np.asarray(t0, dtype=np.int64)
    out = np.zeros((len(t0), n_frames, 2))
    out[np.arange(len(t0)), t0] = np.stack([x0, y0], axis=1)
    for t in range(1, n_frames):  # forward: points whose anchor is before t
        later = t0 < t
        x, y = flow.step(out[later, t - 1, 0], out[later, t - 1, 1], t - 1)
        out[later, t] = np.stack([x, y], axis=1)
    for t in range(n_frames - 2, -1, -1):  # backward: points whose anchor is after t
        earlier = t0 > t
        x, y = flow.step(out[earlier, t + 1, 0], out[earlier, t + 1, 1], t + 1, dt=-1.0)
        out[earlier, t] = np.stack([x, y], axis=1)
    return out


def departure_points(flow: SteeringFlow, xs: np.ndarray, ys: np.ndarray, n_frames: int) -> np.ndarray:
    """Where the air at each grid point came from at frame 0 (semi-Lagrangian back-trajectories).

    Parameters
    ----------
    xs, ys : 1-D pixel coordinates of a regular grid's columns and rows (equally spaced).

    Returns
    -------
    float64 (n_frames, 2, len(ys), len(xs)): departure (x, y) at frame 0 of each grid point at frame t.
    A pattern drawn at frame 0 and sampled at these points moves with the flow.

    Notes
    -----
    Built incrementally: D_t(p) = D_{t-1}(p - v dt), with D_{t-1} interpolated bilinearly at the
    back-stepped point, so cost is linear in the number of frames.
    """
    gx, gy = np.meshgrid(xs, ys)
    spacing = xs[1] - xs[0]
    out = np.empty((n_frames, 2) + gx.shape)
    out[0] = gx, gy
    for t in range(1, n_frames):
        bx, by = flow.step(gx, gy, t, dt=-1.0)  # where this point was one frame earlier
        rows, cols = (by - ys[0]) / spacing, (bx - xs[0]) / spacing
        for c in range(2):  # interpolate the previous departure map at the back-stepped points
            out[t, c] = ndimage.map_coordinates(out[t - 1, c], [rows, cols], order=1, mode="nearest")
        # Beyond the grid (upstream edge) extrapolate with an identity Jacobian: the flow varies on
        # scales of hundreds of km, so D(p) ~ D(edge) + (p - edge) over the few pixels involved.
        out[t, 0] += (cols - np.clip(cols, 0, len(xs) - 1)) * spacing
        out[t, 1] += (rows - np.clip(rows, 0, len(ys) - 1)) * spacing
    return out
