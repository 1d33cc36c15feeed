"""The forward noising process of a DDPM: betas and every quantity derived from them.

PreDiff (Gao et al., NeurIPS 2023) uses the latent-diffusion "linear" schedule: 1000 betas that
are the squares of a linspace of sqrt(beta) from sqrt(1e-4) to sqrt(2e-2) (reference C.3). All
tables are float64 and are cast to the tensor's dtype and device only where they are used, so the
tiny values near t = 0 keep their precision.

Time convention: ``t`` in ``0 .. num_steps - 1`` indexes the noising steps (``z_t`` has seen
``t + 1`` betas); ``t = -1`` stands for clean data (alpha_bar = 1), the end point of sampling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch

ScheduleName = Literal["linear", "cosine"]
SCHEDULE_NAMES: tuple[str, ...] = ("linear", "cosine")
LOG_VARIANCE_FLOOR = 1e-20  # published clip of the posterior variance before its log


def _betas(name: str, num_steps: int, beta_start: float, beta_end: float, cosine_s: float) -> torch.Tensor:
    if name == "linear":
        root = torch.linspace(math.sqrt(beta_start), math.sqrt(beta_end), num_steps, dtype=torch.float64)
        return root**2
    if name == "cosine":
        # Nichol & Dhariwal (2021): alpha_bar follows a squared cosine; betas capped at 0.999 so
        # the last step does not destroy everything at once.
        steps = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps + cosine_s
        alpha_bar = torch.cos(steps / (1 + cosine_s) * math.pi / 2) ** 2
        alpha_bar = alpha_bar / alpha_bar[0]
        return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(0.0, 0.999)
    raise ValueError(f"schedule: expected one of {', '.join(SCHEDULE_NAMES)}, got {name!r}")


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """Betas of a DDPM and the derived float64 tables, each of shape (num_steps,).

    Build one with :meth:`from_name`; the constructor takes any betas in (0, 1).

    Attributes
    ----------
    betas, alphas, alphas_cumprod, alphas_cumprod_prev : the forward process
        (``alphas_cumprod_prev[0] = 1``).
    posterior_variance : beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t), the
        variance of q(z_{t-1} | z_t, z_0).
    posterior_log_variance : log(max(beta_tilde_t, 1e-20)) (the published clip: beta_tilde_0 = 0).
    posterior_mean_coef1, posterior_mean_coef2 : the posterior mean is
        coef1_t z_0 + coef2_t z_t.
    """

    betas: torch.Tensor
    name: str = "custom"
    alphas: torch.Tensor = field(init=False)
    alphas_cumprod: torch.Tensor = field(init=False)
    alphas_cumprod_prev: torch.Tensor = field(init=False)
    posterior_variance: torch.Tensor = field(init=False)
    posterior_log_variance: torch.Tensor = field(init=False)
    posterior_mean_coef1: torch.Tensor = field(init=False)
    posterior_mean_coef2: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        betas = torch.as_tensor(self.betas, dtype=torch.float64).detach().cpu()
        if betas.ndim != 1 or betas.numel() < 1:
            raise ValueError(f"betas: expected a 1-D tensor of at least one value, got shape {tuple(betas.shape)}")
        if not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(f"betas: expected values in (0, 1), got range [{betas.min():.3g}, {betas.max():.3g}]")
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])
        variance = betas * (1.0 - prev) / (1.0 - alphas_cumprod)
        tables = {
            "betas": betas,
            "alphas": alphas,
            "alphas_cumprod": alphas_cumprod,
            "alphas_cumprod_prev": prev,
            "posterior_variance": variance,
            "posterior_log_variance": torch.log(variance.clamp(min=LOG_VARIANCE_FLOOR)),
            "posterior_mean_coef1": betas * prev.sqrt() / (1.0 - alphas_cumprod),
            "posterior_mean_coef2": (1.0 - prev) * alphas.sqrt() / (1.0 - alphas_cumprod),
        }
        for key, value in tables.items():
            object.__setattr__(self, key, value)

    @classmethod
    def from_name(
        cls,
        name: ScheduleName = "linear",
        num_steps: int = 1000,
        beta_start: float = 1e-4,
        beta_end: float = 2e-2,
        cosine_s: float = 8e-3,
    ) -> NoiseSchedule:
        """A named schedule; the defaults are PreDiff's (linear in sqrt(beta), 1000 steps)."""
        if int(num_steps) != num_steps or num_steps < 1:
            raise ValueError(f"num_steps: expected a positive integer, got {num_steps!r}")
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(f"beta_start, beta_end: expected 0 < start <= end < 1, got {beta_start}, {beta_end}")
        return cls(_betas(name, int(num_steps), beta_start, beta_end, cosine_s), name=name)

    @property
    def num_steps(self) -> int:
        """Number of noising steps T (valid times are 0 .. T - 1)."""
        return int(self.betas.numel())

    # ----- scalar lookups (one time for the whole batch, as in the samplers) -----
    def alpha_bar(self, t: int) -> float:
        """alpha_bar_t as a Python float; ``t = -1`` (clean data) gives 1."""
        self._check_time(t, allow_clean=True)
        return 1.0 if t < 0 else float(self.alphas_cumprod[t])

    def log_snr(self, t: int) -> float:
        """lambda_t = log(alpha_t / sigma_t) = 0.5 log(alpha_bar / (1 - alpha_bar)); +inf when clean."""
        a = self.alpha_bar(t)
        return math.inf if a >= 1.0 else 0.5 * math.log(a / (1.0 - a))

    def posterior_std(self, t: int) -> float:
        """exp(0.5 * posterior_log_variance_t): the published std of the step z_t -> z_{t-1}."""
        self._check_time(t, allow_clean=False)
        return math.exp(0.5 * float(self.posterior_log_variance[t]))

    # ----- batched operations: t is (B,) int64, tensors (B, ...) -----
    def q_sample(self, z0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """z_t = sqrt(alpha_bar_t) z_0 + sqrt(1 - alpha_bar_t) noise, per sample."""
        a = self._gather(self.alphas_cumprod, t, z0)
        return a.sqrt() * z0 + (1.0 - a).sqrt() * noise

    def predict_x0_from_eps(self, z_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """z_0 = (z_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t), per sample (no clipping)."""
        a = self._gather(self.alphas_cumprod, t, z_t)
        return (z_t - (1.0 - a).sqrt() * eps) / a.sqrt()

    def predict_eps_from_x0(self, z_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """The noise that takes ``x0`` to ``z_t`` at time t (inverse of :meth:`predict_x0_from_eps`)."""
        a = self._gather(self.alphas_cumprod, t, z_t)
        return (z_t - a.sqrt() * x0) / (1.0 - a).sqrt()

    def posterior_mean(self, x0: torch.Tensor, z_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Mean of q(z_{t-1} | z_t, z_0) = coef1_t z_0 + coef2_t z_t."""
        c1 = self._gather(self.posterior_mean_coef1, t, z_t)
        c2 = self._gather(self.posterior_mean_coef2, t, z_t)
        return c1 * x0 + c2 * z_t

    def _gather(self, table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t)
        if t.ndim != 1 or t.shape[0] != like.shape[0]:
            raise ValueError(f"t: expected shape ({like.shape[0]},) matching the batch, got {tuple(t.shape)}")
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.num_steps):
            raise ValueError(f"t: expected times in [0, {self.num_steps - 1}], got [{int(t.min())}, {int(t.max())}]")
        # Cast on the CPU first: some devices (MPS) have no float64.
        values = table[t.cpu().long()].to(dtype=like.dtype).to(like.device)
        return values.reshape((-1,) + (1,) * (like.ndim - 1))

    def _check_time(self, t: int, allow_clean: bool) -> None:
        low = -1 if allow_clean else 0
        if not low <= t < self.num_steps:
            raise ValueError(f"t: expected an integer in [{low}, {self.num_steps - 1}], got {t}")


def posterior_between(schedule: NoiseSchedule, t: int, s: int) -> tuple[float, float, float]:
    """Coefficients of q(z_s | z_t, z_0) for any earlier time s < t (s = -1: clean data).

    Returns ``(coef_x0, coef_zt, variance)`` with mean = coef_x0 z_0 + coef_zt z_t. For s = t - 1
    these are the schedule's posterior tables; for a strided step they use the skip's own
    beta_{t|s} = 1 - alpha_bar_t / alpha_bar_s (DDPM on a subset of steps).
    """
    if not -1 <= s < t:
        raise ValueError(f"s: expected -1 <= s < t = {t}, got {s}")
    a_t, a_s = schedule.alpha_bar(t), schedule.alpha_bar(s)
    alpha_ts = a_t / a_s
    beta_ts = 1.0 - alpha_ts
    coef_x0 = math.sqrt(a_s) * beta_ts / (1.0 - a_t)
    coef_zt = math.sqrt(alpha_ts) * (1.0 - a_s) / (1.0 - a_t)
    variance = beta_ts * (1.0 - a_s) / (1.0 - a_t)
    return coef_x0, coef_zt, variance
