"""Part 9 exercises: extend the capstone app (a third task, a length slider, a history) and ship
the third task in the Space.

Each checker takes the piece you wrote (a function, a widget or the Space's app.py), calls it
with a test input and looks at what comes back, the way the notebook drives the app itself.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import runpy
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import Exercise, function, needs
from .generation import Generation, watch_generate

FILL_MODEL = "distilbert/distilbert-base-uncased"
FILL_TEST = "The capital of France is [MASK]."
NO_BLANK = "There is no blank in this sentence."  # fill_blank should refuse it (q1 and q4)
QUESTION = "What is the capital of France?"

_pipes: dict[str, Any] = {}


def _fill_mask_pipeline() -> Callable[..., Any]:
    """The reference fill-mask pipeline, built once (the checker compares your answer with it)."""
    if FILL_MODEL not in _pipes:
        from transformers import pipeline

        _pipes[FILL_MODEL] = pipeline("fill-mask", model=FILL_MODEL)
    return _pipes[FILL_MODEL]


# ----- q1: a new task in the app ------------------------------------------------------------


def _fills_the_blank(
    fill_blank: Callable[[str], Any],
    pipe: Any,
    *,
    who: str,
    host: str,
    error: type[BaseException],
    raise_it: str,
    other_error: str,
) -> str | None:
    """What q1 (the app) and q4 (the Space) both ask of fill_blank: the pipeline's top sentence,
    and for a text without [MASK] the ``error`` its ``host`` shows as a sentence."""
    result = fill_blank(FILL_TEST)
    if not isinstance(result, str):
        return f"fill_blank should return a string, got {type(result).__name__}"
    expected = (pipe or _fill_mask_pipeline())(FILL_TEST)[0]["sequence"]
    if result.strip() != expected.strip():
        return (
            f"for {FILL_TEST!r} {who} returned {result!r}; the top-scoring sentence of "
            f"{FILL_MODEL} is {expected!r}"
        )
    try:
        returned = fill_blank(NO_BLANK)
    except error as exc:
        if "[MASK]" not in str(getattr(exc, "message", exc)):
            return f"the {raise_it} for a text without [MASK] should say to add [MASK]"
        return None
    except Exception as exc:
        return f"for a text without [MASK] it raised {type(exc).__name__}{other_error}"
    return (
        f"for a text without [MASK] it returned {returned!r}, which {host} would show as a "
        f"result; raise {raise_it} that says to add [MASK] instead"
    )


@function("fill_blank(text)", "runs it on sentences of its own")
@needs("the app's TASKS", "part9.q1.check(fill_blank, TASKS)")
def _check_fill_blank(
    answer: Any, tasks: dict | None = None, *, pipe: Any = None, **__: Any
) -> str | None:
    from ..errors import BadInputError

    if not any(fn is answer for fn in tasks.values()):
        return "the function is not in TASKS yet: add it, e.g. TASKS['Fill the blank'] = fill_blank"
    return _fills_the_blank(
        answer,
        pipe,
        who="it",
        host="the app",
        error=BadInputError,  # the app shows a course error to the user as a sentence
        raise_it="cu.BadInputError",
        other_error="; raise cu.BadInputError, the error the app shows to the user as a sentence "
        "(any other is 'the model failed')",
    )


q1 = Exercise(
    name="part9.q1",
    prompt=f"Add a third task to the app: write fill_blank(text) -> str with the fill-mask "
    f"pipeline of {FILL_MODEL}. It returns the top-scoring sentence, and raises "
    "cu.BadInputError that mentions [MASK] when the text has none. Register it in TASKS.",
    checker=_check_fill_blank,
    hint_text="A fill-mask pipeline returns a list of candidates, best first; each has a "
    "'sequence' (the whole sentence with the blank filled in). After adding the task, run "
    "`task_choice.options = list(TASKS)` so the dropdown shows it.",
    solution_text=f'fill_mask = cu.load_pipeline("fill-mask", "{FILL_MODEL}")\n\n'
    "def fill_blank(text: str) -> str:\n"
    '    if "[MASK]" not in text:\n'
    '        raise cu.BadInputError("Put [MASK] where the missing word goes, e.g. '
    "'Paris is the [MASK] of France.'\")\n"
    '    return fill_mask(text)[0]["sequence"]\n\n'
    'TASKS["Fill the blank"] = fill_blank\n'
    "task_choice.options = list(TASKS)\n"
    "answer = fill_blank\n"
    "part9.q1.check(answer, TASKS)",
)


# ----- q2: a max-length slider --------------------------------------------------------------

LONG_QUESTION = "Tell me a long story about a dragon."  # an answer longer than any small limit
_CUT_WORDS = re.compile(r"\bcut\b", re.IGNORECASE)


def _find(box: Any, kind: type) -> Any:
    """The first widget of `kind` in a box, looking inside the boxes it holds."""
    for child in getattr(box, "children", ()):
        if isinstance(child, kind):
            return child
        found = _find(child, kind)
        if found is not None:
            return found
    return None


def _limits(slider: Any, ask_fn: Callable[[str], str]) -> tuple[int, int] | str:
    """Call ask_fn with the slider at a small and a large value: (small, large) when generate was
    asked for exactly the slider's value each time, else what is wrong."""
    small, large = max(slider.min, 3), min(slider.max, 64)
    if large <= small:
        return "the slider's range is too narrow to tell short answers from long ones"
    initial = slider.value  # a slider read once, when the learner's cell ran, stays at this
    for value in (small, large):
        slider.value = value
        value = slider.value  # as the widget holds it
        with watch_generate() as calls:
            result = ask_fn(QUESTION)
        if not isinstance(result, str):
            return f"ask_limited should return the answer as a string, got {type(result).__name__}"
        if not calls:
            return (
                "ask_limited returned without the model generating anything: call the app's "
                "ask(question, max_new_tokens=...)"
            )
        asked = [call.limit for call in calls]
        if value != initial and set(asked) == {initial}:
            return (
                f"with the slider at {value}, generate was asked for {initial} tokens, the "
                "slider's value when your cell ran: ask_limited read it once. Read "
                "length_slider.value inside ask_limited, so each question gets the slider's "
                "value at that moment"
            )
        over = [call for call in calls if call.limit is None or call.limit > value]
        if over:
            limit = over[0].limit or "its default number of"
            return (
                f"with the slider at {value}, generate was asked for up to {limit} tokens and "
                f"wrote {over[0].new_tokens}: cutting the text afterwards still pays for every "
                "token (the latency section 6 measured). The slider must stop generation: pass "
                "length_slider.value to ask as max_new_tokens"
            )
        if asked[-1] != value:
            return (
                f"with the slider at {value}, generate was asked for {asked[-1]} tokens: pass "
                "length_slider.value itself as max_new_tokens, read inside the function each "
                "time it runs"
            )
    return small, slider.value


