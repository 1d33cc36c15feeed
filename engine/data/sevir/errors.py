"""The one error type for bad SEVIR data (missing files, columns, events, wrong shapes)."""
from __future__ import annotations


class StormDataError(ValueError):
    """Bad or missing storm data; the message names the file / column / event at fault."""
