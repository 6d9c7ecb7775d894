"""Assertions on exercise verdicts, so a test reads as a list of answers and what each is told.

``right(part6.q2, answer, config)`` and ``wrong(part6.q2, answer, config, says="K and V")`` call
``Exercise.verdict`` (the same verdict ``check()`` prints) and fail with the message it gave.
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