def _check_slider(
    answer: Any,
    ask_fn: Callable[[str], str] | None = None,
    tasks: dict | None = None,
    text_tab: Any = None,
    **__: Any,
) -> str | None:
    import ipywidgets as widgets

    usage = "part9.q2.check(length_slider, ask_limited, TASKS, text_tab)"
    if not isinstance(answer, widgets.IntSlider):
        return f"give the IntSlider widget itself, not a {type(answer).__name__}"
    if ask_fn is None or not callable(ask_fn) or tasks is None or text_tab is None:
        return f"call it as {usage}"
    if not 1 <= answer.min < answer.max <= 1024:
        return f"the slider runs from {answer.min} to {answer.max}; use a range inside 1..1024"
    before = answer.value
    try:
        limits = _limits(answer, ask_fn)
    finally:
        answer.value = before
    if isinstance(limits, str):
        return limits
    # now in the app: the slider in the text tab, the task in the menu, the cut in the status line
    names = [name for name, fn in tasks.items() if fn is ask_fn]
    if not names:
        return "ask_limited is not in TASKS yet: TASKS['Ask a question'] = ask_limited"
    menu, box = _find(text_tab, widgets.Dropdown), _find(text_tab, widgets.Textarea)
    run, status = _find(text_tab, widgets.Button), _find(text_tab, widgets.Label)
    if None in (menu, box, run, status):
        return "text_tab should be the app's text tab (its menu, box, Run button and status line)"
    if names[0] not in menu.options:
        return "the menu does not show the task yet: task_choice.options = list(TASKS)"
    if not any(child is answer for child in _walk(text_tab)):
        return (
            "the slider is not in the text tab, so the user cannot move it: "
            "text_tab.children = [*text_tab.children, length_slider]"
        )
    saved = answer.value, menu.value, box.value
    try:
        menu.value = names[0]
        for value, question in zip(limits, (LONG_QUESTION, QUESTION), strict=True):
            answer.value, box.value = value, question
            with watch_generate() as calls:
                run.click()  # what a user's click does: on_run, then your handlers
            if not calls:
                return f"a click on Run with {names[0]!r} chosen did not make the model generate"
            problem = _reports_cut(status.value, calls[-1], value)
            if problem:
                return problem
    finally:
        answer.value, menu.value, box.value = saved
    return None


