"""Exercises that check themselves, one module per part.

In a notebook::

    from course_utils.exercises import part1
    answer = ...            # the starter placeholder: replace the ... with your answer
    part1.q1.check(answer)  # prints "not attempted yet", "correct", or what is off
    part1.q1.hint()
    part1.q1.solution()

Nothing is bound through ``globals()``: you pass your answer in, so the check sees exactly
what you computed. Each part's module (``part1.py`` ...) defines its questions with
:class:`Exercise`, the small checker factories below and the answer readers of ``answers.py``
(re-exported here); ``@needs``, ``@function`` and ``@reads`` put a checker's common first steps
(the context it needs, a function rather than its result, reading the answer as a number) in one
line each. Code (and tests) that want the verdict rather than the printout call ``verdict()``,
which returns it.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .answers import (
    MAX_ECHO,
    _is_tensor,
    _non_finite,
    _type_name,
    as_int,
    as_list,
    as_number,
    as_whole,
    need_function,
    short_repr,
)

# A checker returns None when the answer is right, or a sentence saying what is off.
Checker = Callable[..., "str | None"]
# An answer reader (as_number, as_int, as_list) returns (value, None) or (None, the problem).
Reader = Callable[..., "tuple[Any, str | None]"]

PLACEHOLDER = ...  # what the starter cells hold until the learner answers
MAX_MESSAGE = 600  # characters of a checker's message that are printed


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
    """Decorate a checker that needs every context argument ``usage`` names (a tokenizer, a
    config): without one, the verdict is "pass <thing> too: <usage>" and the checker never runs."""
    count = usage[usage.index("(") + 1 : usage.rindex(")")].count(",")

    def wrap(checker: Checker) -> Checker:
        names = list(inspect.signature(checker).parameters)[1 : 1 + count]

        def given(answer: Any, context: tuple, kw: dict) -> tuple[Any, str | None]:
            values = [context[i] if i < len(context) else kw.get(n) for i, n in enumerate(names)]
            missing = any(value is None for value in values)
            return answer, (f"pass {thing} too: {usage}" if missing else None)

        return _first(checker, given)

    return wrap


def function(signature: str, why: str) -> Callable[[Checker], Checker]:
    """Decorate a checker that runs the learner's function on inputs of its own, so a result typed
    in cannot pass: ``@function("reply(messages)", "runs it on conversations of its own")``."""
    return lambda checker: _first(
        checker, lambda answer, _context, _kw: (answer, need_function(answer, signature, why))
    )


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
    more_hints: tuple[str, ...] = ()  # more direct hints, one per further hint() call
    _hints_given: int = field(default=0, init=False, repr=False, compare=False)

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
        torch_scalar = _is_tensor(answer) and type(answer).__module__.startswith("torch")
        if torch_scalar and getattr(answer, "ndim", None) == 0:  # a NumPy number is no tensor
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
        """Print a nudge in the right direction; called again, a more direct one if there is."""
        n = min(self._hints_given, len(self.more_hints))
        self._hints_given += 1
        if n == 0:
            more = (
                f" (Still stuck? {self.name}.hint() again is more direct.)"
                if self.more_hints
                else ""
            )
            print(f"💡 {self.name} hint: {self.hint_text}{more}")
        else:
            print(f"💡 {self.name} hint {n + 1}: {self.more_hints[n - 1]}")

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
    "as_whole",
    "as_list",
    "short_repr",
    "need_function",
    "needs",
    "function",
    "reads",
]
