"""Part 9 exercise checkers: each one drives the learner's function or widget with a test input."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from course_utils.errors import BadInputError
from course_utils.exercises import part9


# ----- q1: fill the blank --------------------------------------------------------------------

def fake_fill_mask(text):
    """Stands in for the fill-mask pipeline: best candidate first, each with a 'sequence'."""
    return [{"sequence": text.replace("[MASK]", "paris").lower(), "score": 0.9},
            {"sequence": text.replace("[MASK]", "lyon").lower(), "score": 0.1}]


def good_fill_blank(text):
    if "[MASK]" not in text:
        raise BadInputError("Put [MASK] where the missing word goes.")
    return fake_fill_mask(text)[0]["sequence"]


def test_q1_right(capsys):
    tasks = {"Ask": str.upper, "Fill the blank": good_fill_blank}
    assert part9.q1.check(good_fill_blank, tasks, pipe=fake_fill_mask) is True
    assert "correct" in capsys.readouterr().out


def test_q1_wrong(capsys):
    tasks = {"Fill the blank": good_fill_blank}
    assert part9.q1.check(good_fill_blank, {}, pipe=fake_fill_mask) is False
    assert "not in TASKS" in capsys.readouterr().out
    assert part9.q1.check(good_fill_blank, pipe=fake_fill_mask) is False
    assert "part9.q1.check(fill_blank, TASKS)" in capsys.readouterr().out

    def second_best(text):
        return fake_fill_mask(text)[1]["sequence"]

    assert part9.q1.check(second_best, {"x": second_best}, pipe=fake_fill_mask) is False
    assert "top-scoring" in capsys.readouterr().out

    def no_mask_check(text):
        return fake_fill_mask(text)[0]["sequence"]

    assert part9.q1.check(no_mask_check, {"x": no_mask_check}, pipe=fake_fill_mask) is False
    assert "[MASK]" in capsys.readouterr().out
    assert part9.q1.check(good_fill_blank(part9.FILL_TEST), tasks, pipe=fake_fill_mask) is False
    assert "without calling it" in capsys.readouterr().out


def test_q1_with_the_real_pipeline(capsys):
    """The reference is the fill-mask pipeline of FILL_MODEL (from the stand-in Hub offline)."""
    from transformers import pipeline

    try:
        fill_mask = pipeline("fill-mask", model=part9.FILL_MODEL)
    except OSError:
        pytest.skip(f"{part9.FILL_MODEL} is not in this Hugging Face cache")

    def fill_blank(text):
        if "[MASK]" not in text:
            raise BadInputError("Put [MASK] where the missing word goes.")
        return fill_mask(text)[0]["sequence"]

    assert part9.q1.check(fill_blank, {"Fill the blank": fill_blank}) is True


# ----- q2: the length slider -----------------------------------------------------------------

def make_slider():
    return widgets.IntSlider(value=32, min=1, max=128, description="Max tokens")


def test_q2_right(capsys):
    slider = make_slider()

    def ask_limited(question):  # one word per token, like a model cut at max_new_tokens
        return " ".join(["word"] * slider.value)

    assert part9.q2.check(slider, ask_limited) is True
    assert "correct" in capsys.readouterr().out
    assert slider.value == 32  # the checker puts the slider back


def test_q2_wrong(capsys):
    slider = make_slider()
    value_at_start = slider.value

    def ignores_slider(question):
        return " ".join(["word"] * value_at_start)

    assert part9.q2.check(slider, ignores_slider) is False
    assert "max_new_tokens" in capsys.readouterr().out

    def always_short(question):
        return "Paris"

    assert part9.q2.check(slider, always_short) is False
    assert "no longer" in capsys.readouterr().out
    assert part9.q2.check(slider) is False
    assert "part9.q2.check(length_slider, ask_limited)" in capsys.readouterr().out
    assert part9.q2.check(widgets.IntText(), always_short) is False
    assert "IntSlider" in capsys.readouterr().out
    narrow = widgets.IntSlider(value=2, min=1, max=2)
    assert part9.q2.check(narrow, always_short) is False
    assert "too narrow" in capsys.readouterr().out


# ----- q3: the history -----------------------------------------------------------------------

def good_history(history, limit=5):
    lines = [f"{task}: {text!r} -> {result!r} ({seconds:.2f} s)"
             for task, text, result, seconds in reversed(history[-limit:])]
    return "\n".join(lines) or "No calls yet."


def test_q3_right(capsys):
    assert part9.q3.check(good_history) is True
    assert "correct" in capsys.readouterr().out


def test_q3_wrong(capsys):
    def oldest_first(history):
        return "\n".join(f"{text} {result}" for _, text, result, _ in history[-5:])

    assert part9.q3.check(oldest_first) is False
    assert "newest first" in capsys.readouterr().out

    def everything(history):
        return "\n".join(f"{text} {result}" for _, text, result, _ in reversed(history))

    assert part9.q3.check(everything) is False
    assert "last 5" in capsys.readouterr().out

    def prints_instead(history):
        print(history)

    assert part9.q3.check(prints_instead) is False
    assert "return a string" in capsys.readouterr().out
