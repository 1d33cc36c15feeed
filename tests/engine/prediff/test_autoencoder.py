"""PreDiff's frame autoencoder: published size and cost, shapes, posterior, loss identities, checkpoints."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.models.checkpoint import load_checkpoint, read_config, save_checkpoint
from engine.models.prediff.autoencoder import DiagonalGaussian, FrameAutoencoder
from engine.models.prediff.autoencoder_config import (
    AUTOENCODER_LOSS_PRESETS, AUTOENCODER_PRESETS, PREDIFF_VAE_DEMO, PREDIFF_VAE_SEVIRLR, AutoencoderConfig,
    AutoencoderLossConfig, get_autoencoder_loss_preset, get_autoencoder_preset,
)
from engine.models.prediff.autoencoder_discriminator import PatchDiscriminator
from engine.models.prediff.autoencoder_loss import (
    AutoencoderLoss, adaptive_weight, generator_loss, hinge_discriminator_loss, l1_nll,
)

TINY = AutoencoderConfig(frame_shape=(16, 16, 1), block_channels=(8, 16), layers_per_block=1, latent_channels=2,
                         norm_groups=4)



def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _closed_form_counts(config: AutoencoderConfig) -> tuple[int, int, int]:
    """(encoder, decoder, quant + post-quant) parameters written out from the layer list of reference C.1."""
    def conv(i, o, k):
        return i * o * k * k + o

    def norm(c):
        return 2 * c

    def resnet(i, o):
        return norm(i) + conv(i, o, 3) + norm(o) + conv(o, o, 3) + (conv(i, o, 1) if i != o else 0)

    def mid(c):
        return 2 * resnet(c, c) + norm(c) + 4 * (c * c + c)  # attention: q, k, v, out linear maps

    ch, n, z, c_in = config.block_channels, config.layers_per_block, config.latent_channels, config.frame_shape[2]
    last = len(ch) - 1
    encoder = conv(c_in, ch[0], 3) + mid(ch[-1]) + norm(ch[-1]) + conv(ch[-1], 2 * z, 3)
    for i, c in enumerate(ch):
        encoder += resnet(ch[max(i - 1, 0)], c) + (n - 1) * resnet(c, c) + (conv(c, c, 3) if i < last else 0)
    up = ch[::-1]
    decoder = conv(z, up[0], 3) + mid(up[0]) + norm(up[-1]) + conv(up[-1], c_in, 3)
    for i, c in enumerate(up):
        decoder += resnet(up[max(i - 1, 0)], c) + n * resnet(c, c) + (conv(c, c, 3) if i < last else 0)
    return encoder, decoder, conv(2 * z, 2 * z, 1) + conv(z, z, 1)


def test_the_published_preset_has_exactly_84_499_393_parameters_split_34_7m_encoder_49_8m_decoder():
    with torch.device("meta"):
        model = FrameAutoencoder(PREDIFF_VAE_SEVIRLR)
    assert _count(model) == 84_499_393
    assert (_count(model.encoder), _count(model.decoder)) == (34_714_368, 49_764_353)
    assert _count(model.quant_conv) + _count(model.post_quant_conv) == 16_512 + 4_160


@pytest.mark.parametrize("name", sorted(AUTOENCODER_PRESETS))
def test_parameter_counts_equal_a_closed_form_count_of_the_described_layers(name):
    config = get_autoencoder_preset(name)
    with torch.device("meta"):
        model = FrameAutoencoder(config)
    parts = (_count(model.encoder), _count(model.decoder), _count(model.quant_conv) + _count(model.post_quant_conv))
    assert parts == _closed_form_counts(config)


def test_the_demo_preset_has_687_373_parameters_and_12x12x4_latents():
    assert PREDIFF_VAE_DEMO.latent_shape == (12, 12, 4) and PREDIFF_VAE_DEMO.downsample_factor == 8
    with torch.device("meta"):
        assert _count(FrameAutoencoder(PREDIFF_VAE_DEMO)) == 687_373


def test_the_published_encoder_costs_34_gmac_per_frame():
    with torch.device("meta"):
        model = FrameAutoencoder(PREDIFF_VAE_SEVIRLR)
        with FlopCounterMode(display=False) as counter:
            model.encode(torch.empty(1, 1, 128, 128, 1))
    assert counter.get_total_flops() / 2 / 1e9 == pytest.approx(34.0, rel=0.01)


def test_published_preset_maps_128x128x1_frames_to_16x16x64_latents_and_back():
    with torch.device("meta"):
        model = FrameAutoencoder(PREDIFF_VAE_SEVIRLR)
        posterior = model.encode(torch.empty(2, 3, 128, 128, 1))
        frames = model.decode(posterior.mode())
    assert posterior.mean.shape == posterior.logvar.shape == (2, 3, 16, 16, 64)
    assert frames.shape == (2, 3, 128, 128, 1)


def test_demo_preset_round_trips_shapes_with_finite_values():
    torch.manual_seed(0)
    model = FrameAutoencoder(PREDIFF_VAE_DEMO).eval()
    with torch.no_grad():
        recon, posterior = model(torch.rand(1, 2, 96, 96, 1), sample_posterior=False)
    assert posterior.mean.shape == (1, 2, 12, 12, 4) and recon.shape == (1, 2, 96, 96, 1)
    assert torch.isfinite(recon).all()


def test_frames_are_encoded_independently_of_each_other_and_of_the_batch():
    torch.manual_seed(0)
    model = FrameAutoencoder(TINY).eval()
    x = torch.rand(2, 3, 16, 16, 1)
    with torch.no_grad():
        together = model.encode(x).mean
        alone = model.encode(x[1:, 2:]).mean
    torch.testing.assert_close(together[1:, 2:], alone, rtol=1e-5, atol=1e-6)


def test_kl_of_the_standard_normal_is_zero_and_matches_torch_distributions():
    zeros = torch.zeros(2, 3, 4, 4, 2)
    assert torch.equal(DiagonalGaussian(zeros, zeros).kl(), torch.zeros(2, 3))
    mean, logvar = torch.randn(2, 3, 4, 4, 2), torch.randn(2, 3, 4, 4, 2)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=(-3, -2, -1))
    torch.testing.assert_close(DiagonalGaussian(mean, logvar).kl(), expected)


def test_log_variance_is_clamped_to_minus_30_plus_20():
    posterior = DiagonalGaussian(torch.zeros(3), torch.tensor([-100.0, 0.5, 100.0]))
    assert posterior.logvar.tolist() == [-30.0, 0.5, 20.0]


def test_posterior_samples_are_seeded_and_have_the_posterior_moments():
    mean, logvar = torch.full((1, 1, 50, 50, 4), 1.5), torch.full((1, 1, 50, 50, 4), math.log(0.25))
    posterior = DiagonalGaussian(mean, logvar)
    a = posterior.sample(torch.Generator().manual_seed(3))
    b = posterior.sample(torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and torch.equal(posterior.mode(), mean)
    # 10,000 draws of N(1.5, 0.5^2): the sample mean is within 5 standard errors (0.025).
    assert abs(a.mean().item() - 1.5) < 0.025 and abs(a.std().item() - 0.5) < 0.02


def test_perfect_reconstruction_with_unit_scale_has_zero_nll():
    x = torch.rand(2, 3, 8, 8, 1)
    assert l1_nll(x, x.clone(), torch.tensor(0.0)).item() == 0.0


def test_nll_equals_the_per_frame_sum_of_scaled_errors_plus_log_scale():
    x, x_hat, s = torch.rand(2, 3, 8, 8, 1), torch.rand(2, 3, 8, 8, 1), torch.tensor(math.log(2.0))
    brute = sum(((x[b, t] - x_hat[b, t]).abs() / 2.0 + math.log(2.0)).sum() for b in range(2) for t in range(3)) / 6
    torch.testing.assert_close(l1_nll(x, x_hat, s), brute)


def test_without_discriminator_the_loss_is_nll_plus_weighted_kl():
    loss_fn = AutoencoderLoss(AutoencoderLossConfig(kl_weight=0.1, disc_start=None), frame_channels=1)
    assert loss_fn.discriminator is None and not loss_fn.adversarial_active(10**9)
    x, x_hat = torch.rand(2, 3, 8, 8, 1), torch.rand(2, 3, 8, 8, 1)
    posterior = DiagonalGaussian(torch.randn(2, 3, 2, 2, 4), torch.randn(2, 3, 2, 2, 4))
    loss, log = loss_fn.autoencoder_loss(x, x_hat, posterior, step=0)
    expected = l1_nll(x, x_hat, torch.tensor(0.0)) + 0.1 * posterior.kl().sum() / 6
    torch.testing.assert_close(loss, expected)
    assert log["total"] == pytest.approx(loss.item()) and "d_weight" not in log
    with pytest.raises(ValueError, match="disc_start"):
        loss_fn.discriminator_loss(x, x_hat, step=0)


def test_adaptive_weight_equals_the_hand_computed_gradient_norm_ratio():
    w = torch.nn.Parameter(torch.zeros(2, 2))
    a, b = torch.tensor([[3.0, 0.0], [0.0, 4.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    nll, g = (a * w).sum(), (b * w).sum()  # gradients wrt w are a (norm 5) and b (norm sqrt 2)
    weight = adaptive_weight(nll, g, w, disc_weight=0.5)
    assert weight.item() == pytest.approx(0.5 * 5.0 / (math.sqrt(2.0) + 1e-4), rel=1e-6)
    assert not weight.requires_grad
    # A vanishing adversarial gradient gives 5 / 1e-4 = 5e4, clamped to 1e4 before the factor.
    assert adaptive_weight((a * w).sum(), (0 * w).sum(), w, disc_weight=0.5).item() == pytest.approx(0.5e4)


def test_hinge_losses_vanish_beyond_the_margins_and_generator_loss_is_minus_mean_logit():
    assert hinge_discriminator_loss(torch.full((4,), 2.0), torch.full((4,), -2.0)).item() == 0.0
    assert hinge_discriminator_loss(torch.zeros(4), torch.zeros(4)).item() == 1.0
    assert generator_loss(torch.tensor([1.0, 3.0])).item() == -2.0


def test_the_published_patchgan_has_2_763_585_parameters_and_10x10_logits_on_96x96():
    disc = PatchDiscriminator(in_channels=1, channels=64, n_layers=3)
    # 4x4 convs 1->64 (+bias), 64->128, 128->256, 256->512 (no bias, BatchNorm), 512->1 (+bias)
    expected = (16 * 64 + 64) + 16 * 64 * 128 + 256 + 16 * 128 * 256 + 512 + 16 * 256 * 512 + 1024 + (16 * 512 + 1)
    assert _count(disc) == expected == 2_763_585
    assert PatchDiscriminator(1, 8, 3)(torch.rand(1, 2, 96, 96, 1)).shape == (1, 2, 10, 10)


def test_adversarial_term_uses_the_adaptive_weight_and_is_zero_without_gradients():
    torch.manual_seed(0)
    model = FrameAutoencoder(TINY)
    loss_fn = AutoencoderLoss(AutoencoderLossConfig(disc_start=5, disc_channels=8, disc_layers=2), frame_channels=1)
    x = torch.rand(2, 2, 16, 16, 1)
    recon, posterior = model(x, generator=torch.Generator().manual_seed(0))
    _, before = loss_fn.autoencoder_loss(x, recon, posterior, step=4, last_layer=model.last_layer)
    assert "g_loss" not in before
    loss, log = loss_fn.autoencoder_loss(x, recon, posterior, step=5, last_layer=model.last_layer)
    assert log["d_weight"] > 0
    assert loss.item() == pytest.approx(before["total"] + log["d_weight"] * log["g_loss"], rel=1e-5)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters()) and loss_fn.logvar.grad is not None
    with torch.no_grad():
        _, val = loss_fn.autoencoder_loss(x, model(x, sample_posterior=False)[0], posterior, step=5)
    assert val["d_weight"] == 0.0
    d_loss, _ = loss_fn.discriminator_loss(x, recon, step=4)
    assert d_loss.item() == 0.0 and d_loss.requires_grad


def test_save_and_load_through_the_checkpoint_registry_give_identical_outputs(tmp_path):
    torch.manual_seed(0)
    model = FrameAutoencoder(PREDIFF_VAE_DEMO).eval()
    save_checkpoint(model, tmp_path / "vae", metadata={"note": "test"})
    assert sorted(p.name for p in (tmp_path / "vae").iterdir()) == ["config.json", "model.safetensors"]
    assert read_config(tmp_path / "vae") == ("prediff_vae", PREDIFF_VAE_DEMO, {"note": "test"})
    loaded = load_checkpoint(tmp_path / "vae")
    x = torch.rand(1, 2, 96, 96, 1)
    with torch.no_grad():
        a, b = model.encode(x), loaded.encode(x)
        assert torch.equal(a.mean, b.mean) and torch.equal(a.logvar, b.logvar)
        assert torch.equal(model.decode(a.mean), loaded.decode(a.mean))


def test_config_round_trips_through_json_and_rejects_unknown_keys():
    for config in AUTOENCODER_PRESETS.values():
        assert AutoencoderConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    loss = AutoencoderLossConfig()
    assert AutoencoderLossConfig.from_dict(json.loads(json.dumps(loss.to_dict()))) == loss
    with pytest.raises(ValueError, match="unknown keys"):
        AutoencoderConfig.from_dict({"latent_channel": 4})


@pytest.mark.parametrize("change, message", [
    (dict(frame_shape=(100, 96, 1)), "divisible by 8"),
    (dict(block_channels=(8, 12, 32, 64)), "multiples of norm_groups"),
    (dict(frame_shape=(96, 96)), "three positive sizes"),
    (dict(latent_channels=0), "latent_channels: expected >= 1"),
])
def test_invalid_configurations_are_rejected_with_one_clear_message(change, message):
    with pytest.raises(ValueError, match=message):
        replace(PREDIFF_VAE_DEMO, **change)


def test_every_preset_has_loss_settings_and_the_published_ones_are_the_published_cfg():
    assert sorted(AUTOENCODER_LOSS_PRESETS) == sorted(AUTOENCODER_PRESETS)
    published = get_autoencoder_loss_preset("prediff_vae_sevirlr")
    assert (published.kl_weight, published.disc_weight, published.disc_start) == (1e-6, 0.5, 50_001)
    assert (published.disc_layers, published.disc_channels, published.logvar_init) == (3, 64, 0.0)


def test_unknown_preset_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="prediff_vae_demo, prediff_vae_sevirlr"):
        get_autoencoder_preset("prediff_vae")
    with pytest.raises(ValueError, match="valid: prediff_vae_demo, prediff_vae_sevirlr"):
        get_autoencoder_loss_preset("vae")


def test_wrong_shapes_name_the_expected_layout():
    model = FrameAutoencoder(TINY)
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, 16, 16, 1\) \(B, T, H, W, C\), got \(2, 16, 16, 1\)"):
        model.encode(torch.rand(2, 16, 16, 1))
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, 16, 16, 1\).*got \(1, 2, 32, 32, 1\)"):
        model.encode(torch.rand(1, 2, 32, 32, 1))
    with pytest.raises(ValueError, match=r"z: expected shape \(B, T, 8, 8, 2\) \(B, T, h, w, c\), got \(1, 2, 8, 8, 4\)"):
        model.decode(torch.rand(1, 2, 8, 8, 4))
    with pytest.raises(ValueError, match="x_hat: expected the target's shape"):
        l1_nll(torch.rand(1, 2, 4, 4, 1), torch.rand(1, 2, 4, 4, 2), torch.tensor(0.0))
