"""Part 9 exercise checkers: each one drives the learner's function or widget with a test input."""

from __future__ import annotations

from types import SimpleNamespace

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

import torch  # noqa: E402
from transformers import LlamaForCausalLM, StoppingCriteria  # noqa: E402

from tests.fakes import tiny_config  # noqa: E402

LENGTHS = {part9.QUESTION: 8, part9.LONG_QUESTION: 500}  # tokens of each whole answer


def tiny_model():
    """A real (tiny, random) causal LM: the checker watches transformers' own generate."""
    torch.manual_seed(0)
    config = tiny_config(eos_token_id=None, pad_token_id=0)  # EndsAfter ends each answer
    return LlamaForCausalLM(config).eval()


MODEL = tiny_model()


class EndsAfter(StoppingCriteria):
    """The answer's own end after `n` new tokens (a real model's end-of-sequence)."""

    def __init__(self, prompt_length, n):
        self.prompt_length, self.n = prompt_length, n

    def __call__(self, input_ids, scores, **kwargs):
        done = input_ids.shape[1] - self.prompt_length >= self.n
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool)


class App:
    """The notebook's app in small: ask() generates with a real model and sets LAST_STREAM; a
    text tab with a menu, a box, a Run button whose on_run writes the status line."""

    def __init__(self):
        self.last_stream = None
        self.tasks = {"Ask a question": self.ask, "Sentiment": lambda text: "POSITIVE"}
        self.menu = widgets.Dropdown(options=list(self.tasks))
        self.box, self.run, self.status = widgets.Textarea(), widgets.Button(), widgets.Label()
        self.tab = widgets.VBox([self.menu, self.box, self.run, self.status])
        self.run.on_click(self.on_run)

    def ask(self, question, max_new_tokens=96):
        prompt = torch.tensor([[1, 2, 3]])
        natural = LENGTHS.get(question, 20)
        out = MODEL.generate(
            prompt,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            stopping_criteria=[EndsAfter(3, natural)],
        )
        new = out.shape[1] - 3
        self.last_stream = SimpleNamespace(new_tokens=new, cut=new >= max_new_tokens)
        return " ".join(["word"] * new)

    def on_run(self, _):
        self.last_stream = None
        result = self.tasks[self.menu.value](self.box.value)
        self.status.value = f"{self.menu.value}: 3 ms on cpu, {len(result)} characters"

    def wire(self, ask_limited, slider, report=True):
        """The solution's wiring: the task in TASKS and the menu, the slider in the tab, and a
        second handler that reports a cut."""
        self.tasks["Ask a question"] = ask_limited
        self.menu.options = list(self.tasks)
        self.tab.children = [*self.tab.children, slider]
        if report:
            self.run.on_click(self.report_cut)

    def report_cut(self, _):
        if self.last_stream is not None and self.last_stream.cut:
            self.status.value += f", cut at {self.last_stream.new_tokens} tokens"

    def verdict(self, slider, ask_limited):
        return part9.q2.verdict(slider, ask_limited, self.tasks, self.tab)


def make_slider():
    return widgets.IntSlider(value=32, min=1, max=128, description="Max tokens")


def solved(make_ask=None, report=True):
    app, slider = App(), make_slider()
    make_ask = make_ask or (lambda app, s: lambda q: app.ask(q, max_new_tokens=s.value))
    fn = make_ask(app, slider)
    app.wire(fn, slider, report=report)
    return app, slider, fn


def test_q2_right():
    app, slider, ask_limited = solved()
    ok, msg = app.verdict(slider, ask_limited)
    assert ok is True and "correct" in msg, msg
    assert slider.value == 32  # the checker puts the slider back
    assert app.menu.value == "Ask a question" and app.box.value == ""


def test_q2_accepts_honest_right_forms():
    forms = {
        "keyword by name": lambda app, s: lambda q: app.ask(q, max_new_tokens=s.value),
        "positional": lambda app, s: lambda q: app.ask(q, s.value),
        "int() of the value": lambda app, s: lambda q: app.ask(q, int(s.value)).strip(),
    }
    for name, make in forms.items():
        app, slider, fn = solved(make)
        ok, msg = app.verdict(slider, fn)
        assert ok is True, (name, msg)
    # the cut said another way: "(cut: 3 of 3 tokens)"
    app, slider, fn = solved(report=False)

    def say_it_my_way(_):
        if app.last_stream is not None and app.last_stream.cut:
            app.status.value = f"(cut: {app.last_stream.new_tokens} of {slider.value} tokens)"

    app.run.on_click(say_it_my_way)
    ok, msg = app.verdict(slider, fn)
    assert ok is True, msg


