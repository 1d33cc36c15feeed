"""Tiny models run single-threaded (see tests/torch_threads.py)."""
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse fixture)
