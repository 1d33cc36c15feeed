"""One torch thread per test, for the test packages whose conftest imports this fixture.

Tiny models run single-threaded: on a shared 2-core machine, two threads on small tensors spend
most of their time waiting for each other (measured 20x slower per step under load).
"""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