def _walk(box: Any) -> Iterator[Any]:
    for child in getattr(box, "children", ()):
        yield child
        yield from _walk(child)


def _reports_cut(shown: str, call: Generation, value: int) -> str | None:
    """None if the status line says 'cut', and how many tokens ("3 tokens", "3/3 tokens",
    "tokens: 3"), exactly when the answer was cut."""
    says_cut = bool(_CUT_WORDS.search(shown))
    if call.cut and not says_cut:
        return (
            f"with the slider at {value} the answer stopped at the limit (LAST_STREAM.cut is "
            f"True), but the status line says {shown!r}: add a run_button.on_click handler "
            "that says in status.value that it was cut, and at how many tokens"
        )
    count = rf"\b{call.new_tokens}(?:\s*(?:/|of)\s*\d+)?\s*(?:new\s+)?tokens?\b"
    if call.cut and not re.search(rf"{count}|\btokens?\W{{0,3}}{call.new_tokens}\b", shown):
        return (
            f"the status line says the answer was cut but not at how many tokens "
            f"({call.new_tokens}, LAST_STREAM.new_tokens): {shown!r}"
        )
    if not call.cut and says_cut:
        return (
            f"with the slider at {value} the answer ended by itself after {call.new_tokens} "
            f"tokens, but the status line says {shown!r}: say 'cut' only when LAST_STREAM.cut "
            "is True"
        )
    return None


q2 = Exercise(
    name="part9.q2",
    prompt="Add a max-length slider to the text tab: an IntSlider `length_slider` in "
    "text_tab, and a task ask_limited(question) -> str that passes length_slider.value to ask as "
    "max_new_tokens, so the model generates no more tokens than the slider says; make it the "
    "menu's 'Ask a question'. After a Run whose answer hit the limit, the status line says it "
    "was cut and at how many tokens (LAST_STREAM holds both), and says nothing of a cut otherwise.",
    checker=_check_slider,
    hint_text="Read the slider inside the function (length_slider.value), not once outside it, "
    "so each click uses the current position. A second run_button.on_click handler runs after "
    "on_run: by then LAST_STREAM is the stream of the answer just shown (None for a task that "
    "does not stream), with .cut and .new_tokens; add to status.value.",
    solution_text="length_slider = widgets.IntSlider(value=48, min=4, max=256, step=4, "
    'description="Max tokens")\n\n'
    "def ask_limited(question: str) -> str:\n"
    "    return ask(question, max_new_tokens=length_slider.value)\n\n"
    "def report_cut(button) -> None:\n"
    "    if LAST_STREAM is not None and LAST_STREAM.cut:\n"
    '        status.value += f", cut at {LAST_STREAM.new_tokens} tokens"\n\n'
    'TASKS["Ask a question"] = ask_limited\n'
    "task_choice.options = list(TASKS)\n"
    "text_tab.children = [*text_tab.children, length_slider]\n"
    "run_button.on_click(report_cut)\n\n"
    "answer = length_slider\n"
    "part9.q2.check(answer, ask_limited, TASKS, text_tab)",
)


# ----- q3: a history of calls, shown in the app ----------------------------------------------

# a number and its unit: "95 ms", "0.10 s", "95 milliseconds", "1.2 seconds", "1,234ms"
_DURATION = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(ms|msecs?|milliseconds?|s|secs?|seconds?)(?![a-z])", re.IGNORECASE
)


