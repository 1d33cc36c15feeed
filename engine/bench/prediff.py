"""PreDiff ensemble timing: an 8-member demo ensemble with the default sampler, stage by stage.

Target (issue 8): at most 10 s for 8 members with the default 20-step sampler on a 2-core
CPU. The published sampler takes 1000 DDPM steps; the network calls of both are counted by the
one sampling loop, and the 1000-step time is extrapolated from the measured time per call (one
run of 1000 calls would take minutes). Without a trained set the demo presets run with random
weights: the timing is the same (the cost does not depend on the weights), the samples are noise.

Shared machines run at different speeds from hour to hour, so a run also counts the ensemble's
matrix-product and convolution FLOPs and measures this machine's float32 matmul peak at the same
thread count: achieved GFLOP/s over that peak is comparable between sittings, the seconds are not.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ..diffusion.samplers import DEFAULT_SAMPLER, get_sampler, sample, spare_core
from ..models.prediff.alignment import AlignmentNet
from ..models.prediff.alignment_config import PREDIFF_ALIGNMENT_DEMO
from ..models.prediff.autoencoder import FrameAutoencoder
from ..models.prediff.autoencoder_config import PREDIFF_VAE_DEMO
from ..models.prediff.denoiser import LatentDenoiser
from ..models.prediff.denoiser_config import PREDIFF_DENOISER_DEMO
from ..prediff import PreDiffForecaster, PreDiffModels, intensity_statistics
from .earthformer import matmul_peak_gflops

DEMO_SET = "prediff_demo"  # label of the trained demo set in the model folders (assets/models/prediff_demo)
TARGET_SECONDS = 10.0


@dataclass(frozen=True)
class PreDiffTiming:
    """Median seconds of one ensemble call and of its stages, over ``repeats`` runs."""

    source: str  # the set's directory, or "random-weight demo presets"
    trained: bool
    members: int
    steps: int
    sampler: str
    guided: bool
    seconds: float
    stages: dict[str, float]  # encode, denoise (all network calls incl. guidance), decode
    network_calls: int
    threads: int
    load_average: float
    runs: list[float] = field(default_factory=list)
    sequential: float | None = None  # median seconds with the guidance after the denoiser, if timed
    beside: float | None = None  # ... and beside it (on a second thread), if timed
    overlapped: bool = False  # whether ``seconds`` is the "beside" arrangement (the loop's default here)
    gflop: float | None = None  # matmul + convolution GFLOP of one ensemble call (see ensemble_gflop)
    peak_gflops: float | None = None  # float32 matmul peak measured in this run at ``threads`` threads

    @property
    def seconds_per_call(self) -> float:
        return self.stages["denoise"] / max(self.network_calls, 1)

    @property
    def achieved_gflops(self) -> float | None:
        return None if self.gflop is None else self.gflop / self.seconds

    @property
    def fraction_of_peak(self) -> float | None:
        """Achieved GFLOP/s over the measured matmul peak: the figure to compare between sittings."""
        return None if self.gflop is None or not self.peak_gflops else self.achieved_gflops / self.peak_gflops


def random_demo_models(seed: int = 0) -> PreDiffModels:
    """The demo presets (96 x 96 frames, 12 x 12 x 4 latents, 13 + 12 frames) with random weights."""
    torch.manual_seed(seed)
    info = intensity_statistics(np.linspace(0.0, 0.1, 64), pool=4, description="random weights (benchmark only)")
    return PreDiffModels(FrameAutoencoder(PREDIFF_VAE_DEMO), LatentDenoiser(PREDIFF_DENOISER_DEMO),
                         AlignmentNet(PREDIFF_ALIGNMENT_DEMO), info)


def bench_models(directory: str | Path | None) -> tuple[PreDiffModels, str, bool]:
    """(models, source, trained): ``directory``'s set, else the trained demo set if installed, else random weights."""
    if directory is None:
        from ..api.scenarios import scenario_sets

        found = [s for s in scenario_sets()[0] if s.label == DEMO_SET]
        directory = found[0].path if found else None
    if directory is None:
        return random_demo_models(), "random-weight demo presets", False
    return PreDiffModels.from_directory(directory), str(directory), True


def _count_gflop(run) -> float:
    counter = FlopCounterMode(display=False)
    with counter:  # no torch.no_grad(): FlopCounterMode's module tracker needs autograd
        run()
    return counter.get_total_flops() / 1e9


def ensemble_gflop(models: PreDiffModels, members: int, steps: int, guided: bool) -> dict[str, float]:
    """GFLOP of one ensemble of one context, by stage (2 FLOP per multiply-add; matrix products
    and convolutions as ``FlopCounterMode`` counts them, not norms or activations).

    encode: the context frames; denoise: ``steps`` denoiser calls for ``members`` samples; guide:
    as many alignment forward + backward passes (gradient in z_t only); decode: the members.
    Counted on one sample (every stage is linear in the batch), so it costs about one call.
    """
    t_in, (h, w, c) = models.context_frames, models.frame_shape
    target = models.denoiser.config.target_shape  # (T_out, h, w, c) latent
    t = torch.full((1,), 500, dtype=torch.long)
    z = torch.zeros(1, *target)
    z_context = torch.zeros(1, t_in, *target[1:])

    def guide() -> None:
        # backward() rather than autograd.grad, which FlopCounterMode's hooks refuse on a leaf; with
        # the weights frozen for the count it computes the z_t gradient and nothing else, like the loop.
        params = list(models.alignment.parameters())
        flags = [p.requires_grad for p in params]
        models.alignment.requires_grad_(False)
        try:
            z_t = z.clone().requires_grad_(True)
            models.alignment(z_t, t).sum().backward()
        finally:
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)

    stages = {
        "encode": _count_gflop(lambda: models.autoencoder.encode(torch.zeros(1, t_in, h, w, c))),
        "denoise": members * steps * _count_gflop(lambda: models.denoiser(z, t, z_context)),
        "decode": members * _count_gflop(lambda: models.autoencoder.decode(z)),
    }
    stages["guide"] = members * steps * _count_gflop(guide) if guided and models.alignment is not None else 0.0
    return stages


