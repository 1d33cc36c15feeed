"""Shared helper for the frozen config dataclasses (models, training): strict dict round trips."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any], label: str) -> T:
    """Build ``cls`` from a ``to_dict`` result (JSON lists become tuples); unknown keys are an error."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{label} config: unknown keys {unknown}; valid keys: {', '.join(sorted(known))}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
