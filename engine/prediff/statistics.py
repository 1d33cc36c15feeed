"""The training split's future average intensity, and assembling a PreDiff set from trained parts.

Knowledge control needs sigma, the std of the future average intensity over the training split,
and the values themselves for the exceedance probability of a target (``prediff.json``). They are
measured here on the windows the denoiser is trained on: ``t_in + t_out`` frames every ``stride``
frames of each training event, max-pooled to the set's resolution; the value of a window is the
mean of its ``t_out`` future frames, in [0, 1] VIL units.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..data.sevir.events import event_table, load_event
from .models import PARTS, check_compatible, read_part_configs
from .set_info import SetInfo, intensity_statistics, write_set_info


def future_intensities(root: str | Path, t_in: int, t_out: int, pool: int, stride: int = 12, split: str = "train",
                       limit: int | None = None, frame: int | None = None) -> np.ndarray:
    """(N,) mean of the ``t_out`` future frames of every window of the ``split`` events of a SEVIR root.

    frame : when given, the pooled frames must be ``frame`` pixels wide (the set's frame size).
    """
    if min(t_in, t_out, pool, stride) < 1:
        raise ValueError(f"t_in, t_out, pool, stride: expected positive integers, got {t_in}, {t_out}, {pool}, {stride}")
    table = event_table(root)
    ids = list(table.loc[table["split"] == split, "id"])[:limit]
    if not ids:
        raise ValueError(f"{root}: expected events of the {split!r} split, found none")
    values = []
    for event_id in ids:
        vil = load_event(root, event_id).vil  # (T, H, W) uint8
        t, h, w = vil.shape
        if h % pool or w % pool:
            raise ValueError(f"pool: expected a factor dividing the {h} x {w} frames of {event_id}, got {pool}")
        if frame is not None and (h // pool, w // pool) != (frame, frame):
            raise ValueError(f"pool: the {h} x {w} frames of {event_id} pooled by {pool} are {h // pool} x "
                             f"{w // pool}: expected the set's {frame} x {frame} (pool {h // frame})")
        for start in range(0, t - t_in - t_out + 1, stride):
            future = vil[start + t_in:start + t_in + t_out].reshape(t_out, h // pool, pool, w // pool, pool)
            values.append(future.max(axis=(2, 4)).mean() / 255.0)
    if len(values) < 2:
        raise ValueError(f"{root}: expected at least 2 training windows of {t_in + t_out} frames, got {len(values)}")
    return np.asarray(values)


def data_pool(root: str | Path, frame: int, split: str = "train") -> int:
    """The max-pool that takes the ``split`` frames of a SEVIR root to ``frame`` pixels (4 for 384 -> 96)."""
    table = event_table(root)
    ids = list(table.loc[table["split"] == split, "id"])
    if not ids:
        raise ValueError(f"{root}: expected events of the {split!r} split, found none")
    size = load_event(root, ids[0]).vil.shape[1]
    if size % frame:
        raise ValueError(f"pool: the {size}-pixel frames of {root} do not pool to the set's {frame} pixels: "
                         f"expected a frame size dividing {size}")
    return size // frame


def assemble_set(directory: str | Path, autoencoder: str | Path, denoiser: str | Path, alignment: str | Path | None,
                 root: str | Path, pool: int | None = None, description: str = "", **fields) -> SetInfo:
    """Copy three trained checkpoints into ``directory`` and write its ``prediff.json``.

    The parts are checked against each other first; the statistics come from the training split
    of the SEVIR data at ``root``, max-pooled by ``pool`` (default: the data's frame size over the
    autoencoder's). ``fields`` go to :class:`SetInfo` (schedule, num_steps, guidance_scale).
    """
    directory = Path(directory)
    staging = {"autoencoder": Path(autoencoder), "denoiser": Path(denoiser)}
    if alignment is not None:
        staging["alignment"] = Path(alignment)
    for name, source in staging.items():
        target = directory / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
    configs = read_part_configs(directory)
    check_compatible(configs["autoencoder"], configs["denoiser"], configs.get("alignment"))
    den, frame = configs["denoiser"], int(configs["autoencoder"].frame_shape[0])
    pool = data_pool(root, frame) if pool is None else pool
    values = future_intensities(root, den.context_frames, den.target_frames, pool, frame=frame)
    info = intensity_statistics(values, pool=pool, description=description, **fields)
    write_set_info(directory, info)
    return info
