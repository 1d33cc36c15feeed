"""``python -m engine train``: train a forecaster (also ``torchrun --nproc-per-node N -m engine train``)."""
from __future__ import annotations

import argparse

#: Flags that override TrainConfig fields (flag dest -> field).
_OVERRIDES = {"epochs": "epochs", "batch_size": "batch_size", "accumulate": "accumulate", "lr": "lr",
              "precision": "precision", "max_minutes": "max_minutes", "seed": "seed", "limit_train": "limit_train",
              "limit_val": "limit_val", "num_workers": "num_workers", "val_every": "val_every",
              "patience": "patience", "checkpoint_minutes": "checkpoint_minutes", "weight_decay": "weight_decay"}


def _cmd_train(args: argparse.Namespace) -> int:
    from ..train.data import DataSpec
    from ..train.run import RunRequest, run

    if args.threads is not None:
        import torch

        if args.threads < 1:
            raise ValueError(f"--threads: expected >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    overrides = {field: getattr(args, dest) for dest, field in _OVERRIDES.items() if getattr(args, dest) is not None}
    if args.accumulate is not None:  # an explicit accumulation replaces the recipe's total batch size
        overrides["total_batch_size"] = None
    if args.ema:
        overrides["ema"] = True
    data = None
    if args.data is not None:
        if args.source and args.root:
            raise ValueError("data: expected at most one of --source NAME and --root DIR, got both")
        data = DataSpec(kind=args.data.replace("-", "_"), root=args.root or "",
                        **({"source": args.source} if args.source else {}), in_len=args.in_len or 0,
                        out_len=args.out_len or 0, stride=args.stride or 0, val_stride=args.val_stride or 0,
                        pool=args.pool or 0,
                        downsampling="lr" if args.sevir_lr else "none")
    elif args.source or args.root:
        raise ValueError("--source/--root: expected --data sevir or --data icar-enso with them")
    summary = run(RunRequest(out=args.out, model=args.model, data=data, recipe=args.recipe, overrides=overrides,
                             resume=args.resume, device=args.device, progress=not args.no_progress,
                             autoencoder=args.autoencoder, init=args.init))
    best = summary["best_selection"]
    if summary["rank"] == 0:
            print(f"{summary['reason']}: epoch {summary['epoch']}, step {summary['step']}, best selection "
              f"{'none yet' if best is None else f'{best:.4g}'}; run directory {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a forecaster (single process, or many under torchrun)",
                       description="Train a model on SEVIR or ICAR-ENSO. Multi-GPU / multi-node: "
                                   "torchrun --nproc-per-node N [--nnodes ...] -m engine train ...")
    p.add_argument("--model", help="model preset (e.g. sevir_demo, prediff_vae_demo) or config JSON "
                                   "{\"family\", \"config\"}")
    p.add_argument("--data", choices=("sevir", "icar-enso", "icar_enso"), help="kind of data")
    p.add_argument("--source", help="configured data source name (default: the embedded demo)")
    p.add_argument("--root", help="dataset directory (instead of --source)")
    p.add_argument("--out", required=True, help="run directory: logs, checkpoints, best/ model")
    p.add_argument("--recipe", help="recipe name (sevir, sevir_lr, icar_enso, nbody, sevir_demo, icar_enso_demo, "
                                    "prediff_{vae,denoiser,alignment}_{demo,sevirlr}) "
                                    "or a YAML file such as configs/train/sevir.yaml")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--init", help="new runs: start from the weights of a trained model directory (config.json + "
                                   "model.safetensors, same model configuration) and fine-tune them")
    p.add_argument("--autoencoder", help="PreDiff denoiser / alignment stages: directory of the trained "
                                         "prediff_vae checkpoint (e.g. runs/prediff_vae_demo/best), kept frozen")
    group = p.add_argument_group("training overrides (default: the recipe's)")
    group.add_argument("--epochs", type=int)
    group.add_argument("--batch-size", type=int, help="micro-batch per process")
    group.add_argument("--accumulate", type=int, help="micro-batches per optimizer step")
    group.add_argument("--lr", type=float)
    group.add_argument("--weight-decay", type=float)
    group.add_argument("--precision", choices=("fp32", "bf16", "fp16"))
    group.add_argument("--ema", action="store_true", help="keep an EMA of the weights (validated and exported)")
    group.add_argument("--max-minutes", type=float, help="stop cleanly, after a checkpoint, after this long")
    group.add_argument("--checkpoint-minutes", type=float, help="also checkpoint inside epochs this often")
    group.add_argument("--seed", type=int)
    group.add_argument("--limit-train", type=int, help="use only the first N training samples")
    group.add_argument("--limit-val", type=int, help="use only the first N validation samples")
    group.add_argument("--num-workers", type=int, help="DataLoader worker processes")
    group.add_argument("--val-every", type=int, help="validate every N epochs")
    group.add_argument("--patience", type=int, help="early stopping: validations without improvement (0 = off)")
    cut = p.add_argument_group("how data become samples (default: from the model's shapes)")
    cut.add_argument("--in-len", type=int)
    cut.add_argument("--out-len", type=int)
    cut.add_argument("--stride", type=int, help="training window step (SEVIR default: out-len)")
    cut.add_argument("--val-stride", type=int, help="SEVIR validation window step (default: out-len, as evaluate)")
    cut.add_argument("--pool", type=int, help="SEVIR spatial max-pool factor")
    cut.add_argument("--sevir-lr", action="store_true", help="SEVIR-LR on the fly (every 2nd frame, 3x3 max pool)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, help="CPU threads per process (torch.set_num_threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)
