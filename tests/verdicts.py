"""Assertions on exercise verdicts, so a test reads as a list of answers and what each is told.

``right(part6.q2, answer, config)`` and ``wrong(part6.q2, answer, config, says="K and V")`` call
``Exercise.verdict`` (the same verdict ``check()`` prints) and fail with the message it gave.
``refuses_a_pipeline`` is the check of an exercise that asks for the steps a pipeline hides.
"""

from __future__ import annotations

from typing import Any


def right(exercise: Any, answer: Any, *context: Any, **kw: Any) -> str:
    """Assert the exercise accepts ``answer`` (and says so); returns its message."""
    ok, msg = exercise.verdict(answer, *context, **kw)
    assert ok is True, msg
    assert "correct" in msg, msg
    return msg


def wrong(exercise: Any, answer: Any, *context: Any, says: str = "", **kw: Any) -> str:
    """Assert the exercise refuses ``answer`` with a message that contains ``says``; returns it."""
    ok, msg = exercise.verdict(answer, *context, **kw)
    assert ok is False, msg
    assert says in msg, f"expected {says!r} in: {msg}"
    return msg


def refuses_a_pipeline(exercise: Any, by_pipeline: Any, by_hand: Any, *context: Any) -> str:
    """Assert an exercise that asks for the steps by hand refuses the answer a pipeline gives
    (saying "pipeline"), and still accepts the by-hand answer after (pipelines work again)."""
    wrong(exercise, by_pipeline, *context, says="pipeline")
    return right(exercise, by_hand, *context)
