"""Part 9 exercise checkers: each one drives the learner's function or widget with a test input."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from course_utils.errors import BadInputError
from course_utils.exercises import part9

# ----- q1: fill the blank --------------------------------------------------------------------


def fake_fill_mask(text):
    """Stands in for the fill-mask pipeline: best candidate first, each with a 'sequence'."""
    return [
        {"sequence": text.replace("[MASK]", "paris").lower(), "score": 0.9},
        {"sequence": text.replace("[MASK]", "lyon").lower(), "score": 0.1},
    ]


def good_fill_blank(text):
    if "[MASK]" not in text:
        raise BadInputError("Put [MASK] where the missing word goes.")
    return fake_fill_mask(text)[0]["sequence"]


def test_q1_right():
    tasks = {"Ask": str.upper, "Fill the blank": good_fill_blank}
    ok, msg = part9.q1.verdict(good_fill_blank, tasks, pipe=fake_fill_mask)
    assert ok is True, msg
    assert "correct" in msg


def test_q1_wrong():
    tasks = {"Fill the blank": good_fill_blank}
    ok, msg = part9.q1.verdict(good_fill_blank, {}, pipe=fake_fill_mask)
    assert ok is False, msg
    assert "not in TASKS" in msg
    ok, msg = part9.q1.verdict(good_fill_blank, pipe=fake_fill_mask)
    assert ok is False, msg
    assert "part9.q1.check(fill_blank, TASKS)" in msg

    def second_best(text):
        return fake_fill_mask(text)[1]["sequence"]

    ok, msg = part9.q1.verdict(second_best, {"x": second_best}, pipe=fake_fill_mask)
    assert ok is False, msg
    assert "top-scoring" in msg

    def no_mask_check(text):
        return fake_fill_mask(text)[0]["sequence"]

    ok, msg = part9.q1.verdict(no_mask_check, {"x": no_mask_check}, pipe=fake_fill_mask)
    assert ok is False, msg
    assert "[MASK]" in msg

    # the review's wrong answers: returning a message, raising the wrong error, no [MASK] in it
    def returns_message(text):
        if "[MASK]" not in text:
            return "please add [MASK]"
        return fake_fill_mask(text)[0]["sequence"]

    ok, msg = part9.q1.verdict(returns_message, {"x": returns_message}, pipe=fake_fill_mask)
    assert ok is False and "returned 'please add [MASK]'" in msg, msg

    def raises_key_error(text):
        if "[MASK]" not in text:
            raise KeyError("[MASK]")
        return fake_fill_mask(text)[0]["sequence"]

    ok, msg = part9.q1.verdict(raises_key_error, {"x": raises_key_error}, pipe=fake_fill_mask)
    assert ok is False and "raised KeyError" in msg and "cu.BadInputError" in msg, msg

    def vague_error(text):
        if "[MASK]" not in text:
            raise BadInputError("That will not work.")
        return fake_fill_mask(text)[0]["sequence"]

    ok, msg = part9.q1.verdict(vague_error, {"x": vague_error}, pipe=fake_fill_mask)
    assert ok is False and "should say to add [MASK]" in msg, msg
    ok, msg = part9.q1.verdict(good_fill_blank(part9.FILL_TEST), tasks, pipe=fake_fill_mask)
    assert ok is False, msg
    assert "without calling it" in msg


def test_q1_with_the_real_pipeline():
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

    ok, msg = part9.q1.verdict(fill_blank, {"Fill the blank": fill_blank})
    assert ok is True, msg


# ----- q2: the length slider -----------------------------------------------------------------


def make_slider():
    return widgets.IntSlider(value=32, min=1, max=128, description="Max tokens")


def test_q2_right():
    slider = make_slider()

    def ask_limited(question):  # one word per token, like a model cut at max_new_tokens
        return " ".join(["word"] * slider.value)

    ok, msg = part9.q2.verdict(slider, ask_limited)
    assert ok is True, msg
    assert "correct" in msg
    assert slider.value == 32  # the checker puts the slider back


def test_q2_wrong():
    slider = make_slider()
    value_at_start = slider.value

    def ignores_slider(question):
        return " ".join(["word"] * value_at_start)

    ok, msg = part9.q2.verdict(slider, ignores_slider)
    assert ok is False, msg
    assert "max_new_tokens" in msg

    def always_short(question):
        return "Paris"

    ok, msg = part9.q2.verdict(slider, always_short)
    assert ok is False, msg
    assert "no longer" in msg
    ok, msg = part9.q2.verdict(slider)
    assert ok is False, msg
    assert "part9.q2.check(length_slider, ask_limited)" in msg
    ok, msg = part9.q2.verdict(widgets.IntText(), always_short)
    assert ok is False, msg
    assert "IntSlider" in msg
    narrow = widgets.IntSlider(value=2, min=1, max=2)
    ok, msg = part9.q2.verdict(narrow, always_short)
    assert ok is False, msg
    assert "too narrow" in msg


# ----- q3: the history -----------------------------------------------------------------------


def good_history(history, limit=5):
    lines = [
        f"{task}: {text!r} -> {result!r} ({ms:.0f} ms)"
        for task, text, result, ms in reversed(history[-limit:])
    ]
    return "\n".join(lines) or "No calls yet."


def test_q3_right():
    ok, msg = part9.q3.verdict(good_history)
    assert ok is True, msg
    assert "correct" in msg


def test_q3_wrong():
    def oldest_first(history):
        return "\n".join(f"{text} {result}" for _, text, result, _ in history[-5:])

    ok, msg = part9.q3.verdict(oldest_first)
    assert ok is False, msg
    assert "newest first" in msg

    def everything(history):
        return "\n".join(f"{text} {result}" for _, text, result, _ in reversed(history))

    ok, msg = part9.q3.verdict(everything)
    assert ok is False, msg
    assert "last 5" in msg

    def prints_instead(history):
        print(history)

    ok, msg = part9.q3.verdict(prints_instead)
    assert ok is False, msg
    assert "return a string" in msg


def test_q3_times_are_milliseconds():
    def in_seconds(history):  # converted honestly: accepted
        return "\n".join(
            f"{text} -> {result} ({ms / 1000:.3f} s)"
            for _, text, result, ms in reversed(history[-5:])
        )

    ok, msg = part9.q3.verdict(in_seconds)
    assert ok is True, msg

    def ms_labelled_seconds(history):  # the old solution: "18.30 s" for an 18 ms call
        return "\n".join(
            f"{text} -> {result} ({ms:.2f} s)" for _, text, result, ms in reversed(history[-5:])
        )

    ok, msg = part9.q3.verdict(ms_labelled_seconds)
    assert ok is False and "CALLS holds milliseconds" in msg, msg

    def no_time(history):
        return "\n".join(f"{text} -> {result}" for _, text, result, _ in reversed(history[-5:]))

    ok, msg = part9.q3.verdict(no_time)
    assert ok is False and "how long the call took" in msg, msg


def test_q2_ignores_the_apps_cut_notice():
    slider = make_slider()

    def ask_limited(question):  # the app's ask: a cut answer ends with a notice
        return " ".join(["word"] * slider.value) + f" …(cut at {slider.value} tokens)"

    ok, msg = part9.q2.verdict(slider, ask_limited)
    assert ok is True, msg
