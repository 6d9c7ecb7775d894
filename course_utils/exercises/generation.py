"""Watching ``generate``: what each call was asked for and what it wrote (Parts 6 and 9).

A checker that only reads the returned text cannot tell "generated 15 tokens" from "generated
96 and cut the text"; wrapping transformers' ``GenerationMixin.generate`` while the learner's
function runs can.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Generation:
    """What one call of ``generate`` was asked for and what it wrote."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.new_tokens, self.cut = limit, None, False

    def finish(self, model: Any, prompt_length: int | None, output: Any) -> None:
        sequences = getattr(output, "sequences", output)
        if prompt_length is None or not hasattr(sequences, "shape"):
            return
        self.new_tokens = sequences.shape[-1] - prompt_length
        eos = model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        ended_by_itself = int(sequences[0, -1]) in eos
        self.cut = bool(self.limit) and self.new_tokens >= self.limit and not ended_by_itself


@contextmanager
def watch_generate() -> Iterator[list[Generation]]:
    """Record every ``generate`` call made meanwhile, from any thread: the max_new_tokens it was
    given and the tokens it wrote. Cutting a full answer's text afterwards shows up here."""
    from transformers.generation.utils import GenerationMixin

    calls: list[Generation] = []
    original = GenerationMixin.generate

    @functools.wraps(original)
    def generate(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = kwargs.get("generation_config") or self.generation_config
        call = Generation(kwargs.get("max_new_tokens", config.max_new_tokens))
        calls.append(call)
        prompt = kwargs.get("input_ids", args[0] if args else None)
        output = original(self, *args, **kwargs)
        call.finish(self, prompt.shape[-1] if hasattr(prompt, "shape") else None, output)
        return output

    GenerationMixin.generate = generate
    try:
        yield calls
    finally:
        GenerationMixin.generate = original
