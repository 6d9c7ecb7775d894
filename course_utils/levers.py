"""Does it fit on a GPU, and which lever makes it fit? ``fits``, ``plan`` and their allowance.

The order of the levers is the one Part 8 teaches: half precision, 8-bit, 4-bit, offloading
part of the weights to CPU RAM (then disk), then a smaller model or a bigger GPU. Each lever
carries ``load_kwargs``, the ``from_pretrained`` keyword arguments that realize it. A checkpoint
saved already quantized has one lever instead of the three precisions: "as stored". Every
figure is at a context (DEFAULT_CONTEXT tokens unless told), and the plan's title says which.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any

from ._display import Table, fmt_count, fmt_gib, html_row
from .dtypes import dtype_name
from .errors import BadInputError, WontFitError
from .gpu import GIB, GPUS, find_gpu
from .memory import NO_LAYOUT, MemoryEstimate, estimate_memory, guess_note
from .meta import per_param_quantized
from .prequant import quant_config
from .resolve import resolve_model
from .validate import gpu as valid_gpu

# What `fits` adds to the inference peak (weights + KV cache + activations, memory.py and
# peak.py): the CUDA context (kernels, cuBLAS workspace), a few hundred MB depending on card,
# driver and torch version. It cannot be measured on the course's CPU-only machines; like
# common "can I run it" calculators we allow 650 MiB (FACTS: not measured here).
CUDA_CONTEXT_BYTES = 650 * 2**20
# The CPU RAM the offload lever may spill weights into: Colab's free tier shows 12.7 GB of
# system RAM; a load also needs some of it for itself, so 10 GiB is what we count on.
OFFLOAD_RAM_BYTES = 10 * GIB
# The context fits, plan, the CLI and the calculator assume when none is given: "fits" must mean
# "can answer a question", and a prompt with its answer needs a KV cache. 4,096 tokens is a
# realistic chat turn; a model that attends to fewer (max_position_embeddings) gets its limit.
DEFAULT_CONTEXT = 4096


def context_limit(basis: Any) -> int | None:
    """The model's max_position_embeddings when its config says it (None for a bare count)."""
    text = basis.get_text_config(decoder=True) if hasattr(basis, "get_text_config") else basis
    limit = getattr(text, "max_position_embeddings", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def default_context(basis: Any) -> int:
    """DEFAULT_CONTEXT, capped at the model's max_position_embeddings when a config says it."""
    return min(DEFAULT_CONTEXT, context_limit(basis) or DEFAULT_CONTEXT)


def gpu_bytes(gpu: Any) -> tuple[str, int]:
    """(label, usable bytes) for a card name from GPUS, a GPU, or a number of GiB."""
    card = valid_gpu(gpu)  # a card by any name torch or the course gives it, or finite GiB > 0
    if isinstance(card, float):
        return f"{card:g} GiB", int(card * GIB)
    return card.name, card.usable_bytes


def needed_bytes(estimate: MemoryEstimate) -> int:
    """The inference peak (weights + KV + activations) + the CUDA context: what ``fits`` uses."""
    return int(estimate.peak_bytes + CUDA_CONTEXT_BYTES)


def fits(model: Any, gpu: Any = "T4", dtype: Any = None, **kw: Any) -> bool:
    """True if ``model`` in ``dtype`` (default bfloat16) fits on ``gpu`` (a GPUS name or GiB).

    Parts 8 and 9 use it. Needs the inference peak plus ``CUDA_CONTEXT_BYTES`` (see the comment
    beside it) at ``seq_len`` tokens of context (and ``batch_size``): by default
    DEFAULT_CONTEXT (4,096) capped at the model's max_position_embeddings, so True means it can
    answer a question; a bare parameter count has no KV cache to count (give a config or Hub
    id). ``model`` may also be a MemoryEstimate (then its own context counts, and ``dtype``, if
    given, must be its dtype); other keywords go to ``estimate_memory``.
    """
    _, have = gpu_bytes(gpu)
    if isinstance(model, MemoryEstimate):
        if dtype is not None and dtype_name(dtype) != model.dtype:
            raise BadInputError(
                f"This estimate is for {model.dtype}, not {dtype_name(dtype)}: call "
                f"cu.estimate_memory(model, {dtype_name(dtype)!r}) and pass that instead."
            )
        return needed_bytes(model) <= have
    if kw.get("seq_len") is None:
        model = resolve_model(model).basis  # once: the context and the estimate both read it
        kw["seq_len"] = default_context(model)
    return needed_bytes(estimate_memory(model, dtype or "bfloat16", **kw)) <= have


@dataclass
class Lever:
    """One step of the out-of-memory fix order, with its figure and whether it fits."""

    name: str
    fits: bool
    dtype: str | None = None
    needed_bytes: int | None = None
    estimate: MemoryEstimate | None = None
    advice: str = ""
    # the from_pretrained keyword arguments that realize it (quantization_config as the
    # BitsAndBytesConfig arguments; load_model builds the object)
    load_kwargs: dict[str, Any] = field(default_factory=dict)
    needs_disk: bool = False  # offload only: the weights spill past CPU RAM onto disk

    def cells(self) -> tuple[str, str, str]:
        """(lever, bytes needed, verdict and advice) as the plan's table shows them."""
        figure = fmt_gib(self.needed_bytes) if self.needed_bytes is not None else ""
        verdict = ""
        if self.estimate is not None:
            # offloading that spills weights to disk runs, very slowly: not "too big", not "fits"
            verdict = "fits" if self.fits else "needs disk" if self.needs_disk else "too big"
        name = f"{self.name} ({self.dtype})" if self.dtype else self.name
        return name, figure, verdict + (f"  {self.advice}" if self.advice else "")


@dataclass
class Plan(Table):
    """The levers in the order Part 8 teaches them; ``choice`` is the first that fits, or None."""

    model: str
    gpu: str
    usable_bytes: int
    levers: list[Lever]
    source: Any = None  # the model as passed to plan (a Hub id or a folder): what load_call names

    @property
    def context(self) -> str:
        """The context every figure of the plan assumes ("at 4,096 tokens of context")."""
        est = self.levers[0].estimate
        return est.context or "at 0 tokens of context (weights alone, no KV cache)"

    @property
    def choice(self) -> Lever | None:
        return next((lv for lv in self.levers if lv.estimate is not None and lv.fits), None)

    def load_call(self, auto_class: str = "AutoModelForCausalLM") -> str:
        """The chosen lever as the from_pretrained call a learner would type (no choice: "")."""
        if self.choice is None:
            return ""
        name = os.fspath(self.source) if isinstance(self.source, (str, os.PathLike)) else self.model
        args = [repr(name)] + [f"{k}={_code(v)}" for k, v in self.choice.load_kwargs.items()]
        return f"{auto_class}.from_pretrained(\n    " + ",\n    ".join(args) + ",\n)"

    def _summary(self) -> str:
        c = self.choice
        if c is None:
            return (
                f"{self.model} does not fit on {self.gpu} in any precision: use a smaller model "
                "or a bigger GPU."
            )
        return (
            f"{self.model} on {self.gpu}: use {c.name} ({c.dtype}), {fmt_gib(c.needed_bytes)} of "
            f"{fmt_gib(self.usable_bytes)}."
        )

    def _title(self) -> str:
        usable = f"{fmt_gib(self.usable_bytes)} usable"
        return (
            f"{self.model} on {self.gpu}, {self.context} ({usable}; needed = peak + CUDA context)"
        )

    def _text_rows(self) -> list[str]:
        cells = [lv.cells() for lv in self.levers]
        width = max(len(name) for name, _, _ in cells)
        return [f"  {i}. {n:<{width}}  {f:>10}  {v}" for i, (n, f, v) in enumerate(cells, 1)]

    def _html_rows(self) -> str:
        head = "<tr><th>#</th><th>lever</th><th>needs</th><th></th></tr>"
        rows = enumerate((lv.cells() for lv in self.levers), 1)
        flags = (False, True, False, True)
        return head + "".join(html_row(str(i), n, f, v, left=flags) for i, (n, f, v) in rows)

    def _caveats(self) -> list[str]:
        """What the figures rest on that the learner must know: a guessed class, no KV cache."""
        est = self.levers[0].estimate
        lines = [guess_note(est.guessed)] if est.guessed else []
        if not est.kv_counted:
            lines.append(f"KV cache not counted: {NO_LAYOUT}.")
        return lines

    def _after(self) -> list[str]:
        return [self._summary(), *self._caveats()]

    def _after_html(self) -> str:
        return "".join(f"<p>{html.escape(line)}</p>" for line in self._after())


def _code(value: Any) -> str:
    """A load_kwargs value as Python source: dtypes as torch.<name>, bnb arguments as the call."""
    if isinstance(value, dict) and ("load_in_8bit" in value or "load_in_4bit" in value):
        return "BitsAndBytesConfig(" + ", ".join(f"{k}={_code(v)}" for k, v in value.items()) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_code(v)}" for k, v in value.items()) + "}"
    if value in ("bfloat16", "float16", "float32"):
        return f"torch.{value}"
    return repr(value)


