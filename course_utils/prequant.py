"""Checkpoints saved already quantized (bitsandbytes 4/8-bit, GPTQ, AWQ, FP8, MXFP4,
compressed-tensors), sized from what their files store (memory.py reports it).

Their parameter count in a safetensors header counts packed bytes (two 4-bit weights per uint8,
eight per int32), so params × bytes means nothing for them. What the GPU holds is what the files
store, tensor by tensor, with the loader's own changes: bitsandbytes parses the JSON blob it
saved beside each 4-bit weight into Python (and adds an fp32 offset under double quant) and
drops 8-bit's ``weight_format``; buffers the model makes itself (rotary ``inv_freq``) are added.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .dtypes import WIDTH
from .errors import BadInputError, ModelNotFoundError
from .hub import bound_client, hub_error, offline

# quant_method in config.json -> what the lessons call it; only these are sized from the files
KNOWN = {
    "bitsandbytes": "bitsandbytes", "gptq": "GPTQ", "awq": "AWQ", "fp8": "FP8",
    "fbgemm_fp8": "FP8 (fbgemm)", "mxfp4": "MXFP4", "compressed-tensors": "compressed-tensors",
}  # fmt: skip
# loaders that fall back to bfloat16 where the GPU lacks the kernels (transformers' quantizers)
DEQUANTIZED_ON = {
    "fp8": "a GPU below compute capability 8.9 (T4, A100) or the CPU",
    "mxfp4": "a GPU below compute capability 7.5, or without triton and the kernels package",
}
SAFETENSORS_FLOAT = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
BNB_BLOB = ".quant_state.bitsandbytes__"  # 4-bit: a JSON blob parsed at load, not kept


@dataclass
class Stored:
    """What a pre-quantized checkpoint's weights take once loaded."""

    method: str  # the label of quant_method
    bits: float  # bits per quantized weight (for the rule of thumb)
    weights_bytes: int = 0
    stored_bytes: int = 0  # what the files hold, header by header
    kept_params: int = 0  # float tensors the model has as they are (embeddings, norms, head)
    kept_bytes: int = 0
    kept_dtype: str = "bfloat16"
    buffers_bytes: int = 0  # buffers the model makes itself (in kept_bytes too)
    dequantized_bytes: int = 0  # where the loader dequantizes (DEQUANTIZED_ON); see dequantized
    notes: list[str] = field(default_factory=list)


def quant_config(config: Any) -> dict | None:
    """The ``quantization_config`` of a config as a dict, or None when it has none."""
    q = getattr(config, "quantization_config", None)
    if q is None:
        return None
    return q if isinstance(q, dict) else q.to_dict()


def _bits(q: dict) -> float:
    method = q.get("quant_method", "")
    if method == "bitsandbytes":
        return 8.0 if q.get("load_in_8bit") else 4.0
    if method in ("fp8", "fbgemm_fp8"):
        return 8.0
    if method == "mxfp4":
        return 4.25  # 4-bit values + one shared 8-bit scale per 32
    groups = q.get("config_groups") or {}  # compressed-tensors: weights.num_bits per group
    for group in groups.values():
        return float((group.get("weights") or {}).get("num_bits", 16))
    return float(q.get("bits", q.get("w_bit", 4)))


def label(q: dict) -> str:
    """'bitsandbytes nf4', 'GPTQ 4-bit', 'FP8'...: how the estimate names the checkpoint."""
    method = q.get("quant_method", "")
    if method == "bitsandbytes":
        if q.get("load_in_8bit"):
            return "bitsandbytes int8"
        dq = " + double quant" if q.get("bnb_4bit_use_double_quant") else ""
        return f"bitsandbytes {q.get('bnb_4bit_quant_type', 'fp4')}{dq}"
    name = KNOWN.get(method, method)
    return name if "fp" in method else f"{name} {_bits(q):g}-bit"


def _snapshot(source: str) -> str | None:
    """The local folder of a Hub id's cached snapshot (where config.json was found), or None."""
    from huggingface_hub import try_to_load_from_cache

    path = try_to_load_from_cache(source, "config.json")
    return os.path.dirname(path) if isinstance(path, str) else None


def headers(source: str) -> dict[str, Any]:
    """Tensor name -> TensorInfo (dtype, shape, data_offsets) from a checkpoint's safetensors
    headers: a local folder, a cached Hub snapshot, or the Hub online (headers only)."""
    from huggingface_hub import get_local_safetensors_metadata, get_safetensors_metadata

    folder = source if os.path.isdir(source) else _snapshot(source)
    for where in [folder] if folder else []:
        try:
            meta = get_local_safetensors_metadata(where)
        except Exception:  # no safetensors files cached there: the Hub, if reachable
            continue
        return {k: v for f in meta.files_metadata.values() for k, v in f.tensors.items()}
    if os.path.isdir(source) or offline():
        raise ModelNotFoundError(
            f"{source} is a pre-quantized checkpoint and its safetensors files are not here, so "
            "what they store cannot be read. Download them (or go online: only their headers "
            "are read)."
        )
    bound_client()
    try:
        meta = get_safetensors_metadata(source)
    except Exception as exc:  # gated, no safetensors, network: the translator says which
        raise hub_error(source, exc, wanted="its safetensors headers are") from exc
    return {k: v for f in meta.files_metadata.values() for k, v in f.tensors.items()}


