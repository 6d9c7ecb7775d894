"""Does it fit on a GPU, and which lever makes it fit? ``fits``, ``plan`` and their allowance.

The order of the levers is the one Part 8 teaches: half precision, 8-bit, 4-bit, then a
smaller model or a bigger GPU.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from ._display import Table, fmt_count, fmt_gib, html_row
from .errors import BadInputError
from .gpu import GIB, GPUS, find_gpu
from .memory import MemoryEstimate, estimate_memory
from .meta import per_param_quantized
from .resolve import resolve_model

# What `fits` adds on top of weights + KV cache. Not measurable on our CPU-only test machines:
# - the CUDA context (kernels, cuBLAS workspace) costs a few hundred MB depending on card and
#   driver; like common "can I run it" calculators we allow 650 MiB.
# - activations and allocator slack: EleutherAI's "Transformer Math 101" puts inference at about
#   1.2 × the weights, so we add 20 % of the weights.
CUDA_CONTEXT_BYTES = 650 * 2**20
ACTIVATION_OVERHEAD = 0.20


def gpu_bytes(gpu: Any) -> tuple[str, int]:
    """(label, usable bytes) for a card name from GPUS, a GPU, or a number of GiB."""
    if isinstance(gpu, (int, float)) and not isinstance(gpu, bool):
        if not math.isfinite(gpu) or gpu <= 0:
            raise BadInputError(f"GPU memory must be a positive number of GiB, got {gpu!r}.")
        return f"{gpu:g} GiB", int(gpu * GIB)
    card = find_gpu(gpu)
    return card.name, card.usable_bytes


def needed_bytes(estimate: MemoryEstimate) -> int:
    """Weights + KV cache + the stated allowance (CUDA context, activations) that ``fits`` uses."""
    allowance = ACTIVATION_OVERHEAD * estimate.weights_bytes + CUDA_CONTEXT_BYTES
    return int(estimate.total_bytes + allowance)


def fits(model: Any, gpu: Any = "T4", dtype: Any = "bfloat16", **kw: Any) -> bool:
    """True if ``model`` in ``dtype`` fits on ``gpu`` (a name from GPUS or a number of GiB).

    Part 9 uses it. Adds to ``estimate_memory``'s total the allowance in ``CUDA_CONTEXT_BYTES``
    and ``ACTIVATION_OVERHEAD`` (see the comment beside them). ``model`` may also be a
    MemoryEstimate; other keywords go to ``estimate_memory``.
    """
    _, have = gpu_bytes(gpu)
    estimate = model if isinstance(model, MemoryEstimate) else estimate_memory(model, dtype, **kw)
    return needed_bytes(estimate) <= have


@dataclass
class Lever:
    """One step of the out-of-memory fix order, with its figure and whether it fits."""

    name: str
    fits: bool
    dtype: str | None = None
    needed_bytes: int | None = None
    estimate: MemoryEstimate | None = None
    advice: str = ""

    def cells(self) -> tuple[str, str, str]:
        """(lever, bytes needed, verdict and advice) as the plan's table shows them."""
        figure = fmt_gib(self.needed_bytes) if self.needed_bytes is not None else ""
        verdict = ("fits" if self.fits else "too big") if self.estimate is not None else ""
        name = f"{self.name} ({self.dtype})" if self.dtype else self.name
        return name, figure, verdict + (f"  {self.advice}" if self.advice else "")


@dataclass
class Plan(Table):
    """The levers in the order Part 8 teaches them; ``choice`` is the first that fits, or None."""

    model: str
    gpu: str
    usable_bytes: int
    levers: list[Lever]

    @property
    def choice(self) -> Lever | None:
        return next((lv for lv in self.levers if lv.estimate is not None and lv.fits), None)

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
        return f"{self.model} on {self.gpu} ({usable}; needed = weights + KV cache + allowance)"

    def _text_rows(self) -> list[str]:
        cells = [lv.cells() for lv in self.levers]
        width = max(len(name) for name, _, _ in cells)
        return [f"  {i}. {n:<{width}}  {f:>10}  {v}" for i, (n, f, v) in enumerate(cells, 1)]

    def _html_rows(self) -> str:
        head = "<tr><th>#</th><th>lever</th><th>needs</th><th></th></tr>"
        rows = enumerate((lv.cells() for lv in self.levers), 1)
        flags = (False, True, False, True)
        return head + "".join(html_row(str(i), n, f, v, left=flags) for i, (n, f, v) in rows)

    def _after(self) -> list[str]:
        return [self._summary()]

    def _after_html(self) -> str:
        return f"<p>{html.escape(self._summary())}</p>"


def _smaller_model(have: int, kv_bytes: int) -> Lever:
    """The largest parameter count whose 4-bit weights (+ allowance) would fit."""
    per_param = per_param_quantized("nf4", False) * (1 + ACTIVATION_OVERHEAD)
    largest = max(0, int((have - CUDA_CONTEXT_BYTES - kv_bytes) / per_param))
    advice = f"up to about {fmt_count(largest)} parameters in 4-bit (fewer: embeddings stay 16-bit)"
    return Lever("smaller model", largest > 0, advice=advice)


def _bigger_gpu(levers: list[Lever], have: int) -> Lever:
    """The smallest card in GPUS that takes the least squeezing (half precision beats 4-bit)."""
    if levers[0].fits:
        return Lever("bigger GPU", True, advice="not needed: it fits in half precision here")
    cards = sorted(
        (g for g in GPUS.values() if g.usable_bytes > have), key=lambda g: g.usable_bytes
    )
    for lever in levers[:3]:
        card = next((g for g in cards if lever.needed_bytes <= g.usable_bytes), None)
        if card is not None:
            advice = f"{card.name} ({card.usable_gib:g} GiB usable) with {lever.name}"
            return Lever("bigger GPU", True, advice=advice)
    advice = "no card in cu.GPUS is big enough: split it across GPUs or use a hosted API"
    return Lever("bigger GPU", False, advice=advice)


def plan(model: Any, gpu: Any = "T4", *, seq_len: int = 0, batch_size: int = 1) -> Plan:
    """Walk the out-of-memory fix order for ``model`` on ``gpu`` and say which lever fits first.

    Parts 8 and 9 use it (Part 8 teaches the order): half precision (bf16, or fp16 on a card
    without native bf16), then 8-bit, then 4-bit; if none fits, a smaller model (the largest
    size that would fit in 4-bit) or a bigger GPU (the smallest card in GPUS where it fits).
    """
    gpu_label, have = gpu_bytes(gpu)
    native = isinstance(gpu, (int, float)) or find_gpu(gpu).bf16_native
    half = "bfloat16" if native else "float16"
    shown, basis = resolve_model(model)  # resolve once (a Hub lookup), then estimate from it
    levers = []
    for name, dtype in [("half precision", half), ("8-bit", "int8"), ("4-bit", "nf4")]:
        est = estimate_memory(basis, dtype, seq_len=seq_len, batch_size=batch_size,
                              compute_dtype=half)  # fmt: skip
        est.model = shown
        levers.append(Lever(name, needed_bytes(est) <= have, dtype, needed_bytes(est), est))
    levers.append(_smaller_model(have, levers[0].estimate.kv_cache_bytes))
    levers.append(_bigger_gpu(levers, have))
    return Plan(shown, gpu_label, have, levers)
