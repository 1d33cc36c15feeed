"""Build a synthetic ICAR-ENSO directory (the app's embedded demo, and test fixtures)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..enso.format import CMIP_LABEL, CMIP_TRAIN, DATASET_ATTR, SODA_LABEL, SODA_TRAIN, Block, Layout
from .fields import ModelRun, run_model
from .params import SODA_LIKE, ClimateModel, draw_models
from .writer import dataset_attrs, run_months, write_pair

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SyntheticSpec:
    """Size of a synthetic ICAR-ENSO directory.

    The split rule is the reader's: the last CMIP5 model is the test model, the one before it the
    validation model, every other CMIP model trains. With 4 CMIP5 models that is CMIP5-03 (val)
    and CMIP5-04 (test); with the released 17 it is models 16 and 17.
    """

    cmip6_models: int = 3
    cmip6_years: int = 12
    cmip5_models: int = 4
    cmip5_years: int = 12
    soda_years: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cmip5_models < 2:
            raise ValueError(f"cmip5_models: expected >= 2 (validation and test models), got {self.cmip5_models}")
        for name in ("cmip6_models", "soda_years"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected >= 0, got {getattr(self, name)}")
        for name in ("cmip6_years", "cmip5_years"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected >= 1, got {getattr(self, name)}")

    @property
    def layout(self) -> Layout:
        return Layout(Block("CMIP6", self.cmip6_models, self.cmip6_years),
                      Block("CMIP5", self.cmip5_models, self.cmip5_years))

    def climate_models(self) -> list[ClimateModel]:
        """CMIP6 models, then CMIP5 models, each drawn from the seed."""
        return draw_models(self.cmip6_models, self.seed, "CMIP6") + draw_models(self.cmip5_models, self.seed, "CMIP5")


DEMO_SPEC = SyntheticSpec()


def _model_rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, 7919, k])  # one independent stream per model


def make_synthetic(out: str | Path, spec: SyntheticSpec = DEMO_SPEC, progress: Progress | None = None) -> Path:
    """Write CMIP_train/label.nc (and SODA_train/label.nc if ``spec.soda_years``) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda fraction, message: None)
    models = spec.climate_models()
    years = [spec.cmip6_years] * spec.cmip6_models + [spec.cmip5_years] * spec.cmip5_models
    runs: list[ModelRun] = []
    for k, (model, n_years) in enumerate(zip(models, years)):
        report(k / (len(models) + 1), f"simulating climate model {k + 1}/{len(models)}")
        runs.append(run_model(model, run_months(n_years), _model_rng(spec.seed, k)))
    report(len(models) / (len(models) + 1), "writing CMIP files")
    attrs = dataset_attrs("CMIP", spec.seed, spec.layout.as_attrs())
    write_pair(out / CMIP_TRAIN, out / CMIP_LABEL, runs, years, attrs)
    if spec.soda_years:
        soda = run_model(SODA_LIKE, run_months(spec.soda_years), _model_rng(spec.seed, 10_000))
        write_pair(out / SODA_TRAIN, out / SODA_LABEL, [soda], [spec.soda_years], dataset_attrs("SODA", spec.seed))
    else:  # no stale SODA pair from an earlier run with another seed
        for name in (SODA_TRAIN, SODA_LABEL):
            (out / name).unlink(missing_ok=True)
    report(1.0, "done")
    return out


def demo_dir(root: str | Path | None = None) -> Path:
    """Where the embedded ENSO demo lives: ``root`` or ``demo_root() / "icar_enso"``."""
    if root is not None:
        return Path(root)
    from ..sources import demo_root

    return demo_root() / "icar_enso"


def ensure_enso_demo(root: str | Path | None = None, progress: Progress | None = None,
                     spec: SyntheticSpec = DEMO_SPEC) -> Path:
    """Return the demo directory, generating it first if it is missing or a broken synthetic set.

    A directory whose ``CMIP_train.nc`` is not synthetic (e.g. the released files) is never
    overwritten: its error is raised instead.
    """
    from ..enso.reader import IcarEnso

    path = demo_dir(root)
    try:
        IcarEnso(path)
        return path
    except ValueError:
        if (path / CMIP_TRAIN).exists() and not _is_synthetic(path / CMIP_TRAIN):
            raise
    make_synthetic(path, spec, progress)
    return path


def _is_synthetic(path: Path) -> bool:
    """Whether ``path`` was written by this generator (it carries the ``efs_dataset`` attribute)."""
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            return DATASET_ATTR in ds.ncattrs()
    except OSError:
        return True  # unreadable (e.g. an interrupted write): safe to replace
