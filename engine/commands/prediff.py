"""``python -m engine prediff``: assemble a PreDiff set from its three trained parts; describe a set.

    python -m engine prediff assemble --out assets/models/prediff_demo \\
        --autoencoder runs/prediff_vae_demo/best --denoiser runs/prediff_denoiser_demo/best \\
        --alignment runs/prediff_alignment_demo/best
    python -m engine prediff info assets/models/prediff_demo

``assemble`` checks that the parts fit together, copies them into one directory and writes
``prediff.json`` with the knowledge-control statistics of the training split (the embedded demo,
or ``--source``/``--root``). Bad input is one "expected ..., got ..." line and exit 2.
"""
from __future__ import annotations

import argparse
from pathlib import Path

def _cmd_assemble(args: argparse.Namespace) -> int:
    from ..evaluation.run import data_root
    from ..prediff.statistics import assemble_set

    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise ValueError(f"--out: expected a new or empty directory, got {out} (pass --force to replace its parts)")
    root = data_root("sevir", args.source, args.root)
    fields = {"guidance_scale": args.guidance_scale} if args.guidance_scale is not None else {}
    info = assemble_set(out, args.autoencoder, args.denoiser, args.alignment, root, args.pool,
                        description=args.description, **fields)
    print(f"wrote the PreDiff set {out}: sigma {info.sigma:.5f} and mean {info.mu_train:.5f} of the future "
          f"average intensity over {len(info.train_values)} training windows (pool {info.pool}), guidance scale "
          f"{info.guidance_scale:g}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..models.checkpoint import read_config
    from ..prediff.models import PARTS
    from ..prediff.set_info import read_set_info

    info = read_set_info(args.directory)
    print(f"{args.directory}: {info.description or '(no description)'}")
    print(f"  sigma {info.sigma:.5f}, training mean {info.mu_train:.5f}, schedule {info.schedule} "
          f"({info.num_steps} steps), guidance scale {info.guidance_scale:g}, pool {info.pool}")
    for part in PARTS:
        path = Path(args.directory) / part
        if path.exists():
            family, config, _ = read_config(path)
            print(f"  {part}: {family}, {type(config).__name__}")
        else:
            print(f"  {part}: absent (no knowledge control)" if part == "alignment" else f"  {part}: missing")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    prediff = sub.add_parser("prediff", help="PreDiff sets: assemble one from trained parts, describe one")
    actions = prediff.add_subparsers(dest="prediff_command", required=True, metavar="ACTION")

    asm = actions.add_parser("assemble", help="copy trained autoencoder, denoiser and alignment checkpoints into "
                                              "one set and write its prediff.json")
    asm.add_argument("--out", required=True, help="the set's directory (e.g. assets/models/prediff_demo)")
    asm.add_argument("--autoencoder", required=True, help="prediff_vae checkpoint (e.g. runs/prediff_vae_demo/best)")
    asm.add_argument("--denoiser", required=True, help="prediff_denoiser checkpoint")
    asm.add_argument("--alignment", help="prediff_alignment checkpoint (optional: without it, no knowledge control)")
    src = asm.add_mutually_exclusive_group()
    src.add_argument("--source", help="configured SEVIR source whose training split gives sigma (default: the demo)")
    src.add_argument("--root", help="a SEVIR data directory")
    asm.add_argument("--pool", type=int, help="max-pool from the data's frames to the set's (default: data frame size / set frame size)")
    asm.add_argument("--guidance-scale", type=float, help="knowledge-control scale lambda (default: published 50)")
    asm.add_argument("--description", default="", help="free text shown with the set")
    asm.add_argument("--force", action="store_true", help="replace the parts of an existing set directory")
    asm.set_defaults(func=_cmd_assemble)

    info = actions.add_parser("info", help="describe a PreDiff set directory")
    info.add_argument("directory")
    info.set_defaults(func=_cmd_info)
