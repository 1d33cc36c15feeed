"""STEPS ensembles (Bowler, Pierce and Seed 2006, through pysteps) on SEVIR VIL.

STEPS models rain rates in dB: a cascade of spatial scales, each an AR(2) process advected by the
motion field, with stochastic noise and motion perturbations per member. VIL is not a rain rate,
but its SEVIR pixel encoding is affine in dB above pixel 18 (X = 8.957 dB + 83.9), so we treat
decoded VIL (kg/m^2) as the intensity: pixels -> kg/m^2 -> dB (VIL below ``vil_threshold`` is
"no echo", set 5 dB below the threshold) -> Proesmans motion and STEPS -> kg/m^2 -> pixels,
clipped to [0, 255] and returned on the caller's scale. pysteps' progress tables are silenced.
"""
from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np

from .._pysteps import import_pysteps
from ._checks import check_context
from .extrapolation import estimate_motion
from ..data.sevir.format import vil_kg_to_pixels as encode
from ..data.sevir.format import vil_pixels_to_kg as decode

NO_ECHO_DB = 5.0  # dB below the threshold given to "no echo" pixels, like pysteps' examples


def steps(context: Any, n_steps: int, *, members: int = 8, seed: int | None = 0, scale: float = 255.0,
          kmperpixel: float = 1.0, timestep: float = 5.0, n_cascade_levels: int = 6,
          vil_threshold: float = 0.05) -> np.ndarray:
    """A STEPS ensemble nowcast of VIL.

    Parameters
    ----------
    context : (T_in, H, W), T_in >= 3 (AR(2) needs three frames), VIL on the ``[0, scale]`` scale.
    n_steps : leads to forecast, in context time steps.
    members : ensemble size M.
    seed : seeds pysteps' noise and motion perturbations (same seed -> same ensemble).
    scale : 255 for pixels, 1 for [0, 1] data.
    kmperpixel, timestep : grid spacing and frame interval (SEVIR 1 km, 5 min; SEVIR-LR 3 km, 10 min).
    n_cascade_levels : spatial scales of the cascade (fewer on small grids).
    vil_threshold : kg/m^2 below which a pixel is "no echo" (0.05 ~ pixel 6.5, under the
        lowest verification threshold 16 = 0.154 kg/m^2).

    Returns
    -------
    (members, n_steps, H, W) on the ``[0, scale]`` scale.
    """
    context = check_context(context, n_steps, min_frames=3, fields=True)
    if members < 1:
        raise ValueError(f"members: expected at least 1 ensemble member, got {members}")
    import_pysteps()
    from pysteps import nowcasts

    vil = decode(context * (255.0 / scale))
    db_thr = 10.0 * np.log10(vil_threshold)
    db = np.where(vil >= vil_threshold, 10.0 * np.log10(np.maximum(vil, vil_threshold)), db_thr - NO_ECHO_DB)
    if np.all(vil < vil_threshold):  # nothing to nowcast: STEPS would fail on a field without echoes
        return np.zeros((members, int(n_steps), *context.shape[1:]))
    velocity = estimate_motion(db)
    with contextlib.redirect_stdout(io.StringIO()):  # STEPS prints configuration and progress tables
        out = nowcasts.get_method("steps")(
            db[-3:], velocity, int(n_steps), n_ens_members=int(members), n_cascade_levels=n_cascade_levels,
            precip_thr=db_thr, kmperpixel=kmperpixel, timestep=timestep, seed=seed, mask_method="incremental",
            vel_pert_method="bps", noise_method="nonparametric", probmatching_method="cdf")
    out = np.nan_to_num(np.asarray(out, dtype=np.float64), nan=db_thr - NO_ECHO_DB)  # outside the domain: no echo
    vil_out = np.where(out >= db_thr, 10.0 ** (out / 10.0), 0.0)
    return encode(vil_out) * (scale / 255.0)
