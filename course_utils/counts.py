"""A bare parameter count and what is known of its mixture-of-experts part (memory.py sizes it).

Where only a count is known (a gated repo, an architecture transformers cannot build), the
4-bit figure used to assume every weight quantized. transformers 5 stores the experts of a
mixture-of-experts model as 3-D parameters that bitsandbytes leaves in 16 bits, so that guess is
3.5× low for Mixtral. The expert part is taken from the safetensors header names (exact) or from
the config's expert fields (a formula); when neither is known the estimate says so.
"""

from __future__ import annotations

from typing import Any

from ._display import fmt_count, fmt_gib
from .dtypes import WIDTH
from .meta import per_param_quantized

EXPERT_FIELDS = ("num_local_experts", "num_experts", "n_routed_experts")


# safetensors dtype -> bytes per element; the integer and 8-bit float ones hold packed
# quantized weights (GPTQ/AWQ int32, bitsandbytes uint8/int8, FP8, MXFP4 uint8 blocks)
ST_WIDTH = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U32": 4, "I16": 2,
            "U16": 2, "I8": 1, "U8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
            "BOOL": 1}  # fmt: skip
PACKED = {"I32", "U32", "I16", "U16", "I8", "U8", "F8_E4M3", "F8_E5M2", "F8_E8M0"}


class ParamCount(int):
    """A parameter count; ``experts`` of them are mixture-of-experts weights (None: unknown).

    ``stored`` is set for a checkpoint saved quantized: the count then counts packed values,
    and ``stored`` is the bytes its files hold (from the count per dtype).
    """

    experts: int | None
    source: str  # where ``experts`` comes from, for the note
    stored: int | None

    def __new__(
        cls, total: int, experts: int | None = None, source: str = "", stored: int | None = None
    ) -> ParamCount:
        self = super().__new__(cls, total)
        self.experts, self.source, self.stored = experts, source, stored
        return self


def stored_bytes(per_dtype: dict[str, int] | None) -> int | None:
    """Bytes a checkpoint's files hold, from its parameter count per safetensors dtype, when it
    holds packed quantized weights; None for an ordinary checkpoint (its count is right)."""
    if not per_dtype or not PACKED & set(per_dtype):
        return None
    return sum(n * ST_WIDTH.get(d, 0) for d, n in per_dtype.items())


def experts_in_headers(tensors: dict[str, Any]) -> int:
    """Expert parameters named in safetensors headers (``...experts.3.w1.weight``, or the fused
    ``...experts.gate_up_proj``); shared experts are ordinary layers and are left out."""
    return sum(info.parameter_count for name, info in tensors.items() if ".experts." in name)


def experts_in_config(data: dict) -> int | None:
    """Expert parameters a config.json describes: experts × 3 gated projections × layers that
    route. 0 for a config with no expert field; None where a needed size is missing."""
    data = data.get("text_config") or data
    n = next((data[f] for f in EXPERT_FIELDS if data.get(f)), 0)
    if not n:
        return 0
    hidden, layers = data.get("hidden_size"), data.get("num_hidden_layers")
    inter = data.get("moe_intermediate_size") or data.get("intermediate_size")
    if not (hidden and layers and inter):
        return None
    dense = set(data.get("mlp_only_layers") or [])  # Qwen-MoE: layers with a plain MLP
    step = data.get("decoder_sparse_step") or 1  # Qwen-MoE: every step-th layer routes
    first = data.get("first_k_dense_replace") or 0  # DeepSeek: the first k layers are dense
    sparse = [i for i in range(layers) if i >= first and i not in dense and (i + 1) % step == 0]
    return int(n) * 3 * int(hidden) * int(inter) * len(sparse)


def with_experts(
    count: int, tensors: dict[str, Any] | None, config: dict | None, per_dtype: dict | None = None
) -> ParamCount:
    """``count`` with its expert part from the headers if known, else from the config, and
    the stored bytes when ``per_dtype`` (its count per safetensors dtype) shows packed weights."""
    stored = stored_bytes(per_dtype)
    if tensors:
        return ParamCount(count, experts_in_headers(tensors), "the safetensors headers", stored)
    experts = experts_in_config(config) if config else None
    return ParamCount(count, experts, "the config" if experts is not None else "", stored)


def count_weights(
    count: int, name: str, double_quant: bool, compute: str
) -> tuple[int, int, list[str]]:
    """(weights bytes, bytes of what is quantized, notes) for a bare count quantized to ``name``
    (int8, nf4, fp4) with the rest in ``compute``.

    Mixture-of-experts weights stay in 16 bits under bitsandbytes (transformers 5 keeps them
    3-D); where the count knows them (counts.ParamCount) they are sized so.
    """
    experts = getattr(count, "experts", None)
    per = per_param_quantized(name, double_quant)
    notes = [
        "Only a parameter count: every other weight assumed quantized. Embeddings and head stay "
        "16-bit, so pass a config for the real figure."
    ]
    if experts is None:
        notes.append(
            "Inexact: whether this is a mixture-of-experts model is unknown. If it is, "
            "bitsandbytes keeps its experts in 16 bits: up to "
            f"{fmt_gib(count * WIDTH[compute])} (every weight in {compute}) instead."
        )
        experts = 0
    elif experts:
        notes.append(
            f"{fmt_count(experts)} mixture-of-experts parameters (from {count.source}) counted "
            f"in {compute}: bitsandbytes leaves experts unquantized."
        )
    quantized = int((count - experts) * per)
    return quantized + int(experts * WIDTH[compute]), quantized, notes
