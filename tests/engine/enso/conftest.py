"""A tiny synthetic ICAR-ENSO directory, written once per session (well under a second)."""
from __future__ import annotations

import pytest

from engine.data.synthetic_enso import SyntheticSpec, make_synthetic

# Block lengths chosen so the fold meets every remainder: (5 - 1) % 3 = 1, (6 - 1) % 3 = 2, (4 - 1) % 3 = 0.
TINY = SyntheticSpec(cmip6_models=2, cmip6_years=5, cmip5_models=3, cmip5_years=6, soda_years=4, seed=3)


@pytest.fixture(scope="session")
def enso_dir(tmp_path_factory):
    return make_synthetic(tmp_path_factory.mktemp("icar_enso"), TINY)
