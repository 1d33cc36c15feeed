"""Settings shared by cuboid attention layers and blocks (the one home of their defaults)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .cuboid import PaddingType, check_padding_type

AttentionBackend = Literal["auto", "matmul", "sdpa"]
BACKENDS: tuple[str, ...] = ("auto", "matmul", "sdpa")


@dataclass(frozen=True)
class AttentionConfig:
    """Hyper-parameters of one cuboid attention layer and its FFN (Earthformer defaults).

    ``backend`` picks the kernel: ``matmul`` (batched matmul + masked softmax), ``sdpa``
    (``torch.nn.functional.scaled_dot_product_attention`` with an additive bias), or ``auto``
    (the faster of the two as measured by ``python -m engine bench cuboid``: matmul on CPU,
    SDPA on CUDA).
    """

    num_heads: int = 4
    qkv_bias: bool = False
    qk_scale: float | None = None
    attn_drop: float = 0.0
    proj_drop: float = 0.0
    ffn_drop: float = 0.0
    use_final_proj: bool = True
    use_relative_pos: bool = True
    padding_type: PaddingType = "ignore"
    gated_ffn: bool = False
    ffn_activation: Literal["gelu", "leaky", "relu"] = "gelu"
    use_inter_ffn: bool = True
    layer_norm_eps: float = 1e-5
    backend: AttentionBackend = "auto"

    def __post_init__(self) -> None:
        check_padding_type(self.padding_type)
        if self.num_heads < 1:
            raise ValueError(f"num_heads: expected >= 1, got {self.num_heads}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {list(BACKENDS)}, got {self.backend!r}")

    def head_dim(self, dim: int) -> int:
        if dim % self.num_heads:
            raise ValueError(f"dim: expected a multiple of num_heads={self.num_heads}, got {dim}")
        return dim // self.num_heads


@dataclass(frozen=True)
class GlobalVectorConfig:
    """How global vectors talk to the local tokens (Earthformer Sec. 3.2).

    ``separate_global_qkv`` gives the global paths their own projections (required when
    ``global_dim_ratio != 1``); otherwise local q/k/v are shared and globals get one extra
    ``global_qkv`` projection. ``use_global_self_attn`` lets global vectors also attend to
    each other.
    """

    use_global_self_attn: bool = False
    separate_global_qkv: bool = False
    global_dim_ratio: int = 1
    use_global_vector_ffn: bool = False

    def __post_init__(self) -> None:
        if self.global_dim_ratio != 1 and not self.separate_global_qkv:
            raise ValueError(
                f"global_dim_ratio: expected 1 unless separate_global_qkv=True, got {self.global_dim_ratio}"
            )
