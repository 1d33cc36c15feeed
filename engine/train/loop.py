"""The training loop: plain PyTorch, any model family, one process or many (DDP).

The loss of a micro-batch comes from an objective (``engine.train.objectives``; default: MSE of a
forecaster). Per optimizer step: ``accumulate`` micro-batches (gradients summed, each loss divided by the
group size, so k micro-batches equal one k-times larger batch), optional bf16/fp16 autocast,
gradient clipping, AdamW, the per-iteration LR schedule, optional EMA. Validation every
``val_every`` epochs streams the task's scores; the selection metric drives early stopping and the
``best`` checkpoint. Checkpoints are written at the end of every epoch, every
``checkpoint_minutes`` inside long epochs and before a ``max_minutes`` stop; resume continues
at the same micro-batch of the same seeded epoch order with the same schedule and RNG states.
"""
from __future__ import annotations

import hashlib
import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, Subset
from torch.utils.data.distributed import DistributedSampler
from tqdm import tqdm

from . import checkpoints as ckpt
from . import distributed as dd
from .config import TrainConfig
from .data import limited
from .ema import ModelEma
from .logs import TrainLog, write_metrics
from .objectives import Supervised
from .optim import build_optimizer, build_scheduler, warmup_cosine


class SkipSampler(Sampler[int]):
    """A DistributedSampler whose first ``skip`` indices are dropped (resuming inside an epoch)."""

    def __init__(self, sampler: DistributedSampler, skip: int = 0) -> None:
        self.sampler, self.skip = sampler, skip

    def __iter__(self) -> Iterator[int]:
        for i, index in enumerate(self.sampler):
            if i >= self.skip:
                yield index

    def __len__(self) -> int:
        return max(len(self.sampler) - self.skip, 0)