def _offload(half: Lever, have: int) -> Lever:
    """Half-precision weights spilled to CPU RAM (then disk) where the GPU has no room."""
    est = half.estimate
    runtime = est.peak_bytes - est.weights_bytes + CUDA_CONTEXT_BYTES
    room = max(0, have - runtime)  # what the GPU keeps for weights after KV and activations
    on_gpu = min(room, est.weights_bytes)
    spilled = est.weights_bytes - on_gpu
    budget = {0: f"{room / GIB:.2f}GiB", "cpu": f"{OFFLOAD_RAM_BYTES // GIB}GiB"}
    kwargs = dict(half.load_kwargs, device_map="auto", max_memory=budget, offload_folder="offload")
    fits = room > 0 and spilled <= OFFLOAD_RAM_BYTES
    where = (
        "in CPU RAM"
        if fits
        else f"off the GPU ({fmt_gib(OFFLOAD_RAM_BYTES)} in CPU RAM, "
        f"{fmt_gib(spilled - OFFLOAD_RAM_BYTES)} on disk)"
    )
    advice = (
        f"{fmt_gib(spilled)} of weights {where}: each token streams them to the GPU, so "
        "generation is many times slower"
        if spilled
        else "not needed: the weights fit on the GPU"
    )
    disk = room > 0 and spilled > OFFLOAD_RAM_BYTES
    return Lever("offload", fits, half.dtype, int(runtime + on_gpu), est, advice, kwargs, disk)


