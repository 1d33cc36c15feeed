"""Shared inputs of the diffusion tests: the published schedule and analytic Gaussian data."""
from __future__ import annotations

import pytest

from engine.diffusion import NoiseSchedule

from .gaussian import GaussianData


@pytest.fixture(scope="session")
def schedule() -> NoiseSchedule:
    return NoiseSchedule.from_name("linear")


@pytest.fixture(scope="session")
def gaussian(schedule) -> GaussianData:
    return GaussianData(schedule)
