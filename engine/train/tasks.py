"""What a batch means and how validation is scored, per kind of data.

A task splits a batch into model input and target (both (B, T, H, W, C)) and streams the
validation scores. The selection metric is lower-is-better: -CSI-M for storms (VIL thresholds
on the 0-255 scale, Earthformer's model selection) and -C-Nino3.4-M for ENSO. States are
plain dicts of streaming-metric states, so processes merge them exactly (``merge``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..metrics.categorical import THRESHOLDS, CategoricalScores
from ..metrics.enso import Nino34Scores


def _merge_sums(a: dict, b: dict) -> dict:
    return {"sse": a["sse"] + b["sse"], "n": a["n"] + b["n"]}


@dataclass(frozen=True)
class SevirTask:
    """Batches (B, in_len + out_len, H, W, 1) in [0, 1]: the first frames in, the rest out."""

    in_len: int
    out_len: int
    thresholds: tuple[float, ...] = THRESHOLDS
    selection: str = "-CSI-M"

    def split(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return batch[:, :self.in_len], batch[:, self.in_len:self.in_len + self.out_len]

    def metric(self) -> CategoricalScores:
        return CategoricalScores(self.thresholds, reduce="all", scale=1.0)

    def init(self) -> dict[str, Any]:
        return {"table": None, "sse": 0.0, "n": 0}

    def accumulate(self, state: dict, pred: torch.Tensor, batch: Any) -> dict:
        _, target = self.split(batch)
        p = pred.detach().cpu().numpy()[..., 0].astype(np.float64)  # (B, T, H, W); sums in float64
        o = target.cpu().numpy()[..., 0].astype(np.float64)
        table = self.metric().accumulate(state["table"], p, o)
        return {"table": table, "sse": state["sse"] + float(((p - o) ** 2).sum()), "n": state["n"] + p.size}

    def merge(self, a: dict, b: dict) -> dict:
        return {"table": self.metric().merge(a["table"], b["table"]), **_merge_sums(a, b)}

    def compute(self, state: dict) -> dict[str, float]:
        scores = self.metric().compute(state["table"])
        out = {"MSE": state["sse"] / max(state["n"], 1), "CSI-M": float(scores["CSI-M"])}
        out.update({f"CSI-{int(t)}": float(c) for t, c in zip(self.thresholds, scores["CSI"])})
        out["selection"] = -out["CSI-M"]
        return out


@dataclass(frozen=True)
class EnsoTask:
    """Batches (context, target, nino): scaled SST in and out, Nino3.4 labels (B, leads) in degC."""

    selection: str = "-C-Nino3.4-M"

    def split(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return batch[0], batch[1]

    def init(self) -> dict[str, Any]:
        return {"nino": None, "sse": 0.0, "n": 0}

    def accumulate(self, state: dict, pred: torch.Tensor, batch: Any) -> dict:
        from ..data.enso.nino import nino34_from_scaled

        _, target, nino = batch
        p = pred.detach().cpu().numpy().astype(np.float64)
        forecast = nino34_from_scaled(p)[:, :nino.shape[1]]  # (B, leads), degC
        moments = Nino34Scores().accumulate(state["nino"], forecast, nino.numpy())
        sse = float(((p - target.numpy().astype(np.float64)) ** 2).sum())
        return {"nino": moments, "sse": state["sse"] + sse, "n": state["n"] + p.size}

    def merge(self, a: dict, b: dict) -> dict:
        return {"nino": Nino34Scores().merge(a["nino"], b["nino"]), **_merge_sums(a, b)}

    def compute(self, state: dict) -> dict[str, float]:
        scores = Nino34Scores().compute(state["nino"])
        out = {"MSE": state["sse"] / max(state["n"], 1), "C-Nino3.4-M": scores["C-Nino3.4-M"],
               "C-Nino3.4-WM": scores["C-Nino3.4-WM"], "Nino3.4 RMSE": scores["Nino3.4 RMSE"]}
        out["selection"] = -out["C-Nino3.4-M"]
        return {k: float(v) for k, v in out.items()}


def task_for(spec) -> SevirTask | EnsoTask:
    """The task of a resolved :class:`~engine.train.data.DataSpec`."""
    return EnsoTask() if spec.kind == "icar_enso" else SevirTask(spec.in_len, spec.out_len)
