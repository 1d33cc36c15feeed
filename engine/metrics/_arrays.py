"""Input checks, scale conversion, max-pooling and the streaming base shared by every metric.

Metrics take numpy arrays: deterministic forecasts ``(N, T, H, W)``, ensembles ``(M, N, T, H, W)``,
observations ``(N, T, H, W)``. Bad input raises ``ValueError`` with one "expected ..., got ..." line.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

Reduce = Literal["lead", "all"]
REDUCES: tuple[str, ...] = ("lead", "all")


def check_reduce(reduce: str) -> None:
    if reduce not in REDUCES:
        raise ValueError(f"reduce: expected one of {', '.join(REDUCES)}, got {reduce!r}")


def check_shapes(pred: Any, obs: Any, *, ensemble: bool) -> None:
    """Check ranks, matching shapes and finiteness without copying (arrays or memory maps).

    Parameters
    ----------
    pred : (N, T, H, W), or (M, N, T, H, W) when ``ensemble``
    obs : (N, T, H, W)
    """
    if np.ndim(obs) != 4:
        raise ValueError(f"observed: expected 4 dimensions (N, T, H, W), got shape {np.shape(obs)}")
    want = ("M", "N", "T", "H", "W") if ensemble else ("N", "T", "H", "W")
    if np.ndim(pred) != len(want):
        raise ValueError(f"forecast: expected {len(want)} dimensions ({', '.join(want)}), got shape {np.shape(pred)}")
    if np.shape(pred)[-4:] != np.shape(obs):
        raise ValueError(f"forecast: expected (N, T, H, W) = {np.shape(obs)} to match observed, got {np.shape(pred)[-4:]}")
    if ensemble and np.shape(pred)[0] < 1:
        raise ValueError(f"forecast: expected at least 1 ensemble member, got shape {np.shape(pred)}")
    for name, arr in (("forecast", pred), ("observed", obs)):
        bad = int(np.sum(~np.isfinite(arr)))
        if bad:
            raise ValueError(f"{name}: expected finite values, got {bad} NaN/inf")


def check_pair(pred: Any, obs: Any, *, ensemble: bool) -> tuple[np.ndarray, np.ndarray]:
    """``check_shapes``, then both as float64 arrays (pred (N, T, H, W) or (M, N, T, H, W))."""
    pred = np.asarray(pred, dtype=np.float64)
    obs = np.asarray(obs, dtype=np.float64)
    check_shapes(pred, obs, ensemble=ensemble)
    return pred, obs


def max_pool(x: np.ndarray, pool: int) -> np.ndarray:
    """Max-pool the last two axes with kernel = stride = ``pool`` (PreDiff's "sevir_pool{s}").

    Like ``torch.nn.functional.max_pool2d`` (floor mode), rows / columns that do not fill a whole
    window are dropped: ``(..., H, W) -> (..., H // pool, W // pool)``.
    """
    if pool < 1:
        raise ValueError(f"pool: expected an integer >= 1, got {pool}")
    if pool == 1:
        return x
    h, w = x.shape[-2] // pool, x.shape[-1] // pool
    if h == 0 or w == 0:
        raise ValueError(f"pool: expected a window no larger than the field {x.shape[-2:]}, got {pool}")
    x = x[..., : h * pool, : w * pool]
    return x.reshape(*x.shape[:-2], h, pool, w, pool).max(axis=(-3, -1))  # (..., h, pool, w, pool) -> (..., h, w)


def to_pixel_scale(x: np.ndarray, scale: float) -> np.ndarray:
    """Map data on the ``[0, scale]`` scale to SEVIR's 0-255 pixel scale (no rounding, no clamping)."""
    if scale <= 0:
        raise ValueError(f"scale: expected a positive number (255 or 1), got {scale}")
    return x if scale == 255.0 else x * (255.0 / scale)


def lead_sum(x: np.ndarray) -> np.ndarray:
    """Sum ``(..., N, T, H, W)`` over N, H, W (and any leading axes): ``-> (T,)``."""
    axes = tuple(i for i in range(x.ndim) if i != x.ndim - 3)
    return x.sum(axis=axes)


def reduce_leads(x: np.ndarray, reduce: str) -> np.ndarray:
    """Per-lead sums ``(..., T)`` kept (``"lead"``) or pooled over leads (``"all"``)."""
    return x if reduce == "lead" else x.sum(axis=-1)


class Streaming:
    """Base of the streaming metrics: ``init -> accumulate -> merge -> compute``.

    States are frozen dataclasses of per-lead sums; ``init()`` is ``None`` (the empty state, since
    T is unknown until the first batch), and the default ``merge`` adds states field by field, so
    merging is associative and order-independent. ``metric(pred, obs)`` is the one-shot form.
    """

    def init(self) -> None:
        return None

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        for f in dataclasses.fields(a):
            if np.shape(getattr(a, f.name)) != np.shape(getattr(b, f.name)):
                raise ValueError(f"merge: expected states of equal shape, got {f.name} of shape "
                                 f"{np.shape(getattr(a, f.name))} and {np.shape(getattr(b, f.name))}")
        return dataclasses.replace(a, **{f.name: getattr(a, f.name) + getattr(b, f.name) for f in dataclasses.fields(a)})

    def accumulate(self, state: Any, pred: Any, obs: Any) -> Any:
        """Add one batch to ``state`` and return the new state (inputs are never modified)."""
        return self.merge(state, self.batch_state(pred, obs))

    def batch_state(self, pred: Any, obs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def compute(self, state: Any) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, pred: Any, obs: Any) -> dict[str, Any]:
        return self.compute(self.accumulate(self.init(), pred, obs))


def require_state(state: Any, name: str) -> None:
    if state is None:
        raise ValueError(f"{name}: expected at least one accumulated batch, got an empty state")