def _shows_time(line: str, ms: float) -> str | None:
    """None if the line shows `ms` milliseconds, in milliseconds or seconds, as honestly rounded
    as the digits it prints (0.10 s and 0.1 s both show 95 ms; 0.0 s hides 42 ms), else why not."""
    for number, unit in _DURATION.findall(line):
        value = float(number.replace(",", ""))
        decimals = len(number.split(".")[1]) if "." in number else 0
        slack = 0.5 * 10**-decimals + 1e-9  # half of the last printed digit
        in_ms = unit.lower().startswith("m")
        truth = ms if in_ms else ms / 1000
        if value == 0 and ms > 0:
            return (
                f"{line!r} shows {number} {unit} for a call of {ms:g} ms: rounded to zero, the "
                "time tells the user nothing; print milliseconds, or enough decimals of a "
                "second that no call shows as 0"
            )
        if abs(value - truth) <= slack + 0.01 * truth:
            return None
        if not in_ms and abs(value - ms) <= slack + 0.01 * ms:
            return (
                f"{line!r} shows {number} {unit} for a call of {ms:g} ms: CALLS holds "
                "milliseconds, so write 'ms' (or divide by 1000 for seconds)"
            )
    return f"expected the line to show how long the call took ({ms:g} ms), got {line!r}"


def _check_render(render: Callable[[list], str]) -> str | None:
    """The function alone, on a made-up history: newest first, the last 5, text, result, time."""
    empty = render([])
    if not isinstance(empty, str):
        return f"render_history([]) should return a string, got {type(empty).__name__}"
    times_ms = [18.3, 1234.0, 7.0, 250.0, 42.0, 3100.0, 95.0]
    calls = [
        ("Sentiment", f"text number {i}", f"result number {i}", ms) for i, ms in enumerate(times_ms)
    ]
    shown = render(calls)
    if not isinstance(shown, str):
        return f"render_history should return a string, got {type(shown).__name__}"
    lines = [line for line in shown.splitlines() if line.strip()]
    if len(lines) != 5:
        return f"with 7 calls it shows {len(lines)} lines; show the last 5, one line per call"
    for line, (_, text, result, ms) in zip(lines, reversed(calls), strict=False):
        if text not in line or result not in line:
            return f"expected a line with {text!r} and {result!r} (newest first), got {line!r}"
        problem = _shows_time(line, ms)
        if problem:
            return problem
    return None


def _holds(box: Any, widget: Any) -> bool:
    """True if `widget` is one of the box's children, or inside one of its boxes."""
    return any(
        child is widget or (hasattr(child, "children") and _holds(child, widget))
        for child in getattr(box, "children", ())
    )


def _shown(out: Any) -> str:
    """What an ipywidgets Output area shows (its stored stream text)."""
    return "".join(item.get("text", "") for item in out.outputs)


@function("render_history(history)", "runs it on histories of its own")
def _check_history(
    answer: Any,
    history_output: Any = None,
    run_button: Any = None,
    text_box: Any = None,
    calls: list | None = None,
    text_tab: Any = None,
) -> str | None:
    import ipywidgets as widgets

    problem = _check_render(answer)
    if problem:
        return problem
    usage = "part9.q3.check(render_history, history_output, run_button, text_box, CALLS, text_tab)"
    if not isinstance(history_output, widgets.Output):
        return (
            f"render_history works; now show it in the app: {usage}, where history_output is "
            "the widgets.Output you added to the text tab"
        )
    if (
        not isinstance(run_button, widgets.Button)
        or text_box is None
        or calls is None
        or not isinstance(text_tab, widgets.Box)
    ):
        return f"call it as {usage}"
    if not _holds(text_tab, history_output):
        return (
            "history_output is not in the text tab, so the user never sees it: "
            "text_tab.children = [*text_tab.children, history_output]"
        )
    before = text_box.value
    try:
        for i in range(2):
            text_box.value = f"History check {i}: this course is fun."
            run_button.click()  # what a user's click does: on_run, then your handler
            if not calls or calls[-1][1] != text_box.value.strip():
                return (
                    "the click did not add a call to CALLS: is the task menu on a task that works?"
                )
            shown, expected = _shown(history_output).strip(), answer(calls).strip()
            if shown != expected:
                return (
                    f"after a click history_output shows {shown[:160]!r}, not "
                    f"render_history(CALLS) ({expected[:160]!r}): register a handler with "
                    "run_button.on_click that replaces what history_output shows"
                )
    finally:
        text_box.value = before
    return None


