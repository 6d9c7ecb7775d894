"""What ``load_model`` returns: the model with its tokenizer or processor, and a LoadReport of
what the load really cost. ``Loaded.generate`` answers one prompt for a quick check.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._display import Table, fmt_bytes
from .errors import BadInputError
from .footprint import oom_guard
from .validate import number, shown


@dataclass
class LoadReport(Table):
    """What a load really cost: bytes held, placement, time, and the estimate made beforehand."""

    model: str
    auto_class: str
    dtype: str
    quantization: str | None
    bytes_held: int
    placement: dict[str, int]  # device -> bytes held there ("disk" for offloaded weights)
    device_map: dict[str, int] | None  # device -> number of modules, when accelerate placed it
    load_seconds: float
    estimate_bytes: int | None = None
    license: str = "unknown"
    notes: list[str] = field(default_factory=list)
    tokens_per_second: float | None = None  # filled in by Loaded.generate

    _KEY_WIDTH = 11
    _GAP = " "

    def _precision(self) -> str:
        if self.quantization:
            return f"{self.quantization} weights, {self.dtype} for the rest"
        return self.dtype

    def _held(self) -> str:
        est = ""
        if self.estimate_bytes:
            diff = (self.bytes_held - self.estimate_bytes) / self.estimate_bytes
            est = f" (estimate {fmt_bytes(self.estimate_bytes)}, {diff:+.1%})"
        return f"{self.bytes_held:,} B = {fmt_bytes(self.bytes_held)}{est}"

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            ("model", f"{self.model} via {self.auto_class}"),
            ("precision", self._precision()),
            ("bytes held", self._held()),
            ("placement", ", ".join(f"{d}: {fmt_bytes(b)}" for d, b in self.placement.items())),
        ]
        if self.device_map:
            modules = ", ".join(f"{d}: {n} modules" for d, n in self.device_map.items())
            rows.append(("device map", modules))
        rows += [("load time", f"{self.load_seconds:.1f} s"), ("license", self.license)]
        if self.tokens_per_second is not None:
            rows.append(("generation", f"{self.tokens_per_second:.1f} tokens/s"))
        rows += [("note", n) for n in self.notes]
        return rows


@dataclass
class Loaded:
    """A loaded model: unpack it as ``model, tok = cu.load_model(...)`` or look at ``.report``."""

    model: Any
    tokenizer: Any  # a tokenizer, a processor (images, audio), or None: what reads the inputs
    report: LoadReport

    def __iter__(self) -> Iterator[Any]:
        return iter((self.model, self.tokenizer))

    def __str__(self) -> str:
        return str(self.report)

    def __repr__(self) -> str:  # the dataclass default would print the whole module tree
        kinds = f"{type(self.model).__name__}, {type(self.tokenizer).__name__}"
        return f"Loaded({kinds})\n{self.report}"

    def _repr_html_(self) -> str:
        return self.report._repr_html_()

    def _inputs(self, prompt: str) -> dict[str, Any]:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            messages = [{"role": "user", "content": prompt}]
            ids = tok.apply_chat_template(messages, add_generation_prompt=True,
                                          return_tensors="pt", return_dict=True)  # fmt: skip
        else:
            ids = tok(prompt, return_tensors="pt")
        return {k: v.to(self.model.device) for k, v in ids.items()}

    def generate(self, prompt: str, max_new_tokens: int = 40, **kwargs: Any) -> str:
        """Answer one prompt with a causal LM (chat template when it has one, greedy by default).

        Records tokens/s in the report (the first call includes warm-up, so time a second one);
        CUDA out of memory becomes a WontFitError with the fix.
        """
        import torch

        tok = self.tokenizer
        if tok is None or not hasattr(tok, "decode"):
            raise BadInputError(
                "generate() needs a text model with a tokenizer; this one has none."
            )
        if not isinstance(prompt, str):
            raise BadInputError(
                f"generate() takes the prompt as text, such as generate('What is a tensor?'), "
                f"not {shown(prompt)}."
            )
        max_new_tokens = number(max_new_tokens, "max_new_tokens", minimum=1, maximum=10**6)
        ids = self._inputs(prompt)
        kwargs.setdefault("do_sample", False)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        lever = (
            "ask for fewer max_new_tokens or a shorter prompt, then call cu.free_memory() and "
            "try again"
        )
        start = time.perf_counter()
        with oom_guard("generating", lever), torch.inference_mode():
            out = self.model.generate(
                **ids, max_new_tokens=max_new_tokens, pad_token_id=pad, **kwargs
            )
        new = out[0, ids["input_ids"].shape[1] :]
        self.report.tokens_per_second = len(new) / (time.perf_counter() - start)
        return tok.decode(new, skip_special_tokens=True)