def _one_ensemble(forecaster: PreDiffForecaster, context: torch.Tensor, anticipated: torch.Tensor, members: int,
                  steps: int | None, sampler: str, guided: bool, seed: int,
                  overlap_guidance: bool | None) -> tuple[float, dict[str, float], int]:
    """(seconds, stage seconds, network calls) of one ensemble call."""
    marks: dict[str, float] = {}

    def progress(fraction: float, message: str) -> None:
        key = "start" if fraction == 0 else "decode" if message.startswith("Decoding") else None
        if key:
            marks[key] = time.perf_counter()

    started = time.perf_counter()
    out = forecaster.sample(context, members=members, steps=steps, sampler=sampler, seed=seed,
                            n_sigma=1.0 if guided and forecaster.models.alignment is not None else None,
                            anticipated=anticipated, progress=progress, overlap_guidance=overlap_guidance)
    ended = time.perf_counter()
    return ended - started, {"denoise": marks["decode"] - marks["start"], "decode": ended - marks["decode"]}, \
        out.network_calls


def time_ensembles(models: PreDiffModels, variants: dict[str, bool | None], members: int = 8, steps: int | None = None,
                   sampler: str = DEFAULT_SAMPLER, guided: bool = True, repeats: int = 3,
                   seed: int = 0) -> dict[str, tuple[float, dict[str, float], int, list[float]]]:
    """Per variant (name -> ``overlap_guidance``): (median seconds, median stage seconds, network
    calls, every run) of ``members`` futures of one context. Variants take turns within every
    repeat, so a machine that speeds up or slows down meanwhile affects them alike."""
    forecaster = PreDiffForecaster(models)
    t_in, (h, w, c) = models.context_frames, models.frame_shape
    context = torch.rand((1, t_in, h, w, c), generator=torch.Generator().manual_seed(seed))
    anticipated = context[:, -1:].expand(-1, models.target_frames, -1, -1, -1)  # persistence
    runs: dict[str, list] = {name: [] for name in variants}
    for repeat in range(repeats + 1):  # the first round warms up allocator and kernels
        for name, overlap in variants.items():
            run = _one_ensemble(forecaster, context, anticipated, members, steps, sampler, guided, seed, overlap)
            if repeat:
                runs[name].append(run)
    result = {}
    for name, done in runs.items():
        stages = {k: statistics.median(r[1][k] for r in done) for k in done[0][1]}
        result[name] = (statistics.median(r[0] for r in done), stages, done[0][2], [r[0] for r in done])
    return result


def network_calls(sampler: str, steps: int | None, num_steps: int = 1000) -> int:
    """Denoiser calls of ``sampler`` with ``steps`` (None: its default), counted by the sampling loop."""
    from ..diffusion.schedule import NoiseSchedule

    result = sample(lambda z, t: torch.zeros_like(z), (1, 1), NoiseSchedule.from_name("linear", num_steps),
                    get_sampler(sampler), steps, torch.Generator().manual_seed(0))
    return result.network_calls


def bench_prediff(directory: str | Path | None = None, members: int = 8, steps: int | None = None,
                  sampler: str = DEFAULT_SAMPLER, guided: bool = True, repeats: int = 3,
                  compare_sequential: bool = False) -> PreDiffTiming:
    """Time the ensemble as the sampling loop runs it by default. With ``compare_sequential``
    (guided only) the guidance is timed both beside the denoiser and after it, taking turns; the
    default's figures are the arrangement the loop picks here, ``sequential`` the "after" time."""
    models, source, trained = bench_models(directory)
    guided = guided and models.alignment is not None
    peak_before = matmul_peak_gflops(torch.float32, torch.device("cpu"))
    variants: dict[str, bool | None] = {"default": None}
    if compare_sequential and guided:
        variants = {"beside": True, "after": False}
    timed = time_ensembles(models, variants, members, steps, sampler, guided, repeats)
    overlapped = guided and spare_core()  # what the sampling loop picks by default
    chosen = "default" if "default" in timed else "beside" if overlapped else "after"
    seconds, stages, calls, runs = timed[chosen]
    sequential = timed["after"][0] if "after" in timed else None
    beside = timed["beside"][0] if "beside" in timed else None
    # The peak is taken before and after the runs (the best of both): a machine that slowed down
    # meanwhile shows up as a lower fraction of peak, never as a flattering one.
    peak = max(peak_before, matmul_peak_gflops(torch.float32, torch.device("cpu")))
    steps_taken = network_calls(sampler, steps)  # per member; ``calls`` counts batched calls over every chunk
    gflop = sum(ensemble_gflop(models, members, steps_taken, guided).values())
    return PreDiffTiming(source, trained, members, steps_taken, sampler, guided, seconds, stages, calls,
                         torch.get_num_threads(), os.getloadavg()[0], runs, sequential, beside, overlapped,
                         gflop, peak)
