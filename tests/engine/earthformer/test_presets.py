"""Every named preset has exactly the published parameter count and the published forward cost."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.models.earthformer.config import EarthformerConfig
from engine.models.earthformer.flops import forward_cost
from engine.models.earthformer.model import Earthformer
from engine.models.earthformer.presets import PRESETS, PUBLISHED_PARAMETER_COUNTS, get_preset

# fvcore multiply-add counts of the published model (reference B.8/B.9; the papers' "GFLOPS").
FVCORE_GMAC = {"sevir": 224.7, "sevir_paper": 257.4, "sevir_paper_noglobal": 256.9, "sevir_lr": 14.06,
               "icar_enso": 6.77, "icar_enso_paper": 23.86, "icar_enso_paper_noglobal": 23.60, "nbody": 33.65,
               "moving_mnist": 33.65}


def _parameters(config: EarthformerConfig) -> int:
    with torch.device("meta"):  # shapes only: no memory, no init cost
        return sum(p.numel() for p in Earthformer(config).parameters())


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMETER_COUNTS))
def test_preset_has_the_published_parameter_count(name):
    assert _parameters(PRESETS[name]) == PUBLISHED_PARAMETER_COUNTS[name]


@pytest.mark.parametrize("name", sorted(FVCORE_GMAC))
def test_matmul_and_conv_multiply_adds_are_within_1p5_percent_of_fvcore(name):
    # fvcore also counts norms and upsampling, so ours (matmuls + convs only) is slightly lower.
    gmac = forward_cost(PRESETS[name]).nominal_macs / 1e9
    assert FVCORE_GMAC[name] * 0.985 <= gmac <= FVCORE_GMAC[name]


def test_fused_upsampling_executes_fewer_multiply_adds_on_the_sevir_head():
    cost = forward_cost(PRESETS["sevir"])
    assert cost.executed_macs < 0.85 * cost.nominal_macs
    assert cost.nominal_flops == 2 * cost.nominal_macs


def test_demo_presets_are_the_only_unpublished_ones():
    assert set(PRESETS) - set(PUBLISHED_PARAMETER_COUNTS) == {"sevir_demo", "sevir_demo_flow", "icar_enso_demo"}


def test_unknown_preset_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown Earthformer preset 'sevri'.*icar_enso.*sevir"):
        get_preset("sevri")


def test_config_round_trips_through_a_dict():
    for config in PRESETS.values():
        assert EarthformerConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("change, message", [
    ({"enc_attn_patterns": ("axal",)}, "unknown pattern 'axal'"),
    ({"dec_depth": (1,)}, "dec_depth: expected 2 levels"),
    ({"target_shape": (12, 128, 128, 1)}, "target_shape: expected the input's H, W"),
    ({"z_init_method": "random"}, "z_init_method: expected one of"),
    ({"stack_conv_dims": (16, 64, 96)}, "stack_conv_dims: expected the last stage to have base_units=128"),
])
def test_bad_configs_name_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(PRESETS["sevir"], **change)


def test_unknown_config_keys_are_rejected():
    with pytest.raises(ValueError, match=r"unknown keys \['bogus'\]"):
        EarthformerConfig.from_dict({**PRESETS["sevir"].to_dict(), "bogus": 1})


def test_data_standardisation_wraps_the_network_exactly():
    """(offset, scale) standardise inputs and de-standardise outputs: the model on x equals the
    identity-unit model (same weights) on (x - offset) / scale, mapped back."""
    import dataclasses

    import torch

    from engine.data.enso.format import scale_sst
    from engine.models.earthformer.model import Earthformer
    from engine.models.earthformer.presets import ICAR_ENSO_DEMO

    assert float(scale_sst(0.0)) == pytest.approx(ICAR_ENSO_DEMO.data_offset, abs=1e-12)
    assert float(scale_sst(0.5) - scale_sst(0.0)) == pytest.approx(ICAR_ENSO_DEMO.data_scale, abs=1e-12)
    small = dataclasses.replace(ICAR_ENSO_DEMO, base_units=16, num_heads=2, enc_depth=(1,), dec_depth=(1,))
    plain = dataclasses.replace(small, data_offset=0.0, data_scale=1.0)
    torch.manual_seed(0)
    wrapped = Earthformer(small).eval()
    identity = Earthformer(plain).eval()
    identity.load_state_dict(wrapped.state_dict())
    x = 0.62 + 0.02 * torch.randn(2, *small.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = identity((x - small.data_offset) / small.data_scale) * small.data_scale + small.data_offset
        torch.testing.assert_close(wrapped(x), expected, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="data_scale: expected a positive finite number, got 0"):
        dataclasses.replace(small, data_scale=0.0)