def test_q2_rejects_cutting_the_text_of_a_full_answer():
    # the review's wrong answers: all 96 tokens generated, then the text cut to the slider
    wrong = {
        "characters": lambda app, s: lambda q: app.ask(q)[: s.value],
        "words": lambda app, s: lambda q: " ".join(app.ask(q).split()[: s.value]),
    }
    for name, make in wrong.items():
        app, slider, fn = solved(make)
        slider.value = 3
        assert len(fn(part9.QUESTION).split()) <= 3  # the text alone looks right
        ok, msg = app.verdict(slider, fn)
        assert ok is False, (name, msg)
        assert "asked for up to 96 tokens" in msg and "stop generation" in msg, (name, msg)
        assert "max_new_tokens" in msg, msg
    # whatever the slider's range: a minimum above the short answer's length changes nothing
    app, slider, fn = solved(wrong["characters"])
    slider.min = 10
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "asked for up to 96" in msg, msg


def test_q2_wrong():
    def ignores_slider(app, slider):
        value = slider.value  # read once, when the cell ran
        return lambda q: app.ask(q, max_new_tokens=value)

    app, slider, fn = solved(ignores_slider)
    ok, msg = app.verdict(slider, fn)
    # its own message: not the one for cutting the text of a full answer
    assert ok is False and "read it once" in msg and "length_slider.value inside" in msg, msg
    assert "asked for 32 tokens" in msg and "cutting the text" not in msg, msg

    app, slider, fn = solved(lambda app, s: lambda q: app.ask(q, max_new_tokens=1))
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "read inside the function" in msg, msg

    # no model at all: the text is made up
    app, slider, fn = solved(lambda app, s: lambda q: " ".join(["word"] * s.value))
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "without the model generating" in msg, msg

    app, slider, fn = solved()
    ok, msg = part9.q2.verdict(slider, fn)
    assert ok is False and "part9.q2.check(length_slider, ask_limited, TASKS, text_tab)" in msg
    ok, msg = part9.q2.verdict(widgets.IntText(), fn, app.tasks, app.tab)
    assert ok is False and "IntSlider" in msg, msg
    narrow = widgets.IntSlider(value=2, min=1, max=2)
    ok, msg = part9.q2.verdict(narrow, fn, app.tasks, app.tab)
    assert ok is False and "too narrow" in msg, msg


def test_q2_needs_the_slider_in_the_app():
    app, slider = App(), make_slider()

    def fn(q):
        return app.ask(q, max_new_tokens=slider.value)

    ok, msg = app.verdict(slider, fn)
    assert ok is False and "not in TASKS" in msg, msg
    app.tasks["Ask a question"] = fn
    app.tasks["Ask (limited)"] = fn
    app.menu.options = ["Ask a question", "Sentiment"]
    del app.tasks["Ask a question"]
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "task_choice.options = list(TASKS)" in msg, msg
    app.menu.options = list(app.tasks)
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "not in the text tab" in msg, msg


def test_q2_needs_the_cut_in_the_status_line():
    # no handler: the status line never says the answer was cut
    app, slider, fn = solved(report=False)
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "LAST_STREAM.cut is True" in msg and "on_click" in msg, msg

    # always says "cut", also for an answer that ended by itself
    def always_cut(_):
        app.status.value += f", cut at {slider.value} tokens"

    app, slider, fn = solved(report=False)
    app.run.on_click(always_cut)
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "ended by itself" in msg, msg

    # says cut, but not the count
    app, slider, fn = solved(report=False)

    def no_count(_):
        if app.last_stream is not None and app.last_stream.cut:
            app.status.value += " (cut)"

    app.run.on_click(no_count)
    ok, msg = app.verdict(slider, fn)
    assert ok is False and "at how many tokens" in msg, msg


def test_q2_with_the_real_chat_model():
    """The notebook's own chat_stream and ask on SmolLM2 (stand-in Hub: its real weights)."""
    import course_utils as cu

    try:
        model, tokenizer = cu.load_model("HuggingFaceTB/SmolLM2-135M-Instruct", verbose=False)
    except OSError:
        pytest.skip("SmolLM2-135M-Instruct is not in this Hugging Face cache")
    app = App()
    notebook = {"cu": cu, "model": model, "tokenizer": tokenizer, "LAST_STREAM": None}
    exec(
        "def ask(question, max_new_tokens=96):\n"
        "    global LAST_STREAM\n"
        "    LAST_STREAM = cu.stream_generate(model, tokenizer,\n"
        "        [{'role': 'user', 'content': question}], do_sample=False,\n"
        "        max_new_tokens=max_new_tokens)\n"
        "    return ''.join(LAST_STREAM).strip()\n",
        notebook,
    )
    ask = notebook["ask"]

    def report_cut(_):
        stream = notebook["LAST_STREAM"]
        if stream is not None and stream.cut:
            app.status.value += f", cut at {stream.new_tokens} tokens"

    slider = widgets.IntSlider(value=48, min=10, max=256, step=2)
    for name, fn in {
        "characters": lambda q: ask(q)[: slider.value],
        "words": lambda q: " ".join(ask(q).split()[: slider.value]),
        "right": lambda q: ask(q, max_new_tokens=slider.value),
    }.items():
        app.tasks["Ask a question"] = fn
        app.menu.options = list(app.tasks)
        if slider not in app.tab.children:
            app.tab.children = [*app.tab.children, slider]
            app.run.on_click(report_cut)
        ok, msg = app.verdict(slider, fn)
        assert ok is (name == "right"), (name, msg)


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
    return out, button, box, calls, tab_with(box, button, out)