def state_hash(model: nn.Module) -> str:
    """SHA-256 of a model's state dict (names, dtypes and bytes): equal weights, equal hash."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(str(tensor.dtype).encode())
        h.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


class Trainer:
    """Train ``model`` on ``task`` batches from ``train_set``, validating on ``val_set``.

    Parameters
    ----------
    model : any forecaster (B, T_in, H, W, C) -> (B, T_out, H, W, C) with a ``.config``.
    task : splits batches and scores validation (``engine.train.tasks``).
    run_dir : where logs and checkpoints go (rank 0 writes).
    ctx : this process's place in a distributed job (a world of one by default).
    resume : continue from ``run_dir/checkpoints/last.pt``.
    metadata : stored with the exported best model (preset, data spec, ...).
    objective : the loss and validation (``engine.train.objectives``); default: MSE of the
        forecaster on ``task``'s split, scored by ``task``.
    """

    def __init__(self, model: nn.Module, task: Any, train_set: Dataset, val_set: Dataset, config: TrainConfig,
                 run_dir: str | Path, ctx: dd.DistContext = dd.DistContext(), resume: bool = False,
                 metadata: dict[str, Any] | None = None, progress: bool = True, objective: Any = None) -> None:
        self.config, self.task, self.ctx = config, task, ctx
        self.objective = (objective if objective is not None else Supervised(task)).to(ctx.device)
        self.run_dir = Path(run_dir)
        self.metadata = metadata or {}
        self.progress = progress and ctx.is_main
        self.train_set = limited(train_set, config.limit_train)
        self.val_set = limited(val_set, config.limit_val)
        self.model = model.to(ctx.device)
        self.ddp = dd.wrap_model(self.model, ctx)
        self.accumulate = config.accumulation(ctx.world_size)
        self.sampler = DistributedSampler(self.train_set, num_replicas=ctx.world_size, rank=ctx.rank,
                                          shuffle=True, seed=config.seed, drop_last=False)
        self.micro_per_epoch = math.ceil(len(self.sampler) / config.batch_size)
        self.steps_per_epoch = math.ceil(self.micro_per_epoch / self.accumulate)
        self.optimizer = build_optimizer(self.model, config)
        extras = self.objective.extra_parameters()  # learned log-variances: trained, never decayed
        if extras:
            self.optimizer.add_param_group({"params": [p for _, p in extras], "weight_decay": 0.0,
                                            "names": [n for n, _ in extras]})
        self.extra_params = [p for _, p in extras]
        self.schedule = warmup_cosine(config, config.epochs * self.steps_per_epoch)
        self.scheduler = build_scheduler(self.optimizer, self.schedule)
        use_scaler = config.precision == "fp16" and ctx.device.type == "cuda"
        self.scaler = torch.amp.GradScaler(ctx.device.type, enabled=use_scaler)
        self.ema = ModelEma(self.model, config.ema_decay) if config.ema else None
        self.step, self.epoch, self.micro_done = 0, 0, 0
        self.early = {"best": None, "best_epoch": None, "bad_rounds": 0, "stopped": False}
        self.history: list[dict[str, Any]] = []
        if resume:
            self._load(ckpt.checkpoint_path(self.run_dir))
        else:
            torch.manual_seed(config.seed + ctx.rank)  # dropout streams; the weights come from the caller
        if ctx.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            ckpt.clean_stale_temp_files(self.run_dir)
            self.log = TrainLog(self.run_dir, resume_step=self.step if resume else None)
            write_metrics(self.run_dir, self.history)

    # -- one optimizer step --------------------------------------------------------------------
    def _autocast(self):
        if self.config.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.config.precision == "bf16" else torch.float16
        return torch.autocast(self.ctx.device.type, dtype=dtype)

    def _to_device(self, batch: Any) -> Any:
        if isinstance(batch, (list, tuple)):
            return type(batch)(self._to_device(b) for b in batch)
        return batch.to(self.ctx.device, non_blocking=True)

    def _micro_step(self, batch: Any, scale: float, sync: bool) -> float:
        batch = self._to_device(batch)
        context = nullcontext() if sync or not self.ctx.distributed else self.ddp.no_sync()
        with context:
            loss = self.objective.loss(self.ddp, batch, self.step, self._autocast)
            self.scaler.scale(loss * scale).backward()
        return float(loss.detach())

    def _optimizer_step(self) -> tuple[float, float]:
        """Clip, step, schedule, EMA; returns (gradient norm before clipping, learning rate used)."""
        lr = self.optimizer.param_groups[0]["lr"]
        if self.ctx.distributed:  # DDP averages the model's gradients only; the objective's too
            for p in self.extra_params:
                if p.grad is not None:
                    torch.distributed.all_reduce(p.grad)
                    p.grad /= self.ctx.world_size
        self.scaler.unscale_(self.optimizer)
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        clip = self.config.grad_clip if self.config.grad_clip > 0 else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1
        return norm, lr

    # -- the loop --------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Train until the last epoch, early stopping or the time budget; return a summary."""
        cfg, start = self.config, time.monotonic()
        last_ckpt = start
        reason = "finished"
        if self.early["stopped"]:
            return self._summary("early stopping (already reached)", start)
        while self.epoch < cfg.epochs:
            self.sampler.set_epoch(self.epoch)
            loader = DataLoader(self.train_set, batch_size=cfg.batch_size,
                                sampler=SkipSampler(self.sampler, self.micro_done * cfg.batch_size),
                                num_workers=cfg.num_workers, pin_memory=self.ctx.device.type == "cuda",
                                generator=torch.Generator())  # never draw from the global RNG
            self.model.train()
            bar = tqdm(total=self.micro_per_epoch, initial=self.micro_done, desc=f"epoch {self.epoch + 1}/{cfg.epochs}",
                       unit="batch", file=sys.stderr, disable=not self.progress or None, leave=False)
            losses, epoch_losses, t_group, t_epoch, stop = [], [], time.monotonic(), time.monotonic(), False
            for batch in loader:
                group_start = (self.micro_done // self.accumulate) * self.accumulate
                group_size = min(self.accumulate, self.micro_per_epoch - group_start)
                last_in_group = self.micro_done + 1 == group_start + group_size
                losses.append(self._micro_step(batch, 1.0 / group_size, sync=last_in_group))
                self.micro_done += 1
                bar.update(1)
                if not last_in_group:
                    continue
                norm, lr = self._optimizer_step()
                loss = dd.all_mean(self.ctx, sum(losses) / len(losses))
                epoch_losses.append(loss)
                if not math.isfinite(loss):
                    raise FloatingPointError(f"training loss became {loss} at step {self.step}; the last "
                                             f"checkpoint is intact (try a lower --lr or --precision fp32)")
                now = time.monotonic()
                self._log_step(loss, lr, norm, group_size * cfg.batch_size * self.ctx.world_size / (now - t_group),
                               now - start)
                bar.set_postfix(loss=f"{loss:.4g}", lr=f"{lr:.3g}")
                losses, t_group = [], now
                in_epoch = self.micro_done < self.micro_per_epoch
                want_ckpt, stop = dd.broadcast_flags(self.ctx, [
                    cfg.checkpoint_minutes > 0 and now - last_ckpt >= 60 * cfg.checkpoint_minutes,
                    cfg.max_minutes > 0 and now - start >= 60 * cfg.max_minutes])
                if in_epoch and (want_ckpt or stop):
                    self._save()
                    last_ckpt = time.monotonic()
                if stop and in_epoch:
                    break
            bar.close()
            if stop and self.micro_done < self.micro_per_epoch:
                reason = "time budget (--max-minutes)"
                break
            self.epoch, self.micro_done = self.epoch + 1, 0
            if self.ctx.is_main and epoch_losses:
                print(f"epoch {self.epoch}/{cfg.epochs}: step {self.step}, mean train loss "
                      f"{sum(epoch_losses) / len(epoch_losses):.4g}, {time.monotonic() - t_epoch:.0f} s",
                      file=sys.stderr, flush=True)
            if self.epoch % cfg.val_every == 0 or self.epoch == cfg.epochs:
                self._validate_and_select()
            self._save()
            last_ckpt = time.monotonic()
            if self.early["stopped"]:
                reason = f"early stopping (no improvement in {cfg.patience} validations)"
                break
            if stop:
                reason = "time budget (--max-minutes)"
                break
        return self._summary(reason, start)

    def _log_step(self, loss: float, lr: float, norm: float, rate: float, elapsed: float) -> None:
        if self.ctx.is_main:
            self.log.write({"step": self.step, "epoch": f"{self.epoch + self.micro_done / self.micro_per_epoch:.4f}",
                            "loss": f"{loss:.6g}", "lr": f"{lr:.6g}",
                            "grad_norm": f"{norm:.4g}", "samples_per_s": f"{rate:.3g}", "elapsed_s": f"{elapsed:.1f}"})

    # -- validation and selection ------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """The objective's validation scores (EMA weights when enabled), merged over all ranks."""
        shard = Subset(self.val_set, range(self.ctx.rank, len(self.val_set), self.ctx.world_size))
        loader = DataLoader(shard, batch_size=self.config.batch_size, shuffle=False, num_workers=self.config.num_workers)
        state = self.objective.init()
        scope = self.ema.applied(self.model) if self.ema is not None else nullcontext()
        self.model.eval()
        with scope:
            for batch in loader:
                state = self.objective.accumulate(state, self.model, self._to_device(batch), batch, self._autocast)
        self.model.train()
        return self.objective.compute(dd.merge_across(self.ctx, state, self.objective.merge))

    def _validate_and_select(self) -> None:
        scores = self.evaluate()
        value = scores["selection"]
        improved = math.isfinite(value) and (self.early["best"] is None or value < self.early["best"])
        if improved:
            self.early.update(best=value, best_epoch=self.epoch, bad_rounds=0)
        else:
            self.early["bad_rounds"] += 1
            if self.config.patience and self.early["bad_rounds"] >= self.config.patience:
                self.early["stopped"] = True
        entry = {"epoch": self.epoch, "step": self.step, **scores, "improved": improved,
                 "best_selection": self.early["best"], "best_epoch": self.early["best_epoch"]}
        self.history.append(entry)
        if self.ctx.is_main:
            write_metrics(self.run_dir, self.history)
            shown = ", ".join(f"{k} {v:.4g}" for k, v in scores.items() if k != "selection")
            print(f"epoch {self.epoch}: step {self.step}, {shown}{' (best)' if improved else ''}",
                  file=sys.stderr, flush=True)
        if improved:
            self._save(best=True)

    # -- checkpoints -------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        rngs = [ckpt.rng_state()]
        if self.ctx.distributed:  # every rank's dropout stream, so a resumed job continues each one
            rngs = [None] * self.ctx.world_size
            torch.distributed.all_gather_object(rngs, ckpt.rng_state())
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                 "ema": self.ema.state_dict() if self.ema is not None else None,
                 "step": self.step, "epoch": self.epoch, "micro_done": self.micro_done, "rng": rngs,
                 "early": dict(self.early), "history": list(self.history), "config": self.config.to_dict(),
                 "world_size": self.ctx.world_size, "metadata": self.metadata}
        if hasattr(self.objective, "state_dict"):  # forecasters' checkpoints keep their old keys
            state["objective"] = self.objective.state_dict()
        return state

    def _save(self, best: bool = False) -> None:
        state = self._state()  # a collective when distributed: every rank calls it
        if self.ctx.is_main:
            if best:  # best first: a kill between the writes leaves an older `last` that redoes it
                ckpt.save_training_state(ckpt.checkpoint_path(self.run_dir, ckpt.BEST), state)
                scope = self.ema.applied(self.model) if self.ema is not None else nullcontext()
                with scope:
                    ckpt.export_model(self.model, self.run_dir, {
                        **self.metadata, "epoch": self.epoch, "step": self.step, "selection": self.early["best"],
                        "selection_metric": self.objective.selection, "ema": self.ema is not None})
            else:
                ckpt.save_training_state(ckpt.checkpoint_path(self.run_dir), state)
        dd.barrier(self.ctx)

    def _load(self, path: Path) -> None:
        state = ckpt.load_training_state(path, map_location=self.ctx.device)
        saved = {k: v for k, v in state["config"].items() if k in ("epochs", "batch_size", "seed")}
        current = {k: getattr(self.config, k) for k in saved}
        if saved != current:
            raise ValueError(f"resume: expected the checkpoint's epochs/batch_size/seed {saved}, got {current} "
                             f"(the schedule and data order would change)")
        if state["micro_done"] and state["world_size"] != self.ctx.world_size:
            raise ValueError(f"resume: the checkpoint stopped inside an epoch with {state['world_size']} processes; "
                             f"expected the same number of processes, got {self.ctx.world_size}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None and state["ema"] is not None:
            self.ema.load_state_dict(state["ema"])
        if state.get("objective") is not None and hasattr(self.objective, "load_state_dict"):
            self.objective.load_state_dict(state["objective"])
        self.step, self.epoch, self.micro_done = state["step"], state["epoch"], state["micro_done"]
        self.early, self.history = dict(state["early"]), list(state["history"])
        rngs = state["rng"]
        ckpt.set_rng_state(rngs[self.ctx.rank] if len(rngs) == self.ctx.world_size else rngs[0])

    def _summary(self, reason: str, start: float) -> dict[str, Any]:
        summary = {"reason": reason, "epoch": self.epoch, "step": self.step, "micro_done": self.micro_done,
                   "best_selection": self.early["best"], "best_epoch": self.early["best_epoch"],
                   "minutes": (time.monotonic() - start) / 60, "weights_sha256": state_hash(self.model)}
        if self.ctx.is_main:
            self.log.close()
            print(f"stopped: {reason} at epoch {self.epoch}, step {self.step}", file=sys.stderr, flush=True)
        return summary
