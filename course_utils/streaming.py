"""Streaming ``generate``'s text to a reader that always ends (Part 6 teaches it, Part 9 uses it).

``TextIteratorStreamer`` + a ``Thread`` is the library's way to stream, and on its own it can
hang: when ``generate`` raises in its thread (CUDA out of memory mid-answer), no end-of-stream
reaches the streamer and the reader waits for ever. ``stream_generate`` adds the three guards
Part 6 shows by hand: the thread hands its exception to the reader, which re-raises it; the
streamer has a ``timeout``; and a ``threading.Event`` stops ``generate`` early through a
``StoppingCriteria`` (set by you, or by the reader when it stops reading).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from .errors import CourseError


class GenerationTimeoutError(CourseError, TimeoutError):
    """``generate`` produced no new text within the streamer's timeout."""


class TextStream:
    """The answer of one ``generate`` call, piece by piece: iterate it once.

    After the loop: ``new_tokens`` (tokens generated), ``cut`` (True when the answer stopped at
    ``max_new_tokens`` rather than at its end) and ``stopped`` (True when it ended early: the stop
    event was set, or the reader left the loop before the end).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        inputs: Any,
        *,
        timeout: float,
        stop_event: threading.Event | None,
        generate_kwargs: dict[str, Any],
    ) -> None:
        self.model, self.tokenizer, self.inputs = model, tokenizer, inputs
        self.timeout = timeout
        self.stop_event = stop_event if stop_event is not None else threading.Event()
        self.generate_kwargs = generate_kwargs
        self.new_tokens = 0
        self.cut = False
        self.stopped = False
        self._started = False

    def __repr__(self) -> str:
        return f"TextStream(new_tokens={self.new_tokens}, cut={self.cut}, stopped={self.stopped})"

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise BadStreamUse("This stream was already read; call cu.stream_generate again.")
        self._started = True
        return self._read()

    def _read(self) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        stream, event = self, self.stop_event

        class CountingStreamer(TextIteratorStreamer):
            def put(self, value: Any) -> None:
                if not (self.skip_prompt and self.next_tokens_are_prompt):
                    stream.new_tokens += value.shape[-1] if value.dim() > 1 else value.numel()
                super().put(value)

        class StopOnEvent(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                done = event.is_set()
                return torch.full(
                    (input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device
                )

        inputs = _as_inputs(self.model, self.tokenizer, self.inputs)
        streamer = CountingStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout
        )
        kwargs = dict(self.generate_kwargs)
        criteria = StoppingCriteriaList(kwargs.pop("stopping_criteria", None) or [])
        criteria.append(StopOnEvent())
        failure: list[BaseException] = []

        def work() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs, streamer=streamer, stopping_criteria=criteria, **kwargs
                    )
            except BaseException as exc:  # handed to the reader, re-raised there
                failure.append(exc)
                streamer.end()  # the end-of-stream the failed generate never sent

        job = threading.Thread(target=work, name="stream_generate", daemon=True)
        job.start()
        finished = False
        try:
            for piece in streamer:
                if piece:  # the streamer holds text back until a word is whole: skip the empties
                    yield piece
            finished = True
        except queue.Empty:
            raise GenerationTimeoutError(
                f"The model produced no new text for {self.timeout:g} s, so the answer was "
                "stopped. Try a shorter question or a smaller max_new_tokens, or pass a larger "
                "timeout= if this model is simply slow here."
            ) from None
        finally:
            self.stopped = event.is_set() or not finished  # stopped by you, or let go early
            event.set()  # the reader is done (finished, failed, or let go): stop generate early
            job.join(timeout=self.timeout if finished else 5.0)
        if failure:
            raise failure[0]
        limit = kwargs.get("max_new_tokens") or self.model.generation_config.max_new_tokens
        self.cut = bool(limit) and not self.stopped and self.new_tokens >= limit


class BadStreamUse(CourseError):
    """A ``TextStream`` was iterated a second time (each one is one ``generate`` call)."""


def _as_inputs(model: Any, tokenizer: Any, inputs: Any) -> dict[str, Any]:
    """Chat messages through the chat template, or tokenized inputs, on the model's device."""
    if isinstance(inputs, list) and all(isinstance(m, dict) for m in inputs):
        inputs = tokenizer.apply_chat_template(
            inputs, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    if isinstance(inputs, str):
        raise CourseError(
            "stream_generate takes a list of chat messages ({'role': ..., 'content': ...}) or "
            "the tokenizer's output, not a plain string: wrap it as "
            "[{'role': 'user', 'content': text}]."
        )
    return {key: value.to(model.device) for key, value in dict(inputs).items()}


def stream_generate(
    model: Any,
    tokenizer: Any,
    inputs: Any,
    *,
    timeout: float = 60.0,
    stop_event: threading.Event | None = None,
    **generate_kwargs: Any,
) -> TextStream:
    """Stream ``model.generate``'s new text, piece by piece, with a reader that always ends.

    ``inputs``: chat messages (a list of ``{"role", "content"}``) or the tokenizer's output.
    An exception inside ``generate`` is re-raised in the loop that reads; no new text for
    ``timeout`` seconds raises ``GenerationTimeoutError``; setting ``stop_event`` (or leaving
    the loop) stops ``generate`` at its next token. Part 9 uses it (Part 6 builds it by hand).
    """
    return TextStream(
        model,
        tokenizer,
        inputs,
        timeout=timeout,
        stop_event=stop_event,
        generate_kwargs=generate_kwargs,
    )
