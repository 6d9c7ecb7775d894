"""Exercises that ask for the steps by hand (Part 5 q4, Part 6 q4) refuse a pipeline: while the
learner's function runs, building or calling any transformers pipeline raises, and the check
says so."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


class PipelineUsed(Exception):
    """Raised inside the learner's function when it builds or calls a transformers pipeline."""


@contextlib.contextmanager
def no_pipelines() -> Iterator[list[str]]:
    """Within the block, ``Pipeline.__init__`` and ``Pipeline.__call__`` raise ``PipelineUsed``.

    The yielded list records each attempt, so a function that catches the error and falls back
    is still caught. Pipelines built before the block cannot be called inside it either.
    """
    from transformers.pipelines.base import Pipeline

    used: list[str] = []
    saved = Pipeline.__init__, Pipeline.__call__

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(type(self).__name__)
        raise PipelineUsed("this exercise asks for the steps by hand, without a pipeline")

    Pipeline.__init__, Pipeline.__call__ = refuse, refuse
    try:
        yield used
    finally:
        Pipeline.__init__, Pipeline.__call__ = saved


def run_by_hand(
    answer: Callable[[Any], Any], inputs: list[Any], message: str
) -> tuple[list[Any] | None, str | None]:
    """``answer`` applied to each input with pipelines refused: (results, None), or (None,
    ``message``) when it used a pipeline."""
    results = []
    with no_pipelines() as used:
        try:
            for item in inputs:
                results.append(answer(item))
        except PipelineUsed:
            return None, message
    return (None, message) if used else (results, None)