def _smaller_model(have: int, runtime_bytes: int) -> Lever:
    """The largest parameter count whose 4-bit weights would fit beside the CUDA context and
    this model's KV cache and activations at the plan's context (a smaller model needs less)."""
    per_param = per_param_quantized("nf4", False)
    largest = max(0, int((have - CUDA_CONTEXT_BYTES - runtime_bytes) / per_param))
    advice = (
        f"up to about {fmt_count(largest)} parameters in 4-bit (fewer: embeddings stay 16-bit)"
        if largest
        else "none: this context's KV cache and activations alone fill the card"
    )
    return Lever("smaller model", largest > 0, advice=advice)


def _bigger_gpu(levers: list[Lever], have: int) -> Lever:
    """The smallest card in GPUS that takes the least squeezing (half precision beats 4-bit)."""
    if levers[0].fits:
        how = "as stored" if levers[0].name == AS_STORED else "in half precision"
        return Lever("bigger GPU", True, advice=f"not needed: it fits {how} here")
    cards = sorted(
        (g for g in GPUS.values() if g.usable_bytes > have), key=lambda g: g.usable_bytes
    )
    for lever in levers[:3]:  # half precision, 8-bit, 4-bit
        card = next((g for g in cards if lever.needed_bytes <= g.usable_bytes), None)
        if card is not None:
            advice = f"{card.name} ({card.usable_gib:g} GiB usable) with {lever.name}"
            return Lever("bigger GPU", True, advice=advice)
    advice = "no card in cu.GPUS is big enough: split it across GPUs or use a hosted API"
    return Lever("bigger GPU", False, advice=advice)


