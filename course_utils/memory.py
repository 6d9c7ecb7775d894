"""Will it fit? Memory maths for weights, quantization state and the KV cache.

The figure is the memory the weights really take once loaded, not params × bytes:
bitsandbytes quantizes only the layers transformers hands it (plain ``nn.Linear`` and GPT-2's
``Conv1D``), keeps embeddings, norms, biases, the output head, tied weights and
``_keep_in_fp32_modules`` in 16 bits, and stores scales beside every quantized weight
(meta.py counts them). Sizes are in GiB (2**30 bytes), the unit torch and ``nvidia-smi`` report.
Whether a figure fits a GPU is levers.py's question (fits, plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._display import Table, fmt_count, fmt_gib
from .counts import count_weights
from .dtypes import QUANTIZED, WIDTH, dtype_name, torch_dtype
from .dtypes import label as precision_label
from .errors import BadInputError
from .kv import kv_cache_bytes
from .meta import count_bytes, meta_copy, meta_model, model_class
from .peak import MODES, activation_bytes
from .prequant import DEQUANTIZED_ON, dequantized, quant_config
from .prequant import size as prequant_size
from .resolve import resolve_model
from .validate import number


def _positive(value: Any, what: str, zero_ok: bool = False) -> int:
    """A whole, finite number ≥ 1 (≥ 0 with ``zero_ok``); BadInputError naming ``what``."""
    return number(value, what, minimum=0 if zero_ok else 1)


def bytes_per_param(dtype: Any) -> float:
    """Bytes one weight takes in ``dtype``: 4, 2, 2, 1 or 0.5 (the width alone, no scales).

    Part 2 uses it: bytes = numel × element_size; Part 8 shows why the real figure of a
    quantized model is higher (see ``estimate_memory``).
    """
    return WIDTH[dtype_name(dtype)]


@dataclass
class MemoryEstimate(Table):
    """The memory a model takes: weights (quantized + kept + quantization state) and KV cache."""

    model: str
    params: int
    dtype: str
    weights_bytes: int
    kv_cache_bytes: int = 0
    total_bytes: int = 0  # weights + KV cache
    activation_bytes: int = 0  # live activations at the prefill peak (peak.py)
    peak_bytes: int = 0  # weights + KV cache + activations: what inference needs at its peak
    quantized_params: int = 0
    quantized_bytes: int = 0  # packed weights + their scales and code tables
    kept_params: int = 0
    kept_bytes: int = 0  # parameters and buffers left unquantized
    compute_dtype: str = "bfloat16"
    double_quant: bool = False
    seq_len: int = 0
    batch_size: int = 1
    exact: bool = True  # False when only a parameter count was known
    notes: list[str] = field(default_factory=list)
    mode: str = "generate"
    stored_as: str = ""  # a pre-quantized checkpoint: its method ("GPTQ 4-bit"), sized from files
    weight_bits: float = 0.0  # bits per quantized weight of such a checkpoint (rule of thumb)
    dequantized_bytes: int = 0  # FP8/MXFP4 where transformers dequantizes them (see the note)
    kv_counted: bool = True  # False: seq_len was asked for, but nothing says layers and heads
    guessed: str = ""  # the model class counted when the config names no architecture

    def __post_init__(self) -> None:
        self.total_bytes = self.weights_bytes + self.kv_cache_bytes
        self.peak_bytes = self.total_bytes + self.activation_bytes

    @property
    def naive_bytes(self) -> int:
        """The rule of thumb: parameters × bytes per parameter."""
        if self.weight_bits:
            return int(self.params * self.weight_bits / 8)
        return int(self.params * bytes_per_param(self.dtype))

    @property
    def label(self) -> str:
        return self.stored_as or precision_label(self.dtype, self.double_quant)

    @property
    def context(self) -> str:
        """The context the figure assumes, as the title says it ("" for weights alone)."""
        if not self.seq_len:
            return ""
        if not self.kv_counted:
            return "KV cache not counted"
        return f"at {self.seq_len:,} tokens of context"

    def _title(self) -> str:
        return f"{self.model} in {self.label}" + (f", {self.context}" if self.context else "")

    def _rows(self) -> list[tuple[str, str]]:
        rows = [("parameters", f"{fmt_count(self.params)} ({self.params:,})")]
        if (self.dtype in QUANTIZED or self.stored_as) and self.exact:
            quantized = (
                f"{fmt_count(self.quantized_params)} params → {fmt_gib(self.quantized_bytes)}"
            )
            kept = f"{fmt_count(self.kept_params)} params → {fmt_gib(self.kept_bytes)}"
            to = self.stored_as or self.dtype
            rows.append((f"quantized to {to}", f"{quantized} (scales included)"))
            rows.append(
                (f"kept in {self.compute_dtype}", f"{kept} (embeddings, norms, biases, head)")
            )
        rows.append(("weights", fmt_gib(self.weights_bytes)))
        if self.seq_len and self.kv_counted:
            tokens = f"{self.seq_len:,} tokens × batch {self.batch_size}"
            rows.append(("KV cache", f"{fmt_gib(self.kv_cache_bytes)} ({tokens})"))
        rows.append(("total", fmt_gib(self.total_bytes)))
        if self.activation_bytes:
            rows.append((f"activations ({self.mode})", fmt_gib(self.activation_bytes)))
            rows.append(("peak", f"{fmt_gib(self.peak_bytes)} (weights + KV + activations)"))
        rows.append(("params × bytes", f"{fmt_gib(self.naive_bytes)} (the rule of thumb)"))
        return rows

    def _after(self) -> list[str]:
        return [f"  note: {n}" for n in self.notes]

    def _after_html(self) -> str:
        import html

        return "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)


@dataclass
class _Request:
    """What estimate_memory was asked for, checked once."""

    name: str  # the precision of the weights
    compute: str  # the float dtype of what stays unquantized (and of the KV cache)
    double_quant: bool
    seq_len: int
    batch_size: int
    mode: str = "generate"

    @property
    def load(self) -> str:
        """The dtype everything unquantized is loaded in."""
        return self.compute if self.name in QUANTIZED else self.name


# What a figure without a layout cannot count, and how to get it counted
NO_LAYOUT = "without a config nothing says the layers and heads: pass a config, folder or Hub id"


def guess_note(class_name: str) -> str:
    """The note of a figure whose model class was guessed (the config names no architecture)."""
    return (
        f"Counted as {class_name}: the config names no architecture (a config.json from the Hub "
        "does; add 'architectures': [...] to count another class)."
    )


def _from_count(shown: str, count: int, req: _Request) -> MemoryEstimate:
    """A bare parameter count: weights in ``req.name`` (experts kept 16-bit), no KV cache."""
    quantized = req.name in QUANTIZED
    notes = []
    if req.seq_len:
        notes.append(f"KV cache not included: {NO_LAYOUT}.")
    weights, q_bytes = int(count * WIDTH[req.name]), 0
    stored = getattr(count, "stored", None)
    if stored:  # saved quantized: the count counts packed values, the bytes are what they are
        weights = q_bytes = stored
        notes.append(
            "Inexact: this checkpoint was saved quantized, so its parameter count counts packed "
            f"values. Its files hold {fmt_gib(stored)}: that is the figure, whatever dtype says "
            "(buffers the model makes itself left out)."
        )
    elif quantized:
        weights, q_bytes, more = count_weights(count, req.name, req.double_quant, req.compute)
        notes += more
    experts = getattr(count, "experts", None) or 0
    return MemoryEstimate(
        shown, int(count), req.name, weights, 0,
        quantized_params=count - experts if quantized else 0, quantized_bytes=q_bytes,
        compute_dtype=req.compute, double_quant=req.double_quant, seq_len=req.seq_len,
        batch_size=req.batch_size, exact=False, notes=notes, kv_counted=not req.seq_len,
    )  # fmt: skip


def _runtime(config: Any, req: _Request, int8: bool = False) -> tuple[int, int, list[str]]:
    """(KV cache bytes, activation bytes at the peak, notes) for a config (nothing without);
    ``int8``: weights bitsandbytes multiplies in 8-bit, with an int32 result (peak.py)."""
    if config is None:
        return 0, 0, []
    notes = []
    cls, guessed = model_class(config)
    if guessed:
        notes.append(guess_note(cls.__name__))
    if not req.seq_len:
        return 0, 0, notes
    kv = kv_cache_bytes(config, req.seq_len, req.batch_size, req.load)
    width = bytes_per_param(req.load)
    act = activation_bytes(config, req.seq_len, req.batch_size, width, req.mode, int8)
    if int8:
        notes.append(
            "The activations include bitsandbytes' int32 matmul result, seq_len × "
            "intermediate_size × 4 bytes, made and freed inside one 8-bit matmul: an upper bound."
        )
    return kv, act, notes


def _checkpoint_notes(config: Any, stored: Any, req: _Request) -> list[str]:
    """What a pre-quantized estimate is based on, and where the loader takes more."""
    method = (quant_config(config) or {}).get("quant_method", "")
    notes = [
        f"Sized from the stored checkpoint: its safetensors files hold "
        f"{fmt_gib(stored.stored_bytes)} ({stored.method} weights with their scales, the rest as "
        f"saved). It is not quantized again; a dtype given to from_pretrained ({req.load} here) "
        "casts only its biases."
    ]
    if method in DEQUANTIZED_ON:
        notes.append(
            f"On {DEQUANTIZED_ON[method]} transformers dequantizes {stored.method} to "
            f"{req.load} (the dtype passed to from_pretrained, else the saved one): then the "
            f"weights take {fmt_gib(stored.dequantized_bytes)} (dequantized_bytes)."
        )
    return notes


def _from_checkpoint(shown: str, config: Any, req: _Request) -> MemoryEstimate:
    """A checkpoint saved quantized: what its files store (prequant.py), not params × bytes."""
    try:
        meta, built = meta_model(config, torch_dtype(req.load)), ""
    except BadInputError as e:
        meta, built = None, str(e)
    stored = prequant_size(config, meta, req.load)
    params = sum(p.numel() for p in meta.parameters()) if meta is not None else stored.kept_params
    if (quant_config(config) or {}).get("quant_method") in DEQUANTIZED_ON:
        stored.dequantized_bytes = dequantized(stored, quant_config(config), params, req.load)
    eight = bool((quant_config(config) or {}).get("load_in_8bit"))
    kv, act, notes = _runtime(config, req, eight) if meta is not None else (0, 0, [])
    notes = _checkpoint_notes(config, stored, req) + notes
    if meta is None:
        notes.append(f"Inexact: {built} Buffers it makes itself are left out.")
    q = quant_config(config) or {}
    four = q.get("bnb_4bit_quant_type", "fp4") if q.get("load_in_4bit") else None
    return MemoryEstimate(
        shown, params, four or ("int8" if q.get("load_in_8bit") else req.name),
        stored.weights_bytes, kv, activation_bytes=act, mode=req.mode,
        quantized_params=params - stored.kept_params,
        quantized_bytes=stored.weights_bytes - stored.kept_bytes, kept_params=stored.kept_params,
        kept_bytes=stored.kept_bytes, compute_dtype=stored.kept_dtype,
        double_quant=bool(q.get("bnb_4bit_use_double_quant")) and four is not None,
        seq_len=req.seq_len, batch_size=req.batch_size, exact=meta is not None, notes=notes,
        stored_as=stored.method, weight_bits=stored.bits,
        dequantized_bytes=stored.dequantized_bytes,
    )  # fmt: skip


def _from_layout(shown: str, basis: Any, req: _Request) -> MemoryEstimate:
    """A config (built on the meta device) or a plain module (copied there), counted exactly."""
    config = basis if hasattr(basis, "model_type") else None
    if config is not None and quant_config(config) is not None:
        return _from_checkpoint(shown, config, req)
    if config is not None:  # quantized: untied until bitsandbytes has chosen, as a load does
        meta = meta_model(config, torch_dtype(req.load), tie=req.name not in QUANTIZED)
    else:  # a plain module: copy to meta and cast the way .to(dtype) would
        meta = meta_copy(basis).to(torch_dtype(req.load))
    counts = count_bytes(meta, req.name, req.double_quant, torch_dtype(req.compute))
    kv, act, notes = _runtime(config, req, req.name == "int8")
    if config is None and req.seq_len:
        notes.append("A plain nn.Module has no KV cache layout: KV cache not included.")
    return MemoryEstimate(
        shown, counts.params, req.name, counts.quantized_bytes + counts.kept_bytes, kv,
        activation_bytes=act, mode=req.mode,
        quantized_params=counts.quantized_params, quantized_bytes=counts.quantized_bytes,
        kept_params=counts.kept_params, kept_bytes=counts.kept_bytes, compute_dtype=req.compute,
        double_quant=req.double_quant, seq_len=req.seq_len, batch_size=req.batch_size, notes=notes,
        kv_counted=config is not None or not req.seq_len,
    )  # fmt: skip


def estimate_memory(
    model: Any,
    dtype: Any = "bfloat16",
    *,
    double_quant: bool = False,
    seq_len: int = 0,
    batch_size: int = 1,
    compute_dtype: Any = "bfloat16",
    mode: str = "generate",
) -> MemoryEstimate:
    """The memory a model really takes in ``dtype``: weights, quantization state and KV cache.

    Parts 3, 8 and 9 use it (Part 8 teaches it). ``model`` is a parameter count, a transformers
    config, an nn.Module, a local folder with config.json, or a Hub id (config.json only: from
    the Hub online, from the cache offline; no weights). For int8/nf4/fp4 the layers
    transformers would quantize are quantized and the rest (embeddings, norms, biases, output
    head) is counted in ``compute_dtype``, the 16-bit dtype the model is loaded in (bfloat16
    where the GPU has it natively, float16 on a T4: same size). ``double_quant`` is
    bitsandbytes' ``bnb_4bit_use_double_quant``. ``seq_len`` tokens of KV cache for
    ``batch_size`` sequences are added, in the float dtype (compute_dtype when quantized). With
    a bare parameter count every weight is assumed quantized, so the 4-bit figure is a lower
    bound. With a config, ``activation_bytes`` and ``peak_bytes`` (weights + KV + activations)
    give the peak of ``generate`` (its prefill) or, with ``mode="forward"``, of a plain forward
    that keeps every position's logits (peak.py says what is counted). A checkpoint saved
    already quantized (its config.json has a ``quantization_config``: bitsandbytes, GPTQ, AWQ,
    FP8, MXFP4, compressed-tensors) is sized from the dtypes and shapes in its safetensors
    headers (prequant.py), whatever ``dtype`` says; an unknown method raises with the figure
    its files give.
    """
    name = dtype_name(dtype)
    compute = dtype_name(compute_dtype)
    if compute in QUANTIZED:
        raise BadInputError(
            "compute_dtype must be a float dtype (bfloat16, float16 or float32), "
            f"got {compute_dtype!r}."
        )
    seq_len = _positive(seq_len, "seq_len", zero_ok=True)
    if mode not in MODES:
        raise BadInputError(f"mode must be 'generate' or 'forward', got {mode!r}.")
    req = _Request(name, compute, double_quant, seq_len, _positive(batch_size, "batch_size"), mode)
    shown, basis = resolve_model(model)
    if isinstance(basis, int):
        return _from_count(shown, basis, req)
    estimate = _from_layout(shown, basis, req)
    if hasattr(basis, "model_type"):
        cls, guessed = model_class(basis)
        estimate.guessed = cls.__name__ if guessed else ""
    return estimate
