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


def history_in(fmt):
    """A render_history that prints each time with `fmt` (a function of the milliseconds)."""

    def render(history):
        return "\n".join(
            f"{text} -> {result} ({fmt(ms)})" for _, text, result, ms in reversed(history[-5:])
        )

    return render


def text_app():
    """The notebook's text tab in small: a box, a Run button whose on_run records CALLS."""
    box, button, calls = widgets.Textarea(), widgets.Button(), []

    def on_run(_):
        text = box.value.strip()
        calls.append(("Sentiment", text, "POSITIVE (score 0.99)", 12.5))

    button.on_click(on_run)
    return box, button, calls


def show(out, text):
    out.outputs = ()
    out.append_stdout(text + "\n")


def wired(render):
    """history_output wired as the solution does: refreshed by a second on_click handler."""
    box, button, calls = text_app()
    calls.extend(("Sentiment", f"old {i}", "NEGATIVE", 3.0) for i in range(6))
    out = widgets.Output()
    button.on_click(lambda _: show(out, render(calls)))
    return out, button, box, calls


def test_q3_right():
    ok, msg = part9.q3.verdict(good_history, *wired(good_history))
    assert ok is True, msg
    assert "correct" in msg


def test_q3_accepts_any_honest_time_format():
    formats = {
        "0.10 s for 95 ms": lambda ms: f"{ms / 1000:.2f} s",
        "0.1 s": lambda ms: f"{ms / 1000:.1f} s",
        "0.095 s": lambda ms: f"{ms / 1000:.3f} s",
        "95 milliseconds": lambda ms: f"{ms:.0f} milliseconds",
        "95 ms": lambda ms: f"{ms:.0f} ms",
        "95.0ms": lambda ms: f"{ms:.1f}ms",
        "1,234 ms": lambda ms: f"{ms:,.0f} ms",
        "1.2 seconds": lambda ms: f"{ms / 1000:.1f} seconds",
        "0.0 s for 42 ms (rounded as printed)": lambda ms: f"{ms / 1000:.1f} sec",
    }
    for name, fmt in formats.items():
        render = history_in(fmt)
        ok, msg = part9.q3.verdict(render, *wired(render))
        assert ok is True, (name, msg)


def test_q3_rejects_wrong_times():
    wrong = {
        "18.30 s for 18 ms (milliseconds labelled seconds)": (
            lambda ms: f"{ms:.2f} s",
            "CALLS holds milliseconds",
        ),
        "95.0 s for 95 ms": (lambda ms: f"{ms:.1f} s", "CALLS holds milliseconds"),
        "seconds labelled ms": (lambda ms: f"{ms / 1000:.3f} ms", "how long the call took"),
        "a wrong figure": (lambda ms: f"{ms * 2:.0f} ms", "how long the call took"),
    }
    for name, (fmt, why) in wrong.items():
        render = history_in(fmt)
        ok, msg = part9.q3.verdict(render, *wired(render))
        assert ok is False and why in msg, (name, msg)


def test_q3_wrong():
    def oldest_first(history):
        return "\n".join(f"{text} {result} {ms} ms" for _, text, result, ms in history[-5:])

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

    def no_time(history):
        return "\n".join(f"{text} -> {result}" for _, text, result, _ in reversed(history[-5:]))

    ok, msg = part9.q3.verdict(no_time)
    assert ok is False and "how long the call took" in msg, msg


def test_q3_needs_the_history_shown_in_the_app():
    # the function alone is not the exercise: the check asks for the widget
    ok, msg = part9.q3.verdict(good_history)
    assert ok is False and "history_output" in msg, msg

    # an output area nobody fills
    box, button, calls = text_app()
    ok, msg = part9.q3.verdict(good_history, widgets.Output(), button, box, calls)
    assert ok is False and "run_button.on_click" in msg, msg

    # filled once, when the cell ran, and never refreshed by a click
    box, button, calls = text_app()
    out = widgets.Output()
    show(out, good_history(calls))
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls)
    assert ok is False and "run_button.on_click" in msg, msg

    # appended to on every click instead of replaced: the old history stays on screen
    box, button, calls = text_app()
    out = widgets.Output()
    button.on_click(lambda _: out.append_stdout(good_history(calls) + "\n"))
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls)
    assert ok is False and "not render_history(CALLS)" in msg, msg

    # the box is left as the learner had it
    box, button, calls = text_app()
    out = widgets.Output()
    button.on_click(lambda _: show(out, good_history(calls)))
    box.value = "my own text"
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls)
    assert ok is True and box.value == "my own text", msg

    # a click that records nothing (the task failed)
    ok, msg = part9.q3.verdict(good_history, out, widgets.Button(), box, calls)
    assert ok is False and "did not add a call" in msg, msg


def test_q2_ignores_the_apps_cut_notice():
    slider = make_slider()

    def ask_limited(question):  # the app's ask: a cut answer ends with a notice
        return " ".join(["word"] * slider.value) + f" …(cut at {slider.value} tokens)"

    ok, msg = part9.q2.verdict(slider, ask_limited)
    assert ok is True, msg
