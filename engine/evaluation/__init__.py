"""Evaluating forecasters over a data split: the papers' score tables, streamed batch by batch.

``evaluate(EvalRequest(...))`` reads a split's windows once (``windows``), runs every candidate
(a checkpoint directory of any model family, or a baseline name: ``candidates``) on the same
contexts, accumulates the streaming metrics of ``engine.metrics`` per candidate (``scores``) and
returns plain dicts that ``tables`` prints in the layout of the Earthformer / PreDiff tables.

Data are prepared to match the models: the window lengths and the frame size come from the
first checkpoint's config, and SEVIR frames larger than the model's are max-pooled by the
integer factor (the demo models see 384 x 384 VIL pooled by 4). Baselines run at that same
resolution, so every row is scored on identical samples and pixels.
"""
from .candidates import Candidate, baseline_names
from .run import EvalRequest, evaluate
from .tables import format_enso_table, format_sevir_table
from .windows import pooled_factor

__all__ = [
    "Candidate",
    "EvalRequest",
    "baseline_names",
    "evaluate",
    "format_enso_table",
    "format_sevir_table",
    "pooled_factor",
]
