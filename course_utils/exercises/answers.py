"""Reading a learner's answer: numbers, whole numbers and lists from whatever was typed.

Each reader returns ``(value, None)``, or ``(None, the problem)`` in words a message can quote;
none of them raises, whatever the answer's own methods do. Checkers call them (often through
``@reads``), and ``Exercise.verdict`` uses the helpers that tell tensors and NaN apart.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

MAX_ITEMS = 1_000  # an iterator answer is read this far, never further
MAX_ECHO = 200  # characters of an answer a message repeats


def short_repr(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` cut to ``limit`` characters;
    never raises (a broken repr is named instead)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - an answer's own __repr__ may raise anything
        try:
            return f"<a {type(value).__name__} whose repr() fails>"
        except Exception:  # noqa: BLE001
            return "<an object whose repr() fails>"
    if not isinstance(text, str):
        return "<an object whose repr() is not text>"
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters in all)"


def need_function(answer: Any, signature: str, why: str) -> str | None:
    """None when the answer is a function; else the message that asks for the function itself.
    Checkers call it on inputs of their own, so a result typed in (or computed once) cannot pass."""
    if callable(answer):
        return None
    return (
        f"pass your function itself, without calling it (def {signature}: ...), not "
        f"{short_repr(answer, 60)}: the checker {why}"
    )


def _type_name(value: Any) -> str:
    try:
        return type(value).__name__
    except Exception:  # noqa: BLE001
        return "object"


def _is_tensor(value: Any) -> bool:
    """A torch tensor (or numpy array), told apart without importing torch."""
    module = getattr(type(value), "__module__", "") or ""
    return module.split(".")[0] in ("torch", "numpy") and hasattr(value, "shape")


def _scalar(value: Any) -> Any:
    """A 0-dim tensor / numpy scalar as its Python number; anything else unchanged."""
    if _is_tensor(value) and getattr(value, "ndim", None) == 0:
        return value.item()
    module = getattr(type(value), "__module__", "") or ""
    if module.split(".")[0] == "numpy" and hasattr(value, "item") and not hasattr(value, "shape"):
        return value.item()
    return value


def _non_finite(value: Any, depth: int = 0) -> bool:
    """True when a number inside the answer (itself, or in a short tuple/list/dict)
    is NaN or inf."""
    value = _scalar(value)
    if isinstance(value, float):
        return not math.isfinite(value)
    if depth < 2 and isinstance(value, (tuple, list)) and len(value) <= MAX_ITEMS:
        return any(_non_finite(v, depth + 1) for v in value)
    if depth < 2 and isinstance(value, dict) and len(value) <= MAX_ITEMS:
        return any(_non_finite(v, depth + 1) for v in value.values())
    return False


def as_number(answer: Any, what: str = "the answer") -> tuple[float | None, str | None]:
    """(value, None) for a real, finite number (a 0-dim tensor counts), else (None, the problem)."""
    if _is_tensor(answer) and getattr(answer, "ndim", 0) > 0:
        return None, (
            f"{what} should be one number; this {_type_name(answer)} has shape "
            f"{tuple(answer.shape)}: pick the element you mean, then call .item()"
        )
    value = _scalar(answer)
    if isinstance(value, str) and len(value) < 40:
        try:  # a number typed as text ("0.87") is still that number
            value = float(value.replace("_", "").replace(",", ""))
        except ValueError:
            return None, f"{what} should be a number, not the text {short_repr(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"{what} should be a number, got {_type_name(answer)}"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"{what} is {value}, which is not a finite number"
    return value, None


def as_int(answer: Any, what: str = "the answer") -> tuple[int | None, str | None]:
    """(value, None) for a whole number (an int, or a 0-dim integer tensor), else (None, the
    problem).

    A float is refused even when it is whole (3.0): counts are ints, and 3.9 must never pass as 3.
    """
    value, problem = as_number(answer, what)
    if problem:
        return None, problem
    if not isinstance(value, int) or isinstance(_scalar(answer), str):
        return None, f"{what} should be a whole number (an int such as 3), got {short_repr(answer)}"
    return value, None


def as_whole(answer: Any, what: str = "the answer") -> tuple[int | None, str | None]:
    """Like :func:`as_int`, but a float that is a whole number is read as that int: a size worked
    out with a float factor (``4096 * 4096 * cu.bytes_per_param("bfloat16")`` is ``33554432.0``)
    is an honest right answer. 3.9 is still never read as 3, and text is still refused."""
    value = _scalar(answer)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value), None  # below 2**53 every whole float is exactly its int
    return as_int(answer, what)


def as_list(
    answer: Any, what: str = "the answer", limit: int = MAX_ITEMS
) -> tuple[list | None, str | None]:
    """(list, None) for a list, tuple or iterable of at most ``limit`` items, read lazily."""
    if isinstance(answer, (str, bytes, dict)) or _is_tensor(answer):
        return None, f"{what} should be a list, not a {_type_name(answer)}"
    try:
        items = list(itertools.islice(iter(answer), limit + 1))
    except TypeError:
        return None, f"{what} should be a list, not a {_type_name(answer)}"
    if len(items) > limit:
        return None, f"{what} has more than {limit:,} items, more than this question asks for"
    return items, None
