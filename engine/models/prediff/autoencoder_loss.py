"""Training loss of the frame autoencoder: L1 likelihood with a learned scale, KL, optional PatchGAN term.

The loss of the Stable-Diffusion autoencoder as PreDiff trains it on radar ([PD]
``src/prediff/taming/losses/contperceptual.py``; perceptual weight 0, so no LPIPS):

    NLL  = sum_pixels( |x - x_hat| / exp(s) + s ) / N_frames      (s: one learned scalar, init 0)
    KL   = sum_frames KL(q(z | x) || N(0, I)) / N_frames
    L_AE = NLL + kl_weight * KL + lambda * G,    G = -mean(D(x_hat))  (from ``disc_start`` on)
    L_D  = 0.5 * (mean relu(1 - D(x)) + mean relu(1 + D(x_hat)))      (hinge)

with the adaptive weight lambda = disc_weight * clamp(||dNLL/dw|| / (||dG/dw|| + 1e-4), 0, 1e4)
measured on the decoder's last weight w, which keeps the adversarial gradient at the scale of
the reconstruction gradient. Frames are every (b, t) of the (B, T, H, W, C) layout. No training
loop lives here: a trainer calls :meth:`AutoencoderLoss.autoencoder_loss` for the autoencoder's
optimiser (which must also own :meth:`AutoencoderLoss.nll_parameters`) and
:meth:`AutoencoderLoss.discriminator_loss` for the discriminator's.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .autoencoder import DiagonalGaussian
from .autoencoder_config import AutoencoderLossConfig
from .autoencoder_discriminator import PatchDiscriminator

GRAD_EPS = 1e-4  # keeps the adaptive weight finite when the adversarial gradient vanishes
MAX_RATIO = 1e4


def _n_frames(x: torch.Tensor) -> int:
    if x.ndim != 5:
        raise ValueError(f"x: expected shape (B, T, H, W, C), got {tuple(x.shape)}")
    return x.shape[0] * x.shape[1]


def l1_nll(x: torch.Tensor, x_hat: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Laplace-style negative log-likelihood per frame: sum(|x - x_hat| / exp(s) + s) / N_frames.

    x, x_hat : (B, T, H, W, C) targets and reconstructions; logvar : scalar s. Returns a scalar.
    """
    if x.shape != x_hat.shape:
        raise ValueError(f"x_hat: expected the target's shape {tuple(x.shape)}, got {tuple(x_hat.shape)}")
    return ((x - x_hat).abs() / logvar.exp() + logvar).sum() / _n_frames(x)


def kl_per_frame(posterior: DiagonalGaussian) -> torch.Tensor:
    """Mean over frames of KL(q(z | x) || N(0, I)) (each summed over the latent); a scalar in nats."""
    return posterior.kl().mean()


def hinge_discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """0.5 * (mean relu(1 - D(real)) + mean relu(1 + D(fake))): zero once real > 1 and fake < -1."""
    return 0.5 * (F.relu(1.0 - logits_real).mean() + F.relu(1.0 + logits_fake).mean())


def generator_loss(logits_fake: torch.Tensor) -> torch.Tensor:
    """The autoencoder's adversarial loss: -mean D(x_hat) (lower when reconstructions look real)."""
    return -logits_fake.mean()


def adaptive_weight(nll: torch.Tensor, g_loss: torch.Tensor, last_layer: torch.Tensor,
                    disc_weight: float) -> torch.Tensor:
    """disc_weight * clamp(||dNLL/dw|| / (||dG/dw|| + 1e-4), 0, 1e4), detached; w = ``last_layer``.

    The ratio is clamped before the factor is applied, as published. Both losses must still hold
    their graphs (they are kept for the caller's backward pass).
    """
    (grad_nll,) = torch.autograd.grad(nll, last_layer, retain_graph=True)
    (grad_g,) = torch.autograd.grad(g_loss, last_layer, retain_graph=True)
    ratio = (grad_nll.norm() / (grad_g.norm() + GRAD_EPS)).clamp(0.0, MAX_RATIO)
    return (disc_weight * ratio).detach()


class AutoencoderLoss(nn.Module):
    """The learned log-variance s, the optional discriminator, and the two losses that use them.

    Parameters
    ----------
    config : loss weights; ``config.disc_start = None`` builds no discriminator.
    frame_channels : channels C of a frame (the discriminator's input).
    """

    def __init__(self, config: AutoencoderLossConfig, frame_channels: int) -> None:
        super().__init__()
        self.config = config
        self.logvar = nn.Parameter(torch.tensor(float(config.logvar_init)))
        self.discriminator = (PatchDiscriminator(frame_channels, config.disc_channels, config.disc_layers)
                              if config.disc_start is not None else None)

    def nll_parameters(self) -> list[nn.Parameter]:
        """Parameters the autoencoder's optimiser must train alongside the autoencoder (the scalar s)."""
        return [self.logvar]

    def adversarial_active(self, step: int) -> bool:
        """Whether the adversarial terms count at training step ``step``."""
        return self.discriminator is not None and step >= self.config.disc_start

    def autoencoder_loss(self, x: torch.Tensor, x_hat: torch.Tensor, posterior: DiagonalGaussian, step: int,
                         last_layer: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """Total autoencoder loss (a scalar) and a log of its parts, for x, x_hat of (B, T, H, W, C).

        ``last_layer`` (the decoder's last weight, ``FrameAutoencoder.last_layer``) is needed once
        the adversarial term is active. Without gradients (validation) the adaptive weight is 0,
        so validation losses compare NLL + KL only.
        """
        nll = l1_nll(x, x_hat, self.logvar)
        kl = kl_per_frame(posterior)
        loss = nll + self.config.kl_weight * kl
        log = {"nll": nll.item(), "kl": kl.item(), "rec_l1": (x - x_hat).abs().mean().item(),
               "logvar": self.logvar.item()}
        if self.adversarial_active(step):
            g_loss = generator_loss(self.discriminator(x_hat))
            if torch.is_grad_enabled() and x_hat.requires_grad:
                if last_layer is None:
                    raise ValueError("last_layer: expected the decoder's last weight once the adversarial "
                                     f"term is active (step {step} >= disc_start {self.config.disc_start}), got None")
                weight = adaptive_weight(nll, g_loss, last_layer, self.config.disc_weight)
            else:
                weight = torch.zeros((), device=x.device)
            loss = loss + weight * g_loss
            log.update(g_loss=g_loss.item(), d_weight=weight.item())
        log["total"] = loss.item()
        return loss, log

    def discriminator_loss(self, x: torch.Tensor, x_hat: torch.Tensor,
                           step: int) -> tuple[torch.Tensor, dict[str, float]]:
        """Hinge loss of the discriminator on real x and detached reconstructions x_hat (B, T, H, W, C).

        Before ``disc_start`` the loss is multiplied by 0 (it still has a graph, so a trainer's
        backward pass works unchanged).
        """
        if self.discriminator is None:
            raise ValueError("discriminator_loss: expected a loss config with disc_start set, got disc_start=None")
        logits_real = self.discriminator(x.detach())
        logits_fake = self.discriminator(x_hat.detach())
        factor = 1.0 if self.adversarial_active(step) else 0.0
        loss = factor * hinge_discriminator_loss(logits_real, logits_fake)
        return loss, {"d_loss": loss.item(), "logits_real": logits_real.mean().item(),
                      "logits_fake": logits_fake.mean().item()}
