"""Exercises that check themselves, one module per part.

In a notebook::

    from course_utils.exercises import part1
    answer = ...            # the starter placeholder: replace the ... with your answer
    part1.q1.check(answer)  # prints "not attempted yet", "correct", or what is off
    part1.q1.hint()
    part1.q1.solution()

Nothing is bound through ``globals()``: you pass your answer in, so the check sees exactly
what you computed. Each part's module (``part1.py`` ...) defines its questions with
:class:`Exercise` and the small checker factories and answer readers below; ``@needs`` and
``@reads`` put a checker's common first steps (the context it needs, reading the answer as a
number) in one line each. Code (and tests) that want the verdict rather than the printout call
``verdict()``, which returns it.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# A checker returns None when the answer is right, or a sentence saying what is off.
Checker = Callable[..., "str | None"]
# An answer reader (as_number, as_int, as_list) returns (value, None) or (None, the problem).
Reader = Callable[..., "tuple[Any, str | None]"]

PLACEHOLDER = ...  # what the starter cells hold until the learner answers
MAX_ITEMS = 1_000  # an iterator answer is read this far, never further
MAX_ECHO = 200  # characters of an answer a message repeats
MAX_MESSAGE = 600  # characters of a checker's message that are printed


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


def _first(checker: Checker, step: Callable[..., tuple[Any, str | None]]) -> Checker:
    """``checker`` with ``step(answer, context, kw) -> (answer, problem)`` run before it: a problem
    is the verdict; otherwise the checker gets the answer the step returns. The signature (which
    ``Exercise`` binds and names in its usage line) stays the checker's own."""

    @functools.wraps(checker)
    def check(answer: Any, *context: Any, **kw: Any) -> str | None:
        answer, problem = step(answer, context, kw)
        return problem if problem else checker(answer, *context, **kw)

    return check


def needs(thing: str, usage: str) -> Callable[[Checker], Checker]:
    """Decorate a checker whose second parameter (a tokenizer, a pipeline, a config) the learner
    must pass: without it the verdict is "pass <thing> too: <usage>" and the checker never runs."""

    def wrap(checker: Checker) -> Checker:
        name = list(inspect.signature(checker).parameters)[1]

        def given(answer: Any, context: tuple, kw: dict) -> tuple[Any, str | None]:
            value = context[0] if context else kw.get(name)
            return answer, (f"pass {thing} too: {usage}" if value is None else None)

        return _first(checker, given)

    return wrap


def reads(reader: Reader, what: str) -> Callable[[Checker], Checker]:
    """Decorate a checker that wants the answer read first, e.g. ``@reads(as_int, "the number of
    tokens")``: the checker gets the value, and a problem reading it is the verdict."""
    return lambda checker: _first(checker, lambda answer, _context, _kw: reader(answer, what))


def _usage(name: str, checker: Checker) -> str:
    """How to call this exercise's check(): the checker's context parameters, by name."""
    try:
        params = list(inspect.signature(checker).parameters.values())[1:]
    except (TypeError, ValueError):
        return f"{name}.check(answer)"
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return f"{name}.check({', '.join(['answer', *names])})"


@dataclass
class Exercise:
    """One question: a checker, a hint and a worked solution."""

    name: str
    prompt: str
    checker: Checker
    hint_text: str
    solution_text: str
    usage: str = ""  # how a notebook calls check(); worked out from the checker when empty

    def __post_init__(self) -> None:
        if not self.usage:
            self.usage = _usage(self.name, self.checker)

    def verdict(self, answer: Any, *context: Any, **kw: Any) -> tuple[bool, str]:
        """(right?, the message check() prints). Never raises, whatever the answer does."""
        if answer is PLACEHOLDER:
            return False, (
                f"⏳ {self.name}: not attempted yet. Replace the `...` with your answer, "
                f"then run this cell again. Stuck? {self.name}.hint()"
            )
        try:
            problem = self._problem(answer, context, kw)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit from an answer's function too
            problem = f"using your answer raised {_type_name(exc)}: {_exc_text(exc)}"
        if problem is None:
            return True, f"✅ {self.name}: correct!"
        problem = str(problem)
        if len(problem) > MAX_MESSAGE:
            problem = problem[:MAX_MESSAGE] + "…"
        if _is_tensor(answer) and getattr(answer, "ndim", None) == 0:
            problem += " (your answer is a 0-dim tensor: answer.item() gives its plain number)"
        return False, f"❌ {self.name}: not quite: {problem}. Try again, or see {self.name}.hint()"

    def _problem(self, answer: Any, context: tuple, kw: dict) -> str | None:
        try:
            inspect.signature(self.checker).bind(answer, *context, **kw)
        except TypeError:
            return f"this check takes different arguments: call it as {self.usage}"
        except ValueError:  # a checker without a signature: let it run
            pass
        if isinstance(answer, Iterator) and not _is_tensor(answer):
            answer, problem = as_list(answer)  # a generator is read once, and only so far
            if problem:
                return problem
        if _non_finite(answer):
            return f"{short_repr(answer)} holds NaN or inf, which is never a right answer"
        return self.checker(answer, *context, **kw)

    def check(self, answer: Any, *context: Any, **kw: Any) -> None:
        """Print whether ``answer`` is right
        (returns nothing, so a notebook shows only the message)."""
        print(self.verdict(answer, *context, **kw)[1])

    def hint(self) -> None:
        """Print a nudge in the right direction."""
        print(f"💡 {self.name} hint: {self.hint_text}")

    def solution(self) -> None:
        """Print a worked solution."""
        print(f"📖 {self.name} solution:\n{self.solution_text}")

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: {self.prompt}>"


def _exc_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = "(its message cannot be shown)"
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"


# ----- checker factories ---------------------------------------------------------------


def equals(expected: Any, *, what: str = "the answer") -> Checker:
    """Exact equality (ints, strings, tuples, bools)."""

    def check(answer: Any, *_: Any, **__: Any) -> str | None:
        if isinstance(expected, bool) and not isinstance(answer, bool):
            return f"{what} should be True or False, got {short_repr(answer)}"
        if type(answer) is type(expected) and answer == expected:
            return None
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            value, problem = as_number(answer, what)
            if problem:
                return problem
            if value == expected:
                return None
        return f"{what} is {short_repr(answer)}, which is not the expected value"

    return check


def close_to(
    expected: float, *, rel: float = 1e-3, abs_tol: float = 0.0, what: str = "the answer"
) -> Checker:
    """A finite number within a relative (and optional absolute) tolerance."""

    def check(answer: Any, *_: Any, **__: Any) -> str | None:
        value, problem = as_number(answer, what)
        if problem:
            return problem
        if math.isclose(value, expected, rel_tol=rel, abs_tol=abs_tol):
            return None
        direction = "too high" if value > expected else "too low"
        return f"{what} = {value:g} is {direction}"

    return check


def one_of(options: list[Any], *, what: str = "the answer") -> Checker:
    """The answer must be one of several accepted values (case-insensitive for strings)."""
    norm = [o.lower().strip() if isinstance(o, str) else o for o in options]

    def check(answer: Any, *_: Any, **__: Any) -> str | None:
        a = answer.lower().strip() if isinstance(answer, str) else answer
        if isinstance(a, (str, int, float, bool, tuple)) and a in norm:
            return None
        return f"{what} {short_repr(answer)} is not one of the accepted answers"

    return check


__all__ = [
    "Exercise",
    "PLACEHOLDER",
    "equals",
    "close_to",
    "one_of",
    "as_number",
    "as_int",
    "as_list",
    "short_repr",
    "needs",
    "reads",
]