def tab_with(*children):
    """The text tab: a VBox holding the widgets (and, for the check, history_output)."""
    return widgets.VBox(list(children))


def test_q3_right():
    ok, msg = part9.q3.verdict(good_history, *wired(good_history))
    assert ok is True, msg
    assert "correct" in msg


def test_q3_accepts_any_honest_time_format():
    formats = {
        "0.10 s for 95 ms, 0.01 s for 7 ms": lambda ms: f"{ms / 1000:.2f} s",
        "0.095 s": lambda ms: f"{ms / 1000:.3f} s",
        "95 milliseconds": lambda ms: f"{ms:.0f} milliseconds",
        "95 ms": lambda ms: f"{ms:.0f} ms",
        "95.0ms": lambda ms: f"{ms:.1f}ms",
        "1,234 ms": lambda ms: f"{ms:,.0f} ms",
        "1.234 seconds": lambda ms: f"{ms / 1000:.3f} seconds",
        "3 significant digits": lambda ms: f"{ms / 1000:.3g} sec",
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
        # the review's answer: one decimal of a second shows the 42 ms and 7 ms calls as 0.0 s
        "0.0 s for 42 ms": (lambda ms: f"({ms / 1000:.1f} s)", "rounded to zero"),
        "0 s for 95 ms": (lambda ms: f"{ms / 1000:.0f} seconds", "rounded to zero"),
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
    out = widgets.Output()
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, tab_with(box, out))
    assert ok is False and "run_button.on_click" in msg, msg

    # filled once, when the cell ran, and never refreshed by a click
    box, button, calls = text_app()
    out = widgets.Output()
    show(out, good_history(calls))
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, tab_with(box, out))
    assert ok is False and "run_button.on_click" in msg, msg

    # appended to on every click instead of replaced: the old history stays on screen
    box, button, calls = text_app()
    out = widgets.Output()
    button.on_click(lambda _: out.append_stdout(good_history(calls) + "\n"))
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, tab_with(box, out))
    assert ok is False and "not render_history(CALLS)" in msg, msg

    # the box is left as the learner had it
    box, button, calls = text_app()
    out = widgets.Output()
    button.on_click(lambda _: show(out, good_history(calls)))
    box.value = "my own text"
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, tab_with(box, out))
    assert ok is True and box.value == "my own text", msg

    # a click that records nothing (the task failed)
    ok, msg = part9.q3.verdict(good_history, out, widgets.Button(), box, calls, tab_with(box, out))
    assert ok is False and "did not add a call" in msg, msg


def test_q3_needs_history_output_in_the_text_tab():
    # the review's wrong answer: render_history and the handler are right, the area is never shown
    out, button, box, calls, _ = wired(good_history)
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, tab_with(box, button))
    assert ok is False and "not in the text tab" in msg, msg
    # the old call without text_tab is told the new usage
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls)
    assert ok is False and "text_tab)" in msg, msg
    # nested one box deeper (an HBox inside the tab) is still in the tab
    out, button, box, calls, _ = wired(good_history)
    nested = tab_with(box, widgets.HBox([button, out]))
    ok, msg = part9.q3.verdict(good_history, out, button, box, calls, nested)
    assert ok is True, msg


# ----- q4: the task in the Space -------------------------------------------------------------

# A small app.py of the Space's shape: no model of its own (the check is given the reference
# pipeline, `pipe=`); gradio is the real one where 6.31 is installed, else the checker's stand-in.
APP_HEAD = """import gradio as gr


def fake_fill_mask(text):
    return [{"sequence": text.replace("[MASK]", "paris").lower()},
            {"sequence": text.replace("[MASK]", "lyon").lower()}]


def check_input(text):
    text = (text or "").strip()
    if not text:
        raise gr.Error("Type some text in the box first, then press the button.")
    return text


"""
GOOD_FUNCTION = """def fill_blank(text):
    text = check_input(text)
    if "[MASK]" not in text:
        raise gr.Error("Put [MASK] where the missing word goes.")
    return fake_fill_mask(text)[0]["sequence"]
"""
GOOD_PAGE = """

with gr.Blocks() as demo:
    with gr.Tab("Chat"):
        gr.Markdown("a chat")
    with gr.Tab("Fill the blank"):
        gr.Interface(fill_blank, gr.Textbox(), gr.Textbox(), api_name="fill_blank")
"""