def _bnb(dtype: str, half: str) -> dict[str, Any]:
    """The BitsAndBytesConfig arguments of a quantized lever (load_model builds the object)."""
    if dtype == "int8":
        return {"load_in_8bit": True}
    return {"load_in_4bit": True, "bnb_4bit_quant_type": dtype, "bnb_4bit_compute_dtype": half}


def _precision_levers(basis: Any, shown: str, half: str, have: int, **kw: Any) -> list[Lever]:
    """Half precision, 8-bit and 4-bit: each estimated, judged and given its load call."""
    levers = []
    for name, dtype in [("half precision", half), ("8-bit", "int8"), ("4-bit", "nf4")]:
        est = estimate_memory(basis, dtype, compute_dtype=half, **kw)
        est.model = shown
        load_kwargs: dict[str, Any] = {"dtype": half, "device_map": "auto"}
        if dtype != half:
            load_kwargs["quantization_config"] = _bnb(dtype, half)
        need = needed_bytes(est)
        levers.append(Lever(name, need <= have, dtype, need, est, load_kwargs=load_kwargs))
    return levers


AS_STORED = "as stored"


def _stored_lever(basis: Any, shown: str, half: str, have: int, **kw: Any) -> list[Lever]:
    """A checkpoint saved quantized: one lever, the model as its files store it. Quantizing it
    again is not a choice from_pretrained offers (it reads the config's quantization_config)."""
    est = estimate_memory(basis, half, compute_dtype=half, **kw)
    est.model = shown
    need = needed_bytes(est)
    advice = "saved quantized: from_pretrained loads it so, nothing to choose"
    load_kwargs = {"dtype": half, "device_map": "auto"}
    return [Lever(AS_STORED, need <= have, est.label, need, est, advice, load_kwargs)]


def plan(model: Any, gpu: Any = "T4", *, seq_len: int | None = None, batch_size: int = 1) -> Plan:
    """Walk the out-of-memory fix order for ``model`` on ``gpu`` and say which lever fits first.

    Parts 8 and 9 use it (Part 8 teaches the order): half precision (bf16, or fp16 on a card
    without native bf16), then 8-bit, then 4-bit, then offloading weights to CPU RAM and disk
    (``device_map="auto"`` with ``max_memory``); if none fits, a smaller model (the largest
    size that would fit in 4-bit) or a bigger GPU (the smallest card in GPUS where it fits).
    ``plan(...).choice.load_kwargs`` are the ``from_pretrained`` arguments of the chosen lever,
    ``.load_call()`` writes them as code and ``cu.load_model(model, plan=p)`` loads them.
    Every figure is at ``seq_len`` tokens of context: by default DEFAULT_CONTEXT (4,096) capped
    at the model's max_position_embeddings; the title says which.
    """
    gpu_label, have = gpu_bytes(gpu)
    native = isinstance(gpu, (int, float)) or find_gpu(gpu).bf16_native
    half = "bfloat16" if native else "float16"
    shown, basis = resolve_model(model)  # resolve once (a Hub lookup), then estimate from it
    seq_len = default_context(basis) if seq_len is None else seq_len
    kw = dict(seq_len=seq_len, batch_size=batch_size)
    if hasattr(basis, "model_type") and quant_config(basis) is not None:
        levers = _stored_lever(basis, shown, half, have, **kw)
    else:
        levers = _precision_levers(basis, shown, half, have, **kw)
        levers.append(_offload(levers[0], have))
    runtime = levers[0].estimate.kv_cache_bytes + levers[0].estimate.activation_bytes
    levers.append(_smaller_model(have, runtime))
    levers.append(_bigger_gpu(levers, have))
    return Plan(shown, gpu_label, have, levers, source=model)


