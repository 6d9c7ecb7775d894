"""Exercises that check themselves, one module per part.

In a notebook::

    from course_utils.exercises import part1
    answer = ...            # the starter placeholder: replace the ... with your answer
    part1.q1.check(answer)  # says "not attempted yet", "correct", or what is off
    part1.q1.hint()
    part1.q1.solution()

Nothing is bound through ``globals()``: you pass your answer in, so the check sees exactly
what you computed. Each part's module (``part1.py`` ...) defines its questions with
:class:`Exercise` and the small checker factories below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

# A checker returns None when the answer is right, or a sentence saying what is off.
Checker = Callable[..., "str | None"]

PLACEHOLDER = ...  # what the starter cells hold until the learner answers


@dataclass
class Exercise:
    """One question: a checker, a hint and a worked solution."""

    name: str
    prompt: str
    checker: Checker
    hint_text: str
    solution_text: str

    def check(self, answer: Any, *context: Any, **kw: Any) -> bool:
        """Print whether ``answer`` is right and return True/False (False when not attempted)."""
        if answer is PLACEHOLDER:
            print(f"⏳ {self.name}: not attempted yet. Replace the `...` with your answer, "
                  f"then run this cell again. Stuck? {self.name}.hint()")
            return False
        try:
            problem = self.checker(answer, *context, **kw)
        except Exception as exc:  # a learner's odd answer must not crash the checker
            problem = f"the checker could not use that answer ({type(exc).__name__}: {exc})"
        if problem is None:
            print(f"✅ {self.name}: correct!")
            return True
        print(f"❌ {self.name}: not quite: {problem}. Try again, or see {self.name}.hint()")
        return False

    def hint(self) -> None:
        """Print a nudge in the right direction."""
        print(f"💡 {self.name} hint: {self.hint_text}")

    def solution(self) -> None:
        """Print a worked solution."""
        print(f"📖 {self.name} solution:\n{self.solution_text}")

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: {self.prompt}>"


# ----- checker factories ---------------------------------------------------------------

def equals(expected: Any, *, what: str = "the answer") -> Checker:
    """Exact equality (ints, strings, tuples, bools)."""

    def check(answer: Any, *_: Any, **__: Any) -> str | None:
        if isinstance(expected, bool) and not isinstance(answer, bool):
            return f"{what} should be True or False, got {answer!r}"
        if answer == expected:
            return None
        return f"{what} is {answer!r}, which is not the expected value"

    return check


def close_to(expected: float, *, rel: float = 1e-3, abs_tol: float = 0.0,
             what: str = "the answer") -> Checker:
    """A number within a relative (and optional absolute) tolerance."""

    def check(answer: Any, *_: Any, **__: Any) -> str | None:
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return f"{what} should be a number, got {type(answer).__name__}"
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
        return None if a in norm else f"{what} {answer!r} is not one of the accepted answers"

    return check


__all__ = ["Exercise", "PLACEHOLDER", "equals", "close_to", "one_of"]