q3 = Exercise(
    name="part9.q3",
    prompt="Write render_history(history) -> str: one line per call, newest first, at most the "
    "last 5 calls, each line with the input text, the result and the time it took (in ms, or in "
    "seconds with enough decimals that no call shows as 0). history is "
    "a list of (task, text, result, milliseconds) tuples, oldest first (like the app's CALLS). "
    "Then show it in the app: an Output area history_output in text_tab.children, refreshed "
    "after every click of Run.",
    checker=_check_history,
    hint_text="history[-5:] keeps the last five; reversed(...) puts the newest first; "
    '"\\n".join(...) makes one string of lines. The times are milliseconds: f"{ms:.0f} ms". '
    "A second run_button.on_click handler runs after on_run, so CALLS already holds the call; "
    "show(history_output, ...) replaces what the area shows.",
    solution_text="def render_history(history, limit=5):\n"
    '    lines = [f"{task}: {text!r} -> {result!r} ({ms:.0f} ms)"\n'
    "             for task, text, result, ms in reversed(history[-limit:])]\n"
    '    return "\\n".join(lines) or "No calls yet."\n\n'
    "history_output = make_output()\n"
    "text_tab.children = [*text_tab.children, history_output]\n"
    "run_button.on_click(lambda button: show(history_output, render_history(CALLS)))\n\n"
    "answer = render_history\n"
    "part9.q3.check(answer, history_output, run_button, text_box, CALLS, text_tab)",
)


# ----- q4: the third task, shipped in the Space ---------------------------------------------

SPACE_GRADIO = "6.31.0"  # the Space README's sdk_version: app.py runs on that Gradio

# the solution's two pieces (tests/test_space_app.py adds them to the notebook's own app.py)
Q4_FUNCTION = f"""fill_pipe = pipeline("fill-mask", model="{FILL_MODEL}", device=device)


def fill_blank(text):
    \"\"\"The sentence with its [MASK] filled in by the likeliest word.\"\"\"
    text = check_input(text)
    if "[MASK]" not in text:
        raise gr.Error("Put [MASK] where the missing word goes, "
                       "e.g. 'Paris is the [MASK] of France.'")
    return fill_on_gpu(text)


@spaces.GPU
def fill_on_gpu(text):
    try:
        return fill_pipe(text)[0]["sequence"]
    except Exception as exc:
        raise model_failed(exc) from exc
"""
Q4_TAB = """    with gr.Tab("Fill the blank"):
        gr.Interface(fill_blank, gr.Textbox(label="A sentence with [MASK]"),
                     gr.Textbox(label="Filled in"), api_name="fill_blank")
"""


class _Part:
    """Stands in for any of Gradio's page elements: callable, a `with` block, any attribute."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Part:
        return _Part()

    def __getattr__(self, name: str) -> _Part:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Part()

    def __enter__(self) -> _Part:
        return self

    def __exit__(self, *exc: Any) -> bool:
        return False


def _stand_in_gradio() -> types.ModuleType:
    """A small `gradio` for a runtime without Gradio 6.31: page elements that do nothing, and an
    Error with a .message, as gr.Error has, so app.py's functions can be called and judged."""

    class Error(Exception):
        def __init__(self, message: str = "Error", *args: Any, **kwargs: Any) -> None:
            super().__init__(message)
            self.message = message

    module = types.ModuleType("gradio")
    module.Error = Error  # type: ignore[attr-defined]
    module.__getattr__ = _page_class  # type: ignore[attr-defined]
    return module


def _page_class(name: str) -> type[_Part]:
    """gr.<Name> of the stand-in: _Part for every page class, nothing for dunder names."""
    if name.startswith("_"):
        raise AttributeError(name)
    return _Part


def _run_app(path: Path) -> tuple[dict, str]:
    """Run app.py as a module, the way the notebook's run cell does: (its names, which Gradio)."""
    try:
        version = importlib.metadata.version("gradio")
    except importlib.metadata.PackageNotFoundError:
        version = None
    real = version == SPACE_GRADIO
    saved = sys.modules.get("gradio")
    try:
        if not real:
            sys.modules["gradio"] = _stand_in_gradio()
        app = runpy.run_path(str(path), run_name="space_app")
    finally:
        if not real:
            if saved is None:
                sys.modules.pop("gradio", None)
            else:
                sys.modules["gradio"] = saved
    return app, f"gradio {SPACE_GRADIO}" if real else "a stand-in for gradio"


