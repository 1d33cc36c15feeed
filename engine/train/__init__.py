"""Training in plain PyTorch: any model family, one process or many (torchrun + DDP).

Modules: ``config`` (TrainConfig, the papers' recipes), ``optim`` (AdamW weight-decay groups,
warm-up + cosine schedule), ``ema``, ``checkpoints`` (atomic training state, exported best
model), ``data`` (DataSpec -> datasets), ``tasks`` (batch split, validation scores, selection
metric), ``distributed``, ``loop`` (Trainer), ``logs``, ``setup`` (model / recipe from names),
``run`` (one run from a request; used by ``python -m engine train``).
"""