def q4(tmp_path, function=GOOD_FUNCTION, page=GOOD_PAGE, head=APP_HEAD):
    path = tmp_path / "app.py"
    path.write_text(head + function + page)
    return part9.q4.verdict(path, pipe=fake_fill_mask)


def test_q4_right(tmp_path):
    ok, msg = q4(tmp_path)
    assert ok is True, msg
    # other honest forms: fn= by keyword, a button's click, a tab nested in a Row
    for page in (
        GOOD_PAGE.replace(
            "gr.Interface(fill_blank, gr.Textbox(), gr.Textbox(),",
            "gr.Interface(fn=fill_blank, inputs=gr.Textbox(), outputs=gr.Textbox(),",
        ),
        '\n\nwith gr.Blocks() as demo:\n    with gr.Row():\n        with gr.Tab("Fill"):\n'
        "            box, out = gr.Textbox(), gr.Textbox()\n"
        '            gr.Button("Fill").click(fill_blank, box, out, api_name="fill_blank")\n',
    ):
        ok, msg = q4(tmp_path, page=page)
        assert ok is True, (page, msg)


def test_q4_leaves_no_stand_in_gradio_behind(tmp_path):
    import sys

    before = sys.modules.get("gradio")
    q4(tmp_path)
    assert sys.modules.get("gradio") is before


def test_q4_wrong(tmp_path):
    ok, msg = part9.q4.verdict(GOOD_FUNCTION)
    assert ok is False and 'SPACE / "app.py"' in msg, msg
    ok, msg = part9.q4.verdict(tmp_path / "missing" / "app.py")
    assert ok is False and "does not exist" in msg, msg
    ok, msg = q4(tmp_path, function="def fill_blank(text)\n    return text\n")
    assert ok is False and "does not parse" in msg, msg
    # the untouched app: no function yet
    ok, msg = q4(tmp_path, function="", page="\n\nwith gr.Blocks() as demo:\n    pass\n")
    assert ok is False and "no function fill_blank" in msg, msg
    # the notebook's helpers do not exist in a Space
    ok, msg = q4(tmp_path, head="import course_utils as cu\n" + APP_HEAD)
    assert ok is False and "course_utils" in msg, msg
    # written, but not on the page
    ok, msg = q4(tmp_path, page="\n\nwith gr.Blocks() as demo:\n    pass\n")
    assert ok is False and 'api_name="fill_blank"' in msg, msg
    ok, msg = q4(tmp_path, page=GOOD_PAGE.replace('api_name="fill_blank"', 'api_name="fill"'))
    assert ok is False and 'api_name="fill_blank"' in msg, msg
    ok, msg = q4(
        tmp_path,
        page="\n\nwith gr.Blocks() as demo:\n"
        '    gr.Interface(fill_blank, gr.Textbox(), gr.Textbox(), api_name="fill_blank")\n',
    )
    assert ok is False and "not in a tab" in msg, msg
    # the function itself: the second-best word, no check, the wrong error, a vague error
    second = GOOD_FUNCTION.replace(
        'fake_fill_mask(text)[0]["sequence"]', 'fake_fill_mask(text)[1]["sequence"]'
    )
    ok, msg = q4(tmp_path, function=second)
    assert ok is False and "top-scoring" in msg, msg
    unchecked = 'def fill_blank(text):\n    return fake_fill_mask(text)[0]["sequence"]\n'
    ok, msg = q4(tmp_path, function=unchecked)
    assert ok is False and "raise gr.Error" in msg and "returned" in msg, msg
    for raised in ("ValueError", "KeyError"):
        wrong = GOOD_FUNCTION.replace("raise gr.Error(", f"raise {raised}(")
        ok, msg = q4(tmp_path, function=wrong)
        assert ok is False and f"raised {raised}" in msg and "raise gr.Error" in msg, msg
    # the notebook's error: cu is not defined in app.py, so it is a NameError there
    wrong = GOOD_FUNCTION.replace("raise gr.Error(", "raise cu.BadInputError(")
    ok, msg = q4(tmp_path, function=wrong)
    assert ok is False and "raised NameError" in msg, msg
    vague = GOOD_FUNCTION.replace("Put [MASK] where the missing word goes.", "That will not work.")
    ok, msg = q4(tmp_path, function=vague)
    assert ok is False and "should say to add [MASK]" in msg, msg
