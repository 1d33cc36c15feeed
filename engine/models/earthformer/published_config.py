"""Translation between our :class:`EarthformerConfig` and the published code's vocabulary.

* :func:`config_from_published_yaml` reads the ``model:`` section of a configuration in the
  authors' YAML format ([EF] ``scripts/cuboid_transformer/*/cfg*.yaml``), so a model trained with
  the published code, with any named attention pattern, converts to ours.
* :func:`published_kwargs` gives the keyword arguments of the published
  ``CuboidTransformerModel`` for one of our configs (used by the equivalence tests and the
  benchmark, which build the published model as an oracle).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .config import EarthformerConfig

# YAML keys that name our fields one to one.
_SAME = (
    "base_units", "scale_alpha", "num_heads", "attn_drop", "proj_drop", "ffn_drop", "enc_use_inter_ffn",
    "dec_use_inter_ffn", "dec_hierarchical_pos_embed", "dec_use_first_self_attn", "dec_cross_last_n_frames",
    "num_global_vectors", "use_dec_self_global", "dec_self_update_global", "use_dec_cross_global",
    "use_global_vector_ffn", "use_global_self_attn", "separate_global_qkv", "global_dim_ratio", "z_init_method",
    "initial_downsample_activation", "initial_downsample_conv_layers", "final_upsample_conv_layers",
    "ffn_activation", "gated_ffn", "padding_type", "pos_embed_type", "use_relative_pos",
    "self_attn_use_final_proj", "checkpoint_level",
)
_TUPLES = {"input_shape": "input_shape", "target_shape": "target_shape", "enc_depth": "enc_depth", "dec_depth": "dec_depth"}
_PATTERNS = {"self_pattern": "enc_attn_patterns", "cross_self_pattern": "dec_self_attn_patterns",
             "cross_pattern": "dec_cross_attn_patterns", "enc_attn_patterns": "enc_attn_patterns",
             "dec_self_attn_patterns": "dec_self_attn_patterns", "dec_cross_attn_patterns": "dec_cross_attn_patterns"}
# Keys that only affect initialisation or logging, or have a single supported value.
_FIXED = {"downsample_type": "patch_merge", "upsample_type": "upsample", "norm_layer": "layer_norm"}
_IGNORED = {"attn_linear_init_mode", "ffn_linear_init_mode", "conv_init_mode", "down_up_linear_init_mode",
            "norm_init_mode", "data_channels", "block_units", "cross_last_n_frames", "dec_cross_start",
            "upsample_kernel_size"}


def _triple(value: Any) -> tuple[int, int, int]:
    """Published int / 2-tuple / 3-tuple downsample factors -> (t, h, w)."""
    if isinstance(value, int):
        return (1, value, value)
    value = tuple(value)
    return (1, *value) if len(value) == 2 else value


def config_from_published_yaml(source: str | Path | Mapping[str, Any]) -> EarthformerConfig:
    """An :class:`EarthformerConfig` from the authors' YAML (a path, YAML text's parsed mapping,
    or the ``model:`` mapping itself). Unknown or unsupported keys raise ValueError naming them."""
    if isinstance(source, (str, Path)):
        import yaml

        path = Path(source)
        if not path.is_file():
            raise ValueError(f"config: expected a YAML file, got {str(path)!r} (not found)")
        try:
            source = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ValueError(f"config {path}: not valid YAML ({err.__class__.__name__})") from None
    if not isinstance(source, Mapping):
        raise ValueError(f"config: expected a mapping with a 'model:' section, got {type(source).__name__}")
    model = source.get("model", source)
    if not isinstance(model, Mapping) or "input_shape" not in model:
        raise ValueError("config: expected a 'model:' section with input_shape, target_shape, ... (the authors' format)")
    out: dict[str, Any] = {}
    unknown = []
    for key, value in model.items():
        if key in _SAME:
            out[key] = value
        elif key in _TUPLES:
            out[_TUPLES[key]] = tuple(value)
        elif key in _PATTERNS:
            out[_PATTERNS[key]] = (value,) if isinstance(value, str) else tuple(value)
        elif key == "downsample":
            out["downsample"] = _triple(value)
        elif key == "initial_downsample_scale":
            out["initial_downsample_scale"] = _triple(value)
        elif key == "initial_downsample_type":
            out["initial_downsample"] = value
        elif key == "initial_final_sample_num_conv":  # later published scripts: n convs in, n - 1 out
            out["initial_downsample_conv_layers"], out["final_upsample_conv_layers"] = value, value - 1
        elif key == "initial_downsample_stack_conv_dim_list":
            out["stack_conv_dims"] = tuple(value)
        elif key == "initial_downsample_stack_conv_downscale_list":
            out["stack_conv_scales"] = tuple(value)
        elif key == "initial_downsample_stack_conv_num_conv_list":
            out["stack_conv_convs"] = tuple(value)
        elif key == "initial_downsample_stack_conv_num_layers":
            out["_stack_layers"] = int(value)
        elif key in _FIXED:
            if value != _FIXED[key]:
                raise ValueError(f"config: {key}: expected {_FIXED[key]!r} (the only supported value), got {value!r}")
        elif key not in _IGNORED:
            unknown.append(key)
    if unknown:
        raise ValueError(f"config: unknown model keys {sorted(unknown)}")
    stack_layers = out.pop("_stack_layers", None)
    if stack_layers is not None:  # the published stem uses the first num_layers entries of each list
        for key in ("stack_conv_dims", "stack_conv_scales", "stack_conv_convs"):
            if key in out:
                out[key] = out[key][:stack_layers]
    if out.get("initial_downsample", "conv") == "conv":
        out.pop("stack_conv_dims", None), out.pop("stack_conv_scales", None), out.pop("stack_conv_convs", None)
    return EarthformerConfig(**out)


def published_kwargs(config: EarthformerConfig) -> dict[str, Any]:
    """Keyword arguments that build the published ``CuboidTransformerModel`` equal to ``config``."""
    c = config
    kwargs = {key: getattr(c, key) for key in _SAME}
    kwargs.update(
        input_shape=list(c.input_shape), target_shape=list(c.target_shape), enc_depth=list(c.enc_depth),
        dec_depth=list(c.dec_depth), downsample=list(c.downsample),
        downsample_type="patch_merge", upsample_type="upsample", upsample_kernel_size=c.upsample_kernel_size,
        enc_attn_patterns=list(c.patterns("enc_attn_patterns")), dec_self_attn_patterns=list(c.patterns("dec_self_attn_patterns")),
        dec_cross_attn_patterns=list(c.patterns("dec_cross_attn_patterns")), dec_cross_start=c.dec_cross_start,
        initial_downsample_type=c.initial_downsample, initial_downsample_scale=list(c.initial_downsample_scale),
        norm_layer="layer_norm",
    )
    if c.initial_downsample == "stack_conv":
        kwargs.update(
            initial_downsample_stack_conv_num_layers=len(c.stack_conv_dims),
            initial_downsample_stack_conv_dim_list=list(c.stack_conv_dims),
            initial_downsample_stack_conv_downscale_list=list(c.stack_conv_scales),
            initial_downsample_stack_conv_num_conv_list=list(c.stack_conv_convs),
        )
    return kwargs
