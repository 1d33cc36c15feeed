"""``python -m engine earthformer ...`` (presets, convert) and ``python -m engine forecast``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm


def _cmd_presets(args: argparse.Namespace) -> int:
    import torch

    from ..models.earthformer.flops import forward_cost
    from ..models.earthformer.model import Earthformer
    from ..models.earthformer.presets import PRESETS, PUBLISHED_PARAMETER_COUNTS

    rows = []
    for name in tqdm(sorted(PRESETS), desc="presets", unit="preset", file=sys.stderr, disable=args.json):
        config = PRESETS[name]
        with torch.device("meta"):  # shapes only
            params = sum(p.numel() for p in Earthformer(config).parameters())
        cost = forward_cost(config)
        rows.append({"preset": name, "parameters": params, "published_parameters": PUBLISHED_PARAMETER_COUNTS.get(name),
                     "input_shape": list(config.input_shape), "target_shape": list(config.target_shape),
                     "gmac": cost.nominal_macs / 1e9, "gflop": cost.nominal_flops / 1e9,
                     "gmac_executed": cost.executed_macs / 1e9})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("Forward cost per sample: multiply-adds (the papers' 'GFLOPS' convention) and FLOPs (2 per multiply-add);")
    print("'executed' counts our fused upsampling, which does the same computation with fewer multiply-adds.")
    header = f"{'preset':<26}{'parameters':>12}{'published':>12}  {'input':<18}{'GMAC':>8}{'GFLOP':>8}{'executed GMAC':>15}"
    print(header)
    print("-" * len(header))
    for r in rows:
        shape = "x".join(map(str, r["input_shape"]))
        published = "-" if r["published_parameters"] is None else f"{r['published_parameters']:,}"
        print(f"{r['preset']:<26}{r['parameters']:>12,}{published:>12}  {shape:<18}"
              f"{r['gmac']:>8.2f}{r['gflop']:>8.2f}{r['gmac_executed']:>15.2f}")
    return 0


def _config_from_args(args: argparse.Namespace):
    from ..models.earthformer.presets import get_preset
    from ..models.earthformer.published_config import config_from_published_yaml

    if (args.preset is None) == (args.config is None):
        raise ValueError("convert: expected exactly one of --preset NAME or --config FILE.yaml")
    return get_preset(args.preset) if args.preset else config_from_published_yaml(args.config)


def _cmd_convert(args: argparse.Namespace) -> int:
    from ..models.earthformer.convert import convert_checkpoint

    config = _config_from_args(args)
    meta = {"preset": args.preset} if args.preset else {"config_file": Path(args.config).name}
    out = convert_checkpoint(args.checkpoint, config, args.out, metadata=meta)
    print(f"wrote {out}/config.json and {out}/model.safetensors")
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    import numpy as np

    from ..forecast import Forecaster

    forecaster = Forecaster.from_checkpoint(args.model, args.device, args.precision, compile=args.compile)
    path = Path(args.input)
    if not path.is_file():
        raise ValueError(f"input: expected a .npy file, got {str(path)!r} (not found)")
    try:
        inputs = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"input {path}: not a readable .npy array ({err})") from None
    forecaster.check_inputs(inputs)  # before the progress bar, so bad input prints one line
    bar = tqdm(total=inputs.shape[0], desc="forecast", unit="sample", file=sys.stderr)
    out = forecaster.predict(np.asarray(inputs), args.batch_size, progress=lambda done, _: bar.update(done - bar.n))
    bar.close()
    np.save(args.output, out)
    print(f"wrote {args.output}: {out.shape} float32")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    ef = sub.add_parser("earthformer", help="Earthformer presets and published-checkpoint import")
    ef_sub = ef.add_subparsers(dest="earthformer_command", required=True, metavar="ACTION")
    presets = ef_sub.add_parser("presets", help="every named configuration: parameters and forward cost")
    presets.add_argument("--json", action="store_true")
    presets.set_defaults(func=_cmd_presets)
    convert = ef_sub.add_parser("convert", help="published state dict / Lightning checkpoint -> our checkpoint")
    convert.add_argument("--checkpoint", required=True, help=".pt state dict, Lightning .ckpt, or .safetensors")
    convert.add_argument("--preset", help="one of the named presets (e.g. sevir, icar_enso)")
    convert.add_argument("--config", help="a YAML file in the authors' format (its model: section is used)")
    convert.add_argument("--out", required=True, help="output directory (config.json + model.safetensors)")
    convert.set_defaults(func=_cmd_convert)

    forecast = sub.add_parser("forecast", help="run a saved model over an (N, T_in, H, W, C) .npy array")
    forecast.add_argument("--model", required=True, help="checkpoint directory")
    forecast.add_argument("--input", required=True, help="(N, T_in, H, W, C) float32 .npy in model units")
    forecast.add_argument("--output", required=True, help="where to write (N, T_out, H, W, C) float32 .npy")
    forecast.add_argument("--device", default="auto", help="cpu, cuda or auto")
    forecast.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    forecast.add_argument("--batch-size", type=int, default=1)
    forecast.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA only)")
    forecast.set_defaults(func=_cmd_forecast)
