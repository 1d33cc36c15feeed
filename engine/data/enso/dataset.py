"""Torch dataset of ICAR-ENSO forecast windows (scaled SST, Earthformer's setup)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .format import SplitName, scale_sst
from .reader import IcarEnso
from .windows import WindowSpec, nino_target_slice, window_starts


class IcarEnsoWindows(Dataset):
    """Sliding 12-in / 14-out windows over the models of one split.

    Items are ``(context, target, nino)``: scaled SST (``format.scale_sst``) of shape
    (in_months, 24, 48, 1) and (out_months, 24, 48, 1), float32, and the Nino3.4 labels of
    leads 1..out_months-2 in degC, (leads,) float32. A DataLoader batches them to
    (B, T, H, W, C) and (B, leads). Windows run model by model, in file order.

    Parameters
    ----------
    source : an ``IcarEnso`` store or its directory.
    split : ``train``, ``val``, ``test`` or ``soda``.
    spec : window lengths and stride.
    models : optional model names overriding ``split`` (e.g. ``["CMIP5-17"]``).
    """

    def __init__(self, source: IcarEnso | str | Path, split: SplitName = "train",
                 spec: WindowSpec = WindowSpec(), models: Sequence[str] | None = None) -> None:
        store = source if isinstance(source, IcarEnso) else IcarEnso(source)
        names = list(models) if models is not None else [m.name for m in store.split(split)]
        if not names:
            raise ValueError(f"split {split!r} of {store.root}: expected at least one model, got none")
        self.spec = spec
        self.models = [store.model(name) for name in names]
        self._scaled, self._nino = [], []
        for name in names:  # keep only scaled SST (scaled once: a month appears in up to 26 windows)
            series = store.load(name)
            self._scaled.append(scale_sst(series.sst).astype(np.float32)[..., None])  # (months, 24, 48, 1)
            self._nino.append(series.nino)
        rows = [(k, start) for k, info in enumerate(self.models) for start in window_starts(info.months, spec)]
        if not rows:
            raise ValueError(f"models {names}: expected series of at least {spec.total} months, got fewer")
        self._index = np.asarray(rows, dtype=np.int64)  # (N, 2): model, first month

    def __len__(self) -> int:
        return len(self._index)

    def window(self, i: int) -> tuple[str, int]:
        """(model name, first month) of window ``i``."""
        k, start = self._index[i]
        return self.models[k].name, int(start)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        k, start = (int(v) for v in self._index[i])
        frames = self._scaled[k]
        mid, end = start + self.spec.in_months, start + self.spec.total
        context = torch.from_numpy(frames[start:mid])  # (T_in, 24, 48, 1)
        target = torch.from_numpy(frames[mid:end])  # (T_out, 24, 48, 1)
        nino = torch.from_numpy(self._nino[k][nino_target_slice(start, self.spec)])  # (leads,)
        return context, target, nino