LOADABLE = (
    "half precision",
    "8-bit",
    "4-bit",
    "offload",
    AS_STORED,
)  # the levers from_pretrained realizes


def _matches(plan_model: str, model: Any) -> bool:
    text = os.fspath(model) if isinstance(model, os.PathLike) else model
    if not isinstance(text, str):
        return True  # load_model says what is wrong with anything that is not a name
    return plan_model in (text, os.path.basename(os.path.normpath(text)))


@dataclass
class PlannedLoad:
    """What ``load_model(model, plan=p)`` loads: the chosen lever's arguments, built."""

    lever: Lever
    kwargs: dict[str, Any]  # from_pretrained keyword arguments (BitsAndBytesConfig built)
    quantize: str | None  # load_model's own names: None, "8bit", "4bit"
    dtype: str
    double_quant: bool

    @property
    def arguments(self) -> tuple[str | None, str, bool, bool]:
        """load_model's (quantize, dtype, double_quant, check_memory) for this lever."""
        return self.quantize, self.dtype, self.double_quant, False

    def from_pretrained(self, base: dict[str, Any]) -> dict[str, Any]:
        """``base`` (load_model's safety arguments and extras) with the lever's arguments only."""
        chosen = ("dtype", "device_map", "quantization_config")
        return {**{k: v for k, v in base.items() if k not in chosen}, **self.kwargs}

    def note(self) -> str:
        est = self.lever.estimate
        peak = f", {fmt_gib(est.peak_bytes)} at the peak of {est.seq_len:,} tokens"
        weights = f"predicted {fmt_gib(est.weights_bytes)} of weights"
        return f"cu.plan chose {self.lever.name} ({self.lever.dtype}): {weights}" + (
            peak if est.seq_len else ""
        )


def planned_load(plan: Any, model: Any, *given: Any) -> PlannedLoad:
    """The from_pretrained arguments of ``plan.choice`` for ``model`` (load_model's ``plan=``).

    ``given``: load_model's quantize, dtype, double_quant and device_map, which a plan decides
    itself (so they must be left at their defaults).
    """
    import transformers

    from .dtypes import torch_dtype

    defaults = dict(quantize=None, dtype="auto", double_quant=False, device_map="auto")
    overridden = [k for k, v in zip(defaults, given, strict=True) if v != defaults[k]]
    if not isinstance(plan, Plan):
        raise BadInputError(f"plan= takes what cu.plan(...) returns, not a {type(plan).__name__}.")
    if overridden:
        raise BadInputError(
            f"plan= decides {', '.join(overridden)} itself: pass the plan alone, or drop plan= "
            "and choose them by hand."
        )
    if not _matches(plan.model, model):
        raise BadInputError(
            f"This plan is for {plan.model}, not {model}: call cu.plan({str(model)!r}, ...) first."
        )
    lever = plan.choice
    if lever is None or lever.name not in LOADABLE:
        advice = "; ".join(f"{lv.name}: {lv.advice}" for lv in plan.levers if lv.advice
                           and lv.name not in LOADABLE)  # fmt: skip
        raise WontFitError(f"Nothing to load: no lever that from_pretrained can realize fits "
                           f"{plan.gpu}. {plan._summary()} ({advice})")  # fmt: skip
    kwargs = dict(lever.load_kwargs, dtype=torch_dtype(lever.load_kwargs["dtype"]))
    bnb = kwargs.get("quantization_config")
    if isinstance(bnb, dict):  # stored as its arguments: build the object from_pretrained takes
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(**bnb)
        bnb = kwargs["quantization_config"]
    quantize = None if bnb is None else "8bit" if bnb.load_in_8bit else "4bit"
    dq = bool(bnb is not None and bnb.load_in_4bit and bnb.bnb_4bit_use_double_quant)
    return PlannedLoad(lever, kwargs, quantize, dtype_name(lever.load_kwargs["dtype"]), dq)
