"""``prediff.json``: what a PreDiff set needs besides its three networks.

The knowledge-control target is F0 = mu + n * sigma, where sigma is the standard deviation of the
future average intensity over the training split, and the page prints the empirical probability
of an outcome at least as intense as F0 in that split. Both come from the same training values,
stored here as a sorted array (at most :data:`MAX_STORED_VALUES` quantiles, so a large split stays
a small file and the probability stays exact to 1 / MAX_STORED_VALUES).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..diffusion.guidance import PUBLISHED_SCALE
from ..diffusion.schedule import SCHEDULE_NAMES

SET_FILE = "prediff.json"
FORMAT_VERSION = 1
MAX_STORED_VALUES = 2000


@dataclass(frozen=True)
class SetInfo:
    """The non-network part of a PreDiff set.

    sigma : std of the future average intensity (mean over the T_out target frames and space, in
        [0, 1] VIL units) over the training split.
    train_values : those training averages, sorted (for the exceedance probability of a target).
    mu_train : their mean (shown for reference; the target's mu is the anticipated intensity).
    schedule, num_steps : the noise schedule the denoiser was trained with.
    guidance_scale : lambda of the knowledge control (published: 50).
    alignment_calibration : (slope a, intercept b) of decoded intensity ~ a * U(z_0, 0) + b, fitted
        on the set's own samples (``python -m engine prediff calibrate``); guidance aims the
        alignment network at (F0 - b) / a so the *decoded* futures land on F0. (1, 0), the
        published behaviour, trusts the alignment network as it is.
    alignment_ceiling : the per-frame reading past which sampled frames stop brightening, also
        measured by ``prediff calibrate``; guidance pushes no frame up beyond it (see
        :class:`~engine.diffusion.guidance.KnowledgeControl`). None: no ceiling (published).
    pool : max-pool factor from SEVIR's 384 x 384 frames to the set's frames (4 for the demo).
    description : free text shown with the set (e.g. how it was trained).
    """

    sigma: float
    train_values: tuple[float, ...]
    mu_train: float
    schedule: str = "linear"
    num_steps: int = 1000
    guidance_scale: float = PUBLISHED_SCALE
    alignment_calibration: tuple[float, float] = (1.0, 0.0)
    alignment_ceiling: float | None = None
    pool: int = 1
    description: str = ""
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULE_NAMES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULE_NAMES)}, got {self.schedule!r}")
        if not math.isfinite(self.sigma) or self.sigma <= 0:
            raise ValueError(f"sigma: expected a finite value > 0, got {self.sigma}")
        values = np.asarray(self.train_values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"train_values: expected a non-empty list of finite numbers, got {values.size} values")
        if np.any(np.diff(values) < 0):
            raise ValueError("train_values: expected values sorted in increasing order, got an unsorted list")
        if int(self.num_steps) != self.num_steps or self.num_steps < 1:
            raise ValueError(f"num_steps: expected a positive integer, got {self.num_steps}")
        if not math.isfinite(self.guidance_scale) or self.guidance_scale < 0:
            raise ValueError(f"guidance_scale: expected a finite value >= 0, got {self.guidance_scale}")
        slope, intercept = (float(v) for v in self.alignment_calibration)
        if not (math.isfinite(slope) and math.isfinite(intercept) and slope > 0):
            raise ValueError(f"alignment_calibration: expected (slope > 0, intercept), finite, got "
                             f"{tuple(self.alignment_calibration)}")
        object.__setattr__(self, "alignment_calibration", (slope, intercept))
        if self.alignment_ceiling is not None:
            try:
                ceiling = float(self.alignment_ceiling)
            except (TypeError, ValueError):
                ceiling = math.nan
            if not (math.isfinite(ceiling) and ceiling > 0):
                raise ValueError(f"alignment_ceiling: expected a finite reading > 0 or null, got {self.alignment_ceiling}")
            object.__setattr__(self, "alignment_ceiling", ceiling)
        if int(self.pool) != self.pool or self.pool < 1:
            raise ValueError(f"pool: expected a positive integer, got {self.pool}")


def intensity_statistics(values: Sequence[float] | np.ndarray, **fields: Any) -> SetInfo:
    """A :class:`SetInfo` from the training split's future average intensities (N,), any order.

    More than :data:`MAX_STORED_VALUES` values are stored as that many evenly spaced quantiles;
    sigma and mu_train use every value. ``fields`` sets the other attributes.
    """
    values = np.sort(np.asarray(values, dtype=np.float64).reshape(-1))
    if values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"values: expected at least 2 finite training averages, got {values.size}")
    stored = values if values.size <= MAX_STORED_VALUES else np.quantile(values, np.linspace(0, 1, MAX_STORED_VALUES))
    return SetInfo(sigma=float(values.std(ddof=1)), train_values=tuple(float(v) for v in stored),
                   mu_train=float(values.mean()), **fields)


def write_set_info(directory: str | Path, info: SetInfo) -> Path:
    """Write ``prediff.json`` into ``directory``; returns its path."""
    path = Path(directory) / SET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"format_version": FORMAT_VERSION, **asdict(info), "train_values": list(info.train_values)}
    path.write_text(json.dumps(document, indent=1))
    return path


def read_set_info(directory: str | Path) -> SetInfo:
    """The :class:`SetInfo` of the set in ``directory``; ValueError naming the file otherwise."""
    path = Path(directory) / SET_FILE
    if not path.is_file():
        raise ValueError(f"PreDiff set {directory}: expected {SET_FILE}, found none")
    try:
        document = json.loads(path.read_text())
        document.pop("format_version", None)
        document["train_values"] = tuple(document["train_values"])
        if "alignment_calibration" in document:
            document["alignment_calibration"] = tuple(document["alignment_calibration"])
        return SetInfo(**document)
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: expected the keys of SetInfo ({err.__class__.__name__}: {err})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