def _nbytes(info: Any) -> int:
    return info.data_offsets[1] - info.data_offsets[0]


def _loader_changes(q: dict, tensors: dict[str, Any]) -> int:
    """Bytes the loader adds (+) or drops (-) compared with what the files store."""
    if q.get("quant_method") != "bitsandbytes":
        return 0
    change = 0
    for name, info in tensors.items():
        if BNB_BLOB in name:  # parsed into a QuantState; double quant adds its fp32 offset
            change -= _nbytes(info)
            weight = name.split(BNB_BLOB)[0]
            change += 4 if f"{weight}.nested_absmax" in tensors else 0
        elif name.endswith(".weight_format"):  # 8-bit: a format byte the loader drops
            change -= _nbytes(info)
    return change


def own_buffers(meta: Any) -> int:
    """Bytes of the buffers a model makes itself and never saves (rotary ``inv_freq``)."""
    seen: set[int] = set()
    total = 0
    for module in meta.modules():
        for name in module._non_persistent_buffers_set:
            b = module._buffers.get(name)
            if b is not None and id(b) not in seen:
                seen.add(id(b))
                total += b.numel() * b.element_size()
    return total


def _unknown(method: str, stored: int) -> BadInputError:
    from ._display import fmt_gib

    return BadInputError(
        f"This checkpoint was saved quantized with {method!r}, a method course_utils does not "
        f"size (it knows {', '.join(KNOWN)}), so how its loader unpacks the files is unknown. "
        f"The figure it can still give, inexact: its safetensors files store {fmt_gib(stored)} "
        "of weights. For the unquantized model, pass its parameter count or an unquantized "
        "checkpoint of the same model."
    )


def size(config: Any, meta: Any | None, load_dtype: str) -> Stored:
    """What a pre-quantized checkpoint's weights take once loaded in ``load_dtype``.

    ``meta`` is the model built from ``config`` on the meta device (None when transformers
    cannot build it): it names the tensors kept as they are and the buffers it makes itself.
    """
    q = quant_config(config) or {}
    source = getattr(config, "name_or_path", "")
    if not source:
        raise BadInputError(
            "This config is of a pre-quantized checkpoint; its size is read from the checkpoint's "
            "safetensors files, so pass the folder or Hub id instead of the config."
        )
    tensors = headers(source)
    stored = sum(_nbytes(i) for i in tensors.values())
    method = q.get("quant_method", "")
    if method not in KNOWN:
        raise _unknown(method, stored)
    out = Stored(label(q), _bits(q), stored_bytes=stored)
    shapes = {n: list(t.shape) for n, t in meta.state_dict().items()} if meta is not None else {}
    widths: dict[str, int] = {}
    cast = 0  # transformers 5.23 casts a pre-quantized checkpoint's biases to the load dtype,
    for name, info in tensors.items():  # while every "...weight" keeps its saved dtype
        if info.dtype in SAFETENSORS_FLOAT and shapes.get(name) == list(info.shape):
            held = _nbytes(info)
            if not name.endswith("weight"):
                held = int(info.parameter_count * WIDTH[load_dtype])
                cast += held - _nbytes(info)
            out.kept_params += info.parameter_count
            out.kept_bytes += held
            widths[info.dtype] = widths.get(info.dtype, 0) + _nbytes(info)
    if widths:
        out.kept_dtype = SAFETENSORS_FLOAT[max(widths, key=widths.__getitem__)]
    buffers = own_buffers(meta) if meta is not None else 0
    out.kept_bytes += buffers
    out.buffers_bytes = buffers
    out.weights_bytes = stored + _loader_changes(q, tensors) + cast + buffers
    return out


def dequantized(stored: Stored, q: dict, params: int, load_dtype: str) -> int:
    """Bytes of the weights where transformers dequantizes FP8 or MXFP4 into ``load_dtype``
    (measured on transformers 5.23's CPU fallback): FP8 keeps the other weights as saved and
    casts its biases; MXFP4 casts the whole model."""
    width = WIDTH[load_dtype]
    if q.get("quant_method") == "mxfp4":
        return int(params * width) + stored.buffers_bytes
    return int(stored.kept_bytes + (params - stored.kept_params) * width)
