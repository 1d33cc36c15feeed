"""``python -m engine prediff``: assemble a PreDiff set from its three trained parts; describe a set.

    python -m engine prediff assemble --out assets/models/prediff_demo \\
        --autoencoder runs/prediff_vae_demo/best --denoiser runs/prediff_denoiser_demo/best \\
        --alignment runs/prediff_alignment_demo/best
    python -m engine prediff calibrate assets/models/prediff_demo --split val [--part line|ceiling|both]
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


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import dataclasses
    import sys

    import numpy as np
    import torch
    from tqdm import tqdm

    from ..bench.prediff_skill import select_windows
    from ..evaluation.run import data_root
    from ..prediff import PreDiffModels, read_set_info, write_set_info
    from ..prediff.calibration import calibrate_alignment, calibrate_ceiling, ceiling_candidates

    if args.threads:
        torch.set_num_threads(args.threads)
    models = PreDiffModels.from_directory(args.directory)
    windows = select_windows(data_root("sevir", args.source, args.root), models, args.split, 1, args.events)
    info = read_set_info(args.directory)
    if args.part in ("line", "both"):
        with tqdm(total=len(args.n) * len(windows), desc="calibrate: line", unit="window", file=sys.stderr,
                  disable=args.quiet) as bar:
            fit = calibrate_alignment(models, windows.contexts, windows.futures, args.n, args.members, args.seed,
                                      args.batch, progress=lambda done, total: bar.update(done - bar.n))
        print(f"decoded intensity = {fit.slope:.4f} x alignment reading {fit.intercept:+.5f} (R^2 {fit.r2:.3f}) over "
              f"{fit.readings.size} members of {len(windows)} {args.split} windows, n in {list(args.n)}")
        info = dataclasses.replace(info, alignment_calibration=fit.pair)
        models = dataclasses.replace(models, info=info)
    if args.part in ("ceiling", "both"):
        candidates = ceiling_candidates(models)
        with tqdm(total=len(candidates) * len(windows), desc="calibrate: ceiling", unit="window",
                  file=sys.stderr, disable=args.quiet) as bar:
            top = calibrate_ceiling(models, windows.contexts, windows.futures, candidates, args.ceiling_n,
                                    args.members, args.seed, args.batch,
                                    progress=lambda done, total: bar.update(done - bar.n))
        print(f"mean intensity at n = {top.n:+g} over {args.members} members of {len(windows)} {args.split} windows:")
        for ceiling, achieved in zip(top.candidates, top.achieved):
            print(f"  ceiling {'none' if np.isnan(ceiling) else f'{ceiling:.4f}'}: {achieved:.5f}")
        print(f"ceiling: {top.ceiling:.4f}" if top.ceiling is not None
              else "ceiling: none (no ceiling gave the most intense futures)")
        info = dataclasses.replace(info, alignment_ceiling=top.ceiling)
    if args.dry_run:
        return 0
    write_set_info(args.directory, info)
    print(f"wrote the calibration into {args.directory}/prediff.json")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..models.checkpoint import read_config
    from ..prediff.models import PARTS
    from ..prediff.set_info import read_set_info

    info = read_set_info(args.directory)
    print(f"{args.directory}: {info.description or '(no description)'}")
    print(f"  sigma {info.sigma:.5f}, training mean {info.mu_train:.5f}, schedule {info.schedule} "
          f"({info.num_steps} steps), guidance scale {info.guidance_scale:g}, pool {info.pool}")
    slope, intercept = info.alignment_calibration
    print(f"  alignment calibration: decoded = {slope:.4f} x reading {intercept:+.5f}"
          + (" (none: the published behaviour)" if (slope, intercept) == (1.0, 0.0) else ""))
    ceiling = info.alignment_ceiling
    print("  alignment ceiling: " + ("none (the published behaviour)" if ceiling is None else
                                     f"{ceiling:.4f} (no frame is pushed up past this reading)"))
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

    cal = actions.add_parser("calibrate", help="fit the alignment network's reading of sampled latents to their "
                                               "decoded intensity on held-out windows; write it to prediff.json")
    cal.add_argument("directory")
    src = cal.add_mutually_exclusive_group()
    src.add_argument("--source", help="configured SEVIR source (default: the embedded demo)")
    src.add_argument("--root", help="a SEVIR data directory")
    cal.add_argument("--split", default="val", help="held-out windows to fit on (default val; never the test split)")
    cal.add_argument("--events", type=int, help="first N events of the split, one window each (default: all)")
    cal.add_argument("--members", type=int, default=2)
    cal.add_argument("--part", choices=("line", "ceiling", "both"), default="both",
                     help="fit the line (slope, intercept), the per-frame ceiling, or both (default; the ceiling "
                          "then uses the new line)")
    cal.add_argument("--n", type=float, nargs="+", default=[-2.0, 0.0, 2.0], help="knowledge-control n sampled "
                                                                                  "for the line")
    cal.add_argument("--ceiling-n", type=float, default=4.0,
                     help="the strong scenario whose intensity the ceiling maximises (default +4)")
    cal.add_argument("--batch", type=int, default=4, help="windows per sampling call")
    cal.add_argument("--seed", type=int, default=0)
    cal.add_argument("--threads", type=int, help="torch CPU threads")
    cal.add_argument("--dry-run", action="store_true", help="print the fit, leave prediff.json as it is")
    cal.add_argument("--quiet", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    info = actions.add_parser("info", help="describe a PreDiff set directory")
    info.add_argument("directory")
    info.set_defaults(func=_cmd_info)