def _serves_in_a_tab(tree: ast.Module) -> str | None:
    """None if a call with api_name="fill_blank" serves fill_blank inside a `with gr.Tab(...)`."""

    def serves(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and any(
                k.arg == "api_name"
                and isinstance(k.value, ast.Constant)
                and k.value.value == "fill_blank"
                for k in node.keywords
            )
            and any(
                isinstance(a, ast.Name) and a.id == "fill_blank"
                for a in [*node.args, *(k.value for k in node.keywords if k.arg == "fn")]
            )
        )

    if not any(serves(n) for n in ast.walk(tree)):
        return (
            'nothing in app.py serves fill_blank with api_name="fill_blank": add '
            'gr.Interface(fill_blank, <an input>, <an output>, api_name="fill_blank")'
        )
    tabs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.With)
        and any(
            isinstance(i.context_expr, ast.Call)
            and ast.unparse(i.context_expr.func).split(".")[-1] == "Tab"
            for i in n.items
        )
    ]
    if not any(serves(n) for tab in tabs for n in ast.walk(tab)):
        return "fill_blank is served, but not in a tab: put it inside a `with gr.Tab(...):` block"
    return None


def _check_space_tab(answer: Any, *, pipe: Any = None, **__: Any) -> str | None:
    if not isinstance(answer, os.PathLike) and not (
        isinstance(answer, str) and answer.endswith(".py") and "\n" not in answer
    ):
        return 'give the path of the Space\'s app.py: SPACE / "app.py"'
    path = Path(answer)
    if not path.is_file():
        return f"{path} does not exist: run the cells that write the Space first"
    try:
        tree = ast.parse(path.read_text())
    except SyntaxError as exc:
        return f"app.py does not parse (line {exc.lineno}: {exc.msg})"
    imported = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    imported |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    if "course_utils" in imported:
        return (
            "app.py imports course_utils, which a Space does not have: use transformers' "
            "pipeline and gr.Error"
        )
    if not any(isinstance(n, ast.FunctionDef) and n.name == "fill_blank" for n in tree.body):
        return "app.py has no function fill_blank yet: write it in the %%writefile cell"
    problem = _serves_in_a_tab(tree)
    if problem:
        return problem
    app, gradio = _run_app(path)
    return _fills_the_blank(
        app["fill_blank"],
        pipe,
        who="app.py's fill_blank",
        host="the Space",
        error=app["gr"].Error,
        raise_it="gr.Error",
        other_error=f" (run with {gradio}); raise gr.Error, the one error a Space shows as its "
        "sentence (any other reaches the visitor as a bare 'Error')",
    )


q4 = Exercise(
    name="part9.q4",
    prompt=f"Ship q1's task in the Space: in app.py, write fill_blank(text) with a plain "
    f"transformers fill-mask pipeline of {FILL_MODEL}; it returns the top-scoring sentence and "
    "raises gr.Error mentioning [MASK] when the text has none. Serve it in a new gr.Tab with "
    'api_name="fill_blank".',
    checker=_check_space_tab,
    hint_text="app.py cannot use cu.: build the pipeline with transformers.pipeline('fill-mask', "
    "model=..., device=device) next to the other two, and raise gr.Error, as check_input does. "
    "The tab is one more `with gr.Tab(...):` block inside `with gr.Blocks(...) as demo:`, like "
    "the Sentiment tab. requirements.txt already has transformers, which is all fill-mask needs.",
    solution_text="# in the %%writefile cell, after classify_image:\n"
    + Q4_FUNCTION
    + "\n\n# and inside `with gr.Blocks(...) as demo:`, after the Image tab:\n"
    + Q4_TAB
    + "\n# requirements.txt: nothing new. Run the cells from %%writefile down again, then:\n"
    'answer = SPACE / "app.py"\n'
    "part9.q4.check(answer)",
)

__all__ = ["q1", "q2", "q3", "q4"]
