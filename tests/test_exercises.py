"""The exercise mechanism: not attempted, right, wrong, verdict(), and checkers that never crash."""

from __future__ import annotations

import importlib

import pytest

from course_utils.exercises import (
    Exercise,
    as_int,
    as_number,
    close_to,
    equals,
    function,
    needs,
    one_of,
)

PARTS = [f"part{n}" for n in range(1, 10)]
# every question a part's module defines (q1, q2, ... whatever it has)
QUESTIONS = [
    (part, q)
    for part in PARTS
    for q in sorted(vars(importlib.import_module(f"course_utils.exercises.{part}")))
    if q[:1] == "q" and q[1:].isdigit()
]


def make(checker):
    return Exercise("q1", "What is 6 × 7?", checker, "Multiply.", "answer = 6 * 7")


def test_check_prints_the_verdict_and_returns_nothing(capsys):
    """check() prints verdict()'s message and returns None,
    so a starter cell shows no True/False."""
    q = make(equals(42))
    assert q.check(42) is None
    assert capsys.readouterr().out.strip() == q.verdict(42)[1] == "✅ q1: correct!"
    assert q.check(41) is None
    assert "not quite" in capsys.readouterr().out


def test_placeholder_is_not_attempted():
    ok, msg = make(equals(42)).verdict(...)
    assert ok is False and "not attempted" in msg


def test_right_and_wrong():
    q = make(equals(42))
    assert q.verdict(42) == (True, "✅ q1: correct!")
    ok, msg = q.verdict(41)
    assert ok is False and "not quite" in msg and "q1.hint()" in msg


def test_bool_answers_must_be_bools():
    ok, msg = make(equals(True)).verdict(1)
    assert ok is False and "True or False" in msg


def test_equals_a_number_takes_a_whole_float_but_not_a_bool():
    assert make(equals(42)).verdict(42.0)[0] is True
    assert make(equals(1)).verdict(True)[0] is False


def test_close_to_says_which_way():
    assert close_to(0.5, rel=0.01)(0.7) == "the answer = 0.7 is too high"
    assert close_to(0.5, rel=0.01)(0.501) is None
    assert "should be a number" in close_to(1.0)("one")


def test_one_of_ignores_case():
    assert one_of(["bfloat16", "bf16"])(" BF16 ") is None
    assert one_of(["bfloat16"])("fp16") is not None


def test_a_crashing_checker_reports_instead_of_raising():
    ok, msg = make(lambda answer: answer.nope).verdict(1)
    assert ok is False and "AttributeError" in msg


def test_context_reaches_the_checker():
    q = make(lambda answer, model: None if answer == model["n"] else "wrong count")
    assert q.verdict(3, {"n": 3})[0] is True
    assert q.verdict(4, {"n": 3})[0] is False


def test_missing_context_says_how_to_call_it():
    q = make(lambda answer, model: None)
    ok, msg = q.verdict(3)
    assert ok is False and "call it as q1.check(answer, model)" in msg


def test_needs_every_context_argument_its_usage_names():
    @needs("the model and its tokenizer", "q1.check(answer, model, tokenizer)")
    def checker(answer, model=None, tokenizer=None, extra=None):
        return None

    q = make(checker)
    for context, kw in (((), {}), (("m",), {}), ((None, "t"), {}), (("m",), {"tokenizer": None})):
        ok, msg = q.verdict(3, *context, **kw)
        assert ok is False and "pass the model and its tokenizer too: q1.check(" in msg, msg
    assert q.verdict(3, "m", "t")[0] is True  # extra is not in the usage line: optional
    assert q.verdict(3, "m", tokenizer="t")[0] is True


def test_function_refuses_a_result_and_runs_a_function():
    @function("double(x)", "runs it on numbers of its own")
    def checker(answer):
        return None if answer(4) == 8 else "double(4) should be 8"

    q = make(checker)
    ok, msg = q.verdict(8)
    assert ok is False and "pass your function itself" in msg and "def double(x)" in msg, msg
    assert q.verdict(lambda x: 2 * x)[0] is True
    assert "should be 8" in q.verdict(lambda x: x)[1]


def test_zero_dim_tensor_is_its_number_or_gets_the_item_hint():
    import torch

    assert make(close_to(0.5)).verdict(torch.tensor(0.5))[0] is True
    assert make(equals(42)).verdict(torch.tensor(42))[0] is True
    ok, msg = make(lambda a: None if isinstance(a, str) else "give text").verdict(torch.tensor(3))
    assert ok is False and ".item()" in msg
    value, problem = as_number(torch.tensor([1.0, 2.0]))
    assert value is None and "shape (2,)" in problem


def test_numbers_must_be_finite_and_whole_numbers_whole():
    assert as_number(float("nan"))[0] is None
    assert as_number(float("-inf"))[0] is None
    assert as_int(3) == (3, None)
    assert as_int(3.0)[0] is None  # counts are ints
    assert as_number("0.87") == (0.87, None)  # a number typed as text is still a number
    assert as_number("nan")[0] is None
    assert as_int(3.9)[0] is None and "whole number" in as_int(3.9)[1]
    assert make(close_to(1.0, rel=1.0)).verdict(float("nan"))[0] is False


def test_hint_and_solution_print(capsys):
    q = make(equals(42))
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Multiply." in out and "answer = 6 * 7" in out


@pytest.mark.parametrize("part, q", QUESTIONS)
def test_every_question_starts_not_attempted_and_names_itself(part, q, capsys):
    """The starter `...` is "not attempted", and every message names what a notebook can call."""
    exercise = getattr(importlib.import_module(f"course_utils.exercises.{part}"), q)
    assert exercise.name == f"{part}.{q}"
    ok, msg = exercise.verdict(...)
    assert ok is False and "not attempted" in msg and f"{part}.{q}.hint()" in msg
    exercise.hint()
    exercise.solution()
    out = capsys.readouterr().out
    assert f"{part}.{q} hint: " in out and f"{part}.{q} solution:" in out
    assert exercise.hint_text.strip() and exercise.solution_text.strip()
    assert exercise.usage.startswith(f"{part}.{q}.check(")
