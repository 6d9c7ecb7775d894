"""The exercise mechanism: not attempted, right, wrong, and checkers that never crash."""

from __future__ import annotations

import importlib

import pytest

from course_utils.exercises import Exercise, close_to, equals, one_of

PARTS = [f"part{n}" for n in range(1, 10)]
QUESTIONS = [(part, q) for part in PARTS for q in ("q1", "q2", "q3")]


def make(checker):
    return Exercise("q1", "What is 6 × 7?", checker, "Multiply.", "answer = 6 * 7")


def test_placeholder_is_not_attempted(capsys):
    assert make(equals(42)).check(...) is False
    assert "not attempted" in capsys.readouterr().out


def test_right_and_wrong(capsys):
    q = make(equals(42))
    assert q.check(42) is True
    assert "correct" in capsys.readouterr().out
    assert q.check(41) is False
    assert "not quite" in capsys.readouterr().out


def test_bool_answers_must_be_bools(capsys):
    assert make(equals(True)).check(1) is False
    assert "True or False" in capsys.readouterr().out


def test_close_to_says_which_way():
    assert close_to(0.5, rel=0.01)(0.7) == "the answer = 0.7 is too high"
    assert close_to(0.5, rel=0.01)(0.501) is None
    assert "should be a number" in close_to(1.0)("one")


def test_one_of_ignores_case():
    assert one_of(["bfloat16", "bf16"])(" BF16 ") is None
    assert one_of(["bfloat16"])("fp16") is not None


def test_a_crashing_checker_reports_instead_of_raising(capsys):
    q = make(lambda answer: answer.nope)
    assert q.check(1) is False
    assert "could not use that answer" in capsys.readouterr().out


def test_context_reaches_the_checker():
    q = make(lambda answer, model: None if answer == model["n"] else "wrong count")
    assert q.check(3, {"n": 3}) is True


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
    assert exercise.check(...) is False
    out = capsys.readouterr().out
    assert "not attempted" in out and f"{part}.{q}.hint()" in out
    exercise.hint()
    exercise.solution()
    out = capsys.readouterr().out
    assert f"{part}.{q} hint: " in out and f"{part}.{q} solution:" in out
    assert exercise.hint_text.strip() and exercise.solution_text.strip()
