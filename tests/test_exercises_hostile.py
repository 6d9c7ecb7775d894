"""Hostile answers: whatever a learner passes, check() prints one bounded line and never raises.

Covers every question of Parts 1-7 with answers that break naive checkers (endless iterators,
reprs that raise, functions that call sys.exit, NaN, huge echoes, truncated numbers, missing
context), plus the base class's readers directly.
"""

from __future__ import annotations

import importlib
import itertools
import sys

import pytest

from course_utils.exercises import MAX_MESSAGE, Exercise, as_list, close_to, equals, short_repr

QUESTIONS = [  # every question of Parts 1-7, q4s included
    (part, q)
    for part in (f"part{n}" for n in range(1, 8))
    for q in sorted(vars(importlib.import_module(f"course_utils.exercises.{part}")))
    if q[:1] == "q" and q[1:].isdigit()
]


class BadRepr:
    def __repr__(self):
        raise RuntimeError("repr exploded")

    def __float__(self):
        raise ValueError("no float either")


class BadEq:
    def __eq__(self, other):
        raise RuntimeError("eq exploded")

    __hash__ = object.__hash__


class EndlessIterable:
    """Not an iterator itself: iter() gives an endless one."""

    def __iter__(self):
        return itertools.count()


def exits(*args, **kwargs):
    sys.exit("bye")


def raises_base(*args, **kwargs):
    raise GeneratorExit


HOSTILE = {
    "endless generator": lambda: (i for i in itertools.count()),
    "itertools.count": lambda: itertools.count(),
    "endless iterable": EndlessIterable,
    "repr raises": BadRepr,
    "eq raises": BadEq,
    "function calling sys.exit": lambda: exits,
    "function raising GeneratorExit": lambda: raises_base,
    "nan": lambda: float("nan"),
    "inf": lambda: float("inf"),
    "5 MB string": lambda: "x" * 5_000_000,
    "a million-item list": lambda: list(range(1_000_000)),
    "nested nan": lambda: (float("nan"), False),
    "None": lambda: None,
    "bytes": lambda: b"\xff\xfe",
    "a type": lambda: int,
}


@pytest.mark.parametrize("part, q", QUESTIONS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_answers_never_raise_and_stay_short(part, q, kind, capsys):
    exercise = getattr(importlib.import_module(f"course_utils.exercises.{part}"), q)
    ok, msg = exercise.verdict(HOSTILE[kind]())  # no context either: the checker must say so
    assert ok is False
    assert msg.startswith(f"❌ {part}.{q}: not quite: ") and msg.endswith(f"{part}.{q}.hint()")
    assert len(msg) < MAX_MESSAGE + 200
    assert exercise.check(HOSTILE[kind]()) is None
    assert len(capsys.readouterr().out) < MAX_MESSAGE + 200


CONTEXT_FREE = {  # questions whose check takes no context, and what a truncated number would be
    ("part2", "q3"): 65520.9,  # Part 6's q3 (a top_p count) became a seeded-sampling function
}


@pytest.mark.parametrize("key, value", sorted(CONTEXT_FREE.items()))
def test_a_count_with_a_fraction_is_never_right(key, value):
    exercise = getattr(importlib.import_module(f"course_utils.exercises.{key[0]}"), key[1])
    assert exercise.verdict(int(value))[0] is True  # the whole number is right...
    ok, msg = exercise.verdict(value)  # ...and the same number with a fraction is not
    assert ok is False and "whole number" in msg


def test_part7_q1_refuses_3_9_for_3():
    from transformers import ViTImageProcessor

    from course_utils.exercises import part7

    proc = ViTImageProcessor(size={"height": 224, "width": 224})
    assert part7.q1.verdict((3, 3, 224, 224), proc)[0] is True
    ok, msg = part7.q1.verdict((3.9, 3, 224, 224), proc)
    assert ok is False and "whole number" in msg
    ok, msg = part7.q1.verdict(EndlessIterable(), proc)  # an endless shape is read 17 items far
    assert ok is False and "more than 16 items" in msg


@pytest.mark.parametrize("part, q", QUESTIONS)
def test_missing_context_never_blames_the_answer(part, q):
    """Called without its context, a checker says how to call it (or judges the answer alone)."""
    exercise = getattr(importlib.import_module(f"course_utils.exercises.{part}"), q)
    ok, msg = exercise.verdict(42)
    assert ok is False
    assert "could not use" not in msg and "TypeError" not in msg
    if exercise.usage != f"{part}.{q}.check(answer)":
        assert exercise.usage.split("(")[0] in msg or "pass" in msg


def test_keyboard_interrupt_still_stops_the_cell():
    q = Exercise("q", "?", lambda a: a(), "", "")

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        q.verdict(interrupted)


def test_a_checker_message_that_is_huge_is_cut():
    q = Exercise("q", "?", lambda a: "x" * 100_000, "", "")
    ok, msg = q.verdict(1)
    assert ok is False and len(msg) < MAX_MESSAGE + 100


def test_an_exception_whose_str_raises_is_still_reported():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    def checker(answer):
        raise Weird

    ok, msg = Exercise("q", "?", checker, "", "").verdict(1)
    assert ok is False and "Weird" in msg


def test_short_repr_is_bounded_and_safe():
    assert short_repr(BadRepr()) == "<a BadRepr whose repr() fails>"
    text = short_repr("y" * 10_000)
    assert len(text) < 300 and "10,002 characters" in text


def test_equals_and_close_to_with_hostile_values():
    assert "not the expected value" in equals("a")(BadEq())
    assert "should be a number" in close_to(1.0)(BadRepr())
    assert close_to(1.0)(True) is not None  # a bool is not the number 1
    assert close_to(1.0)([1.0]) is not None


def test_as_list_reads_lazily():
    items, problem = as_list(itertools.count(), limit=10)
    assert items is None and "more than 10 items" in problem
    assert as_list(iter([1, 2]))[0] == [1, 2]
    assert as_list("abc")[0] is None  # a string is not a list of labels


def test_a_generator_answer_is_read_once_and_judged():
    labels = ["POSITIVE", "NEGATIVE"]

    def classifier(texts):
        return [{"label": lab, "score": 0.9} for lab in labels[: len(texts)]]

    def same_results(answer, texts):  # a checker that wants a classifier's list of results
        return None if answer == classifier(texts) else "not the classifier's results"

    q = Exercise("q", "?", same_results, "", "")
    results = classifier(["a", "b"])
    ok, msg = q.verdict((r for r in results), ["a", "b"])
    assert ok is True, msg
    ok, msg = q.verdict((r for r in reversed(results)), ["a", "b"])
    assert ok is False


def test_nan_never_passes_part8_q1():
    """part8's q1 compares with abs(x - want) > tol, which NaN slips through:
    the base class refuses it."""
    from course_utils.exercises import part8

    ok, msg = part8.q1.verdict((float("nan"), False))
    assert ok is False and "NaN" in msg
