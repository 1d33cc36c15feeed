"""Optimizer facts: the LR schedule equals its formula, weight-decay groups are exact, and
gradient accumulation of k micro-batches equals one k-times larger batch."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from engine.models.earthformer.model import Earthformer
from engine.train.config import TrainConfig
from engine.train.loop import Trainer
from engine.train.optim import build_optimizer, build_scheduler, parameter_groups, warmup_cosine

from .conftest import TINY, TINY_NO_DROPOUT


def brute_force_lr(step: int, lr: float, total: int, warmup: int, r0: float, m: float) -> float:
    """B.10: linear from r0*lr to lr over `warmup` steps, then cosine to m*lr at `total`."""
    if step < warmup:
        return lr * (r0 + (1 - r0) * step / warmup)
    t = (step - warmup) / (total - warmup)
    return m * lr + (lr - m * lr) * (1 + math.cos(math.pi * t)) / 2


@pytest.mark.parametrize("r0, m, pct", [(0.0, 1e-3, 0.2), (0.1, 1e-2, 0.1), (0.5, 0.0, 0.0)])
def test_schedule_equals_the_brute_force_formula_at_every_step(r0, m, pct):
    config = TrainConfig(lr=2e-3, warmup_min_lr_ratio=r0, min_lr_ratio=m, warmup_percentage=pct)
    total = 50
    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=config.lr)
    schedule = warmup_cosine(config, total)
    assert schedule.warmup_steps == round(pct * total)
    sched = build_scheduler(opt, schedule)
    for step in range(total + 1):
        expected = brute_force_lr(step, config.lr, total, schedule.warmup_steps, r0, m)
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12, abs=1e-15), step
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(m * config.lr, abs=1e-15)  # held at the floor past total


def test_schedule_matches_pytorchs_warmup_then_cosine_annealing():
    config = TrainConfig(lr=1e-3, warmup_min_lr_ratio=0.1, min_lr_ratio=1e-3, warmup_percentage=0.2)
    total, schedule = 40, warmup_cosine(config, 40)
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=config.lr)
    ref = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 + 0.9 * s / schedule.warmup_steps),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - schedule.warmup_steps, eta_min=1e-6)],
        milestones=[schedule.warmup_steps])
    for step in range(total):
        assert opt.param_groups[0]["lr"] == pytest.approx(config.lr * schedule(step), rel=1e-9)
        opt.step()
        ref.step()


def expected_no_decay(model: nn.Module) -> set[str]:
    """Brute force from module types and names: biases, norms, embeddings, tables, global vectors."""
    out = set()
    for mname, module in model.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            if (pname == "bias" or isinstance(module, (nn.LayerNorm, nn.GroupNorm, nn.Embedding))
                    or pname == "relative_position_bias_table" or full == "init_global_vectors"):
                out.add(full)
    return out


def test_weight_decay_groups_hold_exactly_the_right_parameters():
    model = Earthformer(TINY)
    decay, exempt = parameter_groups(model, 0.05)
    names = {n for n, _ in model.named_parameters()}
    assert set(exempt["names"]) == expected_no_decay(model)
    assert set(decay["names"]) == names - expected_no_decay(model)
    assert not set(decay["names"]) & set(exempt["names"])
    assert decay["weight_decay"] == 0.05 and exempt["weight_decay"] == 0.0
    # every decayed tensor is a Linear or convolution weight
    modules = dict(model.named_modules())
    for name in decay["names"]:
        owner = modules[name.rsplit(".", 1)[0]]
        assert isinstance(owner, (nn.Linear, nn.Conv2d, nn.Conv3d)) and name.endswith(".weight"), name
    assert "init_global_vectors" in exempt["names"]
    assert any(n.endswith("relative_position_bias_table") for n in exempt["names"])
    assert any("pos_embed" in n for n in exempt["names"])
    opt = build_optimizer(model, TrainConfig(weight_decay=0.05))
    assert [g["weight_decay"] for g in opt.param_groups] == [0.05, 0.0]


def _grads_after(trainer: Trainer, batches: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    trainer.optimizer.zero_grad(set_to_none=True)
    for i, batch in enumerate(batches):
        trainer._micro_step(batch, 1.0 / len(batches), sync=i == len(batches) - 1)
    return {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("k", [2, 4])
def test_k_accumulated_micro_batches_give_the_gradients_of_one_big_batch(tiny_data, tmp_path, k):
    train, val, task = tiny_data
    data = torch.stack([train[i] for i in range(8)])  # (8, 5, 8, 8, 1)
    grads = []
    for micro, accumulate in ((8 // k, k), (8, 1)):
        torch.manual_seed(0)
        model = Earthformer(TINY_NO_DROPOUT).double()
        config = replace(TrainConfig(epochs=1), batch_size=micro, accumulate=accumulate)
        trainer = Trainer(model, task, train, val, config, tmp_path / f"run{micro}", progress=False)
        grads.append(_grads_after(trainer, list(data.double().split(micro))))
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=0, atol=1e-6, msg=name)
